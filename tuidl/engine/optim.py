"""Optimizers and weight initialisation named by the config."""
from __future__ import annotations

import torch
from torch import nn


def build_optimizer(name: str, params, lr: float, momentum: float = 0.9,
                    weight_decay: float = 0.0, fused: bool = True) -> torch.optim.Optimizer:
    """The optimizer `name`, in torch's fused implementation where torch has one for the
    parameters' device (SGD, Adagrad, Adam, AdamW on CPU and CUDA): the same update, to
    float rounding, as the textbook `torch.optim.Adam(params, lr=...)`, but one kernel per
    tensor instead of a dozen. On a small model on the CPU that halves the time of a step
    (benchmarks/overhead.py). Elsewhere (RMSprop, MPS) the default implementation. Build it
    after the model is on its device. fused=False: always the default implementation."""
    params = list(params)
    kw = dict(lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return _fused(torch.optim.SGD, params, fused, **kw)
    if name == "momentum":
        return _fused(torch.optim.SGD, params, fused, momentum=momentum, **kw)
    if name == "nesterov":
        return _fused(torch.optim.SGD, params, fused, momentum=momentum, nesterov=True, **kw)
    if name == "adagrad":
        return _fused(torch.optim.Adagrad, params, fused, **kw)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, alpha=0.99, **kw)
    if name == "adam":
        return _fused(torch.optim.Adam, params, fused, **kw)
    if name == "adamw":
        return _fused(torch.optim.AdamW, params, fused, **kw)
    raise ValueError(f"unknown optimizer {name!r}")


FUSED_DEVICES = ("cpu", "cuda")  # where torch has fused kernels for all four


def _fused(cls, params, fused: bool, **kw) -> torch.optim.Optimizer:
    """`cls(params, fused=True, ...)` when asked and torch has fused kernels for these
    parameters (floating point, dense, on a CPU or CUDA device), else `cls(params, ...)`."""
    if fused and params and all(p.device.type in FUSED_DEVICES and p.dtype.is_floating_point
                                and not p.is_sparse for p in params):
        try:
            return cls(params, fused=True, **kw)
        except (RuntimeError, TypeError, ValueError):  # a torch without them
            pass
    return cls(params, **kw)


def init_weights(module: nn.Module, init: str, scale: float = 1.0,
                 nonlinearity: str = "relu") -> None:
    """default keeps PyTorch's init; xavier, xavier_gain, he and normal set the weights and
    zero the biases."""
    if init == "default":
        return
    gain_nl = nonlinearity if nonlinearity in ("relu", "leaky_relu", "tanh", "sigmoid") else "linear"
    for m in module.modules():
        weights = [p for n, p in m.named_parameters(recurse=False) if n.startswith("weight")]
        biases = [p for n, p in m.named_parameters(recurse=False) if n.startswith("bias")]
        if not weights or isinstance(m, (nn.LayerNorm, nn.BatchNorm1d, nn.BatchNorm2d)):
            continue
        with torch.no_grad():
            for w in weights:
                if w.dim() < 2:
                    continue
                if init == "xavier":  # Glorot & Bengio 2010: U(±sqrt(6 / (fan_in + fan_out)))
                    nn.init.xavier_uniform_(w)
                elif init == "xavier_gain":  # the same, times torch's gain (5/3 tanh, √2 relu)
                    nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain(gain_nl))
                elif init == "he":
                    nn.init.kaiming_normal_(w, nonlinearity="leaky_relu" if gain_nl == "leaky_relu"
                                            else "relu")
                elif init == "normal":
                    nn.init.normal_(w, 0.0, scale)
            for b in biases:
                b.zero_()

