"""The contract between a family's task and the engine, owned by the engine.

A task owns its data (tensors on the device), its model(s) and optimizer(s). The engine owns the
loop: it shuffles indices `0..n_train-1` on the device, hands each batch of indices to
`train_step` with the step's context (`Step`: its index, whether it is logged), evaluates once
per epoch (telling the task whether to draw its view), and records everything as events. A
step computes its losses, calls `backward()`, then `update(name)`, which lets the engine
measure the gradients of model `name`, clip them and step its optimizer (and zero its
gradients). A GAN calls `update("D")` and `update("G")`; the others call `update("model")`.

A step returns detached tensors. Besides its figures it may return probes the engine emits as
events of their own: `time_grads` ([T] norms of dL/dh_t of a recurrent model, on a logged
step). The engine never reads or resets a task's attributes; the task never calls the engine
beyond `update`.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable

import torch
from torch import nn

from tuidl.engine.distributed import SINGLE, World, check_family
from tuidl.specs import Family, get_family

PROBES = ("time_grads",)  # step outputs that are probes, not figures to sum


@dataclass(frozen=True)
class Step:
    """What the engine tells a step: its 0-based index in the run, and whether its figures
    and statistics are recorded (a logged step may afford a probe)."""
    index: int = 0
    logged: bool = False


@dataclass
class Evaluation:
    metrics: dict[str, Any]  # numbers, and per-class figures as {class name: number or None}
    confusion: tuple[list[str], list[list[int]]] | None = None  # (labels, matrix) on val set
    view: tuple[str, dict[str, Any]] | None = None  # (kind, json-able data)


@dataclass
class Finish:
    """What a task adds at the end: final-only metrics (a test score) and a one-line verdict."""
    metrics: dict[str, Any] = field(default_factory=dict)
    message: str = ""


class Task(ABC):
    family: str = ""  # the name of its spec in tuidl.specs
    unit = "samples"  # what throughput counts: samples/s, words/s
    world: World = SINGLE  # set by `distribute` in a distributed run

    def __init__(self, config: dict[str, Any], device: torch.device):
        self.config = config
        self.device = device
        self.models: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.n_train = 0
        self.batch_size = int(config["batch_size"])
        self.warnings: list[str] = []  # what the data needed, said once at the start

    @property
    def spec(self) -> Family:
        return get_family(self.family)

    @property
    def steps_per_epoch(self) -> int:
        return max(1, math.ceil(self.n_train / self.batch_size))

    @abstractmethod
    def train_step(self, idx: torch.Tensor, update: Callable[[str], None],
                   step: Step = Step()) -> dict[str, torch.Tensor]:
        """One step on the batch `idx`; returns detached tensors (no `.item()`): scalars,
        or whatever `reduce_outputs` turns into scalars later, and any PROBES."""

    def reduce_outputs(self, outs: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        """The sums over steps of each figure (0-d float64 tensors), from several steps'
        `train_step` outputs; the engine divides by the number of steps. Called once per log
        interval, so a figure that costs kernels (an accuracy) is computed here for many steps
        at once. Summing float32 step figures in float64 is exact, which keeps a resumed run's
        means identical to an uninterrupted one's."""
        return {k: torch.stack([o[k] for o in outs]).double().sum() for k in outs[0]}

    @abstractmethod
    def evaluate(self, view: bool = True) -> Evaluation:
        """Score the model; draw the task view only when `view` (the engine's schedule)."""

    def distribute(self, world: World) -> None:
        """Train as one rank of `world` (DistributedDataParallel). Families that support it
        override this; the others refuse (the runner checks the family before it starts)."""
        check_family(self.spec, world)

    def finish(self, metrics: dict[str, float]) -> Finish:
        return Finish()

    def export(self, run_dir) -> None:
        """At the end of a run: the model weights (families add their own results)."""
        from tuidl.exports import save_weights
        save_weights(self.models, run_dir)

    def checkpoint_state(self) -> dict[str, Any]:
        """What a checkpoint must keep beyond models and optimizers (e.g. a count the task
        keeps; the lr schedules are the engine's), as tensors and plain values."""
        return {}

    def restore_checkpoint_state(self, state: dict[str, Any]) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        """Models, optimizers and the task's own state, for a checkpoint."""
        return {"models": {n: m.state_dict() for n, m in self.models.items()},
                "optimizers": {n: o.state_dict() for n, o in self.optimizers.items()},
                "task": self.checkpoint_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name, model in self.models.items():
            model.load_state_dict(state["models"][name])
        for name, opt in self.optimizers.items():
            opt.load_state_dict(state["optimizers"][name])
        self.restore_checkpoint_state(state["task"])

    def samples_in(self, idx: torch.Tensor) -> int:
        """How many `unit`s a step on `idx` processes (for throughput)."""
        return len(idx)

    def lr_decay(self) -> Callable[[int], float] | None:
        """A schedule of the family's own: the lr at step s as a share of its base, multiplied
        into the run's `schedule` (tuidl.engine.schedule); None when there is none."""
        return None

    def set_lr(self, lr: float) -> None:
        """Every learning rate to `lr` (a front end's request, in a run without schedules:
        tuidl.engine.schedule moves the schedules' base lrs instead)."""
        for opt in self.optimizers.values():
            for group in opt.param_groups:
                group["lr"] = lr

    def scale_lr(self, factor: float) -> None:
        """Every learning rate times `factor`, from the value in use ([ and ] in the app)."""
        for opt in self.optimizers.values():
            for group in opt.param_groups:
                group["lr"] *= factor
