"""Generated 2-D classification sets (the TensorFlow Playground classics), seeded.

Each returns (X float32 [n, 2], y int64 [n]) as NumPy arrays; the task moves them to the device.
scikit-learn draws the circles and the moons; it is imported by those two alone (importing it
costs 1.5 s of a run's start).
"""
from __future__ import annotations

import numpy as np


def xor(n: int, noise: float, rng: np.random.Generator):
    x = rng.uniform(-1, 1, size=(n, 2))
    x += np.sign(x) * 0.15  # a margin around the axes, as in TF Playground
    y = (x[:, 0] * x[:, 1] < 0).astype(np.int64)
    return x + rng.normal(0, noise * 0.5, size=x.shape), y


def circle(n: int, noise: float, rng: np.random.Generator):
    from sklearn.datasets import make_circles
    x, y = make_circles(n, noise=noise * 0.5, factor=0.5, random_state=_seed(rng))
    return x, y


def gauss(n: int, noise: float, rng: np.random.Generator):
    y = rng.integers(0, 2, size=n)
    centres = np.array([[-1.0, -1.0], [1.0, 1.0]])
    return centres[y] + rng.normal(0, 0.4 + noise, size=(n, 2)), y


def spiral(n: int, noise: float, rng: np.random.Generator, turns: float = 1.75):
    y = np.arange(n) % 2
    t = rng.uniform(0, 1, size=n) ** 0.5 * turns * 2 * np.pi
    r = t / (turns * 2 * np.pi)
    angle = t + np.pi * y
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1)
    return x + rng.normal(0, noise * 0.1, size=x.shape), y


def moons(n: int, noise: float, rng: np.random.Generator):
    from sklearn.datasets import make_moons
    x, y = make_moons(n, noise=noise, random_state=_seed(rng))
    return (x - [0.5, 0.25]) / [1.0, 0.5], y


def _seed(rng: np.random.Generator) -> int:
    return int(rng.integers(0, 2**31 - 1))


GENERATORS = {"xor": xor, "circle": circle, "gauss": gauss, "spiral": spiral, "moons": moons}


def make(name: str, n: int, noise: float, seed: int, minority: float = 0.0,
         input_scale: float = 1.0):
    """n points of a set. `minority` > 0: class 1 is that share of them (drawn from twice as
    many generated points, so both classes keep their shape). `input_scale` != 1: the first
    input as a raw measurement in other units, x * s + 3 s (standardising undoes it)."""
    rng = np.random.default_rng(seed)
    if minority > 0:
        x, y = GENERATORS[name](2 * n, noise, rng)
        n1 = max(1, round(n * minority))
        keep = np.concatenate([rng.permutation(np.flatnonzero(y == 0))[:n - n1],
                               rng.permutation(np.flatnonzero(y == 1))[:n1]])
        keep = np.sort(keep)
        x, y = np.asarray(x)[keep], np.asarray(y)[keep]
    else:
        x, y = GENERATORS[name](n, noise, rng)
    x = np.asarray(x, dtype=np.float32)
    if input_scale != 1:
        x = x.copy()
        x[:, 0] = x[:, 0] * input_scale + 3 * input_scale
    return x, np.asarray(y, dtype=np.int64)
