"""Headless orchestration: preset → config → task → engine → run directory.

Used by `tuidl run` and, later, by the TUI (which passes its own sinks and a `Control`).
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from tuidl.config import TuidlError
from tuidl.events import Event, Summary
from tuidl.catalog import Preset, dump_config, load_preset
from tuidl.sinks.rundir import (CHECKPOINT, CONFIG, EVENTS, make_run_dir, write_atomic,
                                write_summary)


@dataclass
class Prepared:
    preset: Preset
    config: dict[str, Any]


def prepare(ref: str, overrides: Iterable[str] | dict[str, str] = (), **cli: Any) -> Prepared:
    """Load a preset and apply `--set` overrides plus dedicated flags (--epochs, --seed…)."""
    preset = load_preset(ref)
    if isinstance(overrides, dict):
        overrides = [f"{k}={v}" for k, v in overrides.items()]
    extra = {k: str(v) for k, v in cli.items() if v is not None}
    items = list(overrides) + [f"{k}={v}" for k, v in extra.items()]
    return Prepared(preset, preset.resolve(items))


def resume_prepared(run_dir: str, overrides: Iterable[str] = (), **cli: Any) -> Prepared:
    """A run directory's saved config (plus overrides, e.g. more epochs) to continue it."""
    path = Path(run_dir)
    if not (path / CONFIG).is_file() or not (path / CHECKPOINT).is_file():
        raise TuidlError(f"{run_dir}: not a run directory with a checkpoint to resume")
    return prepare(str(path / CONFIG), overrides, **cli)


def execute(prep: Prepared, *, out_root: str = "runs", run_dir: str | None = None,
            sinks: Iterable[Callable[[Event], None]] = (), control=None,
            name: str | None = None) -> Summary:
    """Train to the end and return the summary. `run_dir` given = resume that run; `name`
    names a new run directory (default: the preset's name)."""
    import torch  # noqa: F401  (heavy: imported only when training)

    from tuidl.engine.device import resolve_device, seed_everything, set_cpu_threads
    from tuidl.engine.loop import Engine
    from tuidl.sinks.exports import CsvSink
    from tuidl.sinks.jsonl import JsonlSink

    config = prep.config
    device = resolve_device(config.get("device", "cpu"))
    if device.type == "cpu":
        set_cpu_threads(int(config.get("threads", 1)))
    seed_everything(config["seed"])
    task = prep.preset.spec.load_task()(config, device)
    resuming = run_dir is not None
    path = Path(run_dir) if resuming else make_run_dir(out_root, name or prep.preset.name)
    if not resuming:
        write_atomic(path / CONFIG, dump_config(prep.preset, config))
    jsonl, tables = JsonlSink(path / EVENTS), CsvSink(path)
    emitters = [jsonl, tables, *sinks]

    def emit(event: Event) -> None:
        for sink in emitters:
            sink(event)

    engine = Engine(task, config, emit, preset=prep.preset.name, run_dir=str(path),
                    control=control, checkpoint_path=str(path / CHECKPOINT),
                    resume_from=str(path / CHECKPOINT) if resuming else None)
    try:
        summary = engine.run()
    finally:
        jsonl.close()
        tables.close()
    write_summary(path, summary.public())
    error = engine.error_traceback
    if summary.status != "failed":
        try:  # weights, word vectors, samples: formats other tools read
            task.export(path)
        except Exception:  # the run stands; what failed to export is in error.log
            error = "export failed:\n" + traceback.format_exc()
    if error:
        write_atomic(path / "error.log", error)
    return summary
