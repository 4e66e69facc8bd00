"""Rows of a CSV/TSV text, for the table readers (tuidl.data.tabular, .reviews).

Quoted cells may span lines (csv reads the text whole, not line by line), a cell may be as
long as a review can be (up to MAX_CELL characters; the csv module's own limit is 131,072),
and a malformed file is a ConfigError naming the file and line, never a traceback.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterator

from tuidl.config import ConfigError

MAX_CELL = 16 << 20  # characters in one cell
MAX_CLASSES = 1000  # distinct labels a classifier takes from a file
ID_LIKE = 100  # above this many classes, labels nearly as many as the rows are no classes


def rows_of(path: Path, text: str, delimiter: str) -> Iterator[tuple[list[str], int]]:
    """(row, the line it starts on) for each row of `text`."""
    if csv.field_size_limit() < MAX_CELL:
        csv.field_size_limit(MAX_CELL)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for row in reader:
            yield row, start
            start = reader.line_num + 1
    except csv.Error as e:
        raise ConfigError(f"{path}: line {reader.line_num}: {e}") from None


def check_classes(path: Path, column: str, classes: list, rows: int, columns: list[str]) -> None:
    """Refuse a label column that holds no classes: an identifier, a measurement (about as
    many distinct values as rows), or more classes than a confusion matrix can show."""
    k = len(classes)
    if k > MAX_CLASSES or (k > ID_LIKE and 2 * k > rows):
        named = f" (columns: {', '.join(columns)})" if columns else ""
        which = f"the label column {column!r}" if column else "the labels"
        raise ConfigError(f"{path}: {which}: {k} different values in "
                          f"{rows} rows, an identifier or a measurement, not classes; name the "
                          f"column of classes with label_column{named}")


def check_labels(path: Path, labels: list[str], first_row: int = 2) -> None:
    """Every row has a label: an empty cell or NaN is refused (it would become a class)."""
    for i, value in enumerate(labels):
        text = value.strip()
        if not text or text.lower() in ("nan", "-nan", "+nan"):
            raise ConfigError(f"{path}: row {i + first_row} has no label ({value!r}); give "
                              "every row its class or remove the row")
