"""Seeded train / validation / test split, moved to the device once.

Stratified (`stratify=True`, the classifier families' default): every class is split in the
same proportions, so a class of 5 % is 5 % of each split and a small validation set holds its
share of a rare class instead of whatever a shuffle left there. Deterministic per seed; the
split sizes are those of the plain split, each class's count within one of its exact share.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from tuidl.config import ConfigError


@dataclass
class Split:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor | None = None
    y_test: torch.Tensor | None = None


def split(x: np.ndarray, y: np.ndarray, train_fraction: float, test_fraction: float, seed: int,
          device: torch.device, *, stratify: bool = False) -> Split:
    tr, va, test = indices(y, train_fraction, test_fraction, seed, stratify)

    def t(a, idx):
        return torch.as_tensor(a[idx]).to(device)
    out = Split(t(x, tr), t(y, tr), t(x, va), t(y, va))
    if len(test):
        out.x_test, out.y_test = t(x, test), t(y, test)
    return out


def indices(y: np.ndarray, train_fraction: float, test_fraction: float, seed: int,
            stratify: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded (train, val, test) row indices of the labels `y`. Plain: one permutation, test
    first, then train, the rest validates. Stratified: each class's rows, in that same
    permuted order, get evenly spaced places (r + 0.5) / n_c in [0, 1) and the rows are cut
    in the order of their places (ties in permuted order), so every part takes about its
    share of every class; each part keeps the permuted order."""
    if train_fraction + test_fraction >= 1.0:
        raise ConfigError(f"train_fraction + test_fraction must be < 1 "
                          f"(got {train_fraction} + {test_fraction})")
    n = len(y)
    order = np.random.default_rng(seed + SEED_OFFSET).permutation(n)
    n_test = int(round(n * test_fraction))
    n_train = int(round(n * train_fraction))
    if n_train < 1 or n - n_test - n_train < 1:
        raise ConfigError(f"{n} samples are too few for this split")
    if not stratify:
        return order[n_test:n_test + n_train], order[n_test + n_train:], order[:n_test]
    codes = np.unique(np.asarray(y)[order], return_inverse=True)[1].reshape(-1)
    counts = np.bincount(codes)
    by_class = np.argsort(codes, kind="stable")
    rank = np.empty(n)
    rank[by_class] = np.arange(n) - np.repeat(np.cumsum(counts) - counts, counts)
    places = np.argsort((rank + 0.5) / counts[codes], kind="stable")
    cuts = np.split(places, [n_test, n_test + n_train])
    test, train, val = (order[np.sort(part)] for part in cuts)
    return train, val, test


def standardize(data: Split, x: np.ndarray, names: list[str] | None = None
                ) -> tuple[np.ndarray, str | None]:
    """Scale every feature to zero mean and unit variance with the training split's statistics
    only (nothing of the validation or test data leaks in); `data` is changed in place, and
    `x` (all samples, for views) is returned scaled the same way, with a warning when a
    feature is constant in the training rows.

    Such a feature (a border pixel no training digit touches) is centred and scaled by 1, as
    scikit-learn's StandardScaler does: dividing by a tiny floor would blow up the validation
    rows where it is not constant (a val loss of 1e6 beside a fine accuracy)."""
    mean = data.x_train.mean(0)
    std = data.x_train.std(0, unbiased=False)
    constant = (std <= CONSTANT * mean.abs().clamp_min(1.0)).cpu().numpy()
    std = torch.where(torch.as_tensor(constant, device=std.device), torch.ones_like(std), std)
    warning = None
    if constant.any():
        which = [names[j] if names else str(j) for j in np.flatnonzero(constant)]
        shown = ", ".join(which[:MAX_NAMED]) + (f" and {len(which) - MAX_NAMED} more"
                                                 if len(which) > MAX_NAMED else "")
        warning = (f"{len(which)} feature(s) constant in the training rows ({shown}): "
                   "centred and scaled by 1, not by their spread")
    data.x_train = (data.x_train - mean) / std
    data.x_val = (data.x_val - mean) / std
    if data.x_test is not None:
        data.x_test = (data.x_test - mean) / std
    return ((x - mean.cpu().numpy()) / std.cpu().numpy()).astype(np.float32), warning


SEED_OFFSET = 7919  # the split's permutation: seed + SEED_OFFSET
CONSTANT = 1e-6  # a spread below this (relative to the feature's size) is no spread
MAX_NAMED = 8  # constant features named in the warning
