"""Labelled texts for sequence classification, from a CSV/TSV file or a folder of reviews.

    load("reviews.csv", max_len=200) -> Reviews(vocab, ids int64 [n, 200], labels, classes, …)

Sources:
- a CSV or TSV file (TSV by suffix), UTF-8 with or without BOM, whose first row is a header. The
  text column is given by name or 0-based index (default: the first column named text, review,
  sentence or content, else column 0); the label column likewise (default: the last column
  other than the text column).
  Quoted fields may hold commas and newlines (the csv module reads them).
- a folder in the common movie-review layout: one sub-folder of .txt files per class (`pos/`,
  `neg/`; the folder name is the label), optionally under `train/` and `test/`, in which case
  `test/` is held out as the test split. Folders of unlabelled text (`unsup/`), folders without
  .txt files and files that are not .txt are ignored.
Labels may be any strings; the classes are their sorted distinct values (numbers by value).

Tokens: lowercased (optional), HTML line breaks (`<br />`) removed, then runs of letters and
digits in any script (apostrophes inside a word kept: "don't") and every other mark on its own
("not," -> "not", ","). The vocabulary comes from the training rows only, so nothing of the
validation or test rows leaks in: 0 = `<pad>`, 1 = `<unk>`, then words by descending count
(ties alphabetical) seen at least `min_freq` times, at most `max_vocab` entries in all (0 = no
limit). Each text becomes `max_len` ids: cut to its first ("head") or last ("tail") `max_len`
tokens, padded with 0 on the right; an empty text is a single `<unk>`. How many texts were cut
is said once, as a run warning (`Reviews.truncated`).
Every problem is one ConfigError naming the file. Cost: one regex pass and one dict lookup per
token, the tokens held as shared strings (50k reviews of 250 words: about 6 s and 300 MB).
"""
from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from sys import intern

import numpy as np

from tuidl.config import ConfigError
from tuidl.data.csvrows import check_classes, check_labels, rows_of
from tuidl.data.split import indices

PAD, UNK = "<pad>", "<unk>"
TEXT_NAMES = ("text", "review", "sentence", "content")
UNLABELLED = ("unsup", "unlabeled", "unlabelled")  # folders of text without a class
BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


@dataclass
class Texts:
    texts: list[str]
    labels: np.ndarray  # int64 [n]
    classes: list[str]
    test: np.ndarray  # bool [n]: rows of a folder's test/, held out


@dataclass
class Reviews:
    vocab: list[str]
    ids: np.ndarray  # int64 [n, max_len], 0 = padding
    labels: np.ndarray  # int64 [n]
    classes: list[str]
    train: np.ndarray  # int64 row indices that train (and built the vocabulary)
    val: np.ndarray  # int64 row indices that validate
    test: np.ndarray  # int64 row indices held out for the test score (may be empty)
    truncated: str | None = None  # a warning when texts are longer than max_len


@functools.cache
def _token_pattern() -> re.Pattern:
    """Words: letters and digits with their combining marks (Devanagari vowel signs, Thai
    tones…; those of the Basic Multilingual Plane, which keeps the class a fast bitmap) and
    inner apostrophes; else one token per character that is neither a word nor a space."""
    marks, start = [], None
    for cp in range(0x10001):
        is_mark = cp < 0x10000 and unicodedata.category(chr(cp)).startswith("M")
        if is_mark and start is None:
            start = cp
        elif not is_mark and start is not None:
            marks.append(f"{re.escape(chr(start))}-{re.escape(chr(cp - 1))}")
            start = None
    word = f"[\\w{''.join(marks)}]+"  # "_" is spaced out before: it stands alone
    return re.compile(f"{word}(?:['’]{word})*|[^\\w\\s]")


def tokenize(text: str, lowercase: bool = True) -> list[str]:
    """Words (letters/digits/inner apostrophes) and single punctuation marks of `text`."""
    text = BREAK.sub(" ", text).replace("_", " _ ")
    return _token_pattern().findall(text.lower() if lowercase else text)


