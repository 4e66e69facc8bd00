"""Corpora, vocabulary and training examples for word2vec (numpy only, seeded).

Corpora:
- "world": sentences generated from templates over eight word categories (animals, colours,
  numbers, places, verbs, foods, people, times; ten words each). Every slot of a template is
  filled uniformly from its category, so words of one category share their contexts and a good
  embedding puts them next to each other; `CATEGORIES` is the answer key.
- "pydoc": the help topics that ship with Python (`pydoc_data.topics`), lowercased and split on
  letters, one sentence per paragraph. Real English (about 64k tokens); no answer key.
- a path: a UTF-8 .txt file, or a folder of them, one sentence per line (read into memory:
  fine for a few million words, not yet for text8-sized corpora).

Frequent-word subsampling (Mikolov's t) is applied once, when the examples are built: each
token is kept with probability min(1, sqrt(t/f) + t/f) (f = the word's share of the corpus, the
formula of the original C tool) and dropped tokens are removed before windows are taken, so a
window reaches past the frequent words it skipped. Cost: a few vectorised numpy passes over the
corpus, well under a second for either corpus.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tuidl.config import ConfigError

CATEGORIES: dict[str, tuple[str, ...]] = {
    "animals": ("fox", "cat", "dog", "horse", "rabbit", "wolf", "bear", "mouse", "goat", "duck"),
    "colours": ("red", "blue", "green", "yellow", "black", "white", "brown", "grey", "pink",
                "purple"),
    "numbers": ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "twelve"),
    "places": ("market", "river", "forest", "village", "garden", "castle", "harbour", "school",
               "bridge", "mountain"),
    "verbs": ("runs", "walks", "jumps", "hurries", "wanders", "races", "strolls", "climbs",
              "travels", "marches"),
    "foods": ("bread", "cheese", "apple", "soup", "rice", "cake", "honey", "pear", "carrot",
              "pie"),
    "people": ("farmer", "baker", "teacher", "doctor", "sailor", "king", "queen", "child",
               "soldier", "painter"),
    "times": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
              "dawn", "noon", "midnight"),
}

TEMPLATES = (
    "the {colours} {animals} {verbs} to the {places}",
    "the {people} {verbs} to the {places} on {times}",
    "{numbers} {animals} sleep in the {places}",
    "the {people} eats {numbers} {foods} at {times}",
    "the {people} buys {colours} {foods} at the {places}",
    "on {times} the {animals} eats the {foods}",
    "the {people} and the {colours} {animals} {verbs} home",
    "the {people} counts {numbers} {colours} {animals}",
    "at {times} the {people} bakes {numbers} {foods}",
    "the {animals} {verbs} past the {people} near the {places}",
)

WORLD_PROBES = ("fox", "red", "three", "market", "runs", "bread", "farmer", "monday")
WORD = re.compile(r"[^\W\d_]+")  # runs of letters, in any script
PYDOC_PROBES = ("list", "class", "return", "string", "loop", "true", "exception", "file")


@dataclass
class Corpus:
    name: str
    sentences: list[list[str]]
    category: dict[str, str] = field(default_factory=dict)  # word -> category (world only)
    probes: tuple[str, ...] = ()


def world_sentences(n_sentences: int, seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    parsed = [[(tok[1:-1], None) if tok.startswith("{") else (None, tok)
               for tok in t.split()] for t in TEMPLATES]
    out = []
    for t in rng.integers(len(TEMPLATES), size=n_sentences):
        out.append([CATEGORIES[cat][rng.integers(10)] if cat else word
                    for cat, word in parsed[t]])
    return out


def pydoc_sentences() -> list[list[str]]:
    try:
        from pydoc_data.topics import topics
    except ImportError:  # some distributions strip it
        raise ConfigError("corpus 'pydoc' needs pydoc_data, which this Python lacks") from None
    out = []
    for key in sorted(topics):
        for para in re.split(r"\n\s*\n", topics[key].lower()):
            words = re.findall(r"[a-z]+", para)
            if len(words) > 1:
                out.append(words)
    return out


def text_sentences(path: str | Path) -> list[list[str]]:
    """A UTF-8 text file, or every .txt file under a folder (sorted): lowercased, split into
    runs of letters, one sentence per non-empty line (windows do not cross lines)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.txt") if p.is_file())
        if not files:
            raise ConfigError(f"{path}: no .txt files in this folder")
    elif path.is_file():
        files = [path]
    else:
        raise ConfigError(f"{path}: no such file or folder")
    out = []
    for f in files:
        try:
            text = f.read_text(encoding="utf-8")
        except UnicodeDecodeError as e:
            raise ConfigError(f"{f}: not UTF-8 text (byte {e.start})") from None
        for line in text.lower().splitlines():
            words = WORD.findall(line)
            if len(words) > 1:
                out.append(words)
    if not out:
        raise ConfigError(f"{path}: no sentences of two or more words")
    return out


