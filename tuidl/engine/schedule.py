"""Learning-rate schedules: the lr of every optimizer of a run as a function of its step.

A schedule is a factor of the step (`factor`), applied per optimizer step rather than per
epoch, so a run of 3 epochs warms up as smoothly as one of 300. `lr` (and a GAN's lr_g and
lr_d) is the schedule's base, its peak: the lr in use at step s is base x factor(s), with s
counted from 0 over the run's `epochs x steps_per_epoch` steps (T):

    constant       1
    step           lr_gamma ^ floor(s / lr_step_every)
    cosine         m + (1 - m) (1 + cos(pi s / T)) / 2                          (m = min_lr)
    warmup_cosine  (s + 1) / W while s < W (W = round(warmup x T)), then the cosine over the
                   remaining T - W steps
    one_cycle      rises from 1/25 to 1 over W steps (half a cosine), then falls to m (half a
                   cosine): Smith's one-cycle, torch's OneCycleLR without momentum cycling

The schedulers step after each training step, once it is logged: a log (the `Scalars`
event) shows the lr its last step trained with, a pause the one the next step will use.

The factors are closed forms, and torch's LambdaLR applies them (one per optimizer): it keeps
the base lrs and the step count, and its state goes into the checkpoint, so a resumed run
takes exactly the lrs of one never stopped (closed forms, unlike the chained updates of
torch's CosineAnnealingLR, do not drift with float rounding). A task may have a schedule of
its own (`Task.lr_decay`: the GAN's lr_end), multiplied in. `constant` with no schedule of
the task's own builds no scheduler at all: the lr is never touched, as before schedules.

A front end's lr change (`[`/`]` in the app) scales the base, so the two compose: doubling the
lr mid-warmup doubles the rest of the warmup and the peak too.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from torch.optim.lr_scheduler import LambdaLR

from tuidl.specs.common import SCHEDULES
ONE_CYCLE_START = 1 / 25  # one_cycle starts at lr / 25, as torch's OneCycleLR (div_factor)


@dataclass(frozen=True)
class Shape:
    """A schedule and its knobs, for a run of `total` steps."""
    kind: str = "constant"
    total: int = 1
    warmup: float = 0.1  # share of the run the lr rises over (warmup_cosine, one_cycle)
    min_lr: float = 0.0  # the end of a cosine, as a share of the base lr
    every: int = 1000  # step: steps between two drops
    gamma: float = 0.1  # step: the factor of each drop

    @classmethod
    def of(cls, config: dict[str, Any], total: int) -> Shape:
        """The config's schedule; a config without one (a family or a run saved before
        schedules) is constant."""
        d = cls()
        kind = str(config.get("schedule", d.kind))
        if kind not in SCHEDULES:  # a config the spec did not validate (one built in code)
            raise ValueError(f"unknown schedule {kind!r}; one of {', '.join(SCHEDULES)}")
        return cls(kind=kind, total=max(1, int(total)),
                   warmup=float(config.get("warmup", d.warmup)),
                   min_lr=float(config.get("min_lr", d.min_lr)),
                   every=max(1, int(config.get("lr_step_every", d.every))),
                   gamma=float(config.get("lr_gamma", d.gamma)))

    @property
    def warmup_steps(self) -> int:
        return min(self.total - 1, round(self.warmup * self.total))

    def factor(self, s: int) -> float:
        """The lr at step s as a share of the base lr."""
        kind, total, m = self.kind, self.total, self.min_lr
        if kind == "constant":
            return 1.0
        if kind == "step":
            return self.gamma ** (s // self.every)
        w = self.warmup_steps if kind != "cosine" else 0
        if s < w:
            if kind == "warmup_cosine":
                return (s + 1) / w
            return ONE_CYCLE_START + (1 - ONE_CYCLE_START) * (1 - math.cos(math.pi * s / w)) / 2
        p = min(1.0, (s - w) / max(1, total - w))
        return m + (1 - m) * (1 + math.cos(math.pi * p)) / 2


class Schedule:
    """The schedulers of a task's optimizers (none for constant), and the front end's lr
    changes applied to their base."""

    def __init__(self, task, config: dict[str, Any], total_steps: int):
        self.task = task
        self.shape = shape = Shape.of(config, total_steps)
        own: Callable[[int], float] | None = task.lr_decay()
        if shape.kind == "constant" and own is None:
            self.schedulers: dict[str, LambdaLR] = {}
            return
        if own is None:
            factor = shape.factor
        elif shape.kind == "constant":
            factor = own
        else:
            def factor(s: int) -> float:
                return shape.factor(s) * own(s)
        # a plain function (not a bound method): LambdaLR's state then holds no code
        self.factor = lambda s: factor(s)
        self.schedulers = {name: LambdaLR(opt, self.factor)
                           for name, opt in task.optimizers.items()}

    def step(self) -> None:
        """After each training step: the lrs of the next one."""
        for scheduler in self.schedulers.values():
            scheduler.step()

    # -- a front end's requests -----------------------------------------------------------
    def set_base(self, lr: float) -> None:
        """Every base lr to `lr`; the lr in use follows the schedule from there."""
        if not self.schedulers:
            self.task.set_lr(lr)
        for scheduler in self.schedulers.values():
            self._rebase(scheduler, [lr] * len(scheduler.base_lrs))

    def scale(self, factor: float) -> None:
        """Every base lr times `factor` ([ and ] in the app): the lr in use scales with it,
        and so does the rest of the schedule."""
        if not self.schedulers:
            self.task.scale_lr(factor)
        for scheduler in self.schedulers.values():
            self._rebase(scheduler, [b * factor for b in scheduler.base_lrs])

    def _rebase(self, scheduler: LambdaLR, bases: list[float]) -> None:
        scheduler.base_lrs = bases
        f = self.factor(scheduler.last_epoch)  # the next step's index
        for group, base in zip(scheduler.optimizer.param_groups, bases):
            group["initial_lr"], group["lr"] = base, base * f
        scheduler._last_lr = [g["lr"] for g in scheduler.optimizer.param_groups]

    # -- checkpoints ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Each scheduler's state (base lrs, steps taken: plain values)."""
        return {name: s.state_dict() for name, s in self.schedulers.items()}

    def load_state_dict(self, state: dict[str, Any] | None, step: int) -> None:
        """Back to a checkpoint's schedule, after its optimizers (whose groups hold the lrs in
        use). A checkpoint without one (written before schedules) goes on from its step with
        the config's base lrs. A state that is not what a scheduler saves is a ValueError."""
        if not self.schedulers:
            return
        if not state:  # none saved, or a constant lr's (resumed with another schedule)
            for scheduler in self.schedulers.values():
                scheduler.last_epoch = scheduler._step_count = step
                self._rebase(scheduler, list(scheduler.base_lrs))
            return
        if not isinstance(state, dict) or set(state) != set(self.schedulers):
            raise ValueError("the lr schedule does not match this run's")
        for name, scheduler in self.schedulers.items():
            saved, fresh = state[name], scheduler.state_dict()
            bases = saved.get("base_lrs") if isinstance(saved, dict) else None
            if not (set(saved) <= set(fresh) and type(saved.get("last_epoch")) is int
                    and isinstance(bases, list) and len(bases) == len(fresh["base_lrs"])
                    and all(isinstance(b, float) and math.isfinite(b) for b in bases)):
                raise ValueError(f"the lr schedule of {name} is damaged")
            scheduler.load_state_dict(dict(saved))
