"""Corpora, vocabulary and token ids for word2vec (numpy only, seeded).

Corpora:
- "world": sentences generated from templates over eight word categories (animals, colours,
  numbers, places, verbs, foods, people, times; ten words each). Every slot of a template is
  filled uniformly from its category, so words of one category share their contexts and a good
  embedding puts them next to each other; `CATEGORIES` is the answer key.
- "pydoc": the help topics that ship with Python (`pydoc_data.topics`), lowercased and split on
  letters, one sentence per paragraph. Real English (about 64k tokens); no answer key.
- a path: a UTF-8 text file of any name, or a folder of .txt files, one sentence per line of
  two or more words. A file is told to be text by its content, not its suffix (`sniff`): its
  first 64 KiB must be UTF-8 (a character cut by that limit is fine) without a NUL byte, so a
  binary file is refused at once, with the byte that gave it away.

The built-in corpora are small and built as lists of words (`load_corpus`, `build_vocab`,
`encode`). A path streams (`stream_text`): each file is read about 1 MB at a time, cut after an
ASCII whitespace byte (so no piece splits a word, a UTF-8 character or a line break), and each
piece's words are numbered at once (a new word takes the next number) into an int32 array; the
counts of those numbers give the vocabulary, and one lookup maps them to vocabulary ids. Only
one piece's words are ever a Python list: a text8-sized file (100 MB, 17M words on a single
line) is read once, in about 6 s and 250 MB. `text_sentences` is the simple whole-file reader
of the same format, kept as its reference.

Frequent-word subsampling (Mikolov's t) is applied once, when the examples are built: each
token is kept with probability min(1, sqrt(t/f) + t/f) (f = the word's share of the corpus, the
formula of the original C tool) and dropped tokens are removed before windows are taken, so a
window reaches past the frequent words it skipped. Cost: a few vectorised numpy passes over the
corpus, a million tokens at a time. `skipgram_pairs` and `cbow_examples` define the
training examples; the task computes them batch by batch on the device (see
`tuidl.tasks.word2vec`).
"""
from __future__ import annotations

import codecs
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

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
CHUNK_BYTES = 1 << 20  # bytes of text a streamed file is read by
SLICE = 1 << 20  # tokens per slice of the vectorised passes
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"  # what str.splitlines splits on
SNIFF_BYTES = 64 << 10  # the head of a file that must look like text
BUILTIN = ("world", "pydoc")


@dataclass
class Corpus:
    name: str
    sentences: list[list[str]]  # empty for a streamed file
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


def is_path(name: str) -> bool:
    """A file or folder to read (a .txt name that is missing is one too: its error says so)."""
    return name not in BUILTIN and (name.lower().endswith(".txt") or Path(name).exists())


def sniff(f: Path, head: bytes) -> None:
    """A ConfigError unless `head`, the first bytes of `f` (at most SNIFF_BYTES), look like
    UTF-8 text: valid UTF-8, where a character may be cut at the end of a full head, and no NUL
    byte (UTF-16 text, an image, a zip, a gzip … all have one early or are not UTF-8)."""
    nul = head.find(b"\0")
    if nul >= 0:
        utf16 = head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
        raise ConfigError(f"{f}: not text: it has a NUL byte at byte {nul}" + (
            " (UTF-16 text: save it as UTF-8)" if utf16 else " (a binary file?)"))
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < SNIFF_BYTES)
    except UnicodeDecodeError as e:
        raise ConfigError(f"{f}: not UTF-8 text (byte {e.start})") from None


