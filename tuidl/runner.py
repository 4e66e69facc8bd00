"""Headless orchestration: preset → config → task → engine → run directory.

Used by `tuidl run`, `tuidl compare` and the TUI (which passes its own sinks and a `Control`).
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from tuidl.config import TuidlError
from tuidl.events import Event, Summary
from tuidl.catalog import Preset, dump_config, load_preset
from tuidl.rundir import CHECKPOINT, CONFIG, EVENTS, RunDir


@dataclass
class Prepared:
    preset: Preset
    config: dict[str, Any]


@dataclass(frozen=True)
class Limits:
    max_steps: int | None = None  # a dry run's steps
    trust: bool = False  # the checkpoint to resume from may be in an older format


def prepare(ref: str, overrides: Iterable[str] | dict[str, str] = (), **cli: Any) -> Prepared:
    """Load a preset and apply `--set` overrides plus dedicated flags (--epochs, --seed…);
    a run directory's config.toml repeats that run (`as_saved`)."""
    preset = load_preset(ref)
    if Path(ref).name == CONFIG and (Path(ref).parent / EVENTS).is_file():
        as_saved(preset)
    return _prepared(preset, overrides, **cli)


def as_saved(preset: Preset) -> Preset:
    """A saved run's config as that run trained: a hyperparameter added since then takes the
    value that run behaved as (`Param.before`), not today's default."""
    for p in preset.spec.params:
        if p.name not in preset.values and p.before is not None:
            preset.values[p.name] = p.before
    return preset


def _prepared(preset: Preset, overrides: Iterable[str] | dict[str, str] = (),
              **cli: Any) -> Prepared:
    if isinstance(overrides, dict):
        overrides = [f"{k}={v}" for k, v in overrides.items()]
    extra = {k: str(v) for k, v in cli.items() if v is not None}
    items = list(overrides) + [f"{k}={v}" for k, v in extra.items()]
    return Prepared(preset, preset.resolve(items))


def resume_prepared(run_dir: str, overrides: Iterable[str] = (), **cli: Any) -> Prepared:
    """A run directory's saved config (plus overrides, e.g. more epochs) to continue it."""
    path = Path(run_dir)
    if not (path / CONFIG).is_file() or not (path / CHECKPOINT).is_file():
        missing = " and ".join(n for n in (CONFIG, CHECKPOINT) if not (path / n).is_file())
        why = ("no such directory" if not path.exists() else "a file, not a directory"
               if not path.is_dir() else f"it has no {missing}")
        raise TuidlError(f"{run_dir}: not a run directory with a checkpoint to resume ({why}); "
                         "give a folder that `tuidl run` made under runs/")
    return _prepared(as_saved(load_preset(str(path / CONFIG))), overrides, **cli)


def warm_up() -> None:
    """Import what a run needs (torch, the engine, every family's task and data modules):
    a training process started ahead of its run (the app's) does this while it waits."""
    import importlib

    from tuidl.specs import families
    for module in ("torch", "tuidl.engine.loop",
                   *(family.task.partition(":")[0] for family in families())):
        importlib.import_module(module)
    # the first optimizer imports torch._dynamo (1.3 s), the first step sets up autograd
    torch = importlib.import_module("torch")
    weight = torch.zeros(2, requires_grad=True)
    optimizer = torch.optim.Adam([weight])
    (weight * 2).sum().backward()
    optimizer.step()


def execute(prep: Prepared, *, out_root: str = "runs", run_dir: str | None = None,
            sinks: Iterable[Callable[[Event], None]] = (), control=None,
            name: str | None = None, max_steps: int | None = None,
            trust: bool = False, tensorboard: bool = False) -> Summary:
    """Train to the end and return the summary. `run_dir` given = resume that run; `name`
    names a new run directory (default: the preset's name). `max_steps`: stop after that
    many steps and one evaluation (a dry run). `trust`: the checkpoint to resume from may
    be in an older tuidl's format (see tuidl.engine.checkpoint). `tensorboard`: also write
    TensorBoard event files into RUN_DIR/tensorboard/ as it trains (tuidl.tensorboard; a
    failure there is reported once and training goes on).

    SIGINT, SIGTERM and SIGHUP stop the run at the next step with a checkpoint there (see
    tuidl.engine.signals). A run directory is locked while a process writes it, so a second
    `--resume` of a live run is refused. An exception while the task is built (a data set's
    own error, out of memory) is a failed run with its message, not a traceback.

    Started by torchrun (WORLD_SIZE in the environment), every rank calls this: they train
    together with DistributedDataParallel and rank 0 alone writes the run directory and calls
    the sinks (see tuidl.engine.distributed)."""
    import torch  # noqa: F401  (heavy: imported only when training)

    from tuidl.engine import distributed
    from tuidl.engine.control import Control
    from tuidl.engine.device import (denormals_flushed, keep_freed_memory, resolve_device,
                                     seed_everything, set_cpu_threads)

    control = control or Control()
    config = prep.config
    world = distributed.from_env()
    distributed.check_family(prep.preset.spec, world)
    device = distributed.device_for(resolve_device(config["device"]), world)
    if device.type == "cpu":
        set_cpu_threads(int(config["threads"]))
        keep_freed_memory()
    seed_everything(config["seed"])
    distributed.start(world, device)
    try:
        with denormals_flushed():  # the CPU's share of the work, on a GPU run too
            return _execute(prep, world, device, out_root, run_dir, sinks, control, name,
                            Limits(max_steps, trust), tensorboard)
    finally:
        distributed.stop(world)