def load_corpus(name: str, n_sentences: int = 3000, seed: int = 0) -> Corpus:
    if name.lower().endswith(".txt") or Path(name).is_dir():
        return Corpus(name, text_sentences(name), {}, ())
    if name == "world":
        category = {w: c for c, words in CATEGORIES.items() for w in words}
        return Corpus(name, world_sentences(n_sentences, seed), category, WORLD_PROBES)
    if name == "pydoc":
        return Corpus(name, pydoc_sentences(), {}, PYDOC_PROBES)
    raise ConfigError(f"unknown corpus {name!r}; corpora: world, pydoc")


@dataclass
class Vocab:
    words: list[str]  # most frequent first
    counts: np.ndarray  # int64, same order
    index: dict[str, int]

    def __len__(self) -> int:
        return len(self.words)


def build_vocab(sentences: list[list[str]], min_count: int) -> Vocab:
    counts: dict[str, int] = {}
    for s in sentences:
        for w in s:
            counts[w] = counts.get(w, 0) + 1
    kept = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
    if len(kept) < 2:
        raise ConfigError(f"min_count={min_count} leaves {len(kept)} word(s) in the vocabulary")
    return Vocab(kept, np.array([counts[w] for w in kept], dtype=np.int64),
                 {w: i for i, w in enumerate(kept)})


def encode(sentences: list[list[str]], vocab: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """Flat token ids and, per token, its sentence number; words outside the vocab dropped."""
    ids, sid = [], []
    for n, s in enumerate(sentences):
        row = [vocab.index[w] for w in s if w in vocab.index]
        ids.extend(row)
        sid.extend([n] * len(row))
    return np.array(ids, dtype=np.int64), np.array(sid, dtype=np.int64)


def keep_probability(counts: np.ndarray, t: float) -> np.ndarray:
    """Mikolov's subsampling: P(keep w) = min(1, sqrt(t/f) + t/f); t = 0 keeps everything."""
    if t <= 0:
        return np.ones(len(counts))
    f = counts / counts.sum()
    return np.minimum(1.0, np.sqrt(t / f) + t / f)


def subsample(ids: np.ndarray, sid: np.ndarray, counts: np.ndarray, t: float,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    keep = rng.random(len(ids)) < keep_probability(counts, t)[ids]
    return ids[keep], sid[keep]


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """The negative-sampling distribution: unigram counts to the power 3/4, normalised."""
    p = counts.astype(np.float64) ** power
    return p / p.sum()


def skipgram_pairs(ids: np.ndarray, sid: np.ndarray, window: int) -> np.ndarray:
    """[N, 2] (center, context) for every pair at distance 1..window inside a sentence."""
    parts = []
    for d in range(1, window + 1):
        same = sid[:-d] == sid[d:]
        a, b = ids[:-d][same], ids[d:][same]
        parts += [np.stack([a, b], 1), np.stack([b, a], 1)]
    if not parts or sum(len(p) for p in parts) == 0:
        raise ConfigError("the corpus yields no training pairs (too few words per sentence)")
    return np.concatenate(parts)


def cbow_examples(ids: np.ndarray, sid: np.ndarray,
                  window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per token with any context: center [N], context [N, 2*window] (0-padded), mask [N, 2W]."""
    n = len(ids)
    pos = np.arange(n)
    offsets = np.array([o for o in range(-window, window + 1) if o != 0])
    j = pos[:, None] + offsets[None, :]
    inside = (j >= 0) & (j < n)
    jc = np.clip(j, 0, max(n - 1, 0))
    mask = inside & (sid[jc] == sid[:, None])
    rows = mask.any(1)
    if not rows.any():
        raise ConfigError("the corpus yields no training examples (too few words per sentence)")
    ctx = np.where(mask, ids[jc], 0)
    return ids[rows], ctx[rows], mask[rows]
