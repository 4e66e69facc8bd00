"""Pick the torch device from `device=auto|cpu|cuda[:N]|mps`."""
from __future__ import annotations

import torch

from tuidl.config import TuidlError


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise TuidlError(f"device {name!r} requested but CUDA is not available here")
        index = int(name.split(":")[1]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise TuidlError(f"device {name!r}: only {torch.cuda.device_count()} CUDA device(s)")
    if name == "mps" and not (getattr(torch.backends, "mps", None)
                              and torch.backends.mps.is_available()):
        raise TuidlError("device 'mps' requested but MPS is not available here")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    import random

    import numpy as np
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
