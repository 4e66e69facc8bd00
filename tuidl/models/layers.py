"""Activation functions by name."""
from __future__ import annotations

from torch import nn


def activation(name: str) -> nn.Module:
    return {
        "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU,
        "softsign": nn.Softsign, "softplus": nn.Softplus, "linear": nn.Identity,
    }[name]()
