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
    """Measures the gradients of one model's layers; `compute()` returns a [3, L] tensor.

    On CPU every kernel launch costs microseconds, so the probe uses as few as it can: the
    weights before the step are copied into buffers kept between logged steps (a copy of the
    model's size, made at the first logged step), max |g| comes from |g| (a foreach max, not
    an inf-norm), and the per-layer reductions of all five figures are two scatter ops.
    """

    def __init__(self, layers: list[tuple[str, list[nn.Parameter]]]):
        self.names = [name for name, _ in layers]
        self.params = [p for _, ps in layers for p in ps]
        self.weights = [p.detach() for p in self.params]
        self.before: list[torch.Tensor] | None = None  # buffers for the weights before a step
        owner = [i for i, (_, ps) in enumerate(layers) for _ in ps]
        device = self.params[0].device if self.params else torch.device("cpu")
        self.owner = torch.tensor(owner, dtype=torch.long, device=device)
        self.numel = torch.zeros(len(layers), device=device).index_add_(
            0, self.owner, torch.tensor([float(p.numel()) for p in self.params], device=device))

    def _grads(self) -> list[torch.Tensor]:
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
        return [g.to_dense() if g.is_sparse else g for g in grads]

    def begin(self) -> tuple:
        """Before clipping and the optimizer step (logged steps only): the gradient norms
        (L2, L1, max) and the weights' L2 norms, and a copy of the weights."""
        grads = self._grads()
        if not self.params:
            return [], [], [], []
        if self.before is None or self.before[0].device != self.weights[0].device:
            self.before = [w.clone() for w in self.weights]
        else:
            torch._foreach_copy_(self.before, self.weights)
        l2 = list(torch._foreach_norm(grads + self.before, 2))
        mags = torch._foreach_abs(grads)
        return l2, list(torch._foreach_norm(mags, 1)), _foreach_max(mags), self.before

    def finish(self, begun: tuple) -> torch.Tensor:
        """After the step: [5, L] = gradient norm, mean |g|, max |g|, weight norm and the
        update ratio ||w_after - w_before|| / ||w_before||, per layer (few kernels in all)."""
        l2, l1, mx, before = begun
        if not self.params:
            return torch.zeros(5, 0)
        torch._foreach_sub_(before, self.weights)  # the buffers now hold -(the update)
        dw = list(torch._foreach_norm(before, 2))
        n, P = len(self.names), len(self.params)
        v = torch.stack(l2 + dw + l1).float().view(4, P)  # |g|2, |w|2, |dw|2, |g|1 per param
        v[:3].square_()
        sums = torch.zeros(4, n, device=v.device).index_add_(1, self.owner, v)
        g, w, d = sums[:3].sqrt()
        max_abs = torch.zeros(n, device=v.device).scatter_reduce_(
            0, self.owner, torch.stack(mx).float(), "amax", include_self=True)
        return torch.stack([g, sums[3] / self.numel, max_abs, w, d / w.clamp_min(1e-12)])

    def compute(self) -> torch.Tensor:
        """[3, L] gradient norm, mean |g|, max |g| of the current gradients (no step)."""
        return self.finish(self.begin())[:3]


def _foreach_max(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    if hasattr(torch, "_foreach_max"):  # torch >= 2.4
        return list(torch._foreach_max(tensors))
    return [t.max() for t in tensors]
