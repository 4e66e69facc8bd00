"""What some lessons show beside their runs (torch-free, plain math).

- activations: each hidden-layer function and its derivative, with the derivative's largest
  value: σ' never exceeds 1/4, so ten sigmoid layers scale a gradient by at most 4^-10 ≈ 1e-6
  before the weights; tanh' and softsign' reach 1 at 0 only; ReLU' is 1 wherever a unit is on.
- receptive_field: a CNN's layers as the formulas give them: each layer's output size
  ⌊(n + 2p − k) / s⌋ + 1, its stride in input pixels (jump) and its receptive field
  r + (k − 1) · jump, from the config alone.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def _softplus(x: float) -> float:
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


# name -> (formula, f, f')
FUNCTIONS = {
    "sigmoid": ("1/(1+e^-x)", _sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "tanh": ("tanh x", math.tanh, lambda x: 1 - math.tanh(x) ** 2),
    "softsign": ("x/(1+|x|)", lambda x: x / (1 + abs(x)), lambda x: 1 / (1 + abs(x)) ** 2),
    "relu": ("max(0,x)", lambda x: max(0.0, x), lambda x: 1.0 if x > 0 else 0.0),
    "softplus": ("ln(1+e^x)", _softplus, _sigmoid),
    "leaky_relu": ("max(.01x,x)", lambda x: x if x > 0 else 0.01 * x,
                   lambda x: 1.0 if x > 0 else 0.01),
    "linear": ("x", lambda x: x, lambda x: 1.0),
}
XS = [i / 10 for i in range(-50, 51)]  # the plotted range, -5 to 5


@dataclass(frozen=True)
class Activation:
    name: str
    formula: str
    max_slope: float  # the derivative's largest value on [-5, 5]
    slope_at_3: float  # the derivative at x = 3: how much a saturating unit passes back


def activation_rows(names: list[str]) -> list[Activation]:
    out = []
    for name in names:
        if name in FUNCTIONS:
            formula, _, d = FUNCTIONS[name]
            out.append(Activation(name, formula, max(d(x) for x in XS), d(3.0)))
    return out


def curve(name: str, derivative: bool = False) -> tuple[list[float], list[float]]:
    _, f, d = FUNCTIONS[name]
    fn = d if derivative else f
    return XS, [fn(x) for x in XS]


@dataclass(frozen=True)
class ConvLayer:
    name: str
    kernel: int
    stride: int
    padding: int
    size: int  # output height/width
    jump: int  # input pixels between neighbouring outputs
    field: int  # input pixels one output sees


def receptive_fields(size: int, channels: list[int], kernel: int, padding: int, stride: int,
                     pool: str) -> list[ConvLayer]:
    """Conv and pool layers of tuidl's CNN (tuidl.models.cnn) on a size × size input."""
    out, field, jump = [], 1, 1
    for i, _ in enumerate(channels, start=1):
        size = (size + 2 * padding - kernel) // stride + 1
        if size < 1:
            break
        field += (kernel - 1) * jump
        jump *= stride
        out.append(ConvLayer(f"conv{i}", kernel, stride, padding, size, jump, field))
        if pool != "none":
            size = math.ceil(size / 2)  # 2x2, stride 2, ceil_mode
            field += jump
            jump *= 2
            out.append(ConvLayer(f"pool{i}", 2, 2, 0, size, jump, field))
    return out


CONV_KEYS = ("channels", "kernel_size", "padding", "stride", "pool")


def has_convolutions(config: dict) -> bool:
    """A config of a network with convolution blocks (the keys receptive fields need)."""
    return all(key in config for key in CONV_KEYS)


def activation_names(configs: list[dict]) -> list[str]:
    """The hidden activations the variants' configs use, once each, in order."""
    return list(dict.fromkeys(c["activation"] for c in configs
                              if c.get("activation") in FUNCTIONS))


def cnn_config(configs: list[dict]) -> dict | None:
    """The first variant's config that has convolutions (its receptive fields are shown)."""
    return next((c for c in configs if has_convolutions(c)), None)


def input_size(config: dict) -> int:
    """The CNN's input height/width: 8 for the digits, 28 for MNIST-like sets, 32 for CIFAR."""
    dataset = str(config.get("dataset", "digits"))
    return 8 if dataset == "digits" else 32 if "cifar" in dataset else 28
