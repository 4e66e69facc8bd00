"""Generator z -> (x, y) and discriminator (x, y) -> logit, both plain MLPs (fc1 … out)."""
from __future__ import annotations

from torch import nn

from tuidl.models.mlp import build_mlp


def generator(z_dim: int, hidden: list[int], act: str) -> nn.Sequential:
    return build_mlp(z_dim, hidden, 2, act)


def discriminator(hidden: list[int], act: str, pack: int = 1) -> nn.Sequential:
    """Scores `pack` points at once (PacGAN): input 2 * pack."""
    return build_mlp(2 * pack, hidden, 1, act)
