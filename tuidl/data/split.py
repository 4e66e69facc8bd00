"""Seeded train / validation / test split, moved to the device once."""
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
          device: torch.device) -> Split:
    if train_fraction + test_fraction >= 1.0:
        raise ConfigError(f"train_fraction + test_fraction must be < 1 "
                          f"(got {train_fraction} + {test_fraction})")
    n = len(y)
    order = np.random.default_rng(seed + 7919).permutation(n)
    n_test = int(round(n * test_fraction))
    n_train = int(round(n * train_fraction))
    if n_train < 1 or n - n_test - n_train < 1:
        raise ConfigError(f"{n} samples are too few for this split")
    test, rest = order[:n_test], order[n_test:]
    tr, va = rest[:n_train], rest[n_train:]

    def t(a, idx):
        return torch.as_tensor(a[idx]).to(device)
    out = Split(t(x, tr), t(y, tr), t(x, va), t(y, va))
    if n_test:
        out.x_test, out.y_test = t(x, test), t(y, test)
    return out


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


CONSTANT = 1e-6  # a spread below this (relative to the feature's size) is no spread
MAX_NAMED = 8  # constant features named in the warning
