"""Activation health, measured during evaluation (the first, every fifth and the last) with
forward hooks on the activation modules.

- saturation of every bounded activation, the share of outputs where the derivative is a few
  percent of its largest value or less, so the unit passes almost no gradient back: sigmoid
  below 0.01 or above 0.99 (sigmoid' <= 0.0099, 4 % of its 0.25); tanh |y| above 0.99
  (tanh' <= 0.02 of 1); softsign |y| above 0.9 (softsign' = (1 - |y|)^2 <= 0.01 of 1);
  softplus, bounded below, y below 0.01 (softplus' = 1 - e^-y <= 0.01 of 1).
- relu: the share of dead units, units never active (output > 0) on the evaluation batch.
  A unit is a feature of the last dimension for dense layers, a channel for convolutions.

Measured on the first `BATCH` samples of the first forward call of an evaluation (one eval
batch, as dead-unit counts are usually defined; it keeps the cost near nothing). Results stay
on the device until `read()` syncs once. Layers are named by their module path ("act1", "G.act2").
"""
from __future__ import annotations

import torch
from torch import nn

KINDS = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh", nn.Softsign: "softsign",
         nn.Softplus: "softplus", nn.ReLU: "relu"}


def saturated(kind: str, out: torch.Tensor) -> torch.Tensor:
    """Where a bounded activation's output leaves it 1-4 % of its largest derivative."""
    if kind == "tanh":
        return out.abs() > 0.99
    if kind == "softsign":
        return out.abs() > 0.9
    if kind == "softplus":
        return out < 0.01
    return (out < 0.01) | (out > 0.99)  # sigmoid
BATCH = 256  # samples of the first evaluation batch that are measured


class ActivationProbe:
    def __init__(self, models: dict[str, nn.Module]):
        several = len(models) > 1
        self.modules: list[tuple[str, str, nn.Module]] = []
        for mname, model in models.items():
            for name, module in model.named_modules():
                kind = KINDS.get(type(module))
                if kind:
                    self.modules.append((f"{mname}.{name}" if several else name, kind, module))
        self.handles: list = []
        self.stats: dict[str, list[torch.Tensor]] = {}

    def __bool__(self) -> bool:
        return bool(self.modules)

    def __enter__(self) -> "ActivationProbe":
        self.stats = {}
        for name, kind, module in self.modules:
            self.handles.append(module.register_forward_hook(self._hook(name, kind)))
        return self

    def __exit__(self, *exc) -> None:
        for h in self.handles:
            h.remove()
        self.handles = []

    def _hook(self, name: str, kind: str):
        def hook(module, inputs, out):
            if name in self.stats:  # one evaluation batch is enough (and keeps it cheap)
                return
            out = out.detach()[:BATCH]
            if kind == "relu":  # per unit: was it ever active?
                unit = 1 if out.dim() == 4 else out.dim() - 1  # channel, or feature
                dims = [d for d in range(out.dim()) if d != unit]
                active = out.amax(dim=dims) > 0 if dims else out > 0  # (a bool amax is slow)
                self.stats[name] = [active]
            else:
                self.stats[name] = [saturated(kind, out).float().mean()]
        return hook

    def read(self) -> dict[str, list]:
        """{layers, kinds, saturated, dead}: None where a measure does not apply."""
        names, kinds, flat = [], [], []
        for name, kind, _ in self.modules:
            if name not in self.stats:
                continue
            s = self.stats[name][0]
            names.append(name)
            kinds.append(kind)
            flat.append(1 - s.float().mean() if kind == "relu" else s)
        values = torch.stack(flat).tolist() if flat else []
        return {"layers": names, "kinds": kinds,
                "saturated": [v if k != "relu" else None for v, k in zip(values, kinds)],
                "dead": [v if k == "relu" else None for v, k in zip(values, kinds)]}
