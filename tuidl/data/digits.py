"""The 8x8 handwritten digits that scikit-learn ships (1,797 images, 10 classes), scaled to [0, 1]."""
from __future__ import annotations

import numpy as np


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    d = load_digits()
    return (d.data / 16.0).astype(np.float32), d.target.astype(np.int64)
