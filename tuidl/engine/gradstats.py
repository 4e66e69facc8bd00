"""Per-layer gradient statistics, computed on the device with no host sync.

A "layer" is a module that owns parameters directly (a Linear, a Conv2d, an LSTM…), named by
its path in the model, in registration order, which is input to output for our models. For
each layer: the L2 norm of all its gradients together, the mean |g| and the max |g|; and, around
the optimizer step, the weight norm and the update-to-weight ratio ||dw|| / ||w||. A few
`torch._foreach_norm` calls cover every parameter at once; per-layer sums are an `index_add_`.
The results stay on the device until the engine copies them, every N steps.
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

    def _per_layer(self, norms: list[torch.Tensor]) -> torch.Tensor:
        sq = torch.stack(norms).float() ** 2
        return torch.zeros(len(self.names), device=sq.device).index_add_(0, self.owner, sq).sqrt()

    def snapshot(self) -> list[torch.Tensor]:
        """Copies of the weights before an optimizer step (only on logged steps)."""
        return [p.detach().clone() for p in self.params]

    def weights(self, before: list[torch.Tensor]) -> torch.Tensor:
        """[2, L]: weight norm before the step and ||w_after - w_before|| / ||w_before||."""
        if not self.params:
            return torch.zeros(2, 0)
        w = self._per_layer(torch._foreach_norm(before, 2))
        delta = torch._foreach_sub([p.detach() for p in self.params], before)
        dw = self._per_layer(torch._foreach_norm(delta, 2))
        return torch.stack([w, dw / w.clamp_min(1e-12)])

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
