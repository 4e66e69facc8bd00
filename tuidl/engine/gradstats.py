"""Per-layer gradient statistics, computed on the device with no host sync.

A "layer" is a module that owns parameters directly (a Linear, a Conv2d, an LSTM…), named by
its path in the model, in registration order, which is input to output for our models. For
each layer: the L2 norm of all its gradients together, the mean |g| and the max |g|; and, around
the optimizer step, the weight norm and the update-to-weight ratio ||dw|| / ||w||. A few
`torch._foreach_norm` calls cover every parameter tensor at once; the results stay on the device
until the engine copies them, every N steps, and are summed per layer on the host.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from tuidl.events import HIST_BINS, HIST_BOTTOM, HIST_SIDE, HIST_TOP


def named_layers(model: nn.Module, prefix: str = "") -> list[tuple[str, list[nn.Parameter]]]:
    layers = []
    for name, module in model.named_modules():
        params = [p for p in module.parameters(recurse=False) if p.requires_grad]
        if params:
            layers.append((prefix + (name or type(module).__name__.lower()), params))
    return layers


def layer_table(model: nn.Module, prefix: str = "") -> list[dict]:
    """The run_start event's layers: name, parameter count and parameter shapes each."""
    return [{"name": name, "params": sum(p.numel() for p in params),
             "shape": [list(p.shape) for p in params]}
            for name, params in named_layers(model, prefix)]


def lookup_layers(models: dict[str, nn.Module]) -> set[str]:
    """The layers that are lookup tables (embeddings), named as `named_layers` names them."""
    several = len(models) > 1
    return {(f"{key}." if several else "") + (name or type(m).__name__.lower())
            for key, model in models.items() for name, m in model.named_modules()
            if isinstance(m, (nn.Embedding, nn.EmbeddingBag))}


class GradStatsProbe:
    """Measures the gradients of one model's layers.

    On the device, per parameter tensor: `begin()` before the optimizer step (gradient L2, L1
    and max-|g| norms, the weight norm, and a copy of the weights into buffers kept between
    logged steps), `finish()` after it (the update's norm) and one stack: a [5, P] tensor,
    five foreach calls and a copy in all, however many tensors. The engine copies it to the
    host with the step's other figures, where `layers()` sums it up per layer: P is tens, and
    a dozen tiny device ops cost more than that arithmetic in Python.
    """

    def __init__(self, layers: list[tuple[str, list[nn.Parameter]]]):
        self.names = [name for name, _ in layers]
        self.params = [p for _, ps in layers for p in ps]
        self.weights = [p.detach() for p in self.params]
        self.before: list[torch.Tensor] | None = None  # buffers for the weights before a step
        self.spans: list[range] = []  # each layer's parameter tensors, as indices into params
        self.numel: list[int] = []
        i = 0
        for _, ps in layers:
            self.spans.append(range(i, i + len(ps)))
            self.numel.append(sum(p.numel() for p in ps))
            i += len(ps)

    def _grads(self) -> list[torch.Tensor]:
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
        return [g.to_dense() if g.is_sparse else g for g in grads]

    def histograms(self) -> torch.Tensor:
        """[2, L, HIST_BINS] int64: per layer, how many of its gradient values, then of its
        weight values, fall in each signed-decade bin (tuidl.events.hist_edges); on the device.
        Call it before the optimizer step: the gradients that step applies."""
        if not self.params:
            return torch.zeros(2, 0, HIST_BINS, dtype=torch.long)
        grads = self._grads()
        rows = [decade_counts([grads[j] for j in span]) for span in self.spans]
        rows += [decade_counts([self.weights[j] for j in span]) for span in self.spans]
        return torch.stack(rows).view(2, len(self.spans), HIST_BINS)

    def begin(self) -> tuple:
        """Before clipping and the optimizer step (logged steps only): the gradient norms
        (L2, L1, max) and the weights' L2 norms, and a copy of the weights."""
        if not self.params:
            return [], [], [], []
        grads = self._grads()
        if self.before is None or self.before[0].device != self.weights[0].device:
            self.before = [w.clone() for w in self.weights]
        else:
            torch._foreach_copy_(self.before, self.weights)
        l2 = list(torch._foreach_norm(grads + self.before, 2))
        return (l2, list(torch._foreach_norm(grads, 1)),
                list(torch._foreach_norm(grads, float("inf"))), self.before)

    def finish(self, begun: tuple) -> torch.Tensor:
        """After the step: [5, P] per parameter tensor = |g|2, |w|2 (before), |dw|2, |g|1,
        max |g| (float32, on the device)."""
        l2, l1, mx, before = begun
        if not self.params:
            return torch.zeros(5, 0)
        torch._foreach_sub_(before, self.weights)  # the buffers now hold -(the update)
        dw = list(torch._foreach_norm(before, 2))
        return torch.stack(l2 + dw + l1 + mx).float().view(5, -1)

    def layers(self, raw: list[list[float]]) -> list[tuple[float, float, float, float, float]]:
        """Per layer, from `finish()`'s figures on the host: gradient L2 norm, mean |g|,
        max |g|, weight norm (before the step) and update ratio ||dw|| / ||w||."""
        g2, w2, d2, g1, gmax = raw
        out = []
        for span, n in zip(self.spans, self.numel):
            g = math.sqrt(sum(g2[j] * g2[j] for j in span))
            w = math.sqrt(sum(w2[j] * w2[j] for j in span))
            d = math.sqrt(sum(d2[j] * d2[j] for j in span))
            out.append((g, sum(g1[j] for j in span) / n, _max(gmax[j] for j in span), w,
                        d / max(w, 1e-12)))
        return out

    def compute(self) -> list[tuple[float, float, float]]:
        """Per layer (gradient norm, mean |g|, max |g|) of the current gradients (no step)."""
        return [row[:3] for row in self.layers(self.finish(self.begin()).tolist())]


def decade_counts(tensors: list[torch.Tensor]) -> torch.Tensor:
    """[HIST_BINS] counts of the values of `tensors` by signed decade of |value|, on their
    device with no host sync (a fixed set of bins: no range to read first)."""
    t = torch.cat([x.detach().reshape(-1) for x in tensors]).float()
    # decade of |v|: 0 (log10 = -inf) is counted as zero below, NaN with the largest
    d = torch.floor(torch.log10(t.abs())).nan_to_num_(nan=HIST_TOP, posinf=HIST_TOP,
                                                       neginf=HIST_BOTTOM - 1)
    m = (d - (HIST_BOTTOM - 1)).clamp_(0, HIST_SIDE - 1).long()
    idx = torch.where(t > 0, HIST_SIDE + 1 + m, HIST_SIDE - 1 - m)
    idx = torch.where(t == 0, HIST_SIDE, idx)
    return torch.bincount(idx, minlength=HIST_BINS)


def _max(values) -> float:
    """max that is NaN when any value is (Python's max keeps or drops a NaN by position)."""
    values = list(values)
    return math.nan if any(v != v for v in values) else max(values)
