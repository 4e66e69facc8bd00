"""Generator z -> sample and discriminator sample(s) -> logit, both plain MLPs (fc1 … out)."""
from __future__ import annotations

from torch import nn

from tuidl.models.mlp import build_mlp


def generator(z_dim: int, hidden: list[int], act: str, out_dim: int = 2,
              squash: bool = False) -> nn.Sequential:
    """`squash` ends in tanh: outputs in [-1, 1], the range of scaled pixels."""
    g = build_mlp(z_dim, hidden, out_dim, act)
    if squash:
        g.add_module("squash", nn.Tanh())
    return g


def discriminator(hidden: list[int], act: str, pack: int = 1, in_dim: int = 2) -> nn.Sequential:
    """Scores `pack` samples at once (PacGAN): input in_dim * pack."""
    return build_mlp(in_dim * pack, hidden, 1, act)