def build_vocab(docs: list[list[str]], min_freq: int = 1, max_vocab: int = 0) -> list[str]:
    """`<pad>`, `<unk>`, then words seen >= min_freq times by descending count (ties a-z)."""
    counts = Counter(w for doc in docs for w in doc)
    words = sorted((w for w, n in counts.items() if n >= min_freq),
                   key=lambda w: (-counts[w], w))
    if max_vocab:
        words = words[:max(0, max_vocab - 2)]
    return [PAD, UNK, *words]


def encode(docs: list[list[str]], vocab: list[str], max_len: int,
           truncate: str = "head") -> np.ndarray:
    """Ids int64 [len(docs), max_len]: unknown words -> 1, cut at head/tail, 0-padded."""
    index = {w: i for i, w in enumerate(vocab)}
    ids = np.zeros((len(docs), max_len), dtype=np.int64)
    for row, doc in zip(ids, docs):
        doc = doc[:max_len] if truncate == "head" else doc[-max_len:]
        row[:max(1, len(doc))] = [index.get(w, 1) for w in doc] or [1]
    return ids


def truncation_warning(docs: list[list[str]], max_len: int, truncate: str) -> str | None:
    """One line saying how many texts (all rows: every split is cut the same way) are longer
    than max_len and what is kept of them; None when every text fits."""
    lengths = np.fromiter(map(len, docs), np.int64, len(docs))
    cut = int((lengths > max_len).sum())
    if not cut:
        return None
    end = "first" if truncate == "head" else "last"
    return (f"{cut} of {len(docs)} texts are longer than max_len={max_len} tokens (longest "
            f"{int(lengths.max())}) and are cut to their {end} {max_len} "
            f"(truncate={truncate}); raise max_len to read them whole")


