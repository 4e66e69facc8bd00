"""word2vec family: skip-gram or CBOW with negative sampling on a generated, built-in or
user-supplied corpus.

The corpus lives on the device as one int32 array of token ids (subsampled once at the start,
see `tuidl.data.corpus`) plus a small table of its sentences; the training examples are never
stored. The engine shuffles example numbers; `Windows` turns a batch of numbers into its
examples with a few vectorised lookups on the device: skip-gram example k is the k-th
(center, context) pair of `skipgram_pairs`, CBOW example k the k-th row of `cbow_examples`.
An epoch thus visits every pair (or every word with a context) exactly once, as when the
examples were built up front, and a seed gives the same run as then; a random window offset
per drawn word (the C tool's dynamic window) would be lighter still but changes which pairs an
epoch sees, and with them every preset's figures. Memory on the device: 4 bytes per token,
24 per sentence and, for skip-gram, 8 per (distance, sentence); the engine's per-epoch
permutation of example numbers (8 bytes per pair) is then the largest cost, about 1 GB for a
text8-sized corpus at window 5, where the stored int64 pairs alone took 2.7 GB.

With `by_window`, a skip-gram example is a word with its whole window (a CBOW row): the
window's pairs are scored at once against noise words the window draws for all of them
(pWord2Vec's batching, Ji et al. 2016): a center's vector is gathered once per window instead of
once per pair, and no pair table is built.

A step draws `negatives` noise words per example on the device and takes one optimizer step on
both embeddings. Throughput counts corpus words per second, as the original tool did: a
skip-gram step on B pairs covers B / (pairs per word) words.

Evaluation (once per epoch): vocabulary size and, on the world corpus, precision@5 (the share
of each category word's 5 nearest category words, by cosine, that share its category). The view
"embeddings" lists the nearest words of a few probes and a 2-D PCA map of up to 80 words.
"""
from __future__ import annotations

import numpy as np
import torch

from tuidl.config import ConfigError
from tuidl.data.corpus import load_tokens, noise_distribution, subsample
from tuidl.engine.optim import build_optimizer
from tuidl.models.word2vec import (NegativeSampler, Word2Vec, nearest, pca_2d,
                                   precision_at_k)
from tuidl.engine.task import Evaluation, Finish, Step, Task

MAP_WORDS = 80
LEFT_TABLE_MAX = 1 << 24  # forward pairs up to which a [pairs] int32 table (64 MB) is kept
K = 5


def _starts(sizes: np.ndarray) -> np.ndarray:
    """Where each of consecutive blocks of these sizes starts (an exclusive running sum)."""
    return np.concatenate([[0], np.cumsum(sizes, dtype=np.int64)])[:-1]


