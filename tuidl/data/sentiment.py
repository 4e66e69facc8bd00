"""A generated sentiment set whose labels depend on word order (seeded, NumPy, no downloads).

Sentences are built from clauses such as "the plot was not very good": a subject, a verb, an
optional negator ("not", "never", "hardly": flips the clause), an optional intensifier ("very",
"really": leaves it alone) and an adjective. Sentence templates decide which clause counts:

    single     "honestly , the film was never bad"          the clause          (positive)
    and        "the cast was great and the music was fun"    both agree          (positive)
    but        "the film was good but really boring"         the clause after    (negative)
    although   "although the plot was dull , it was moving"  the main clause     (positive)
    although   "it was moving , although the plot was dull"  the main clause     (positive)

In the contrast templates the two clauses always disagree, so "good but boring" and "boring but
good" hold the same bag of words with opposite labels: a model that ignores order is at chance on
them (about half the set), while one that reads in order can get every sentence right. Some
contrast sentences come with their twin, the same words with the two predicates swapped ("the
film was boring but good"): a minimal pair that no bag of words can tell apart.

`make(n, max_len, seed)` returns a `Sentences`: the vocabulary (index 0 = padding, 1 = unknown),
ids int64 [n, max_len] padded with 0 on the right, lengths int64 [n] and labels int64 [n]
(0 = negative, 1 = positive). Cost: a Python loop, about 50 µs a sentence (0.5 s for 10k).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tuidl.config import ConfigError

PAD, UNK = "<pad>", "<unk>"
LABELS = ["negative", "positive"]

POSITIVE = ("good", "great", "fun", "brilliant", "charming", "moving", "clever", "delightful",
            "superb", "enjoyable")
NEGATIVE = ("bad", "boring", "awful", "dull", "weak", "clumsy", "tedious", "bland", "terrible",
            "messy")
NEGATORS = ("not", "never", "hardly")
INTENSIFIERS = ("very", "really", "quite", "truly", "so", "extremely")
SUBJECTS = ("the movie", "the film", "the plot", "the acting", "the story", "the cast",
            "the ending", "the music", "the script", "the pacing", "it", "this one")
VERBS = ("was", "is", "felt", "seemed", "looked")
FILLERS = ("honestly", "frankly", "overall", "well", "i think", "to be fair", "in the end",
           "i guess", "for me", "all in all")
# template name -> probability; the contrast templates are the ones a bag of words cannot read
TEMPLATES = {"single": 0.30, "and": 0.15, "but": 0.30, "although_first": 0.125,
             "although_last": 0.125}
CONTRAST = ("but", "although_first", "although_last")
P_NEGATE, P_INTENSIFY, P_FILLER, P_BARE_BUT = 0.35, 0.3, 0.3, 0.4
P_TWIN = 0.2  # share of contrast sentences followed by their twin (predicates swapped)
MIN_LEN = 6  # the shortest max_len allowed: every plain one-clause sentence fits

VOCAB = [PAD, UNK, ",", "but", "and", "although", "though", *POSITIVE, *NEGATIVE, *NEGATORS,
         *INTENSIFIERS, *sorted({w for s in SUBJECTS + FILLERS for w in s.split()}), *VERBS]


@dataclass
class Sentences:
    vocab: list[str]
    ids: np.ndarray  # int64 [n, max_len], 0 = padding
    lengths: np.ndarray  # int64 [n]
    labels: np.ndarray  # int64 [n], 0 = negative, 1 = positive
    templates: list[str]  # which template made each sentence (for tests and inspection)
    twin_of: np.ndarray  # int64 [n]: index of the same-bag, opposite-label twin, or -1

    def text(self, i: int) -> str:
        return decode(self.vocab, self.ids[i])


def decode(vocab: list[str], ids) -> str:
    return " ".join(vocab[int(t)] for t in ids if int(t) != 0)


def _pick(rng: np.random.Generator, options):
    return options[rng.integers(len(options))]


def _predicate(rng: np.random.Generator, polarity: int) -> list[str]:
    """[negator] [intensifier] adjective, with the given polarity (+1 / -1)."""
    negate = rng.random() < P_NEGATE
    adj_pos = (polarity > 0) != negate
    words = [_pick(rng, NEGATORS)] if negate else []
    if rng.random() < P_INTENSIFY:
        words.append(_pick(rng, INTENSIFIERS))
    return words + [_pick(rng, POSITIVE if adj_pos else NEGATIVE)]


def _subject(rng: np.random.Generator) -> list[str]:
    return _pick(rng, SUBJECTS).split() + [_pick(rng, VERBS)]


def sentence(rng: np.random.Generator, template: str, polarity: int
             ) -> tuple[list[str], list[str] | None]:
    """One sentence of `template` whose sentiment is `polarity` (+1 positive, -1 negative),
    and for two-clause templates its twin: the same words with the two predicates swapped."""
    p1, p2 = _predicate(rng, polarity), _predicate(rng, -polarity)  # p1 decides, p2 loses
    s1, s2 = _subject(rng), _subject(rng)
    if template == "single":
        parts = [s1, p1]
    elif template == "and":  # both clauses agree
        parts = [s1, p1, ["and"], s2, _predicate(rng, polarity)]
    elif template == "but":  # the clause after "but" wins; it may drop its subject
        parts = [s2, p2, ["but"], s1 if rng.random() >= P_BARE_BUT else [], p1]
    elif template == "although_first":  # "although X , Y": the main clause Y wins
        parts = [[_pick(rng, ("although", "though"))], s2, p2, [","], s1, p1]
    elif template == "although_last":  # "Y , although X": the main clause Y still wins
        parts = [s1, p1, [",", _pick(rng, ("although", "though"))], s2, p2]
    else:
        raise ValueError(f"unknown template {template!r}")
    filler = _pick(rng, FILLERS).split() + [","] if rng.random() < P_FILLER else []
    words = filler + [w for part in parts for w in part]
    if template not in CONTRAST:
        return words, None
    twin = filler + [w for part in parts
                     for w in (p2 if part is p1 else p1 if part is p2 else part)]
    return words, twin


def make(n: int, max_len: int, seed: int) -> Sentences:
    """`n` labelled sentences of at most `max_len` words (longer draws are drawn again)."""
    if max_len < MIN_LEN:
        raise ConfigError(f"max_len must be at least {MIN_LEN} for the generated sentences")
    rng = np.random.default_rng(seed)
    index = {w: i for i, w in enumerate(VOCAB)}
    names = list(TEMPLATES)
    probs = np.array([TEMPLATES[t] for t in names])
    drawn = rng.choice(len(names), size=n, p=probs / probs.sum())
    ids = np.zeros((n, max_len), dtype=np.int64)
    lengths = np.zeros(n, dtype=np.int64)
    labels = np.zeros(n, dtype=np.int64)
    twin_of = np.full(n, -1, dtype=np.int64)
    templates: list[str] = []

    def put(words: list[str], label: int, template: str) -> None:
        i = len(templates)
        ids[i, :len(words)] = [index[w] for w in words]
        lengths[i], labels[i] = len(words), label
        templates.append(template)

    while len(templates) < n:
        template, label = names[drawn[len(templates)]], int(rng.integers(2))
        words, twin = sentence(rng, template, 1 if label else -1)
        while len(words) > max_len:
            template = names[rng.choice(len(names), p=probs / probs.sum())]
            words, twin = sentence(rng, template, 1 if label else -1)
        put(words, label, template)
        i = len(templates)
        if twin is not None and i < n and rng.random() < P_TWIN:
            twin_of[i - 1], twin_of[i] = i, i - 1
            put(twin, 1 - label, template)
    return Sentences(list(VOCAB), ids, lengths, labels, templates, twin_of)
