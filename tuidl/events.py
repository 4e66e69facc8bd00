"""The event stream: what the engine says about a run (torch-free).

Every consumer (JSONL file, console progress, the TUI, `tuidl watch`) reads these and nothing
else. Events hold plain Python values only; tensors are turned into lists once, by the engine,
before any event is made. One JSON object per line, each with `type`, `step`, `epoch`, `time`.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

@dataclass
class Event:
    type: ClassVar[str] = "event"
    step: int = 0
    epoch: int = 0
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """Shallow (the fields are JSON-able lists and dicts already): `dataclasses.asdict`
        deep-copies every nested value, which cost more than the statistics themselves."""
        return {"type": self.type, **{f.name: getattr(self, f.name) for f in fields(self)}}


@dataclass
class RunStart(Event):
    """Resolved config, device and the model's layers (name, parameter count), input to output."""
    type: ClassVar[str] = "run_start"
    preset: str = ""
    family: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    device: str = "cpu"
    layers: list[dict[str, Any]] = field(default_factory=list)
    total_params: int = 0
    steps_per_epoch: int = 0
    total_steps: int = 0
    run_dir: str | None = None
    lesson: str = ""  # the panel that carries the preset's lesson ("": its family's)
    warnings: list[str] = field(default_factory=list)  # what the data needed, said once


@dataclass
class Scalars(Event):
    """Step scalars averaged since the last one: loss (and family extras), lr, throughput."""
    type: ClassVar[str] = "scalars"
    values: dict[str, float] = field(default_factory=dict)


@dataclass
class GradStats(Event):
    """Per named layer (input to output): gradient L2 norm, mean |g|, max |g| at one step."""
    type: ClassVar[str] = "grad_stats"
    layers: list[str] = field(default_factory=list)
    norm: list[float] = field(default_factory=list)
    mean_abs: list[float] = field(default_factory=list)
    max_abs: list[float] = field(default_factory=list)
    weight_norm: list[float] = field(default_factory=list)  # ||w|| before the step
    update_ratio: list[float] = field(default_factory=list)  # ||dw|| / ||w|| of the step

    def well_formed(self) -> bool:
        """One figure per layer in every list that is there."""
        n = len(self.layers)
        return all(len(v) in (0, n) for v in (self.norm, self.mean_abs, self.max_abs,
                                              self.weight_norm, self.update_ratio))


# Histogram bins: signed decades of |value|, one axis for every layer and both signs, so a
# layer whose gradients vanish moves left and a dead layer piles into the zero bin. Bin 0 is
# below -10**HIST_TOP, then one bin per decade down to -10**HIST_BOTTOM, everything smaller
# but non-zero; the middle bin is exactly 0; the positive side mirrors it.
HIST_BOTTOM, HIST_TOP = -10, 2  # decades: 1e-10 .. 1e2
HIST_SIDE = HIST_TOP - HIST_BOTTOM + 2  # bins per sign: below 1e-10, 12 decades, 1e2 and up
HIST_BINS = 2 * HIST_SIDE + 1


def hist_edges() -> list[float]:
    """The HIST_BINS + 1 bin edges, ascending (the outermost are infinite): what a reader that
    wants value ranges (TensorBoard) gives each count."""
    mags = [10.0 ** d for d in range(HIST_TOP, HIST_BOTTOM - 1, -1)]  # 1e2 .. 1e-10
    return [-math.inf, *(-m for m in mags), 0.0, 0.0, *reversed(mags), math.inf]


@dataclass
class Histograms(Event):
    """Per named layer (input to output), at a logged step: how many of its gradient and of
    its weight values fall in each of the HIST_BINS signed-decade bins (see `hist_edges`), a
    shape the norms hide: dead units pile into the zero bin, saturated ones slide left."""
    type: ClassVar[str] = "histograms"
    layers: list[str] = field(default_factory=list)
    grad: list[list[int]] = field(default_factory=list)
    weight: list[list[int]] = field(default_factory=list)

    def well_formed(self) -> bool:
        n = len(self.layers)
        return (len(self.grad) == n and len(self.weight) in (0, n)
                and all(len(row) == HIST_BINS and min(row) >= 0
                        for row in (*self.grad, *self.weight)))


VERDICTS = ("healthy", "vanishing", "exploding", "diverged")  # a diagnosis's words


