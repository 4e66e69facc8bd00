"""`tuidl.Monitor`: tuidl's gradient panel and diagnosis for any PyTorch training loop.

    mon = tuidl.Monitor(model, optimizer, out="runs", name="resnet")
    for x, y in batches:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad(); loss.backward(); optimizer.step()
        mon.step(loss=loss)                       # a tensor: no host sync
    mon.eval({"val_loss": vl, "val_accuracy": va}, confusion=matrix)
    mon.close()                                   # or: with tuidl.Monitor(...) as mon:

writes a run directory in tuidl's format (config.toml, events.jsonl, summary.json) that
`tuidl watch RUN_DIR` shows live: the loss, the per-layer gradient panel with its verdict,
histograms, activation health, the device panel.

Cost model, as in the engine: `step()` adds the scalars it is given into sums on their device;
the host reads them (one copy) every `log_every` steps, together with that step's gradient
statistics, which hooks on the optimizer measure on the device just before and after its step
(the gradients the step applies, the weights it changes). Histograms every `HISTOGRAMS_EVERY`
logs; activation health on one training batch every `ACTIVATIONS_EVERY` logs, by forward hooks
on the activation modules (functional activations cannot be hooked).

A monitor never breaks the training it watches: any error inside it is written to the run's
error.log, said once as a warning, and the monitor turns itself off; the loop goes on.
"""
from __future__ import annotations

import functools
import math
import time
import traceback
import warnings
from typing import Any, Mapping

import torch
from torch import nn

from tuidl.diagnose import Diagnoser
from tuidl.engine.activations import ActivationProbe
from tuidl.engine.gradstats import (GradStatsProbe, layer_table, lookup_layers,
                                    named_layers)
from tuidl.events import (ActivationHealth, Confusion, DiagnosisEvent, EvalMetrics, GradStats,
                          Histograms, RunStart, Scalars, Status, Summary, System)
from tuidl.specs import spec_of

FAMILY = "custom"
HISTOGRAMS_EVERY = 5  # logs between histograms (the first log has one)
ACTIVATIONS_EVERY = 5  # logs between activation-health readings


