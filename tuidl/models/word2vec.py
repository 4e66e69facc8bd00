"""word2vec: input and output embeddings scored by negative sampling, plus embedding metrics.

`in_embed` holds the word vectors we keep; `out_embed` the vectors words have as contexts. The
loss of an example with k noise words n_i drawn from unigram^0.75 is
−log σ(v·u_t) − Σ_i log σ(−v·u_{n_i}): for skip-gram v is the center's input vector and t the
context word; for cbow v is the mean input vector of the context and t the center word.
Gradients are dense (V × dim per step), which keeps every optimizer usable and the gradient
panel simple; at our vocabulary sizes (≤ a few thousand words) that costs little. Negatives are
drawn on the device with `torch.multinomial`, with replacement: a step never waits on the host.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Word2Vec(nn.Module):
    def __init__(self, vocab_size: int, dim: int):
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, dim)
        self.out_embed = nn.Embedding(vocab_size, dim)
        with torch.no_grad():  # the C tool's start: small random inputs, zero outputs
            self.in_embed.weight.uniform_(-0.5 / dim, 0.5 / dim)
            self.out_embed.weight.zero_()

    def _loss(self, v: torch.Tensor, target: torch.Tensor, negatives: torch.Tensor):
        pos = (v * self.out_embed(target)).sum(-1)  # [B]
        neg = torch.bmm(self.out_embed(negatives), v.unsqueeze(2)).squeeze(2)  # [B, k]
        return -(F.logsigmoid(pos) + F.logsigmoid(-neg).sum(1)).mean()

    def skipgram_loss(self, center: torch.Tensor, context: torch.Tensor,
                      negatives: torch.Tensor) -> torch.Tensor:
        return self._loss(self.in_embed(center), context, negatives)

    def cbow_loss(self, context: torch.Tensor, mask: torch.Tensor, center: torch.Tensor,
                  negatives: torch.Tensor) -> torch.Tensor:
        m = mask.to(self.in_embed.weight.dtype).unsqueeze(2)  # [B, 2W, 1]
        v = (self.in_embed(context) * m).sum(1) / m.sum(1).clamp_min(1.0)
        return self._loss(v, center, negatives)


class NegativeSampler:
    """Draws noise words from a fixed distribution (unigram^0.75) on the device."""

    def __init__(self, probs: torch.Tensor):
        self.probs = probs.float()

    def __call__(self, n: int, k: int) -> torch.Tensor:
        return torch.multinomial(self.probs, n * k, replacement=True).view(n, k)


def unit_rows(x: torch.Tensor) -> torch.Tensor:
    return x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)


def precision_at_k(vectors: torch.Tensor, labels: torch.Tensor, k: int = 5) -> torch.Tensor:
    """Mean share of each vector's k nearest neighbours (cosine, itself excluded) with its label."""
    u = unit_rows(vectors.float())
    sim = u @ u.T
    sim.fill_diagonal_(-float("inf"))
    nn_idx = sim.topk(min(k, len(u) - 1), dim=1).indices
    return (labels[nn_idx] == labels[:, None]).float().mean()


def nearest(vectors: torch.Tensor, queries: torch.Tensor,
            k: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    """The k nearest rows (cosine) of each query row index, itself excluded: (sims, indices)."""
    u = unit_rows(vectors.float())
    sim = u[queries] @ u.T
    sim[torch.arange(len(queries), device=sim.device), queries] = -float("inf")
    return sim.topk(min(k, len(u) - 1), dim=1)


def pca_2d(vectors: torch.Tensor) -> torch.Tensor:
    """Project rows onto their first two principal components (SVD of the centred matrix)."""
    x = vectors.float() - vectors.float().mean(0, keepdim=True)
    _, _, vh = torch.linalg.svd(x, full_matrices=False)
    xy = x @ vh[:2].T
    if xy.shape[1] < 2:  # a single word has no second direction
        xy = torch.cat([xy, xy.new_zeros(len(xy), 2 - xy.shape[1])], 1)
    return xy