def text_files(path: str | Path) -> list[Path]:
    """The file itself, or every .txt file under a folder (sorted)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.txt") if p.is_file())
        if not files:
            raise ConfigError(f"{path}: no .txt files in this folder")
        return files
    if path.is_file():
        return [path]
    raise ConfigError(f"{path}: no such file or folder")


def text_sentences(path: str | Path) -> list[list[str]]:
    """A UTF-8 text file, or every .txt file under a folder (sorted): lowercased, split into
    runs of letters, one sentence per line of two or more words (windows do not cross lines).
    The whole text in memory: the reference for `stream_text`."""
    out = []
    for f in text_files(path):
        try:
            raw = f.read_bytes()
            sniff(f, raw[:SNIFF_BYTES])
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ConfigError(f"{f}: not UTF-8 text (byte {e.start})") from None
        for line in text.lower().splitlines():
            words = WORD.findall(line)
            if len(words) > 1:
                out.append(words)
    if not out:
        raise ConfigError(f"{path}: no sentences of two or more words")
    return out


def text_pieces(f: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[str]:
    """The decoded text of `f` in pieces of about `chunk_bytes`, each cut just after an ASCII
    whitespace byte: such a byte is never part of a multi-byte character, and no word (nor the
    context `str.lower` looks at for a final sigma) reaches across it. A piece grows past
    `chunk_bytes` only where no whitespace comes."""
    start, carry = 0, bytearray()  # the file offset of carry, the bytes after the last cut
    with open(f, "rb") as fh:
        sniff(f, fh.read(SNIFF_BYTES))
        fh.seek(0)
        while True:
            block = fh.read(chunk_bytes)
            before = len(carry)
            carry += block  # in place: text without whitespace is read in linear time
            if block:
                cut = max(block.rfind(c) for c in (b" ", b"\n", b"\t", b"\r", b"\f", b"\v"))
                if cut < 0:  # no whitespace since the last cut: read on
                    continue
                cut += before + 1
            else:
                cut = len(carry)
            try:
                text = carry[:cut].decode("utf-8")
            except UnicodeDecodeError as e:
                raise ConfigError(f"{f}: not UTF-8 text (byte {start + e.start})") from None
            if text:
                yield text
            if not block:
                return
            start += cut
            del carry[:cut]


def sentence_pieces(files: list[Path], chunk_bytes: int = CHUNK_BYTES
                    ) -> Iterator[tuple[list[str], list[int], list[int]]]:
    """Per piece of text: its words that belong to sentences (lines of two or more words),
    in order, as runs: (words, the sentence number of each run, each run's length). A line
    may span pieces; its first word waits for a second before it counts."""
    n = -1
    for f in files:
        held, open_ = [], False  # the line so far while under two words; whether it counts
        for text in text_pieces(f, chunk_bytes):
            words, numbers, lengths = [], [], []
            for line in text.lower().splitlines(keepends=True):
                found = WORD.findall(line)
                if not open_:
                    found = held + found
                    if len(found) < 2:
                        held, found = found, []
                    else:
                        held, open_, n = [], True, n + 1
                if found:
                    words += found
                    numbers.append(n)
                    lengths.append(len(found))
                if line[-1] in LINE_BREAKS:
                    held, open_ = [], False
            yield words, numbers, lengths


def load_corpus(name: str, n_sentences: int = 3000, seed: int = 0) -> Corpus:
    """A corpus as lists of words (a path: read whole, by `text_sentences`)."""
    if is_path(name):
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


def vocab_from_counts(counts: dict[str, int], min_count: int, where: str = "") -> Vocab:
    """The words seen at least `min_count` times, most frequent first (ties alphabetical)."""
    kept = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
    if len(kept) < 2:
        raise ConfigError(f"{where}min_count={min_count} leaves {len(kept)} word(s) in the "
                          "vocabulary")
    return Vocab(kept, np.array([counts[w] for w in kept], dtype=np.int64),
                 {w: i for i, w in enumerate(kept)})


def build_vocab(sentences: list[list[str]], min_count: int) -> Vocab:
    counts: dict[str, int] = {}
    for s in sentences:
        for w in s:
            counts[w] = counts.get(w, 0) + 1
    return vocab_from_counts(counts, min_count)


def encode(sentences: list[list[str]], vocab: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """Flat token ids and, per token, its sentence number; words outside the vocab dropped."""
    ids, sid = [], []
    for n, s in enumerate(sentences):
        row = [vocab.index[w] for w in s if w in vocab.index]
        ids.extend(row)
        sid.extend([n] * len(row))
    return np.array(ids, dtype=np.int64), np.array(sid, dtype=np.int64)


def stream_text(path: str | Path, min_count: int, chunk_bytes: int = CHUNK_BYTES
                ) -> tuple[Vocab, np.ndarray, np.ndarray]:
    """`encode(text_sentences(path), build_vocab(…, min_count))` without the lists: the
    vocabulary, int32 token ids and int32 sentence numbers, in one read of the files. Each
    piece is kept as int32 first-seen numbers plus its runs until the vocabulary is known,
    then moved, piece by piece, into arrays sized to the tokens that stay."""
    first_seen: defaultdict[str, int] = defaultdict()
    first_seen.default_factory = first_seen.__len__  # a new word takes the next number
    number = first_seen.__getitem__
    pieces = []
    for words, numbers, lengths in sentence_pieces(text_files(path), chunk_bytes):
        if words:
            pieces.append((np.fromiter(map(number, words), np.int32, len(words)),
                           np.array(numbers, np.int32), np.array(lengths, np.int64)))
    if not pieces:
        raise ConfigError(f"{path}: no sentences of two or more words")
    counts = np.zeros(len(first_seen), np.int64)
    for nums, _, _ in pieces:
        seen = np.bincount(nums)
        counts[:len(seen)] += seen
    vocab = vocab_from_counts(dict(zip(first_seen, counts.tolist())), min_count, f"{path}: ")
    to_vocab = np.full(len(first_seen), -1, np.int32)
    to_vocab[[first_seen[w] for w in vocab.words]] = np.arange(len(vocab), dtype=np.int32)
    ids = np.empty(int(vocab.counts.sum()), np.int32)
    sid = np.empty_like(ids)
    at = 0
    for i, (nums, numbers, lengths) in enumerate(pieces):
        pieces[i] = None  # freed as the arrays fill
        mapped = to_vocab[nums]
        keep = mapped >= 0
        k = int(keep.sum())
        ids[at:at + k] = mapped[keep]
        sid[at:at + k] = np.repeat(numbers, lengths)[keep]
        at += k
    return vocab, ids, sid


def load_tokens(name: str, n_sentences: int, seed: int, min_count: int
                ) -> tuple[Corpus, Vocab, np.ndarray, np.ndarray]:
    """The corpus, its vocabulary, int32 token ids and sentence numbers (a path streams)."""
    if is_path(name):
        vocab, ids, sid = stream_text(name, min_count)
        return Corpus(name, [], {}, ()), vocab, ids, sid
    corpus = load_corpus(name, n_sentences, seed)
    vocab = build_vocab(corpus.sentences, min_count)
    ids, sid = encode(corpus.sentences, vocab)
    return corpus, vocab, ids.astype(np.int32), sid.astype(np.int32)


def keep_probability(counts: np.ndarray, t: float) -> np.ndarray:
    """Mikolov's subsampling: P(keep w) = min(1, sqrt(t/f) + t/f); t = 0 keeps everything."""
    if t <= 0:
        return np.ones(len(counts))
    f = counts / counts.sum()
    return np.minimum(1.0, np.sqrt(t / f) + t / f)


def subsample(ids: np.ndarray, sid: np.ndarray, counts: np.ndarray, t: float,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Keep each token with its word's `keep_probability` (one uniform draw per token, in
    slices: the same draws as one call for the whole corpus)."""
    p = keep_probability(counts, t)
    keep = np.empty(len(ids), dtype=bool)
    for s in range(0, len(ids), SLICE):
        part = ids[s:s + SLICE]
        keep[s:s + SLICE] = rng.random(len(part)) < p[part]
    return ids[keep], sid[keep]


def noise_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """The negative-sampling distribution: unigram counts to the power 3/4, normalised."""
    p = counts.astype(np.float64) ** power
    return p / p.sum()


def skipgram_pairs(ids: np.ndarray, sid: np.ndarray, window: int) -> np.ndarray:
    """[N, 2] (center, context) for every pair at distance 1..window inside a sentence, in
    the order the task numbers them: distance 1 forward, distance 1 backward, distance 2…"""
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