def _execute(prep: Prepared, world, device, out_root: str, run_dir: str | None, sinks,
             control, name: str | None, limits: Limits, tensorboard: bool = False) -> Summary:
    """One process's run, alone or as one rank of a distributed run (the same path): claim
    the run directory, build the task, train; a task that fails to build is a failed run."""
    run = _claim(prep, world, out_root, run_dir, name)
    try:
        try:
            task = prep.preset.spec.load_task()(prep.config, device)
        except TuidlError:
            raise
        except Exception as e:  # noqa: BLE001 - the run fails, the program does not
            if not world.main:
                return Summary(preset=prep.preset.name, status="failed", message=str(e))
            run = run or _new_run(prep, out_root, name)
            return _failed_to_start(prep, run, device, e, sinks)
        run = run or _new_run(prep, out_root, name)  # one process: made once the task builds
        task.distribute(world)
        return _train(prep, task, run, run_dir is not None, sinks, control, world, limits,
                      tensorboard)
    finally:
        if run is not None:
            run.release()


def _claim(prep: Prepared, world, out_root: str, run_dir: str | None,
           name: str | None) -> RunDir | None:
    """The run directory, locked by the process that writes it. Resuming: that directory.
    A new run on one process: None, made once the task has been built (bad data leaves
    nothing behind). A distributed run: rank 0 makes (or locks) it and tells the other ranks
    its path, or its error, so that every rank stops with exit code 2 at once."""
    if not world.active:
        return RunDir.resume(run_dir) if run_dir is not None else None
    import torch.distributed as dist
    run, shared = None, [None, None]
    if world.main:
        try:
            run = RunDir.resume(run_dir) if run_dir is not None else _new_run(prep, out_root,
                                                                             name)
            shared[1] = str(run.path)
        except TuidlError as e:
            shared[0] = str(e)
    dist.broadcast_object_list(shared, src=0)
    if shared[0] is not None:
        raise TuidlError(shared[0])
    return run if world.main else RunDir(shared[1])


def _new_run(prep: Prepared, out_root: str, name: str | None) -> RunDir:
    return RunDir.create(out_root, name or prep.preset.name,
                         dump_config(prep.preset, prep.config))


def _train(prep: Prepared, task, run: RunDir, resuming: bool,
           sinks: Iterable[Callable[[Event], None]], control, world,
           limits: Limits, tensorboard: bool = False) -> Summary:
    """Train; rank 0 (or the only process) writes events, tables, checkpoints, the summary
    and the exports (and TensorBoard files, when asked), the other ranks only train."""
    from tuidl.engine.loop import Engine
    from tuidl.engine.signals import stop_on_signals
    from tuidl.sinks.jsonl import JsonlSink
    from tuidl.sinks.tables import CsvSink

    writers = [JsonlSink(run.events), CsvSink(run.path)] if world.main else []
    views = []  # sinks that never raise (their failures are said once, inside them)
    if tensorboard and world.main:
        from tuidl.tensorboard import FOLDER, TensorBoardSink
        views.append(TensorBoardSink(run.path / FOLDER))
    emitters = [*writers, *views, *sinks] if world.main else []
    dead: set[int] = set()  # writers whose disk failed: the run fails once, then they rest

    def emit(event: Event) -> None:
        """Every sink gets the event; a writer whose disk fails rests from then on, and the
        failure is raised once the views (the console) have the event too."""
        failed: OSError | None = None
        for i, sink in enumerate(emitters):
            if i in dead:
                continue
            try:
                sink(event)
            except OSError as e:
                if i >= len(writers):
                    raise
                dead.add(i)
                failed = failed or e
        if failed is not None:
            raise failed

    engine = Engine(task, prep.config, emit, preset=prep.preset.name,
                    lesson=prep.preset.lesson, run_dir=str(run.path),
                    control=control, world=world,
                    checkpoint_path=str(run.checkpoint) if world.main else None,
                    resume_from=str(run.checkpoint) if resuming else None,
                    max_steps=limits.max_steps, trust=limits.trust,
                    on_resume=_going_on(prep, run) if resuming and world.main else None)
    # under torchrun a signal reaches each worker twice (the terminal's, then the launcher's
    # forward of it): a repeat must not cut the agreed stop short
    with stop_on_signals(control, repeats_interrupt=not world.active):
        try:
            summary = engine.run()
        except OSError as e:  # the run directory failed before the engine could say so
            summary = Summary(step=engine.step, epoch=engine.epoch, preset=prep.preset.name,
                              status="failed", epochs=engine.epoch, steps=engine.step,
                              run_dir=str(run.path), message=_disk_message(e, run),
                              world_size=world.size)
        finally:
            for writer in writers:
                try:
                    writer.close()
                except OSError:
                    pass
            for view in views:
                view.close()
        return _keep(summary, task, engine, run) if world.main else summary