@dataclass
class TimeGrads(Event):
    """Recurrent models: the norm of dL/dh_t at each time step t (first to last), measured on a
    logged step. Backpropagation through time: how much of the loss reaches each step."""
    type: ClassVar[str] = "time_grads"
    norm: list[float] = field(default_factory=list)


@dataclass
class ActivationHealth(Event):
    """At each eval, per activation layer: share of saturated sigmoid/tanh outputs, or share of
    dead ReLU units (never active on the evaluation data); None where it does not apply."""
    type: ClassVar[str] = "activations"
    layers: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    saturated: list[float | None] = field(default_factory=list)
    dead: list[float | None] = field(default_factory=list)


@dataclass
class DiagnosisEvent(Event):
    """Gradient health (tuidl.diagnose): emitted when any layer's state changes."""
    type: ClassVar[str] = "diagnosis"
    verdict: str = "healthy"  # healthy | vanishing | exploding | diverged
    layers: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    explanation: str = ""
    remedy: str = ""

    def well_formed(self) -> bool:
        """A known verdict, and one known state per layer."""
        return (self.verdict in VERDICTS and len(self.states) == len(self.layers)
                and all(state in VERDICTS for state in self.states))


@dataclass
class EvalMetrics(Event):
    """Metrics of one evaluation: train/val loss, accuracy or the family's own measures; a
    classifier's per-class figures are {class name: figure or None} (`val_recall`, `val_f1`)."""
    type: ClassVar[str] = "eval"
    metrics: dict[str, float | dict[str, float | None]] = field(default_factory=dict)


MAX_CONFUSION = 24  # classes a confusion matrix holds; beyond, the most confused and "other"
OTHER = "(other)"


@dataclass
class Confusion(Event):
    """Confusion matrix on the validation set: rows are true classes, columns predictions.

    More than MAX_CONFUSION classes are summarised when the event is made (by the engine, or by
    a reader of an older file): the MAX_CONFUSION - 1 classes with the most errors (true or
    predicted) keep their rows and columns, every other class is summed into one `OTHER` row
    and column, and `classes` says how many classes the whole matrix had (0: it is whole)."""
    type: ClassVar[str] = "confusion"
    labels: list[str] = field(default_factory=list)
    matrix: list[list[int]] = field(default_factory=list)
    classes: int = 0

    def __post_init__(self) -> None:
        if len(self.labels) > MAX_CONFUSION and self.well_formed():
            self.classes = len(self.labels)
            self.labels, self.matrix = _most_confused(self.labels, self.matrix,
                                                      MAX_CONFUSION - 1, False)

    def fitted(self, rows: int) -> Confusion:
        """At most `rows` rows (what a panel has room for): the most confused classes and
        OTHER, which takes in an OTHER already there."""
        if len(self.labels) <= rows or not self.well_formed():
            return self
        labels, matrix = _most_confused(self.labels, self.matrix, rows - 1,
                                        bool(self.classes))
        return Confusion(step=self.step, epoch=self.epoch, time=self.time, labels=labels,
                         matrix=matrix, classes=self.classes or len(self.labels))

    @property
    def recall(self) -> list[float]:
        return [row[i] / s if (s := sum(row)) else 0.0 for i, row in enumerate(self.matrix)]

    def well_formed(self) -> bool:
        """A square matrix with one row and one column per label, of counts."""
        n = len(self.labels)
        return len(self.matrix) == n and all(len(r) == n and min(r, default=0) >= 0
                                             for r in self.matrix)


@dataclass
class TaskView(Event):
    """Family-specific picture: decision boundary, samples, filters, neighbours… (`kind` says)."""
    type: ClassVar[str] = "task_view"
    kind: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Status(Event):
    type: ClassVar[str] = "status"
    status: str = "running"  # running | paused | completed | stopped | diverged | failed
    message: str = ""


@dataclass
class Exported(Event):
    """Exports written on request mid-run (weights, tables, vectors): the run directory's files."""
    type: ClassVar[str] = "exported"
    files: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class Summary(Event):
    """The final word; the same object is `summary.json` and `tuidl run --json`."""
    type: ClassVar[str] = "summary"
    preset: str = ""
    status: str = "completed"
    epochs: int = 0
    steps: int = 0
    seconds: float = 0.0
    device: str = "cpu"
    run_dir: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    diagnosis: dict[str, Any] | None = None  # the last gradient-health diagnosis
    world_size: int = 1  # processes that trained together (torchrun / --nproc)
    system: dict[str, Any] | None = None  # peak memory, mean CPU % and GPU utilisation

    def public(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in ("preset", "status", "epochs", "steps", "seconds",
                                             "device", "world_size", "run_dir", "metrics")}
        if self.message:
            out["message"] = self.message
        if self.diagnosis:
            out["diagnosis"] = self.diagnosis
        if self.system:
            out["system"] = self.system
        return out


