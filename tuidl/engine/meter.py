"""Step figures to logged means: the interval's and the epoch's sums, folded lazily.

A step only keeps its outputs (no arithmetic, no host sync). At each log, epoch end and
checkpoint the task reduces the outputs not yet counted (`Task.reduce_outputs`: a few kernels
for many steps), the sums are averaged across ranks in a distributed run and copied to the
host once. Summing float32 step figures in float64 is exact, so the totals do not depend on
where a stop split the steps: a resumed run's means equal an uninterrupted one's.
"""
from __future__ import annotations

from typing import Any, Callable

import torch

from tuidl.engine.distributed import SINGLE, World, mean

Reduce = Callable[[list[dict[str, torch.Tensor]]], dict[str, torch.Tensor]]


class Meter:
    def __init__(self, reduce: Reduce, world: World = SINGLE):
        self.reduce, self.world = reduce, world
        self.window: list[dict[str, torch.Tensor]] = []  # step outputs since the last log
        self.folded = 0  # how many of them the sums hold
        self.sums: dict[str, float] = {}  # this log interval's
        self.count = 0
        self.epoch_sums: dict[str, float] = {}
        self.epoch_count = 0

    def add(self, out: dict[str, torch.Tensor]) -> None:
        self.window.append(out)
        self.count += 1
        self.epoch_count += 1

    def fold(self) -> None:
        """Add the outputs not yet counted to both sums (one copy to the host)."""
        new = self.window[self.folded:]
        self.folded = len(self.window)
        if not new:
            return
        reduced = self.reduce(new)
        keys = list(reduced)
        stacked = mean(torch.stack([reduced[k] for k in keys]), self.world)  # across ranks
        for k, v in zip(keys, stacked.tolist()):
            self.sums[k] = self.sums.get(k, 0.0) + v
            self.epoch_sums[k] = self.epoch_sums.get(k, 0.0) + v

    def interval(self) -> tuple[dict[str, float], int]:
        """The interval's sums and step count, and a fresh interval (call after `fold`)."""
        sums, count = self.sums, self.count
        self.sums, self.count = {}, 0
        self.window, self.folded = [], 0
        return sums, count

    def epoch_means(self) -> dict[str, float]:
        """`train_<figure>` means of the epoch, and a fresh epoch (call after `fold`)."""
        means = {f"train_{k}": v / self.epoch_count for k, v in self.epoch_sums.items()}
        self.epoch_sums, self.epoch_count = {}, 0
        return means

    def drop_window(self) -> None:
        """Forget unfolded outputs (the run went back to a checkpoint)."""
        self.window, self.folded = [], 0

    def state_dict(self) -> dict[str, Any]:
        self.fold()
        return {"sums": dict(self.sums), "count": self.count,
                "epoch_sums": dict(self.epoch_sums), "epoch_count": self.epoch_count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.sums = {k: float(v) for k, v in state["sums"].items()}
        self.epoch_sums = {k: float(v) for k, v in state["epoch_sums"].items()}
        self.count, self.epoch_count = int(state["count"]), int(state["epoch_count"])
        self.drop_window()
