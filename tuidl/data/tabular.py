"""A table of numeric features and a label column, from a CSV or TSV file.

    load_table("iris.csv", label_column="species") -> Table(x float32 [n, f], y int64 [n], …)

The first row is a header when any of its cells is not a number (then columns can be named);
otherwise columns are numbered from 0. The label column is given by name or 0-based index, by
default the last. Labels may be any strings: classes are their sorted distinct values. Every
problem is one ConfigError naming the file (and the row or column): a missing or empty file, a
ragged row, a non-numeric feature, an unknown label column, a single class.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tuidl.config import ConfigError, _show
from tuidl.data.csvrows import check_classes, check_labels, rows_of


FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass
class Table:
    x: np.ndarray  # float32 [n, features]
    y: np.ndarray  # int64 [n]
    classes: list[str]
    features: list[str]


def _number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _read_rows(path: Path) -> list[list[str]]:
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path}: not UTF-8 text (byte {e.start})") from None
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    rows = [[c.strip() for c in row] for row, _ in rows_of(path, text, delimiter)]
    rows = [row for row in rows if any(row)]
    if not rows:
        raise ConfigError(f"{path}: the file is empty")
    return rows


def _label_index(path: Path, header: list[str] | None, width: int, label_column: str) -> int:
    if label_column == "":
        return width - 1
    if header is not None and label_column in header:
        return header.index(label_column)
    if label_column.lstrip("-").isdigit() and -width <= int(label_column) < width:
        return int(label_column) % width
    names = ", ".join(header) if header else f"indexes 0..{width - 1}"
    raise ConfigError(f"{path}: no label column {label_column!r} (columns: {names})")


def load_table(path: str | Path, label_column: str = "") -> Table:
    path = Path(path)
    rows = _read_rows(path)
    header = rows[0] if not all(_number(c) for c in rows[0]) else None
    body = rows[1:] if header is not None else rows
    width = len(rows[0])
    if width < 2:
        raise ConfigError(f"{path}: needs at least one feature column and a label column")
    if not body:
        raise ConfigError(f"{path}: a header but no data rows")
    first = 2 if header is not None else 1
    for i, row in enumerate(body):
        if len(row) != width:
            raise ConfigError(f"{path}: row {i + first} has {len(row)} cells, expected {width}")
    label = _label_index(path, header, width, label_column)
    names = header or [str(i) for i in range(width)]
    feature_cols = [j for j in range(width) if j != label]
    x = np.empty((len(body), len(feature_cols)), dtype=np.float32)
    for i, row in enumerate(body):
        for k, j in enumerate(feature_cols):
            try:
                v = float(row[j])
            except ValueError:
                raise ConfigError(f"{path}: row {i + first}, column {names[j]!r}: "
                                  f"{_show(row[j])} is not a number") from None
            if not abs(v) <= FLOAT32_MAX:  # NaN fails this too
                raise ConfigError(f"{path}: row {i + first}, column {names[j]!r}: {_show(row[j])}"
                                  " is not a finite number of float32 range (±3.4e38)")
            x[i, k] = v
    raw = [row[label] for row in body]
    check_labels(path, raw, first)
    classes = sorted(set(raw), key=lambda v: (not _number(v), float(v) if _number(v) else 0, v))
    check_classes(path, names[label], classes, len(body), names)
    if len(classes) < 2:
        raise ConfigError(f"{path}: the label column {names[label]!r} has a single class "
                          f"({classes[0]!r}); a classifier needs two or more")
    index = {c: k for k, c in enumerate(classes)}
    y = np.array([index[v] for v in raw], dtype=np.int64)
    return Table(x, y, classes, [names[j] for j in feature_cols])
