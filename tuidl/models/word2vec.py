"""word2vec: input and output embeddings scored by negative sampling, plus embedding metrics.

`in_embed` holds the word vectors we keep; `out_embed` the vectors words have as contexts. The
loss of an example with k noise words n_i drawn from unigram^0.75 is
−log σ(v·u_t) − Σ_i log σ(−v·u_{n_i}): for skip-gram v is the center's input vector and t the
context word; for cbow v is the mean input vector of the context and t the center word.
Gradients are dense (V × dim per step), which keeps every optimizer usable and the gradient
panel simple. They are computed by hand (`Rows`, `Scores`): a row gather whose backward is one
`index_add_`, and scores as a product and a sum, whose backward is two more; autograd's
embedding and `bmm` backward took three times as long on a CPU. Negatives are drawn on the
device from a table where each word fills its share of slots (the C tool's way; a uniform
integer and a lookup cost half what `torch.multinomial` does): a step never waits on the host.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Rows(torch.autograd.Function):
    """weight[idx] whose gradient is a dense [V, dim] built by one `index_add_`."""

    @staticmethod
    def forward(ctx, weight: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(idx)
        ctx.rows = weight.shape[0]
        return weight.index_select(0, idx.reshape(-1)).view(*idx.shape, weight.shape[1])

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (idx,) = ctx.saved_tensors
        d = grad.shape[-1]
        out = grad.new_zeros(ctx.rows, d).index_add_(0, idx.reshape(-1), grad.reshape(-1, d))
        return out, None


class Scores(torch.autograd.Function):
    """s[b, j] = v[b] · out[t[b, j]]: the dot products of each input vector with its target's
    and its noise words' output vectors, with a hand-written backward."""

    @staticmethod
    def forward(ctx, v: torch.Tensor, out: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        u = out.index_select(0, t.reshape(-1)).view(*t.shape, out.shape[1])  # [B, 1+k, dim]
        ctx.save_for_backward(v, u, t)
        ctx.rows = out.shape[0]
        return (u * v.unsqueeze(1)).sum(2)  # half the time of a [B] batch of tiny matmuls

    @staticmethod
    def backward(ctx, gs: torch.Tensor):
        v, u, t = ctx.saved_tensors
        if u.shape[1] >= 8:  # a window's targets: a batch of vector-matrix products wins
            grad_v = torch.bmm(gs.unsqueeze(1), u).squeeze(1)
        else:
            grad_v = (gs.unsqueeze(2) * u).sum(1)
        grad_u = torch.einsum("bk,bd->bkd", gs, v).reshape(-1, v.shape[-1])
        grad_out = grad_u.new_zeros(ctx.rows, v.shape[-1]).index_add_(0, t.reshape(-1), grad_u)
        return grad_v, grad_out, None


class SharedScores(torch.autograd.Function):
    """Scores with negatives shared by groups of g consecutive examples: s_pos[b] = v[b] ·
    out[t[b]], and s_neg[G, g, k] = v of the group's g examples · out of the group's k noise
    words. Each example still meets k noise words, but a batch gathers (and scatters back)
    k rows per group instead of per example, and the scoring is a batched matrix product:
    level-3 BLAS instead of a row-by-row gather (Ji et al., "Parallelizing Word2Vec in Shared
    and Distributed Memory", 2016)."""

    @staticmethod
    def forward(ctx, v: torch.Tensor, out: torch.Tensor, t: torch.Tensor, neg: torch.Tensor):
        G, k = neg.shape
        d = v.shape[1]
        u_t = out.index_select(0, t)  # [B, d]
        u_n = out.index_select(0, neg.reshape(-1)).view(G, k, d)
        vg = v.view(G, -1, d)
        ctx.save_for_backward(v, u_t, u_n, t, neg)
        ctx.rows = out.shape[0]
        return (v * u_t).sum(1), torch.bmm(vg, u_n.transpose(1, 2))

    @staticmethod
    def backward(ctx, gp: torch.Tensor, gn: torch.Tensor):
        v, u_t, u_n, t, neg = ctx.saved_tensors
        G, k, d = u_n.shape
        gp = gp.unsqueeze(1)
        grad_v = torch.baddbmm((gp * u_t).view(G, -1, d), gn, u_n).view(-1, d)
        grad_n = torch.bmm(gn.transpose(1, 2), v.view(G, -1, d)).view(-1, d)
        grad_out = v.new_zeros(ctx.rows, d)
        grad_out.index_add_(0, t, gp * v).index_add_(0, neg.reshape(-1), grad_n)
        return grad_v, grad_out, None, None


class Word2Vec(nn.Module):
    def __init__(self, vocab_size: int, dim: int):
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, dim)
        self.out_embed = nn.Embedding(vocab_size, dim)
        with torch.no_grad():  # the C tool's start: small random inputs, zero outputs
            self.in_embed.weight.uniform_(-0.5 / dim, 0.5 / dim)
            self.out_embed.weight.zero_()

    def _loss(self, v: torch.Tensor, target: torch.Tensor, negatives: torch.Tensor):
        if len(negatives) != len(target):  # [G, k]: shared by groups of B / G examples
            pos, neg = SharedScores.apply(v, self.out_embed.weight, target, negatives)
            return -(F.logsigmoid(pos).sum() + F.logsigmoid(-neg).sum()) / len(target)
        t = torch.cat([target.unsqueeze(1), negatives], 1)  # [B, 1+k]
        s = Scores.apply(v, self.out_embed.weight, t)
        s = torch.cat([s[:, :1], -s[:, 1:]], 1)  # the target scored up, the noise down
        return -F.logsigmoid(s).sum(1).mean()

    def skipgram_loss(self, center: torch.Tensor, context: torch.Tensor,
                      negatives: torch.Tensor) -> torch.Tensor:
        return self._loss(Rows.apply(self.in_embed.weight, center), context, negatives)

    def window_loss(self, center: torch.Tensor, context: torch.Tensor, mask: torch.Tensor,
                    negatives: torch.Tensor) -> torch.Tensor:
        """Skip-gram by windows: the pairs (center b, context j) of each word's window at
        once, scored against the window's own k noise words (each pair still meets k of them).
        The mean pair loss, as `skipgram_loss` gives over pairs: a center's input vector is
        gathered once for its window instead of once per pair, and the scoring has no tiny
        matmuls. context: [B, 2W] padded, mask: [B, 2W] which are words, negatives: [B, k]."""
        m = context.shape[1]
        v = Rows.apply(self.in_embed.weight, center)
        s = Scores.apply(v, self.out_embed.weight, torch.cat([context, negatives], 1))
        w = mask.to(s.dtype)
        pairs = w.sum(1)  # the window's pairs, each meeting the k noise words
        ll = (F.logsigmoid(s[:, :m]) * w).sum(1) + F.logsigmoid(-s[:, m:]).sum(1) * pairs
        return -ll.sum() / pairs.sum().clamp_min(1.0)

    def cbow_loss(self, context: torch.Tensor, mask: torch.Tensor, center: torch.Tensor,
                  negatives: torch.Tensor) -> torch.Tensor:
        m = mask.to(self.in_embed.weight.dtype).unsqueeze(2)  # [B, 2W, 1]
        v = (Rows.apply(self.in_embed.weight, context) * m).sum(1) / m.sum(1).clamp_min(1.0)
        return self._loss(v, center, negatives)


class NegativeSampler:
    """Draws noise words from a fixed distribution (unigram^0.75) on the device: a table of
    `size` slots where word w fills round(p_w · size) of them (at least one), read at uniform
    random slots. The table is sized to the vocabulary (64 slots a word on average, between
    2^16 and 2^20): a lookup that misses the cache cost more than the rest of the draw."""

    def __init__(self, probs: torch.Tensor, size: int | None = None):
        p = probs.double().cpu()
        if size is None:  # ~64 slots a word, 2^16..2^20: a small table stays in the cache
            size = 1 << min(20, max(16, (64 * len(p) - 1).bit_length()))
        slots = torch.clamp((p * size).round().long(), min=1)
        words = torch.arange(len(p), dtype=torch.int32)
        self.table = torch.repeat_interleave(words, slots).to(probs.device)

    def __call__(self, n: int, k: int) -> torch.Tensor:
        slot = torch.randint(len(self.table), (n * k,), device=self.table.device)
        return self.table[slot].long().view(n, k)


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
