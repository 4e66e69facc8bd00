"""2-D mixtures of Gaussians for the GAN, and how well a sample set covers them.

`ring`: 8 equal Gaussians on a circle of radius 2; `grid`: 5x5 at -4, -2, 0, 2, 4 (the set-ups
of the Unrolled-GAN and VEEGAN papers). Sampling runs on the device with torch's RNG. Scoring
costs one [n, modes] distance matrix.
"""
from __future__ import annotations

import math

import numpy as np
import torch


TARGETS = ("ring", "grid")


def centres(target: str) -> np.ndarray:
    """Mode centres, float32 [k, 2]."""
    if target == "ring":
        angles = np.arange(8) * (2 * math.pi / 8)
        return np.stack([2 * np.cos(angles), 2 * np.sin(angles)], 1).astype(np.float32)
    if target == "grid":
        ticks = np.arange(-4, 5, 2, dtype=np.float32)
        gx, gy = np.meshgrid(ticks, ticks)
        return np.stack([gx.ravel(), gy.ravel()], 1)
    raise ValueError(f"unknown target {target!r}")


def sample(mus: torch.Tensor, n: int, std: float,
           generator: torch.Generator | None = None) -> torch.Tensor:
    """n points from the equal-weight mixture with centres `mus` [k, 2] (on mus's device)."""
    k = torch.randint(len(mus), (n,), device=mus.device, generator=generator)
    noise = torch.randn(n, 2, device=mus.device, generator=generator)
    return mus[k] + std * noise


def coverage(points: torch.Tensor, mus: torch.Tensor, std: float,
             min_share: float = 0.01) -> tuple[torch.Tensor, torch.Tensor]:
    """(modes covered, high-quality share) as 0-d tensors.

    A point is high quality when it lies within 3 std of some centre; a mode is covered when at
    least `min_share` of all points lie within 3 std of it.
    """
    near = torch.cdist(points.float(), mus.float()) <= 3 * std  # [n, k]
    per_mode = near.sum(0)
    covered = (per_mode >= min_share * len(points)).sum()
    quality = near.any(1).float().mean()
    return covered, quality
