"""Convolutional classifier: [conv → act → pool] × n → flatten → fc … → out."""
from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from tuidl.models.layers import activation


def build_cnn(in_shape: tuple[int, int, int], channels: list[int], kernel_size: int,
              padding: int, stride: int, pool: str, fc: list[int], n_out: int, act: str,
              dropout: float = 0.0, inputs: nn.Module | None = None) -> nn.Sequential:
    """`inputs`, when given, comes first (e.g. ScalePixels for byte images)."""
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    if inputs is not None:
        layers["inputs"] = inputs
    c_in = in_shape[0]
    for i, c in enumerate(channels, start=1):
        layers[f"conv{i}"] = nn.Conv2d(c_in, c, kernel_size, stride=stride, padding=padding)
        layers[f"cact{i}"] = activation(act)
        if pool != "none":
            layers[f"pool{i}"] = (nn.MaxPool2d if pool == "max" else nn.AvgPool2d)(
                2, ceil_mode=True)
        c_in = c
    layers["flatten"] = nn.Flatten()
    with torch.no_grad():
        width = nn.Sequential(layers)(torch.zeros(1, *in_shape)).shape[1]
    for i, h in enumerate(fc, start=1):
        layers[f"fc{i}"] = nn.Linear(width, h)
        layers[f"act{i}"] = activation(act)
        if dropout > 0:
            layers[f"drop{i}"] = nn.Dropout(dropout)
        width = h
    layers["out"] = nn.Linear(width, n_out)
    return nn.Sequential(layers)