def _keep(summary: Summary, task, engine, run: RunDir) -> Summary:
    """The run's last files: summary.json, then the exports (of the checkpoint's weights
    where the weights in memory are not the run's: a divergence, an interrupted run)."""
    try:
        run.write_summary(summary.public())
    except OSError as e:  # the disk is full or gone: the caller still gets the summary
        if f"{run.path} could not be written" not in summary.message:  # not said already
            summary.message = "; ".join(m for m in (summary.message, _disk_message(e, run))
                                        if m)
        return summary
    error = engine.error_traceback
    from_checkpoint = summary.status == "diverged" or engine.interrupted
    try:  # weights, word vectors, samples: formats other tools read
        if from_checkpoint and run.checkpoint.is_file():
            _load_models(task, run.checkpoint)  # the last finite or kept weights
        if summary.status != "failed" and (not from_checkpoint or run.checkpoint.is_file()):
            task.export(run.path)
    except Exception:  # the run stands; what failed to export is in error.log
        error = "export failed:\n" + traceback.format_exc()
    if error:
        try:
            run.write_error(error)
        except OSError:
            pass
    return summary


def _disk_message(error: OSError, run: RunDir) -> str:
    from tuidl.engine.faults import disk_message
    return disk_message(error, str(run.path))


def _going_on(prep: Prepared, run: RunDir) -> Callable[[int], None]:
    """What a resumed run does once its checkpoint loaded: drop the records past it and
    keep config.toml the config the run now goes on with."""
    def on_resume(step: int) -> None:
        run.cut_to(step)
        run.write_config(dump_config(prep.preset, prep.config))
    return on_resume


def _load_models(task, checkpoint: Path) -> None:
    from tuidl.engine.checkpoint import load_checkpoint
    state = load_checkpoint(str(checkpoint), task.device)
    for name, model in task.models.items():
        model.load_state_dict(state["models"][name])


def _failed_to_start(prep: Prepared, run: RunDir, device, error: Exception,
                     sinks: Iterable[Callable[[Event], None]]) -> Summary:
    """The task could not be built: a run directory that says so (status failed, the message,
    error.log with the traceback), the same way a failure during training is recorded."""
    from tuidl.engine.faults import is_out_of_memory, out_of_memory_message
    from tuidl.events import Status
    from tuidl.sinks.jsonl import JsonlSink
    message = f"{type(error).__name__}: {error}"
    if is_out_of_memory(error):
        message = out_of_memory_message(error, device, int(prep.config["batch_size"]))
    summary = Summary(preset=prep.preset.name, status="failed", device=str(device),
                      run_dir=str(run.path), message=message,
                      epochs=0, steps=0, seconds=0.0, metrics={})
    jsonl = JsonlSink(run.events)
    try:
        for event in (Status(status="failed", message=message), summary):
            for sink in (jsonl, *sinks):
                sink(event)
    finally:
        jsonl.close()
    run.write_summary(summary.public())
    run.write_error(traceback.format_exc())
    return summary


def export_run(run_dir: str) -> list[str]:
    """Write a run's exports (weights, word vectors, samples) from its checkpoint into its
    directory, on the CPU: for a run that ended without them (killed, or from an older
    tuidl). The checkpoint is scanned, then loaded with weights_only=True: a planted file is
    refused before anything of it runs."""
    from tuidl.checkpoint_scan import check_checkpoint
    path = Path(run_dir)
    prep = resume_prepared(run_dir, device="cpu")
    check_checkpoint(path / CHECKPOINT)
    run = RunDir(path)
    run.lock()
    try:
        import torch

        from tuidl.engine.checkpoint import load_checkpoint
        from tuidl.engine.device import set_cpu_threads
        set_cpu_threads(int(prep.config["threads"]))
        task = prep.preset.spec.load_task()(prep.config, torch.device("cpu"))
        state = load_checkpoint(str(path / CHECKPOINT), "cpu")
        try:
            for name, model in task.models.items():
                model.load_state_dict(state["models"][name])
        except (KeyError, RuntimeError) as e:
            raise TuidlError(f"{path / CHECKPOINT}: does not match the run's config.toml "
                             f"({str(e).strip().splitlines()[0][:160]})") from None
        before = {p.name: p.stat().st_mtime_ns for p in path.iterdir()}
        task.export(path)
        return sorted(p.name for p in path.iterdir()
                      if p.is_file() and before.get(p.name) != p.stat().st_mtime_ns)
    finally:
        run.release()
