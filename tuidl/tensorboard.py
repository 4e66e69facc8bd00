"""TensorBoard event files from tuidl's event stream (tensorboardX, the optional extra
`tuidl[tensorboard]`, imported only when files are written).

The event stream is the one record of a run, so one conversion serves both ways in: a live
run (`tuidl run --tensorboard`: `TensorBoardSink`, fed the same events as events.jsonl) and a
run directory already on disk (`tuidl export tensorboard`: `export_tensorboard`, from
events.jsonl, so runs of older tuidl versions convert too). Either writes RUN_DIR/tensorboard/,
a folder `tensorboard --logdir runs/` shows as one run beside the others.

    Scalars      train/<key>                  at the event's step and wall time
    EvalMetrics  eval/<key>                   a per-class figure {class: value} becomes
                                              eval/<key>_<class>, as in metrics.csv
    GradStats    grad_norm/<layer>
    Histograms   grad_hist/<layer>, weight_hist/<layer>
    Summary      final/<key>, and the HParams dashboard's session: the config's scalar
                 values (RunStart.config) and how the run ended

HParams: only a session start and a session end are written, in this same folder (not the
experiment tag nor the timestamped subfolder of tensorboardX's `add_hparams`): TensorBoard
then builds the table from every run under --logdir, each run's own config as its row, where
one experiment tag would impose one run's columns on all. Its metric columns are the runs'
scalar tags; final/<key> hold the summary's figures.

Histograms: tuidl counts values per signed decade (`tuidl.events.hist_edges`), whose outer
edges are infinite and whose middle bin (exactly 0) has no width. TensorBoard wants finite
right edges and draws a bin from its left edge to its right one, so the edges are mapped:
the infinite ones to one decade beyond the outermost finite edge (±1e3), and the middle bin
to ±1e-11, one decade below the smallest edge (the bins of non-zero values below 1e-10 then
span 1e-11..1e-10). min and max are the mapped outer edges of the outermost non-empty bins;
num is exact; sum and sum_squares are estimates that put every value of a bin at its
geometric centre (±sqrt(a*b); 0 for the middle bin).

A resumed run adds a file to the same folder, starting with a SessionLog START at the step
after its checkpoint: TensorBoard's readers then drop what a killed run wrote past it, as
events.jsonl does.

Layer names and metric keys come from files: each becomes a tag part of word characters,
'.' and '-' (anything else '_'), at most MAX_PART long, two names that would meet after
that kept apart; the tags of one run are bounded (MAX_TAGS).
"""
from __future__ import annotations

import math
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Callable

from tuidl.config import TuidlError
from tuidl.events import Event, hist_edges
from tuidl.text import visible

FOLDER = "tensorboard"  # RUN_DIR/tensorboard/
MISSING = ("TensorBoard files need tensorboardX, which is not installed: "
           "pip install 'tuidl[tensorboard]'")
MAX_PART, MAX_TAGS = 80, 10_000
MAX_CLASSES = 24  # a per-class metric with more classes is left out (one tag per class)
MAX_HPARAMS, MAX_TEXT = 256, 200
FLUSH_EVERY_S = 5.0  # a live run's file reaches the disk this often (a flush is an fsync)
_PART = re.compile(r"[^\w.\-]+")  # TensorBoard's own tag cleaner keeps these (and '/')


def available() -> bool:
    return find_spec("tensorboardX") is not None


def require() -> None:
    """A TuidlError naming the extra to install when tensorboardX is not there."""
    if not available():
        raise TuidlError(MISSING)


def tag_part(name: object) -> str:
    """`name` as one part of a tag: no '/', no control or other odd characters, bounded."""
    return _PART.sub("_", str(name))[:MAX_PART] or "_"


class Tags:
    """The tag of each (group, name): cleaned, unique within the run, at most MAX_TAGS."""

    def __init__(self) -> None:
        self.known: dict[tuple[str, str], str] = {}
        self.used: set[str] = set()

    def __call__(self, group: str, name: object) -> str | None:
        key = (group, str(name))
        if (tag := self.known.get(key)) is not None:
            return tag
        if len(self.known) >= MAX_TAGS:
            return None
        tag = base = f"{group}/{tag_part(name)}"
        n = 1
        while tag in self.used:  # "a b" and "a_b": two series, not one
            n += 1
            tag = f"{base}_{n}"
        self.known[key] = tag
        self.used.add(tag)
        return tag


def _mapped_edges() -> list[float]:
    """hist_edges() with finite outer edges and a middle bin of some width (see above)."""
    edges = hist_edges()
    mags = [abs(e) for e in edges if math.isfinite(e) and e != 0]
    top = 10.0 ** (round(math.log10(max(mags))) + 1)  # powers of ten, as the others
    low = 10.0 ** (round(math.log10(min(mags))) - 1)
    out = [math.copysign(top, e) if math.isinf(e) else e for e in edges]
    zeros = [i for i, e in enumerate(edges) if e == 0]
    if len(zeros) == 2:
        out[zeros[0]], out[zeros[1]] = -low, low
    return out


EDGES = _mapped_edges()