def split_rows(test: np.ndarray, train_fraction: float, seed: int, labels: np.ndarray,
               stratify: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded (train, val, test) row indices: the held-out rows test, the rest split by
    `tuidl.data.split.indices` (stratified by `labels` when asked)."""
    rest = np.flatnonzero(~test)
    try:
        train, val, _ = indices(labels[rest], train_fraction, 0.0, seed, stratify)
    except ConfigError:
        raise ConfigError(f"{len(rest)} texts are too few for this split") from None
    return rest[train], rest[val], np.flatnonzero(test)


def _decode(path: Path) -> str:
    """The UTF-8 text of a file (a BOM dropped), or a ConfigError naming the bad byte."""
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start})") from None


def _class_order(value: str):
    """Sort key: numbers by value first, then other strings alphabetically."""
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def _column(path: Path, header: list[str], given: str, default: int, what: str) -> int:
    """The index of a column named or numbered by `given` (empty = `default`)."""
    if given == "":
        return default
    if given in header:
        return header.index(given)
    if given.lstrip("-").isdigit() and -len(header) <= int(given) < len(header):
        return int(given) % len(header)
    raise ConfigError(f"{path}: no {what} column {given!r} (columns: {', '.join(header)})")


def read_table(path: Path, text_column: str = "", label_column: str = ""
               ) -> tuple[list[str], list[str]]:
    """(texts, raw labels) of a CSV/TSV file with a header row."""
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    rows, starts = [], []
    for row, line in rows_of(path, _decode(path), delimiter):
        if any(c.strip() for c in row):
            rows.append(row)
            starts.append(line)
    if not rows:
        raise ConfigError(f"{path}: the file is empty")
    header = [c.strip() for c in rows[0]]
    if len(header) < 2:
        raise ConfigError(f"{path}: needs a header row naming a text and a label column "
                          f"(found {len(header)} column)")
    blank = [str(j) for j, name in enumerate(header) if not name]
    if blank or len(set(header)) < len(header):
        problem = f"column {blank[0]} has no name" if blank else "column names repeat"
        raise ConfigError(f"{path}: the first row must be a header naming each column "
                          f"({problem}: {', '.join(header)})")
    if len(rows) == 1:
        raise ConfigError(f"{path}: a header but no data rows")
    named = [j for j, name in enumerate(header) if name.lower() in TEXT_NAMES]
    text = _column(path, header, text_column, named[0] if named else 0, "text")
    last = len(header) - 1 if text != len(header) - 1 else len(header) - 2  # not the text
    label = _column(path, header, label_column, last, "label")
    if text == label:
        raise ConfigError(f"{path}: the text and label columns are both {header[text]!r}")
    for i, (row, start) in enumerate(zip(rows[1:], starts[1:]), start=2):
        if len(row) != len(header):
            where = f"row {i}" + (f" (line {start})" if start != i else "")
            raise ConfigError(f"{path}: {where} has {len(row)} cells, expected {len(header)}")
        if not row[label].strip():
            raise ConfigError(f"{path}: row {i} has an empty label ({header[label]!r})")
    return [r[text] for r in rows[1:]], [r[label].strip() for r in rows[1:]]


def _class_folders(folder: Path) -> dict[str, list[Path]]:
    """Class name -> sorted .txt files, for each sub-folder of `folder` holding .txt files."""
    out = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        if sub.name.lower() in UNLABELLED:
            continue
        files = sorted(f for f in sub.iterdir() if f.is_file() and f.suffix.lower() == ".txt")
        if files:
            out[sub.name] = files
    return out


def read_folder(path: Path) -> tuple[list[str], list[str], list[bool]]:
    """(texts, raw labels, is-test flags) of a review folder, train/ and test/ or not."""
    train_dir, test_dir = path / "train", path / "test"
    split = train_dir.is_dir()
    train = _class_folders(train_dir if split else path)
    if not train:
        raise ConfigError(f"{path}: no class sub-folders of .txt files (expected e.g. pos/ "
                          f"and neg/, optionally under train/ and test/)")
    test = _class_folders(test_dir) if split and test_dir.is_dir() else {}
    unknown = sorted(set(test) - set(train))
    if unknown:
        raise ConfigError(f"{test_dir}: class {unknown[0]!r} is not in {train_dir} "
                          f"(classes: {', '.join(sorted(train))})")
    texts, labels, flags = [], [], []
    for held_out, classes in ((False, train), (True, test)):
        for name, files in classes.items():
            for f in files:
                texts.append(_decode(f))
                labels.append(name)
                flags.append(held_out)
    return texts, labels, flags


def read(path: str | Path, text_column: str = "", label_column: str = "") -> Texts:
    """The labelled texts of a CSV/TSV file or a review folder, classes sorted."""
    path = Path(path)
    if path.is_dir():
        texts, raw, flags = read_folder(path)
        origin = "folder"
    elif path.is_file():
        texts, raw = read_table(path, text_column, label_column)
        check_labels(path, raw)
        flags, origin = [False] * len(texts), "label column"
    else:
        raise ConfigError(f"{path}: no such file or folder")
    classes = sorted(set(raw), key=_class_order)
    check_classes(path, label_column, classes, len(raw), [])
    if len(classes) < 2:
        raise ConfigError(f"{path}: the {origin} has a single class ({classes[0]!r}); "
                          f"a classifier needs two or more")
    index = {c: k for k, c in enumerate(classes)}
    return Texts(texts, np.array([index[v] for v in raw], dtype=np.int64), classes,
                 np.array(flags, dtype=bool))


def load(path: str | Path, *, max_len: int, text_column: str = "", label_column: str = "",
         lowercase: bool = True, min_freq: int = 1, max_vocab: int = 0, truncate: str = "head",
         train_fraction: float = 0.8, seed: int = 0, stratify: bool = False) -> Reviews:
    """Read, split (seeded; by class with `stratify`), build the vocabulary from the training
    rows and encode all rows."""
    data = read(path, text_column, label_column)
    docs = [list(map(intern, tokenize(t, lowercase))) for t in data.texts]  # shared strings
    if not any(docs):
        raise ConfigError(f"{path}: no words in any text")
    try:
        train, val, test = split_rows(data.test, train_fraction, seed, data.labels, stratify)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None
    vocab = build_vocab([docs[i] for i in train], min_freq, max_vocab)
    if len(vocab) <= 2:
        raise ConfigError(f"{path}: no word of the training texts is kept in the vocabulary "
                          f"(min_freq={min_freq}, max_vocab={max_vocab})")
    return Reviews(vocab, encode(docs, vocab, max_len, truncate), data.labels, data.classes,
                   train, val, test, truncation_warning(docs, max_len, truncate))
