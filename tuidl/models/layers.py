"""Activation functions by name."""
from __future__ import annotations

import torch
from torch import nn


def activation(name: str) -> nn.Module:
    return {
        "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU,
        "softsign": nn.Softsign, "softplus": nn.Softplus, "linear": nn.Identity,
    }[name]()


class ScalePixels(nn.Module):
    """Byte pixels [n, c, h, w] in, standardised floats out: x / 255, minus the per-channel mean
    and divided by the std of the training images. Images stay uint8 on the device (4x less
    memory than float32) and are converted one batch at a time; the statistics are buffers,
    so saved weights carry them."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return (x.to(self.mean.dtype) / 255.0 - self.mean) / self.std
