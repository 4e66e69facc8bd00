"""word2vec family: skip-gram or CBOW with negative sampling on the world or pydoc corpus.

The examples are built once (subsampling included, see `tuidl.data.corpus`) and live on the
device: skip-gram trains on (center, context) pairs, CBOW on (center, padded context, mask)
rows. A step gathers its batch by index, draws `negatives` noise words per example on the device
and takes one optimizer step on both embeddings. Throughput counts corpus words per second, as
the original tool did: a skip-gram step on B pairs covers B / (pairs per word) words.

Evaluation (once per epoch): vocabulary size and, on the world corpus, precision@5 (the share
of each category word's 5 nearest category words, by cosine, that share its category). The view
"embeddings" lists the nearest words of a few probes and a 2-D PCA map of up to 80 words.
"""
from __future__ import annotations

import numpy as np
import torch

from tuidl.data.corpus import (build_vocab, cbow_examples, encode, load_corpus,
                               noise_distribution, skipgram_pairs, subsample)
from tuidl.engine.optim import build_optimizer
from tuidl.models.word2vec import (NegativeSampler, Word2Vec, nearest, pca_2d,
                                   precision_at_k)
from tuidl.tasks.base import Evaluation, Finish, Task

MAP_WORDS = 80
K = 5


class Word2VecTask(Task):
    family = "word2vec"
    unit = "words"

    def __init__(self, config, device):
        super().__init__(config, device)
        c = config
        corpus = load_corpus(c["corpus"], c["n_sentences"], c["seed"])
        self.vocab = vocab = build_vocab(corpus.sentences, c["min_count"])
        ids, sid = encode(corpus.sentences, vocab)
        rng = np.random.default_rng(c["seed"] + 104729)
        ids, sid = subsample(ids, sid, vocab.counts, c["subsample"], rng)

        def dev(a):
            return torch.as_tensor(a).to(device)
        self.cbow = c["mode"] == "cbow"
        if self.cbow:
            center, ctx, mask = cbow_examples(ids, sid, c["window"])
            self.center, self.context, self.mask = dev(center), dev(ctx), dev(mask)
            self.n_train = len(center)
        else:
            self.pairs = dev(skipgram_pairs(ids, sid, c["window"]))
            self.n_train = len(self.pairs)
        self.words_per_example = len(ids) / self.n_train
        self.sampler = NegativeSampler(dev(noise_distribution(vocab.counts)))
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

    def train_step(self, idx, update):
        b = len(idx)
        negatives = self.sampler(b, self.negatives)
        if self.cbow:
            loss = self.model.cbow_loss(self.context[idx], self.mask[idx], self.center[idx],
                                        negatives)
        else:
            pair = self.pairs[idx]
            loss = self.model.skipgram_loss(pair[:, 0], pair[:, 1], negatives)
        loss.backward()
        update("model")
        return {"loss": loss.detach()}

    def samples_in(self, idx) -> int:
        return max(1, round(len(idx) * self.words_per_example))

    @property
    def vectors(self) -> torch.Tensor:
        return self.model.in_embed.weight.detach()

    def evaluate(self) -> Evaluation:
        metrics = {"vocab_size": float(len(self.vocab))}
        if len(self.cat_ids) > K:
            p = precision_at_k(self.vectors[self.cat_ids], self.cat_labels, K)
            metrics["precision_at_5"] = float(p)
        return Evaluation(metrics, None, ("embeddings", self.view()))

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
        from tuidl.sinks.exports import save_word_vectors
        super().export(run_dir)
        save_word_vectors(self.vocab.words, self.vectors.cpu(), run_dir)

    def finish(self, metrics) -> Finish:
        shown = "; ".join(f"{r['word']} → {', '.join(w for w, _ in r['nearest'][:3])}"
                          for r in self.last_nearest[:3])
        if "precision_at_5" in metrics:
            return Finish({}, f"precision@5 {metrics['precision_at_5']:.2f} over "
                              f"{len(self.cat_ids)} category words; {shown}")
        return Finish({}, f"{len(self.vocab)} words; {shown}")
