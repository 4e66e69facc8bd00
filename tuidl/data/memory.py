"""A long-memory sequence task: the label is the first word; the rest is noise.

Each sequence is `length` words: a signal word, "yes" or "no", then `length - 1` words drawn
uniformly from a vocabulary of fillers. Its label is the signal (0 = no, 1 = yes), so a model
that reads to the end must carry one bit from the first step across every later one. A vanilla
RNN's gradient with respect to its early hidden states shrinks geometrically with the distance
(by 1e-15 or more over 60 words), so a short run never learns to keep that bit (given many
more steps, Adam can sometimes grow its recurrent weights until the gradient gets through); an
LSTM's cell state can, its forget gate started near 1 (keep) by a forget bias. Same
`Sentences` shape as the sentiment set: ids int64 [n, length] (no padding), lengths, labels.
"""
from __future__ import annotations

import numpy as np

from tuidl.data.sentiment import PAD, UNK, Sentences

SIGNALS = ("no", "yes")
FILLERS = tuple(f"w{i:02d}" for i in range(20))
VOCAB = (PAD, UNK, *SIGNALS, *FILLERS)
LABELS = ["no", "yes"]


def make(n: int, length: int, seed: int) -> Sentences:
    rng = np.random.default_rng(seed)
    first_filler = VOCAB.index(FILLERS[0])
    ids = rng.integers(first_filler, len(VOCAB), size=(n, length), dtype=np.int64)
    labels = rng.integers(0, 2, size=n, dtype=np.int64)
    ids[:, 0] = VOCAB.index(SIGNALS[0]) + labels
    return Sentences(list(VOCAB), ids, np.full(n, length, dtype=np.int64), labels,
                     ["first_word"] * n, np.full(n, -1, dtype=np.int64))