def histogram_fields(counts: list[int]) -> dict[str, Any] | None:
    """tensorboardX `histogram_raw`'s arguments for one row of bin counts (None when the
    row is empty or not of the bins' length): right edges, counts, and the estimates."""
    if len(counts) != len(EDGES) - 1:
        return None
    filled = [i for i, c in enumerate(counts) if c > 0]
    if not filled:
        return None
    total = squares = 0.0
    for i in filled:
        a, b = EDGES[i], EDGES[i + 1]
        centre = math.copysign(math.sqrt(a * b), a) if a * b > 0 else (a + b) / 2
        total += counts[i] * centre
        squares += counts[i] * centre * centre
    return {"min": EDGES[filled[0]], "max": EDGES[filled[-1] + 1], "num": sum(counts),
            "sum": total, "sum_squares": squares, "bucket_limits": EDGES[1:],
            "bucket_counts": [float(c) for c in counts]}


def _number(value: object) -> float | None:
    """A metric's value as a float (NaN and inf kept: a diverged run's loss), or None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return float(value)
    except OverflowError:  # an int too big for a float (a tampered file)
        return None


def _figures(metrics: dict[str, Any]) -> list[tuple[str, float]]:
    """(name, value) of a metrics dict: numbers, and per-class dicts flattened as
    <key>_<class> (metrics.csv's names) when they have at most MAX_CLASSES classes."""
    out = []
    for key, value in metrics.items():
        if isinstance(value, dict):
            if len(value) <= MAX_CLASSES:
                out += [(f"{key}_{k}", x) for k, v in value.items()
                        if (x := _number(v)) is not None]
        elif (v := _number(value)) is not None:
            out.append((key, v))
    return out


def _hparams(config: dict[str, Any]) -> dict[str, Any]:
    """The config's scalar values (str, bool, finite numbers), names and strings cleaned."""
    out: dict[str, Any] = {}
    for key, value in list(config.items())[:MAX_HPARAMS]:
        if isinstance(value, str):
            value = visible(value)[:MAX_TEXT]
        elif isinstance(value, bool):
            pass
        elif (value := _number(value)) is None or not math.isfinite(value):
            continue
        out[tag_part(key)] = value
    return out


ENDED = {"completed": "STATUS_SUCCESS", "diverged": "STATUS_FAILURE",
         "failed": "STATUS_FAILURE", "stopped": "STATUS_UNKNOWN"}


class Converter:
    """tuidl events in, one new TensorBoard event file in `folder` out. Writes synchronously
    (tensorboardX's own writer queues to a thread whose failures no caller would see)."""
    HANDLED = frozenset({"run_start", "scalars", "eval", "grad_stats", "histograms",
                         "summary"})

    def __init__(self, folder: Path):
        from tensorboardX.event_file_writer import EventsWriter
        from tensorboardX.proto import event_pb2, summary_pb2
        self.pb, self.summary_pb = event_pb2, summary_pb2
        folder.mkdir(parents=True, exist_ok=True)
        # the nanoseconds keep two files of one second apart, in the order they were made
        self.writer = EventsWriter(str(folder / "events"), f".{time.time_ns()}")
        self.path = Path(self.writer._file_name)  # where EventsWriter put it (its name)
        self.tags = Tags()
        self.config: dict[str, Any] = {}
        self.started = 0.0
        self.written: Counter[str] = Counter()  # scalars, histograms, hparams

    def __call__(self, event: Event) -> None:
        if event.type in self.HANDLED:  # the others (views, status, system) have no figure
            getattr(self, f"_{event.type}")(event)

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()

    def _write(self, event: Event, values: list) -> None:
        if values:
            self.writer.write_event(self.pb.Event(
                wall_time=event.time, step=event.step,
                summary=self.summary_pb.Summary(value=values)))

    def _scalars_of(self, event: Event, group: str, figures) -> None:
        values = [self.summary_pb.Summary.Value(tag=tag, simple_value=value)
                  for name, value in figures if (tag := self.tags(group, name))]
        self._write(event, values)
        self.written["scalars"] += len(values)

    def _run_start(self, event) -> None:
        self.config, self.started = dict(event.config), event.time
        if event.step > 0:  # a resumed run: what the last one wrote past here is undone
            log = self.pb.SessionLog(status=self.pb.SessionLog.START)
            self.writer.write_event(self.pb.Event(wall_time=event.time, step=event.step + 1,
                                                  session_log=log))

    def _scalars(self, event) -> None:
        self._scalars_of(event, "train", _figures(event.values))

    def _eval(self, event) -> None:
        self._scalars_of(event, "eval", _figures(event.metrics))

    def _grad_stats(self, event) -> None:
        norms = [(layer, v) for layer, n in zip(event.layers, event.norm)
                 if (v := _number(n)) is not None]
        self._scalars_of(event, "grad_norm", norms)

    def _histograms(self, event) -> None:
        from tensorboardX.summary import histogram_raw
        values = []
        for group, rows in (("grad_hist", event.grad), ("weight_hist", event.weight)):
            for layer, counts in zip(event.layers, rows):
                if (fields := histogram_fields(counts)) and (tag := self.tags(group, layer)):
                    values += histogram_raw(tag, **fields).value
        self._write(event, values)
        self.written["histograms"] += len(values)

    def _summary(self, event) -> None:
        self._scalars_of(event, "final", _figures(event.metrics))
        from tensorboardX.proto.api_pb2 import Status
        from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData, SessionEndInfo
        from tensorboardX.summary import hparams
        _, start, _ = hparams(_hparams(self.config), {})  # its experiment tag is left out
        content = HParamsPluginData.FromString(start.value[0].metadata.plugin_data.content)
        content.session_start_info.start_time_secs = self.started or event.time
        start.value[0].metadata.plugin_data.content = content.SerializeToString()
        end = HParamsPluginData(version=0, session_end_info=SessionEndInfo(
            status=Status.Value(ENDED.get(event.status, "STATUS_UNKNOWN")),
            end_time_secs=event.time))
        end_value = self.summary_pb.Summary.Value(
            tag="_hparams_/session_end_info", metadata=self.summary_pb.SummaryMetadata(
                plugin_data=self.summary_pb.SummaryMetadata.PluginData(
                    plugin_name="hparams", content=end.SerializeToString())))
        self._write(event, [*start.value, end_value])
        self.written["hparams"] += 1


def _describe(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    if isinstance(error, ImportError):
        return MISSING
    return f"{type(error).__name__}: {error}"


def _warn(message: str) -> None:
    try:
        print(f"warning: {visible(message)}", file=sys.stderr, flush=True)
    except (OSError, ValueError):  # no stderr to say it on
        pass


class TensorBoardSink:
    """`tuidl run --tensorboard`: a sink beside the JSONL one, on the rank that writes the
    run. TensorBoard files are a view, not the record, so it never raises: a failure (full
    disk, a missing tensorboardX) is reported once and the sink goes quiet while the run
    trains on. Flushed at most every FLUSH_EVERY_S (and at the summary), closed at the end."""

    def __init__(self, folder: Path, report: Callable[[str], None] = _warn):
        self.folder, self.report = folder, report
        self.converter: Converter | None = None
        self.flushed = -math.inf
        try:
            self.converter = Converter(folder)
        except Exception as e:  # noqa: BLE001 - the run goes on without these files
            self._fail(e)

    def __call__(self, event: Event) -> None:
        if self.converter is None:
            return
        try:
            self.converter(event)
            now = time.monotonic()
            if event.type == "summary" or now - self.flushed >= FLUSH_EVERY_S:
                self.converter.flush()
                self.flushed = now
        except Exception as e:  # noqa: BLE001
            self._fail(e)

    def close(self) -> None:
        if self.converter is not None:
            try:
                self.converter.close()
                self.converter = None
            except Exception as e:  # noqa: BLE001
                self._fail(e)

    def _fail(self, error: BaseException) -> None:
        converter, self.converter = self.converter, None
        if converter is not None:
            try:
                converter.close()
            except Exception:  # noqa: BLE001 - said once, below
                pass
        self.report(f"TensorBoard files in {self.folder}: {_describe(error)}; the run goes "
                    "on without them")


@dataclass
class Conversion:
    """What `export_tensorboard` wrote: the folder, its one event file, counts by kind."""
    folder: Path
    file: Path
    written: Counter


def export_tensorboard(run_dir: str) -> Conversion:
    """Convert RUN_DIR/events.jsonl into RUN_DIR/tensorboard/, replacing the event files a
    live run or an earlier export left there (the folder holds one copy of the run). The
    run is locked meanwhile (a live run is refused); the file is written in a temp folder
    and moved in whole. Lines that do not parse or convert are skipped."""
    from tuidl.rundir import EVENTS, RunDir, refuse_links
    from tuidl.sinks.jsonl import read_events
    path = Path(run_dir)
    if not path.is_dir():
        why = "no such directory" if not path.exists() else "a file, not a directory"
        raise TuidlError(f"{run_dir}: not a run directory ({why})")
    if not (path / EVENTS).is_file():
        raise TuidlError(f"{run_dir}: not a run directory (no {EVENTS}); give a folder that "
                         "`tuidl run` made under runs/")
    require()
    folder = path / FOLDER
    if folder.exists() and not folder.is_dir():
        raise TuidlError(f"{folder}: a file, not a folder; move it away first")
    refuse_links(path)
    run = RunDir(path)
    tmp = None
    try:
        run.lock()
        tmp = Path(tempfile.mkdtemp(prefix=".tensorboard-", dir=path))
        converter = Converter(tmp)
        try:
            for event in read_events(path / EVENTS):
                try:
                    converter(event)
                except (ValueError, TypeError, OverflowError):  # a value protobuf refuses
                    continue
        finally:
            converter.close()
        folder.mkdir(exist_ok=True)
        for old in folder.glob("*tfevents*"):
            if old.is_file() or old.is_symlink():
                old.unlink()
        target = folder / converter.path.name
        os.replace(converter.path, target)
        return Conversion(folder, target, converter.written)
    except OSError as e:
        raise TuidlError(f"{run_dir}: cannot write {FOLDER}/ in this run directory "
                         f"({e.strerror or e})") from None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        run.release()
