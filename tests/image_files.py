"""Small image sets written in the real formats (IDX, gzipped or not; CIFAR-10 python batches)
with an easy, seeded pattern per class, for tests that train on files."""
from __future__ import annotations

import gzip
import pickle
import struct
from pathlib import Path

import numpy as np


def idx_bytes(a: np.ndarray) -> bytes:
    """An IDX file of unsigned bytes: magic 0 0 8 ndim, big-endian dims, the data."""
    return bytes([0, 0, 0x08, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + \
        a.astype(np.uint8).tobytes()


def bars(n: int, size: int, seed: int, classes: int = 3, places: int = 0,
         noise: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Class 0: a horizontal bar, 1: a vertical bar, 2: a diagonal; anywhere (or at one of
    `places` fixed offsets), over uniform noise up to `noise`."""
    rng = np.random.default_rng(seed)
    y = rng.integers(classes, size=n)
    x = rng.integers(0, noise + 1, size=(n, size, size))
    spots = np.linspace(2, size - 3, places).astype(int) if places else None
    for i, k in enumerate(y):
        p = rng.choice(spots) if places else rng.integers(2, size - 2)
        if k == 0:
            x[i, p - 1:p + 1, :] = 250
        elif k == 1:
            x[i, :, p - 1:p + 1] = 250
        else:
            idx = np.arange(size)
            x[i, idx, (idx + p) % size] = 250
    return x.astype(np.uint8), y.astype(np.uint8)


def write_idx(folder: Path, n_train=300, n_test=100, size=12, gz=True, seed=0,
              **pattern) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".gz" if gz else ""
    opener = gzip.compress if gz else (lambda b: b)
    for prefix, n, s in (("train", n_train, seed), ("t10k", n_test, seed + 1)):
        if n == 0:
            continue
        x, y = bars(n, size, s, **pattern)
        (folder / f"{prefix}-images-idx3-ubyte{suffix}").write_bytes(opener(idx_bytes(x)))
        (folder / f"{prefix}-labels-idx1-ubyte{suffix}").write_bytes(opener(idx_bytes(y)))
    return folder


def colour_blobs(n: int, seed: int) -> tuple[np.ndarray, list[int]]:
    """32x32 RGB: the class is the colour of a square blob (red, green, blue)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(3, size=n)
    x = rng.integers(0, 80, size=(n, 3, 32, 32))
    for i, k in enumerate(y):
        r, c = rng.integers(0, 22, size=2)
        x[i, k, r:r + 10, c:c + 10] = 240
    return x.reshape(n, 3072).astype(np.uint8), [int(v) for v in y]


def write_cifar(folder: Path, n_batch=150, batches=2, n_test=100, seed=0, meta=True) -> Path:
    base = folder / "cifar-10-batches-py"
    base.mkdir(parents=True, exist_ok=True)
    for b in range(1, batches + 1):
        x, y = colour_blobs(n_batch, seed + b)
        with open(base / f"data_batch_{b}", "wb") as f:
            pickle.dump({b"batch_label": b"training", b"data": x, b"labels": y}, f, protocol=2)
    x, y = colour_blobs(n_test, seed + 99)
    with open(base / "test_batch", "wb") as f:
        pickle.dump({b"data": x, b"labels": y}, f, protocol=2)
    if meta:
        with open(base / "batches.meta", "wb") as f:
            pickle.dump({b"label_names": [b"red", b"green", b"blue"]}, f, protocol=2)
    return folder
