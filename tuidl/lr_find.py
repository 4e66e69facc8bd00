"""The learning-rate range test (Smith 2017, "Cyclical learning rates for training neural
networks", section 3.3; what PyTorch Lightning's and fastai's `lr_find` run).

Why: the lr is the hyperparameter that matters most, and its good range spans a decade or two
that differs with the model, the data and the optimizer. One short run finds it: train from the
preset's initial weights while the lr rises exponentially from `min_lr` to `max_lr`, one step
at each lr. While the lr is too small the loss does not move; in the good range it falls, the
faster the better; past it the loss climbs and blows up. The curve of loss against lr (log x)
shows the three regions at once.

How: the preset's task is built as `tuidl run` builds it (its seed: its data, its initial
weights); every optimizer's lr starts at `min_lr` and torch's ExponentialLR multiplies it by
(max/min)^(1/(steps-1)) after each step, so step i trains at min x (max/min)^(i/(steps-1)).
A step's loss is one batch's, so noisy: the curve is smoothed by the mean over a centred
window of a tenth of the steps. Not the exponential moving average (beta 0.98) of Lightning
and fastai: that one trails the loss by some 50 steps, half of a 100-step test, which drags
the curve's minimum a decade or more to the right (on mlp-spiral its smoothed loss had barely
begun to fall where the raw loss was lowest). The test stops early when the mean of the last
window passes 4x its lowest (Lightning's rule) or a loss is not finite: what comes after only
diverges further.

The suggestion is a tenth of the lr where the smoothed loss is lowest: the minimum is where
training is about to blow up, and one decade below it the loss still falls fast but safely
(the rule of thumb of Smith and of fastai's `lr_min`). Lightning suggests the steepest
descent of the smoothed loss instead; it is reported too, but it is the noisier of the two
and sits closer to the blow-up: for seeds 0-9 of mlp-spiral (`tuidl lr-find mlp-spiral
--seed N --json`) it ranged from 0.004 to 0.06, past 0.03, the highest lr measured to
converge, in 4 of them, where a tenth of the minimum stayed between 0.0007 and 0.009
(tests/test_lr_find.py holds the measured range).

Engine side: torch and the tasks, no UI. A family whose loss does not fall as it learns (a
GAN's is a game's; its spec says so with `loss_shows_progress`) is refused.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from tuidl.config import TuidlError

WINDOW = 0.1  # the smoothing window, as a share of the steps
BLOW_UP = 4.0  # stop once the smoothed loss is this many times its lowest
MIN_STEPS = 20


@dataclass
class LrFindResult:
    preset: str
    family: str
    min_lr: float
    max_lr: float
    steps: int  # asked for
    lrs: list[float] = field(default_factory=list)  # one per step taken
    losses: list[float] = field(default_factory=list)
    smoothed: list[float] = field(default_factory=list)
    stopped: str = ""  # why it stopped before `steps` ("" = it did not)
    suggestion: float | None = None  # a tenth of `lowest`
    lowest: float | None = None  # the lr of the lowest smoothed loss
    steepest: float | None = None  # the lr of its steepest descent (Lightning's suggestion)
    note: str = ""  # when the curve does not hold the whole story: how to widen the range
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"preset": self.preset, "family": self.family, "min_lr": self.min_lr,
                "max_lr": self.max_lr, "steps": self.steps, "steps_done": len(self.lrs),
                "stopped": self.stopped or None, "suggestion": self.suggestion,
                "lowest": self.lowest, "steepest": self.steepest, "note": self.note or None,
                "seconds": round(self.seconds, 3),
                "points": [{"lr": lr, "loss": _num(loss), "smoothed": _num(s)}
                           for lr, loss, s in zip(self.lrs, self.losses, self.smoothed)]}


def _num(v: float) -> float | None:
    return v if math.isfinite(v) else None  # JSON has no NaN


def check_range(min_lr: float, max_lr: float, steps: int) -> None:
    """The range and length of the test, or a TuidlError saying what to give."""
    if not (math.isfinite(min_lr) and min_lr > 0):
        raise TuidlError(f"--min-lr {min_lr}: give an lr > 0, e.g. 1e-6")
    if not (math.isfinite(max_lr) and max_lr > min_lr):
        raise TuidlError(f"--max-lr {max_lr}: give an lr above --min-lr {min_lr}, e.g. 1")
    if max_lr > 1e6:
        raise TuidlError(f"--max-lr {max_lr}: give an lr of at most 1e6")
    if not MIN_STEPS <= steps <= 100_000:
        raise TuidlError(f"--steps {steps}: give {MIN_STEPS} to 100000 steps")


def half_window(steps: int) -> int:
    return max(1, round(steps * WINDOW / 2))


def smooth(losses: list[float], half: int) -> list[float]:
    """The mean of the losses within `half` steps of each (fewer at the ends): a centred
    window, which does not lag."""
    return [sum(w) / len(w) for i in range(len(losses))
            for w in [losses[max(0, i - half):i + half + 1]]]


def analyse(result: LrFindResult) -> None:
    """The smoothed curve, its lowest point, its steepest descent and the suggestion."""
    half = half_window(result.steps)
    result.smoothed = s = smooth(result.losses, half)
    finite = [i for i, v in enumerate(s) if math.isfinite(v)]
    if len(finite) < 3:
        return
    lowest = min(finite, key=lambda i: s[i])
    result.lowest = result.lrs[lowest]
    if lowest < half:
        result.note = ("the loss never fell: the range starts too high; lower --min-lr (or "
                       "the preset does not train at all: check it with tuidl run)")
    elif lowest >= len(s) - half - 1 and not result.stopped:
        result.note = ("the loss was still falling at --max-lr: raise it to see where "
                       "training blows up")
    result.suggestion = result.lowest / 10
    # the steepest descent up to the lowest point (central differences, as numpy.gradient);
    # the lrs are evenly spaced in log, so the slope against the step is that against log lr
    best = math.inf
    for i in range(0, lowest + 1):
        a, b = max(0, i - 1), min(lowest, i + 1)
        if b > a and (slope := (s[b] - s[a]) / (b - a)) < best:
            best, result.steepest = slope, result.lrs[i]


def lr_find(preset: str, sets: list[str] | None = None, *, min_lr: float = 1e-6,
            max_lr: float = 1.0, steps: int = 100, seed: int | None = None,
            device: str | None = None,
            on_step: Callable[[int, float, float], None] | None = None) -> LrFindResult:
    """Run the range test on `preset` (with `--set` overrides). TuidlError for bad input: an
    unknown preset or value, a family whose loss does not fall, a bad range."""
    import time

    check_range(min_lr, max_lr, steps)
    from tuidl.runner import prepare
    prep = prepare(preset, sets or [], device=device, seed=seed)
    spec = prep.preset.spec
    if not spec.loss_shows_progress:
        raise TuidlError(f"{prep.preset.name}: the {spec.name} family's loss does not fall "
                         "as it learns, so a range test reads nothing in it; tune its lrs "
                         "with `tuidl compare --vary`")
    from tuidl.engine.device import denormals_flushed
    result = LrFindResult(prep.preset.name, spec.name, min_lr, max_lr, steps)
    t0 = time.perf_counter()
    with denormals_flushed():  # as a run trains
        _train(_build(prep), prep.config, result, on_step)
    result.seconds = time.perf_counter() - t0
    analyse(result)
    return result


def _build(prep):
    """The task as a run builds it: its device, threads and seed."""
    from tuidl.engine.device import resolve_device, seed_everything, set_cpu_threads
    config = prep.config
    dev = resolve_device(config["device"])
    if dev.type == "cpu":
        set_cpu_threads(int(config["threads"]))
    seed_everything(config["seed"])
    return prep.preset.spec.load_task()(config, dev)


def _train(task, config: dict[str, Any], result: LrFindResult, on_step) -> None:
    import torch
    from torch.optim.lr_scheduler import ExponentialLR

    from tuidl.engine.task import Step
    from tuidl.engine.updater import Updater

    n = result.steps
    gamma = (result.max_lr / result.min_lr) ** (1 / (n - 1))
    for opt in task.optimizers.values():
        for group in opt.param_groups:
            group["lr"] = result.min_lr
    schedulers = [ExponentialLR(opt, gamma) for opt in task.optimizers.values()]
    updater = Updater(task, float(config.get("grad_clip", 0.0)))
    gen = torch.Generator(device=task.device)
    gen.manual_seed(int(config["seed"]))
    key, half, best = task.spec.loss_key, half_window(n), math.inf
    step, perm = 0, None
    while step < n:
        b = step % task.steps_per_epoch
        if b == 0:
            perm = torch.randperm(task.n_train, device=task.device, generator=gen)
        idx = perm[b * task.batch_size:(b + 1) * task.batch_size]
        lr = next(iter(task.optimizers.values())).param_groups[0]["lr"]
        out = task.train_step(idx, updater, Step(step, False))
        value = out.get(key)
        if value is None or value.numel() != 1:
            value = task.reduce_outputs([out])[key]
        loss = float(value)
        result.lrs.append(lr)
        result.losses.append(loss)
        for scheduler in schedulers:
            scheduler.step()
        step += 1
        if on_step is not None:
            on_step(step, lr, loss)
        if not math.isfinite(loss):
            result.stopped = f"the loss went non-finite at lr {lr:.3g}"
            return
        recent = result.losses[-(2 * half + 1):]  # the last window: the stop cannot wait
        mean = sum(recent) / len(recent)
        best = min(best, mean)
        if step > 2 * half and mean > BLOW_UP * best:
            result.stopped = f"the smoothed loss passed {BLOW_UP:g}x its lowest at lr {lr:.3g}"
            return
