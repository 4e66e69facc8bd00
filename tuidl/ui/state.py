"""RunState: everything the training screen shows, folded from the event stream.

Plain Python (no Textual, no torch), so it is cheap to test and shared by live runs and
`tuidl watch`. Series are bounded: past `MAX_POINTS` a series keeps every other point, so a
long run never grows memory or redraw cost without limit. Every string an event carries into
the state (a preset's name, class labels, review texts, words, messages, paths) has its
control characters spelled out first (tuidl.text.visible): whatever a run directory holds,
no widget can send an escape sequence to the terminal.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

from tuidl.events import (ActivationHealth, Confusion, DiagnosisEvent, EvalMetrics, Event,
                          GradStats, Histograms, RunStart, Scalars, Status, Summary, System,
                          TaskView, TimeGrads)
from tuidl.specs import LESSON_PANELS, Family, spec_of
from tuidl.text import visible

MAX_POINTS = 2000
GRAD_HISTORY = 120  # readings kept per layer for the layer x time strip
SYSTEM_HISTORY = 60  # device readings kept for the sparklines
HIST_HISTORY = 48  # histograms kept per layer (one every 5th logged step): one layer over time


# the fields of each event that carry text from users or data
TEXT_FIELDS = {RunStart: ("preset", "device", "config", "layers", "run_dir", "lesson"),
               Status: ("message",), Summary: ("preset", "message", "run_dir", "device"),
               Confusion: ("labels",), TaskView: ("kind", "data"), GradStats: ("layers",),
               Histograms: ("layers",),
               DiagnosisEvent: ("verdict", "layers", "explanation", "remedy"),
               System: ("gpus",)}


def _visible(value: Any) -> Any:
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, list):
        return [_visible(v) for v in value]
    if isinstance(value, dict):
        return {_visible(k): _visible(v) for k, v in value.items()}
    return value


def shown(event: Event) -> Event:
    """The event with every string it carries made safe to show."""
    names = TEXT_FIELDS.get(type(event))
    if not names:
        return event
    return replace(event, **{n: _visible(getattr(event, n)) for n in names})


def _countable(h: Histograms) -> bool:
    """One row of HIST_BINS whole counts per layer (and per weight, if any), under names that
    are text and tell the layers apart."""
    try:
        return (isinstance(h.layers, list) and h.well_formed()
                and all(isinstance(n, str) for n in h.layers)
                and len(set(h.layers)) == len(h.layers)
                and all(type(c) is int for row in (*h.grad, *h.weight) for c in row))
    except TypeError:  # a count that is not a number
        return False


@dataclass
class Series:
    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)

    def add(self, x: float, y: float) -> None:
        self.x.append(x)
        self.y.append(y)
        if len(self.x) > MAX_POINTS:
            self.x, self.y = self.x[::2], self.y[::2]


@dataclass
class RunState:
    preset: str = ""
    family: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    device: str = ""
    layers: list[str] = field(default_factory=list)
    total_steps: int = 0
    steps_per_epoch: int = 0
    run_dir: str | None = None
    preset_lesson: str = ""  # the lesson panel its preset names ("": the family's)
    status: str = "waiting"
    message: str = ""
    step: int = 0
    epoch: int = 0
    started: float | None = None
    last_time: float | None = None
    paused_since: float | None = None  # the time of the pause in force, if any
    paused_for: float = 0.0  # seconds spent paused before it: not training time
    rate: float | None = None
    rate_unit: str = "samples"
    step_series: dict[str, Series] = field(default_factory=dict)
    lr_series: dict[str, Series] = field(default_factory=dict)  # each lr in use, at its steps
    eval_series: dict[str, Series] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    grad_norms: list[float] = field(default_factory=list)
    grad_history: list[list[float]] = field(default_factory=list)  # per reading, per layer
    hist_layers: list[str] = field(default_factory=list)  # the latest histograms' layers
    # layer: its histograms, oldest first, each (step, gradient counts, weight counts or [])
    histograms: dict[str, list[tuple[int, list[int], list[int]]]] = field(default_factory=dict)
    confusion: Confusion | None = None
    diagnosis: DiagnosisEvent | None = None  # the latest gradient-health verdict
    verdicts: list[str] = field(default_factory=list)  # the verdicts so far, each change once
    time_grads: list[float] = field(default_factory=list)  # recurrent: dL/dh_t, first to last
    activations: ActivationHealth | None = None
    view: TaskView | None = None
    summary: Summary | None = None
    system: System | None = None  # the latest hardware reading
    cpu_history: list[float] = field(default_factory=list)  # process CPU %, per reading
    util_history: dict[int, list[float]] = field(default_factory=dict)  # GPU index: util %
    version: int = 0  # bumped on every change; widgets redraw only when it moved

    def apply(self, event: Event) -> None:
        event = shown(event)
        self.version += 1
        self.step, self.epoch = max(self.step, event.step), max(self.epoch, event.epoch)
        self.last_time = event.time
        if isinstance(event, RunStart):
            self.preset, self.family, self.config = event.preset, event.family, event.config
            self.device, self.run_dir = event.device, event.run_dir
            self.preset_lesson = event.lesson if event.lesson in LESSON_PANELS else ""
            self.layers = [layer["name"] for layer in event.layers]
            self.total_steps, self.steps_per_epoch = event.total_steps, event.steps_per_epoch
            if self.started is None:
                self.started = event.time
        elif isinstance(event, Scalars):
            for k, v in event.values.items():
                if k.endswith("_per_s"):
                    self.rate, self.rate_unit = v, k[:-6]
                elif not k.startswith("lr"):
                    self.step_series.setdefault(k, Series()).add(event.step, v)
                else:
                    self.metrics[k] = v
                    self.lr_series.setdefault(k, Series()).add(event.step, v)
        elif isinstance(event, GradStats):
            if event.layers != self.layers[:len(event.layers)]:
                self.layers = list(event.layers)
            self.grad_norms = list(event.norm)
            self.grad_history.append(list(event.norm))
            del self.grad_history[:-GRAD_HISTORY]
        elif isinstance(event, Histograms):
            if _countable(event):  # else left out: a tampered file's, or a foreign one
                self.hist_layers = list(event.layers)
                for i, name in enumerate(event.layers):
                    kept = self.histograms.setdefault(name, [])
                    kept.append((event.step, event.grad[i],
                                 event.weight[i] if event.weight else []))
                    del kept[:-HIST_HISTORY]
        elif isinstance(event, EvalMetrics):
            self.metrics.update(event.metrics)
            for k, v in event.metrics.items():
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    # in epochs; a run that does not know its epochs' length (a user's own
                    # loop) at its step, which the charts' x axis is in
                    at = event.epoch if self.steps_per_epoch else event.step
                    self.eval_series.setdefault(k, Series()).add(at, v)
        elif isinstance(event, DiagnosisEvent):
            self.diagnosis = event
            if not self.verdicts or self.verdicts[-1] != event.verdict:
                self.verdicts = (self.verdicts + [event.verdict])[-8:]
        elif isinstance(event, TimeGrads):
            self.time_grads = list(event.norm)
        elif isinstance(event, ActivationHealth):
            self.activations = event
        elif isinstance(event, Confusion):
            self.confusion = event
        elif isinstance(event, TaskView):
            self.view = event
        elif isinstance(event, System):
            self.system = event
            self.cpu_history.append(event.cpu_percent)
            del self.cpu_history[:-SYSTEM_HISTORY]
            for g in event.gpus:
                if g.get("util") is not None:
                    hist = self.util_history.setdefault(g["index"], [])
                    hist.append(g["util"])
                    del hist[:-SYSTEM_HISTORY]
        elif isinstance(event, Status):
            self.status, self.message = event.status, event.message or self.message
            if event.status == "paused" and self.paused_since is None:
                self.paused_since = event.time
            elif event.status != "paused" and self.paused_since is not None:
                self.paused_for += max(0.0, event.time - self.paused_since)
                self.paused_since = None
        elif isinstance(event, Summary):
            self.summary = event
            self.status = event.status
            self.message = event.message or self.message
            self.metrics.update(event.metrics)

    @property
    def epochs(self) -> int:
        return int(self.config.get("epochs", 0))

    @property
    def elapsed(self) -> float:
        """Training time: from the start to now (or the end), less the time spent paused."""
        if self.started is None:
            return 0.0
        end = self.last_time if self.status not in ("running", "paused") else time.time()
        if self.paused_since is not None:
            end = self.paused_since  # the clock stops while paused
        return max(0.0, (end or self.started) - self.started - self.paused_for)

    @property
    def live_rate(self) -> float | None:
        """Throughput as the header and the device panel both show it: the engine's last
        reading (training time only); none while paused, when it would mean nothing."""
        return None if self.status == "paused" else self.rate

    @property
    def live_step_ms(self) -> float | None:
        """Milliseconds per step from the latest hardware reading; none while paused (the
        reading's wall time then holds the pause, not a slow step)."""
        return None if self.status == "paused" or self.system is None else self.system.step_ms

    @property
    def eta(self) -> float | None:
        if not self.step or not self.total_steps or self.status != "running":
            return None
        return self.elapsed / self.step * max(0, self.total_steps - self.step)

    @property
    def spec(self) -> Family:
        """What the run's family declares (tuidl.specs): its curves, metrics, lr keys."""
        return spec_of(self.family)

    @property
    def lesson(self) -> str:
        """The panel that carries the run's lesson: its preset's, else its family's."""
        return self.preset_lesson or self.spec.lesson_panel

    @property
    def has_confusion(self) -> bool:
        """Whether this run has (or will have) a confusion matrix to show."""
        return self.confusion is not None or self.spec.confusion

    @property
    def main_metric(self) -> str | None:
        """The key of the family's main metric, once an evaluation reported it."""
        return self.spec.main_metric(self.eval_series)

    @property
    def loss_key(self) -> str | None:
        """The headline loss series (the family's first loss curve), once logged."""
        key = self.spec.loss_key
        return key if key in self.step_series else None

    def layer_state(self, i: int) -> str | None:
        """The diagnosis of layer i, when the latest diagnosis covers it."""
        d = self.diagnosis
        if d is None or i >= len(self.layers) or self.layers[i] not in d.layers:
            return None
        at = d.layers.index(self.layers[i])
        return d.states[at] if at < len(d.states) else None

    @property
    def finished(self) -> bool:
        return self.summary is not None