@dataclass
class System(Event):
    """The hardware, about once a second (tuidl.engine.system): the process's CPU % (100 = one
    core) and resident memory, milliseconds per step and, on CUDA, one dict per GPU the run uses
    (index, name, util %, total_mb, used_mb, temperature_c, power_w, power_limit_w from the
    driver, None where it does not report one; and for the run's own device torch's
    allocated_mb, reserved_mb and peak_mb)."""
    type: ClassVar[str] = "system"
    device: str = "cpu"
    cpu_percent: float = 0.0
    rss_mb: float = 0.0
    step_ms: float | None = None
    gpus: list[dict[str, Any]] = field(default_factory=list)


def _most_confused(labels: list[str], matrix: list[list[int]], keep: int,
                   has_other: bool) -> tuple[list[str], list[list[int]]]:
    """The `keep` classes with the most errors, in their order, and OTHER summing the rest
    (with the last class, when it is an OTHER already)."""
    cols = [sum(c) for c in zip(*matrix)]
    errors = [sum(row) + cols[i] - 2 * row[i] for i, row in enumerate(matrix)]
    n = len(labels) - has_other
    top = sorted(sorted(range(n), key=lambda i: -errors[i])[:keep])
    where = [keep] * len(labels)
    for at, i in enumerate(top):
        where[i] = at
    out = [[0] * (keep + 1) for _ in range(keep + 1)]
    for i, row in enumerate(matrix):
        into = out[where[i]]
        for j, v in enumerate(row):
            if v:
                into[where[j]] += v
    return [labels[i] for i in top] + [OTHER], out


EVENT_TYPES: dict[str, type[Event]] = {cls.type: cls for cls in (
    RunStart, Scalars, GradStats, Histograms, TimeGrads, ActivationHealth, DiagnosisEvent,
    EvalMetrics, Confusion, TaskView, Status, Exported, Summary, System)}


def event_from_dict(data: dict[str, Any]) -> Event:
    """The event a JSON object describes; a ValueError when a field has the wrong type (a
    foreign or tampered file: readers skip such a line instead of failing on it later)."""
    cls = EVENT_TYPES[data["type"]]
    kw = {}
    for f in fields(cls):
        if f.name in data:
            if not _fits(data[f.name], f.type):
                raise ValueError(f"{cls.type}.{f.name}: not a {f.type}")
            kw[f.name] = data[f.name]
    if not (isinstance(kw.get("time", 0.0), (int, float)) and math.isfinite(kw.get("time", 0.0))
            and kw.get("step", 0) >= 0 and kw.get("epoch", 0) >= 0):
        raise ValueError("time, step or epoch out of range")
    event = cls(**kw)
    if not getattr(event, "well_formed", lambda: True)():
        raise ValueError(f"{cls.type}: its lists do not match")
    return event


def _fits(value: Any, annotation: str) -> bool:
    """Whether a JSON value fits a field annotation as written in this module (int, float,
    str, Any, list[X], dict[str, X], and unions of them: `X | Y`, `X | None`)."""
    annotation = annotation.strip()
    if annotation == "Any":
        return True
    if "|" in annotation and len(options := _union(annotation)) > 1:
        return any(_fits(value, option) for option in options)
    if annotation == "None":
        return value is None
    if annotation == "str":
        return isinstance(value, str)
    if annotation == "int":
        return isinstance(value, int)
    if annotation == "float":
        return isinstance(value, (int, float))
    if annotation.startswith("list[") and annotation.endswith("]"):
        inner = annotation[5:-1]
        return isinstance(value, list) and all(_fits(v, inner) for v in value)
    if annotation.startswith("dict[str,") and annotation.endswith("]"):
        inner = annotation[9:-1]
        return isinstance(value, dict) and all(isinstance(k, str) and _fits(v, inner)
                                               for k, v in value.items())
    return True  # an annotation this check does not know: the value is taken as it is


def _union(annotation: str) -> list[str]:
    """The members of a union annotation, split at the `|`s outside brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(annotation):
        depth += (ch == "[") - (ch == "]")
        if ch == "|" and depth == 0:
            parts.append(annotation[start:i])
            start = i + 1
    return parts + [annotation[start:]]
