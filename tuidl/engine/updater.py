"""The update a task asks for after `backward()`: measure the gradients (on logged steps),
clip them, step the optimizer and zero the gradients, for one model at a time."""
from __future__ import annotations

import torch

from tuidl.engine.gradstats import GradStatsProbe, named_layers
from tuidl.engine.task import Task


class Updater:
    """What a task calls after `backward()`: measure, clip, step, zero."""

    def __init__(self, task: Task, grad_clip: float):
        several = len(task.optimizers) > 1
        self.task = task
        self.grad_clip = grad_clip
        self.probes = {name: GradStatsProbe(named_layers(task.models[name],
                                                         f"{name}." if several else ""))
                       for name in task.optimizers}
        self.params = {name: [p for g in opt.param_groups for p in g["params"]]
                       for name, opt in task.optimizers.items()}
        self.capture = False
        self.captured: dict[str, torch.Tensor] = {}
        self.histogram = False  # on a captured step, the layers' histograms too
        self.histograms: dict[str, torch.Tensor] = {}

    def __call__(self, name: str) -> None:
        probe = self.probes[name]
        if self.capture:  # gradients before clipping: what the network produced
            begun = probe.begin()
            if self.histogram:
                self.histograms[name] = probe.histograms()
        if self.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.params[name], self.grad_clip, foreach=True)
        opt = self.task.optimizers[name]
        opt.step()
        opt.zero_grad(set_to_none=True)
        if self.capture:  # [5, L]: norm, mean |g|, max |g|, weight norm, update ratio
            self.captured[name] = probe.finish(begun)
