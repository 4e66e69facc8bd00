"""The training loop shared by every family.

Cost model: a step launches the task's kernels and adds its scalars into device-side sums; the
host reads those sums (one sync) only every `log_every` steps, together with the gradient
statistics of that step. Evaluation happens once per epoch and may sync freely.
"""
from __future__ import annotations

import math
import os
import time
import traceback
from typing import Any, Callable

import torch

from tuidl.config import TuidlError
from tuidl.diagnose import Diagnoser
from tuidl.engine.activations import ActivationProbe
from tuidl.engine.checkpoint import (FORMAT, checkpoint_position, load_checkpoint,
                                    save_checkpoint)
from tuidl.engine.control import Control
from tuidl.engine.device import rng_state, set_rng_state
from tuidl.engine.distributed import SINGLE, World, shard
from tuidl.engine.early_stop import EarlyStopping
from tuidl.engine.faults import (disk_message, first_bad_layer, first_bad_step,
                                 is_disk_error, is_out_of_memory, out_of_memory_message)
from tuidl.engine.gradstats import lookup_layers
from tuidl.engine.meter import Meter
from tuidl.engine.reporting import Reporting
from tuidl.engine.schedule import Schedule
from tuidl.engine.settings import RunSettings
from tuidl.engine.signals import signal_name
from tuidl.engine.steering import Steering
from tuidl.engine.task import PROBES, Step, Task
from tuidl.engine.updater import Updater
from tuidl.events import (ActivationHealth, Confusion, EvalMetrics, Event, Status, Summary,
                          TaskView)


CHECKPOINT_EVERY_S = 2.0
ACTIVATIONS_EVERY = 5  # evals between activation-health readings
HISTOGRAMS_EVERY = 5  # logged steps between gradient and weight histograms (the first is one)


