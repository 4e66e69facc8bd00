"""The 8x8 handwritten digits that scikit-learn ships (1,797 images, 10 classes), scaled to [0, 1].

The images are read straight from the package's data file (`sklearn/datasets/data/digits.csv.gz`,
64 pixel columns and the label), found without importing scikit-learn: importing it costs 1.5 s
of every run's start here, reading the file 0.05 s. `sklearn.datasets.load_digits` is the
fallback should the file move.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

N_IMAGES, N_PIXELS = 1797, 64


def digits_file() -> Path | None:
    """scikit-learn's digits file, or None when it is not where scikit-learn keeps it."""
    spec = importlib.util.find_spec("sklearn")  # locates the package without running it
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    return path if path.is_file() else None


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    path = digits_file()
    if path is not None:
        table = np.loadtxt(path, delimiter=",", dtype=np.float32)
        if table.shape == (N_IMAGES, N_PIXELS + 1):
            return table[:, :-1] / np.float32(16.0), table[:, -1].astype(np.int64)
    from sklearn.datasets import load_digits
    d = load_digits()
    return (d.data / 16.0).astype(np.float32), d.target.astype(np.int64)
