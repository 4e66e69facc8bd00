"""Fully connected network: fc1 → act → dropout → … → out."""
from __future__ import annotations

from collections import OrderedDict

from torch import nn

from tuidl.models.layers import activation


def build_mlp(n_in: int, hidden: list[int], n_out: int, act: str, dropout: float = 0.0,
              prefix: str = "fc") -> nn.Sequential:
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    width = n_in
    for i, h in enumerate(hidden, start=1):
        layers[f"{prefix}{i}"] = nn.Linear(width, h)
        layers[f"act{i}"] = activation(act)
        if dropout > 0:
            layers[f"drop{i}"] = nn.Dropout(dropout)
        width = h
    layers["out"] = nn.Linear(width, n_out)
    return nn.Sequential(layers)
