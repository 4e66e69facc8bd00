"""Per-layer gradient statistics, computed on the device with no host sync.

A "layer" is a module that owns parameters directly (a Linear, a Conv2d, an LSTM…), named by
its path in the model, in registration order, which is input to output for our models. For
each layer: the L2 norm of all its gradients together, the mean |g| and the max |g|. Three
`torch._foreach_norm` calls (p = 2, 1, inf) cover every parameter at once; per-layer sums are
an `index_add_`. The result stays on the device until the engine copies it, every N steps.
"""
from __future__ import annotations

import torch
from torch import nn


def named_layers(model: nn.Module, prefix: str = "") -> list[tuple[str, list[nn.Parameter]]]:
    layers = []
    for name, module in model.named_modules():
        params = [p for p in module.parameters(recurse=False) if p.requires_grad]
        if params:
            layers.append((prefix + (name or type(module).__name__.lower()), params))
    return layers


class GradStatsProbe:
    """Measures the gradients of one model's layers; `compute()` returns a [3, L] tensor."""

    def __init__(self, layers: list[tuple[str, list[nn.Parameter]]]):
        self.names = [name for name, _ in layers]
        self.params = [p for _, ps in layers for p in ps]
        owner = [i for i, (_, ps) in enumerate(layers) for _ in ps]
        device = self.params[0].device if self.params else torch.device("cpu")
        self.owner = torch.tensor(owner, dtype=torch.long, device=device)
        self.numel = torch.zeros(len(layers), device=device).index_add_(
            0, self.owner, torch.tensor([float(p.numel()) for p in self.params], device=device))

    def compute(self) -> torch.Tensor:
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
        grads = [g.to_dense() if g.is_sparse else g for g in grads]
        sq = torch.stack(torch._foreach_norm(grads, 2)).float() ** 2
        l1 = torch.stack(torch._foreach_norm(grads, 1)).float()
        mx = torch.stack(torch._foreach_norm(grads, float("inf"))).float()
        n = len(self.names)
        norm = torch.zeros(n, device=sq.device).index_add_(0, self.owner, sq).sqrt()
        mean_abs = torch.zeros(n, device=sq.device).index_add_(0, self.owner, l1) / self.numel
        max_abs = torch.zeros(n, device=sq.device).scatter_reduce_(
            0, self.owner, mx, "amax", include_self=True)
        return torch.stack([norm, mean_abs, max_abs])