class Windows:
    """The training examples of a token array, computed batch by batch on the device.

    Sentences are the runs of equal sentence numbers; those of one token have no context and
    are left out. CBOW rows are the tokens of the sentences, in order: row k is found by a
    binary search over where each sentence's rows start. Skip-gram pairs are numbered as
    `skipgram_pairs` lists them: a block per distance and direction (1 forward, 1 backward,
    2 forward…), each block sentence by sentence. Pair k finds its block, then its sentence in
    `seg`, the start of each (distance, sentence) run of forward pairs: [distances, sentences]
    int64, built only for skip-gram and only for the distances some sentence is long enough
    for. Up to LEFT_TABLE_MAX forward pairs, a table of each one's left token replaces that
    second binary search (over as many entries as sentences: the slowest part of a step on a
    corpus of many short sentences); a text8-sized corpus keeps the search and its memory."""

    def __init__(self, ids: np.ndarray, sid: np.ndarray, window: int, device, pairs: bool):
        cut = np.flatnonzero(sid[1:] != sid[:-1]) + 1
        starts = np.concatenate([[0], cut]).astype(np.int64)
        lengths = np.diff(np.append(starts, len(sid)))
        starts, lengths = starts[lengths > 1], lengths[lengths > 1]

        def dev(a):
            return torch.as_tensor(a).to(device)
        self.ids, self.starts, self.lengths = dev(ids), dev(starts), dev(lengths)
        self.row_starts = dev(_starts(lengths))
        self.n_rows = int(lengths.sum())
        self.offsets = dev(np.array([o for o in range(-window, window + 1) if o != 0]))
        self.n_pairs = 0
        if pairs:
            d = np.arange(1, min(window, int(lengths.max(initial=1)) - 1) + 1)
            per = np.maximum(lengths[None, :] - d[:, None], 0)  # forward pairs [d, sentence]
            fwd = per.sum(1)
            self.n_pairs = int(2 * fwd.sum())
            self.seg = dev(_starts(per.ravel()))
            self.blocks = dev(_starts(np.repeat(fwd, 2)))  # [2D]: 1 forward, 1 backward, 2 …
            self.fwd_starts = dev(_starts(fwd))  # [D]: where distance d's forward pairs start
            self.left = None  # forward pair -> its left token, where that table is small
            if 0 < self.n_pairs // 2 <= LEFT_TABLE_MAX:  # none: the task says so
                left = np.concatenate([np.flatnonzero(sid[:-dd] == sid[dd:]) for dd in d])
                assert len(left) == self.n_pairs // 2
                self.left = dev(left.astype(np.int32))

    def skipgram(self, k: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(center [B], context [B]) of pairs number k."""
        b = torch.searchsorted(self.blocks, k, right=True) - 1
        f = k - self.blocks[b] + self.fwd_starts[b // 2]  # its number among forward pairs
        if self.left is not None:
            p = self.left.index_select(0, f).long()  # the pair's left token
        else:
            g = torch.searchsorted(self.seg, f, right=True) - 1
            p = self.starts[g % len(self.starts)] + f - self.seg[g]
        left = self.ids.index_select(0, p).long()
        right = self.ids.index_select(0, p + b // 2 + 1).long()
        back = b % 2 == 1
        return torch.where(back, right, left), torch.where(back, left, right)

    def cbow(self, k: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(center [B], context [B, 2W] 0-padded, mask [B, 2W]) of rows number k: CBOW's
        examples, and skip-gram's by window."""
        s = torch.searchsorted(self.row_starts, k, right=True) - 1
        lo = self.starts.index_select(0, s)  # index_select: less overhead than `[]`
        p = lo + k - self.row_starts.index_select(0, s)
        j = p[:, None] + self.offsets
        mask = (j >= lo[:, None]) & (j < (lo + self.lengths.index_select(0, s))[:, None])
        ctx = self.ids.index_select(0, j.clamp(0, len(self.ids) - 1).view(-1)).view(j.shape)
        return self.ids.index_select(0, p).long(), torch.where(mask, ctx.long(), 0), mask


class Word2VecTask(Task):
    family = "word2vec"
    unit = "words"

    def __init__(self, config, device):
        super().__init__(config, device)
        c = config
        corpus, vocab, ids, sid = load_tokens(c["corpus"], c["n_sentences"], c["seed"],
                                              c["min_count"])
        self.vocab = vocab
        rng = np.random.default_rng(c["seed"] + 104729)
        ids, sid = subsample(ids, sid, vocab.counts, c["subsample"], rng)
        self.cbow = c["mode"] == "cbow"
        self.by_window = not self.cbow and c["by_window"]
        if self.by_window and c["share_negatives"] != 1:
            raise ConfigError("by_window gives each window its own noise words: set "
                              "share_negatives = 1 (or by_window = false)")
        by_rows = self.cbow or self.by_window
        self.windows = Windows(ids, sid, c["window"], device, pairs=not by_rows)
        self.n_train = self.windows.n_rows if by_rows else self.windows.n_pairs
        if not self.n_train:
            what = "examples" if by_rows else "pairs"
            raise ConfigError(f"the corpus yields no training {what} (too few words per sentence)")
        self.words_per_example = len(ids) / self.n_train
        probs = torch.as_tensor(noise_distribution(vocab.counts)).to(device)
        self.sampler = NegativeSampler(probs)
        self.negatives = c["negatives"]

        self.model = Word2Vec(len(vocab), c["dim"]).to(device)
        self.models = {"model": self.model}
        self.optimizers = {"model": build_optimizer(c["optimizer"], self.model.parameters(),
                                                    c["lr"], c["momentum"])}
        self._setup_probes(corpus)
        self.last_nearest: list[dict] = []

    def _setup_probes(self, corpus) -> None:
        index = self.vocab.index
        words = [w for w in corpus.category if w in index]
        names = list(dict.fromkeys(corpus.category[w] for w in words))
        self.cat_words = words
        self.cat_ids = torch.tensor([index[w] for w in words], dtype=torch.long,
                                    device=self.device)
        self.cat_labels = torch.tensor([names.index(corpus.category[w]) for w in words],
                                       dtype=torch.long, device=self.device)
        self.category = corpus.category
        self.probes = [w for w in corpus.probes if w in index]
        if not self.probes:
            self.probes = self.vocab.words[:5]
        if words:
            self.map_words = words[:MAP_WORDS]
        else:  # frequent words, past the 30 commonest (mostly function words: the, and, is…)
            self.map_words = [w for w in self.vocab.words[30:] if len(w) > 2][:MAP_WORDS]
            if len(self.map_words) < 2:
                self.map_words = self.vocab.words[:MAP_WORDS]

    def train_step(self, idx, update, step=Step()):
        b, share = len(idx), self.config["share_negatives"]
        groups = b // share if b % share == 0 else b  # an epoch's odd last batch: its own
        negatives = self.sampler(groups, self.negatives)
        if self.cbow:
            center, context, mask = self.windows.cbow(idx)
            loss = self.model.cbow_loss(context, mask, center, negatives)
        elif self.by_window:
            center, context, mask = self.windows.cbow(idx)
            loss = self.model.window_loss(center, context, mask, negatives)
        else:
            center, context = self.windows.skipgram(idx)
            loss = self.model.skipgram_loss(center, context, negatives)
        loss.backward()
        update("model")
        return {"loss": loss.detach()}

    def samples_in(self, idx) -> int:
        return max(1, round(len(idx) * self.words_per_example))

    @property
    def vectors(self) -> torch.Tensor:
        return self.model.in_embed.weight.detach()

    def evaluate(self, view: bool = True) -> Evaluation:
        metrics = {"vocab_size": float(len(self.vocab))}
        if len(self.cat_ids) > K:
            p = precision_at_k(self.vectors[self.cat_ids], self.cat_labels, K)
            metrics["precision_at_5"] = float(p)
        return Evaluation(metrics, None, ("embeddings", self.view()) if view else None)

    def view(self) -> dict:
        index, words = self.vocab.index, self.vocab.words
        q = torch.tensor([index[w] for w in self.probes], device=self.device)
        sims, nn_idx = nearest(self.vectors, q, K)
        rows = []
        for w, s_row, i_row in zip(self.probes, sims.tolist(), nn_idx.tolist()):
            rows.append({"word": w, "category": self.category.get(w, ""),
                         "nearest": [[words[i], round(s, 3)] for s, i in zip(s_row, i_row)]})
        self.last_nearest = rows
        ids = torch.tensor([index[w] for w in self.map_words], device=self.device)
        xy = pca_2d(self.vectors[ids]).tolist()
        points = [[round(x, 4), round(y, 4), w, self.category.get(w, "")]
                  for (x, y), w in zip(xy, self.map_words)]
        return {"neighbours": rows, "points": points,
                "categories": list(dict.fromkeys(p[3] for p in points if p[3]))}

    def export(self, run_dir) -> None:
        from tuidl.exports import save_word_vectors
        super().export(run_dir)
        save_word_vectors(self.vocab.words, self.vectors.cpu(), run_dir)

    def finish(self, metrics) -> Finish:
        shown = "; ".join(f"{r['word']} → {', '.join(w for w, _ in r['nearest'][:3])}"
                          for r in self.last_nearest[:3])
        if "precision_at_5" in metrics:
            return Finish({}, f"precision@5 {metrics['precision_at_5']:.2f} over "
                              f"{len(self.cat_ids)} category words; {shown}")
        return Finish({}, f"{len(self.vocab)} words; {shown}")