def _guarded(method):
    """Run a monitor method; an error turns the monitor off instead of reaching the loop."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if not self.enabled:
            return None
        try:
            return method(self, *args, **kwargs)
        except Exception:  # noqa: BLE001 - the user's training must go on
            self._disable(traceback.format_exc())
            return None
    return wrapper


class Monitor:
    """Records a training loop as a tuidl run directory. `model`: the module whose layers are
    measured; `optimizer` (optional): hooked to measure the gradients around its step (without
    one, `step()` reads the gradients left in `.grad`); `config`: the hyperparameters to keep
    (plain values); `total_steps`: for the progress bar; `log_every`: steps between readings;
    `hook_optimizer=False`: the optimizer only names the lr, and the caller measures with
    `before_step()` / `after_step()` (the Lightning callback does); `tensorboard`: also write
    TensorBoard event files into RUN_DIR/tensorboard/ (the optional extra `tensorboard`)."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer | None = None, *,
                 out: str = "runs", name: str = "custom", config: Mapping[str, Any] | None = None,
                 log_every: int = 10, total_steps: int = 0, activations: bool = True,
                 system: bool = True, hook_optimizer: bool = True, tensorboard: bool = False):
        from tuidl.rundir import RunDir
        from tuidl.sinks.jsonl import JsonlSink
        from tuidl.sinks.tables import CsvSink
        if not isinstance(model, nn.Module):
            raise TypeError(f"Monitor needs an nn.Module, not {type(model).__name__}")
        if int(log_every) < 1:
            raise ValueError(f"log_every must be at least 1, not {log_every}")
        if tensorboard:
            from tuidl.tensorboard import require
            require()  # a missing extra is said at once, before any file is made
        self.run = None
        self.enabled = _rank() == 0  # in a distributed run, rank 0 records; the others idle
        if not self.enabled:
            self.run_dir = ""
            return
        self.model, self.optimizer = model, optimizer
        self.log_every, self.total_steps = int(log_every), max(int(total_steps), 0)
        self.config = _plain_config(config or {})
        self.config.setdefault("log_every", self.log_every)
        self.spec = spec_of(FAMILY)
        self.step_count = self.epoch = 0
        self.status, self.message = "running", ""
        self.metrics: dict[str, Any] = {}
        self.name = str(name)[:100] or "custom"
        self.run = RunDir.create(out, self.name, _toml(self.config))
        self.run_dir = str(self.run.path)
        self.writers = [JsonlSink(self.run.events), CsvSink(self.run.path)]
        if tensorboard:
            from tuidl.tensorboard import FOLDER, TensorBoardSink
            self.writers.append(TensorBoardSink(self.run.path / FOLDER))
        self.probe = GradStatsProbe(named_layers(model))
        self.diagnoser = Diagnoser(remedies=self.spec.remedies_for(self.config),
                                   lookups=lookup_layers({"model": model}))
        self.acts = ActivationProbe({"model": model} if activations else {})
        self.acts_armed = False
        self.sums: dict[str, Any] = {}
        self.count = 0
        self.begun: tuple | None = None  # a measurement started before the optimizer step
        self.measured = False  # before_step() has run: steps are measured around the step
        self.captured: torch.Tensor | None = None
        self.hist: torch.Tensor | None = None
        self.hooks: list = []
        self.t0 = self.t_log = time.perf_counter()
        self.device = next((p.device for p in model.parameters()), torch.device("cpu"))
        self.sampler = None
        try:
            self._start(system, hook_optimizer)
        except Exception:
            self._disable(traceback.format_exc())

    # -- set-up ---------------------------------------------------------------------------
    def _start(self, system: bool, hook_optimizer: bool) -> None:
        if self.optimizer is not None and hook_optimizer:
            self.hooks.append(self.optimizer.register_step_pre_hook(self._before_step))
            self.hooks.append(self.optimizer.register_step_post_hook(self._after_step))
        layers = layer_table(self.model)
        self._emit(RunStart, preset=self.name, family=FAMILY, config=self.config,
                   device=str(self.device), layers=layers,
                   total_params=sum(layer["params"] for layer in layers),
                   total_steps=self.total_steps, run_dir=self.run_dir)
        self._emit(Status, status="running")
        if system:
            from tuidl.engine.system import SystemSampler
            self.sampler = SystemSampler(self.device, lambda: self.step_count).start()

    # -- the loop's calls -------------------------------------------------------------------
    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, kind, error, tb) -> None:
        if kind is None:
            self.close()
        elif issubclass(kind, KeyboardInterrupt):
            self.close("stopped", "stopped by user")
        else:
            self.close("failed", f"{kind.__name__}: {error}")

    def _logging_now(self) -> bool:
        return (self.step_count + 1) % self.log_every == 0

    @_guarded
    def before_step(self) -> None:
        """Measure the gradients the coming optimizer step applies (a logged step only). The
        optimizer hook calls it; call it yourself where no optimizer was given (or a Lightning
        callback's `on_before_optimizer_step`)."""
        self.measured = True  # from now on a step is measured here, not read from .grad
        if self._logging_now() and self.begun is None:
            self.begun = self.probe.begin()
            if self._logs() % HISTOGRAMS_EVERY == 0:
                self.hist = self.probe.histograms()

    @_guarded
    def after_step(self) -> None:
        """The update the step made (||dw|| / ||w||), after a `before_step()`."""
        if self.begun is not None:
            self.captured, self.begun = self.probe.finish(self.begun), None

    def _before_step(self, optimizer, args, kwargs) -> None:
        self.before_step()

    def _after_step(self, optimizer, args, kwargs) -> None:
        self.after_step()

    @_guarded
    def step(self, loss: Any = None, **scalars: Any) -> None:
        """One training step done: its loss and any other scalars (tensors stay on their
        device until the next log; numbers are fine too)."""
        values = dict(scalars)
        if loss is not None:
            values["loss"] = loss
        for key, v in values.items():
            v = v.detach().float().mean() if isinstance(v, torch.Tensor) else float(v)
            self.sums[key] = self.sums[key] + v if key in self.sums else v
        self.count += 1
        if self._logging_now():
            self._log()
        self.step_count += 1

    def _logs(self) -> int:
        """Logs made so far."""
        return (self.step_count + 1) // self.log_every - 1

    def _log(self) -> None:
        if self.begun is not None:  # a before_step without its after_step
            self.after_step()
        if self.captured is None and not self.measured:  # the gradients left in .grad
            if self._logs() % HISTOGRAMS_EVERY == 0:
                self.hist = self.probe.histograms()
            self.captured = self.probe.finish(self.probe.begin())
        # else no step was measured this time (a mixed-precision step skipped for an inf):
        # scalars only, rather than read gradients that are still scaled
        keys = list(self.sums)
        captured = self.captured if self.captured is not None else torch.zeros(0)
        tensors = [torch.as_tensor(self.sums[k], dtype=torch.float32).to(captured.device)
                   .reshape(1) for k in keys]
        host = torch.cat([*tensors, captured.reshape(-1)]).tolist()  # the log's one host sync
        now = time.perf_counter()
        values = {k: host[i] / self.count for i, k in enumerate(keys)}
        if self.optimizer is not None:
            values["lr"] = self.optimizer.param_groups[0]["lr"]
        values["steps_per_s"] = self.count / max(now - self.t_log, 1e-9)
        step = self.step_count + 1
        self._emit(Scalars, step=step, values=values)
        if self.captured is not None:
            raw = host[len(keys):]
            p = len(self.probe.params)
            stats = self.probe.layers([raw[i * p:(i + 1) * p] for i in range(5)])
            norms = [s[0] for s in stats]
            self._emit(GradStats, step=step, layers=self.probe.names, norm=norms,
                       mean_abs=[s[1] for s in stats], max_abs=[s[2] for s in stats],
                       weight_norm=[s[3] for s in stats], update_ratio=[s[4] for s in stats])
            self._diagnose(step, norms, values.get("loss"))
        if self.hist is not None:
            both = self.hist.tolist()
            self._emit(Histograms, step=step, layers=self.probe.names, grad=both[0],
                       weight=both[1])
        self._activations(step)
        if self.sampler is not None and (reading := self.sampler.take()) is not None:
            self._emit(System, step=step, **reading)
        self.sums, self.count, self.t_log = {}, 0, now
        self.captured = self.hist = None

    def _diagnose(self, step: int, norms: list[float], loss: float | None) -> None:
        if (d := self.diagnoser.changed(self.probe.names, norms, loss)) is not None:
            self._emit(DiagnosisEvent, step=step, **d.as_dict())

    def _activations(self, step: int) -> None:
        """Hooks armed after one log see the next training batch; the log after reads them."""
        if not self.acts:
            return
        if self.acts_armed:
            self.acts.__exit__(None, None, None)
            self.acts_armed = False
            if self.acts.stats:
                self._emit(ActivationHealth, step=step, **self.acts.read())
        elif self._logs() % ACTIVATIONS_EVERY == 0:
            self.acts.__enter__()
            self.acts_armed = True

    @_guarded
    def eval(self, metrics: Mapping[str, Any], confusion: Any = None,
             labels: list[str] | None = None) -> None:
        """An evaluation: its metrics (numbers or 0-d tensors; `val_loss`, `val_accuracy`…
        chart by name), and optionally a confusion matrix (rows true, columns predicted; a
        tensor, array or nested lists) with its class labels. Counts as the end of an epoch."""
        self.epoch += 1
        values = {str(k)[:100]: float(v) for k, v in metrics.items()}
        self.metrics.update(values)
        self._emit(EvalMetrics, step=self.step_count, metrics=values)
        if confusion is not None:
            matrix = [[int(c) for c in row] for row in
                      (confusion.tolist() if hasattr(confusion, "tolist") else confusion)]
            names = [str(x) for x in labels] if labels else [str(i) for i in range(len(matrix))]
            event = Confusion(step=self.step_count, epoch=self.epoch, labels=names,
                              matrix=matrix)
            if event.well_formed():
                self._emit_event(event)

    def close(self, status: str = "completed", message: str = "") -> dict | None:
        """End the run: its status, the summary (summary.json). Safe to call twice."""
        if self.run is None:
            return None
        summary = None
        try:
            if self.enabled:
                self._remove_hooks()
                system = None
                if self.sampler is not None:
                    self.sampler.close()
                    system = self.sampler.summary()
                self._emit(Status, step=self.step_count, status=status, message=message)
                d = self.diagnoser.last
                summary = Summary(step=self.step_count, epoch=self.epoch, preset=self.name,
                                  status=status, epochs=self.epoch, steps=self.step_count,
                                  seconds=round(time.perf_counter() - self.t0, 3),
                                  device=str(self.device), run_dir=self.run_dir,
                                  metrics=dict(self.metrics), message=message, system=system,
                                  diagnosis=d.as_dict() if d else None)
                self._emit_event(summary)
                self.run.write_summary(summary.public())
        except Exception:  # noqa: BLE001
            self._disable(traceback.format_exc())
        finally:
            for w in self.writers:
                try:
                    w.close()
                except OSError:
                    pass
            self.run.release()
            self.run = None
        return summary.public() if summary is not None else None

    # -- plumbing ---------------------------------------------------------------------------
    def _emit(self, cls, step: int | None = None, **kw) -> None:
        self._emit_event(cls(step=self.step_count if step is None else step,
                             epoch=self.epoch, **kw))

    def _emit_event(self, event) -> None:
        for w in self.writers:
            w(event)

    def _remove_hooks(self) -> None:
        for h in self.hooks:
            h.remove()
        self.hooks = []
        if self.acts_armed:
            self.acts.__exit__(None, None, None)
            self.acts_armed = False

    def _disable(self, trace: str) -> None:
        """Monitoring stops; the loop it watched goes on."""
        self.enabled = False
        try:
            self._remove_hooks()
            if self.sampler is not None:
                self.sampler.close()
        except Exception:  # noqa: BLE001
            pass
        where = self.run_dir if getattr(self, "run", None) is not None else "(no run directory)"
        last = trace.strip().splitlines()[-1] if trace.strip() else "an error"
        warnings.warn(f"tuidl.Monitor turned itself off after {last}; the traceback is in "
                      f"{where}/error.log; training goes on", RuntimeWarning, stacklevel=3)
        if getattr(self, "run", None) is not None:
            try:
                self.run.write_error(trace)
            except OSError:
                pass


def _rank() -> int:
    """This process's rank in an initialised torch.distributed group (0 without one)."""
    dist = torch.distributed
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def _plain_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The hyperparameters as TOML can hold them: numbers, strings, booleans (others as text)."""
    out: dict[str, Any] = {}
    for key, value in list(config.items())[:200]:
        if isinstance(value, bool) or isinstance(value, (int, str)):
            out[str(key)[:100]] = value if not isinstance(value, str) else value[:1000]
        elif isinstance(value, float):
            out[str(key)[:100]] = value if math.isfinite(value) else str(value)
        else:
            out[str(key)[:100]] = str(value)[:1000]
    return out


def _toml(config: dict[str, Any]) -> str:
    import tomli_w
    return ("# recorded by tuidl.Monitor: the hyperparameters the training script gave\n"
            + tomli_w.dumps(config))