class Engine(Reporting, Steering):
    def __init__(self, task: Task, config: dict[str, Any], emit: Callable[[Event], None],
                 *, preset: str = "", lesson: str = "", run_dir: str | None = None,
                 control: Control | None = None,
                 checkpoint_path: str | None = None, resume_from: str | None = None,
                 world: World = SINGLE, max_steps: int | None = None, trust: bool = False,
                 on_resume: Callable[[int], None] | None = None):
        """`world`: this process's place in a distributed run (see tuidl.engine.distributed):
        each rank trains on its shard of every batch, step figures are averaged across ranks
        and a stop is agreed at log steps; only rank 0 should be given sinks and a
        checkpoint path. `max_steps`: stop after that many steps and one evaluation (a dry
        run). `trust`: the checkpoint to resume from may be in an older tuidl's format (see
        tuidl.engine.checkpoint). `on_resume(step)`: called once
        the checkpoint to resume from is loaded, before any event (the runner cuts what the
        run recorded past that step)."""
        self.on_resume = on_resume
        self.task, self.config, self.emit = task, config, emit
        self.spec = task.spec
        self.world = world
        self.preset, self.lesson, self.run_dir = preset, lesson, run_dir
        self.control = control or Control()
        self.checkpoint_path, self.resume_from = checkpoint_path, resume_from
        self.trust = trust
        self.settings = s = RunSettings.of(config)
        self.epochs = s.epochs
        self.max_steps = max_steps  # a dry run: this many steps, then one evaluation
        self.updater = Updater(task, s.grad_clip)
        # the lr schedules (none for a constant lr): stepped after each step and its log
        self.schedule = Schedule(task, config, task.steps_per_epoch * self.epochs)
        self.gen = torch.Generator(device=task.device)
        self.gen.manual_seed(s.seed)
        self.step = self.epoch = 0
        self.batch = 0  # the next batch of the epoch (a checkpoint mid-epoch resumes there)
        self.perm_state = self.gen.get_state()  # what drew this epoch's order
        self.meter = Meter(task.reduce_outputs, world)
        self.stopping = EarlyStopping(s.patience)
        self.diagnoser = Diagnoser(grad_clip=s.grad_clip,
                                   remedies=self.spec.remedies_for(self.config),
                                   lookups=lookup_layers(task.models))
        self.time_grads: torch.Tensor | None = None  # the latest step's probe, until logged
        self.diverged_at: int | None = None
        self.metrics: dict[str, float] = {}
        self.error_traceback = ""
        self.paused = False
        self.seen_changes = -1  # the control's change counter at the last look (none yet)
        self.waited = 0.0  # seconds spent paused since the last log: not training time
        self.saved_at = -math.inf
        self.interrupted = False  # a second Ctrl+C: the run ends at its last checkpoint
        self.n_evals = 0
        self.diagnostics = s.diagnostics
        self.activations = ActivationProbe(task.models if self.diagnostics else {})

    # -- state ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything a run needs to go on exactly where it is, as tensors and plain values
        (each part saves its own): the task's models, optimizers and extra state, the loop's
        position (epoch, the next batch, the generator state that draws the epoch's order),
        the lr schedules, the meter's sums, early stopping, the diagnoser, the evals so far
        and every RNG."""
        return {"format": FORMAT, **self.task.state_dict(),
                "step": self.step, "epoch": self.epoch, "batch": self.batch,
                "generator": self.perm_state, "meter": self.meter.state_dict(),
                "early_stopping": self.stopping.state_dict(),
                "diagnoser": self.diagnoser.state_dict(), "metrics": dict(self.metrics),
                "n_evals": self.n_evals, "rng": rng_state(self.task.device),
                "schedule": self.schedule.state_dict(), "config": self.config}

    def load_state_dict(self, state: dict[str, Any], path: str) -> None:
        try:
            self.task.load_state_dict(state)
        except (KeyError, RuntimeError, ValueError) as e:
            first = str(e).strip().splitlines()[0][:160]
            raise TuidlError(f"{path}: does not match this run's config.toml (the model or "
                             f"optimizer changed: {first})") from None
        position = (state["step"], state["epoch"], state["batch"], state["n_evals"])
        if not (all(type(v) is int and v >= 0 for v in position)
                and state["batch"] < self.task.steps_per_epoch):
            raise TuidlError(f"{path}: its position (step, epoch, batch, evals "
                             f"{', '.join(map(str, position))}) is not one this run can be at; "
                             "restore the file or start the run again")
        try:
            self.meter.load_state_dict(state["meter"])
            self.stopping.load_state_dict(state["early_stopping"])
            self.diagnoser.load_state_dict(state["diagnoser"])
            self.schedule.load_state_dict(state.get("schedule"), position[0])
            self.metrics = dict(state["metrics"])
            self.gen.set_state(state["generator"].cpu())
            set_rng_state(state["rng"])
        except (KeyError, TypeError, ValueError, RuntimeError, AttributeError, IndexError) as e:
            raise TuidlError(f"{path}: a damaged checkpoint ({type(e).__name__} in its "
                             "state); restore the file or start the run again") from None
        self.step, self.epoch, self.batch, self.n_evals = position

    # -- loop -----------------------------------------------------------------------------
    def run(self) -> Summary:
        t0 = time.perf_counter()
        if self.resume_from:
            state = load_checkpoint(self.resume_from, self.task.device, trust=self.trust)
            self.load_state_dict(state, self.resume_from)
            if self.on_resume is not None:
                self.on_resume(self.step)
        self._run_start()
        self._emit(Status, status="running")
        status, message = "completed", ""
        self.sampler = self._start_sampler()
        try:
            self.control.interruptible = True  # a second Ctrl+C is raised only in here
            status, message = self._train()
            self.control.interruptible = False
        except KeyboardInterrupt:  # a second Ctrl+C: the last checkpoint stands
            status, message = "stopped", self._interrupted()
        except Exception as e:  # the run fails, the program does not
            self.control.interruptible = False
            status, message = "failed", f"{type(e).__name__}: {e}"
            if is_out_of_memory(e):
                message = out_of_memory_message(e, self.task.device, self.task.batch_size)
            elif is_disk_error(e):
                message = disk_message(e, self.run_dir)
            self.error_traceback = traceback.format_exc()
        system = None
        if self.sampler is not None:
            self.sampler.close()
            system = self.sampler.summary()
        finish = self.task.finish(self.metrics) if status not in (
            "failed", "diverged") and not self.interrupted else None
        metrics = dict(self.metrics)
        if finish:
            metrics.update(finish.metrics)
            message = "; ".join(m for m in (message, finish.message) if m)
        self._emit(Status, status=status, message=message)
        summary = Summary(step=self.step, epoch=self.epoch, preset=self.preset, status=status,
                          epochs=self.epoch, steps=self.step,
                          seconds=round(time.perf_counter() - t0, 3),
                          device=str(self.task.device), run_dir=self.run_dir, metrics=metrics,
                          message=message, world_size=self.world.size, system=system,
                          diagnosis=d.as_dict() if (d := self.diagnoser.last) else None)
        self.emit(summary)
        return summary

    def _start_sampler(self):
        """The hardware readings' thread (tuidl.engine.system), on the rank that writes; in a
        distributed CUDA run it shows every GPU of this node's ranks."""
        if not self.world.main:
            return None
        from tuidl.engine import system
        gpus = None
        if self.world.active and self.task.device.type == "cuda":
            gpus = list(range(int(os.environ.get("LOCAL_WORLD_SIZE", "1"))))
        return system.SystemSampler(self.task.device, lambda: self.step, gpus=gpus,
                                    every=system.SYSTEM_EVERY_S).start()

    def _train(self) -> tuple[str, str]:
        """Train to the end; a divergence under a front end that asked for it goes back to
        the last finite checkpoint and pauses there instead of ending the run."""
        if (getattr(self.control, "pause_on_divergence", False) and self.checkpoint_path
                and not os.path.isfile(self.checkpoint_path)):
            # a run that diverges before its first evaluation (exploding, at step 4) still
            # has a finite checkpoint to go back to: its start
            save_checkpoint(self.checkpoint_path, self)
        while True:
            status, message = self._epochs()
            if status != "diverged" or not self._back_to_checkpoint(message):
                return status, message

    def _epochs(self) -> tuple[str, str]:
        task, dev, meter = self.task, self.task.device, self.meter
        samples, t_log = 0, time.perf_counter()
        log_every = self.settings.log_every
        while self.epoch < self.epochs:
            self.perm_state = self.gen.get_state()  # a checkpoint mid-epoch redraws the order
            perm = torch.randperm(task.n_train, device=dev, generator=self.gen)
            for b in range(self.batch, task.steps_per_epoch):
                self.batch = b
                if not self._wait_if_paused():
                    return self._stopped()
                idx = perm[b * task.batch_size:(b + 1) * task.batch_size]
                log_now = (self.step + 1) % log_every == 0 or self.paused  # single steps show
                self.updater.capture = log_now and self.diagnostics and self.world.main
                logs = (self.step + 1) // log_every  # logged steps so far, this one too
                self.updater.histogram = (logs - 1) % HISTOGRAMS_EVERY == 0
                out = task.train_step(shard(idx, self.world), self.updater,
                                      Step(self.step, log_now))
                for probe in PROBES:  # probes are emitted at the log, not summed
                    if (value := out.pop(probe, None)) is not None:
                        self.time_grads = value
                meter.add(out)
                samples += task.samples_in(idx)  # the global batch: every rank's samples
                self.step += 1
                if log_now:
                    now = time.perf_counter()
                    meter.fold()
                    sums, count = meter.interval()
                    busy = max(now - t_log - self.waited, 1e-9)  # a pause is not training
                    if not self._log(sums, count, samples / busy):
                        return "diverged", self._divergence("the loss")
                    samples, t_log, self.waited = 0, now, 0.0
                self.schedule.step()  # the next step's lrs (a log shows those of its last)
                if self.max_steps is not None and self.step >= self.max_steps:
                    self.epochs = self.epoch + 1  # a dry run: this epoch's eval is the last
                    break
            self.batch = 0
            self.perm_state = self.gen.get_state()  # what will draw the next epoch's order
            self.epoch += 1
            meter.fold()
            verdict = self._evaluate(meter.epoch_means())
            if verdict:
                return verdict
        return "completed", ""

    def _stopped(self) -> tuple[str, str]:
        """Stopped between two steps: checkpoint this exact position (unless the weights went
        non-finite since the last log: then it is a divergence and the last checkpoint stays)."""
        if first_bad_step(self.meter.window, self.step) is not None:
            return "diverged", self._divergence("the loss")
        self.meter.fold()
        if self.checkpoint_path:
            save_checkpoint(self.checkpoint_path, self)
        signum = getattr(self.control, "stop_signal", 0)
        why = f"stopped by {signal_name(signum)}" if signum else "stopped by user"
        return "stopped", why + (f"; resume with: tuidl run --resume {self.run_dir}"
                                 if self.run_dir and self.checkpoint_path else "")

    def _interrupted(self) -> str:
        """Cut short anywhere (mid-step, mid-checkpoint): the run is what its checkpoint file
        holds, so the summary names that position and its metrics, not the lost steps'."""
        self.interrupted, at = True, self.step
        self.control.interruptible = False
        kept = checkpoint_position(self.checkpoint_path) if self.checkpoint_path else None
        if kept is None and self.checkpoint_path and os.path.isfile(self.checkpoint_path):
            return (f"interrupted at step {at}; the last checkpoint stands; resume with: "
                    f"tuidl run --resume {self.run_dir}")  # one of an older format
        if kept is None:
            self.step = self.epoch = 0
            self.metrics = {}
            return f"interrupted at step {at}, before a checkpoint: nothing to resume"
        self.step, self.epoch, self.metrics = kept
        return (f"interrupted at step {at}; the checkpoint of step {self.step} stands; resume "
                f"with: tuidl run --resume {self.run_dir}")

    def _divergence(self, what: str) -> str:
        """One line: the first non-finite step, the first non-finite layer and a remedy."""
        step = first_bad_step(self.meter.window, self.step) or self.step
        layer = first_bad_layer(self.task.models)
        self.diverged_at = step
        remedy = self.diagnoser.remedy("diverged")
        where = f" (first non-finite layer: {layer})" if layer else ""
        return f"{what} went NaN/inf at step {step}{where}; {remedy}"

    def _activations_due(self) -> bool:
        """Activation health every ACTIVATIONS_EVERY evals, and at the first and the last."""
        return (self.n_evals == 1 or self.n_evals % ACTIVATIONS_EVERY == 0
                or self.epoch >= self.epochs)

    def _view_due(self) -> bool:
        """The task view at the first eval, every `view_every` evals and at the last: decided
        here, from the evals counted in the checkpoint, so a resumed run draws the same."""
        every = self.settings.view_every
        return self.n_evals == 1 or self.n_evals % every == 0 or self.epoch >= self.epochs

    def _evaluate(self, train_means: dict[str, float]) -> tuple[str, str] | None:
        with torch.no_grad():
            self.n_evals += 1
            view = self._view_due()
            if self.activations and self._activations_due():
                with self.activations:
                    ev = self.task.evaluate(view)
                self._emit(ActivationHealth, **self.activations.read())
            else:
                ev = self.task.evaluate(view)
        metrics = {k: float(v) for k, v in train_means.items()}
        metrics.update(ev.metrics)
        self.metrics = metrics
        self._emit(EvalMetrics, metrics=metrics)
        if ev.confusion is not None:
            labels, matrix = ev.confusion
            self._emit(Confusion, labels=labels, matrix=matrix)
        if ev.view is not None:
            self._emit(TaskView, kind=ev.view[0], data=ev.view[1])
        if not all(math.isfinite(v) for v in metrics.values() if isinstance(v, float)):
            return "diverged", self._divergence("the evaluation metrics")
        reason = self.stopping.update(metrics.get("val_loss"), self.task.models, metrics,
                                      self.epoch)
        if reason and self.stopping.restore(self.task.models):
            # the run ends with its best eval's weights, and its figures are that eval's
            self.metrics = dict(self.stopping.best_metrics)
            reason += (f"; the weights of epoch {self.stopping.best_epoch}, its best, are "
                       "restored")
        stop = ("completed", reason) if reason else None
        # after an eval, at most every CHECKPOINT_EVERY_S seconds, and always at the end: a
        # stopped run resumes from its last checkpoint, at worst redoing those seconds
        now = time.perf_counter()
        last = stop is not None or self.epoch >= self.epochs
        if self.checkpoint_path and (last or now - self.saved_at >= CHECKPOINT_EVERY_S):
            save_checkpoint(self.checkpoint_path, self)
            self.saved_at = now
        return stop
