"""Optimizers and weight initialisation named by the config."""
from __future__ import annotations

import torch
from torch import nn


def build_optimizer(name: str, params, lr: float, momentum: float = 0.9,
                    weight_decay: float = 0.0) -> torch.optim.Optimizer:
    params = list(params)
    kw = dict(lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return torch.optim.SGD(params, **kw)
    if name == "momentum":
        return torch.optim.SGD(params, momentum=momentum, **kw)
    if name == "nesterov":
        return torch.optim.SGD(params, momentum=momentum, nesterov=True, **kw)
    if name == "adagrad":
        return torch.optim.Adagrad(params, **kw)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, alpha=0.99, **kw)
    if name == "adam":
        return torch.optim.Adam(params, **kw)
    if name == "adamw":
        return torch.optim.AdamW(params, **kw)
    raise ValueError(f"unknown optimizer {name!r}")


def init_weights(module: nn.Module, init: str, scale: float = 1.0,
                 nonlinearity: str = "relu") -> None:
    """default keeps PyTorch's init; xavier/he/normal set weights and zero the biases."""
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
                if init == "xavier":
                    nn.init.xavier_uniform_(w, gain=nn.init.calculate_gain(gain_nl))
                elif init == "he":
                    nn.init.kaiming_normal_(w, nonlinearity="leaky_relu" if gain_nl == "leaky_relu"
                                            else "relu")
                elif init == "normal":
                    nn.init.normal_(w, 0.0, scale)
            for b in biases:
                b.zero_()

