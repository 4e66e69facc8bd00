"""The `tuidl` command line (Typer).

Importing this module must stay cheap: torch and the training code load only inside `run`, so
`tuidl --help`, `tuidl list` and `tuidl show` answer at once. A user's mistake (bad preset,
bad value, missing file) is one line on stderr and exit code 2, never a traceback.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from typing import Annotated, Optional

import typer
from rich.table import Table

from tuidl import __version__
from tuidl.cli_io import (check_out_dir, complete_preset, err, fail, ignore_interrupts, out,
                          quick_exit_collection, quiet_broken_streams, say_error)
from tuidl.config import TuidlError
from tuidl.text import plain, visible

try:  # Typer >= 0.20 carries its own copy of click
    from typer._click import exceptions as _click_errors
except ImportError:  # pragma: no cover - older Typer on top of click
    from click import exceptions as _click_errors

app = typer.Typer(
    help="Terminal deep-learning trainer and visualizer: watch the classic lessons happen.",
    invoke_without_command=True, add_completion=True, pretty_exceptions_enable=False,
    rich_markup_mode=None)


EXIT_CODES = {"completed": 0, "diverged": 0, "stopped": 130, "failed": 1}
ABORTS = (typer.Abort, getattr(_click_errors, "Abort", typer.Abort))


def _version(value: bool) -> None:
    if value:
        print(f"tuidl {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """tuidl: pick a preset, train it, watch what happens. Without a command: the app."""
    if ctx.invoked_subcommand is None:
        _open_app()


def _open_app(**kw) -> None:
    from tuidl.ui.app import create_app
    try:
        app_ = create_app(**kw)
        app_.run()
    except TuidlError as e:
        fail(str(e))
    if app_.return_code:  # e.g. 128 + 15 after a SIGTERM stopped it and its runs cleanly
        raise typer.Exit(app_.return_code)


@app.command("ui")
def ui_cmd(preset: Annotated[Optional[str], typer.Argument(
        help="Open straight at this preset's form.", autocompletion=complete_preset)] = None,
           out_dir: Annotated[str, typer.Option(
               "--out", help="Where run directories go.")] = "runs",
           lang: Annotated[Optional[str], typer.Option(
               help="Language of the lessons' texts: en or zh (default: from the locale).")
           ] = None,
           ) -> None:
    """Open the app: pick a preset, tune it, watch it train."""
    from tuidl.lesson import LANGS
    if lang is not None and lang not in LANGS:
        fail(f"--lang must be one of {', '.join(LANGS)}, not {visible(lang)!r}")
    if preset:
        from tuidl.catalog import load_preset
        try:
            load_preset(preset)
        except TuidlError as e:
            fail(str(e))
    check_out_dir(out_dir)
    _open_app(preset=preset, out_root=out_dir, lang=lang)


@app.command("watch")
def watch_cmd(run_dirs: Annotated[list[str], typer.Argument(
        help="A run directory (live or finished); several, or a `tuidl compare` folder, to "
             "overlay their loss curves.")]) -> None:
    """Show a run's training screen, live while `tuidl run` writes it, or compare runs."""
    from pathlib import Path
    from tuidl.checkpoint_scan import check_checkpoint
    for d in run_dirs:
        p = Path(d)
        if not (p / "events.jsonl").is_file() and not list(p.glob("*/events.jsonl")):
            fail(f"{d}: not a run directory (no events.jsonl)")
        for ckpt in [p / "checkpoint.pt", *p.glob("*/checkpoint.pt")]:
            if ckpt.is_file():  # a planted checkpoint: say so, even though watch never loads it
                try:
                    check_checkpoint(ckpt)
                except TuidlError as e:
                    fail(str(e))
    if len(run_dirs) == 1 and (Path(run_dirs[0]) / "events.jsonl").is_file():
        _open_app(watch=run_dirs[0])
    else:
        _open_app(compare=run_dirs)


@app.command("list")
def list_cmd() -> None:
    """List the built-in presets: name, family and what each shows."""
    from tuidl.catalog import list_presets
    table = Table("preset", "family", "what it shows", box=None, pad_edge=False)
    for p in sorted(list_presets(), key=lambda p: (p.family, p.name)):
        table.add_row(plain(p.name), plain(p.family), plain(p.about))
    out.print(table)


@app.command("show")
def show_cmd(preset: Annotated[str, typer.Argument(
        help="Preset name or path to a .toml file.", autocompletion=complete_preset)]) -> None:
    """Show every hyperparameter of a preset: type, range or choices, default, value."""
    from tuidl.catalog import load_preset
    try:
        p = load_preset(preset)
        config = p.resolve()
    except TuidlError as e:
        fail(str(e))
    out.print(plain(p.name, "bold") + plain(f" ({p.family}): {p.about}"), highlight=False)
    table = Table(box=None, pad_edge=False)
    table.add_column("name", no_wrap=True, style="bold")
    table.add_column("value", max_width=15)
    table.add_column("type", no_wrap=True)
    table.add_column("range / choices", max_width=18)
    table.add_column("description", ratio=1, min_width=18)
    for param in p.spec.params:
        value = config[param.name]
        shown = plain(_txt(value))
        if value != param.default:  # the preset's own value, and what it replaces
            shown = plain(_txt(value), "bold") + plain(f"\n(default {_txt(param.default)})",
                                                        "dim")
        table.add_row(param.name, shown, param.type_name, plain(param.range_text),
                      param.help)
    out.print(table)


def _txt(v) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


@app.command("run")
def run_cmd(
    preset: Annotated[Optional[str], typer.Argument(
        help="Preset name (see `tuidl list`) or path to a preset .toml file.",
        autocompletion=complete_preset)] = None,
    set_: Annotated[Optional[list[str]], typer.Option(
        "--set", "-s", help="Override a hyperparameter: --set key=value (repeatable).")] = None,
    epochs: Annotated[Optional[int], typer.Option(help="Number of epochs.")] = None,
    device: Annotated[Optional[str], typer.Option(help="auto, cpu, cuda, cuda:N or mps.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Random seed.")] = None,
    out_dir: Annotated[str, typer.Option("--out", help="Where run directories go.")] = "runs",
    as_json: Annotated[bool, typer.Option("--json", help="Print only the JSON summary.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    resume: Annotated[Optional[str], typer.Option(
        help="Continue a run from its directory (with --epochs N to train longer).")] = None,
    nproc: Annotated[Optional[int], typer.Option(
        help="Train on N local processes (DistributedDataParallel through torch's launcher, "
             "as torchrun --standalone --nproc-per-node N; batch_size stays the global "
             "batch).")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Build everything, train two steps and evaluate once, keep "
                          "nothing: a smoke test of a preset or a preset file.")] = False,
    trust_checkpoint: Annotated[bool, typer.Option(
        "--trust-checkpoint", help="With --resume: read a checkpoint of an older tuidl "
                                   "(its known objects only) and convert it.")] = False,
    tensorboard: Annotated[bool, typer.Option(
        "--tensorboard", help="Also write TensorBoard event files into RUN_DIR/tensorboard/ "
                              "as it trains (needs pip install 'tuidl[tensorboard]').")
    ] = False,
) -> None:
    """Train a preset headless: progress on stderr, a run directory, a summary."""
    if resume is not None and preset is not None:
        fail("give a PRESET or --resume RUN_DIR, not both (the run directory's config.toml "
             "is its preset; change it with --set)")
    if resume is None and preset is None:
        fail("run needs a PRESET (see `tuidl list`) or --resume RUN_DIR")
    if resume is not None and seed is not None:
        fail("--seed starts a new run; a resumed run goes on with its own random state "
             "(leave out --seed)")
    if trust_checkpoint and resume is None:
        fail("--trust-checkpoint goes with --resume RUN_DIR")
    if dry_run and resume is not None:
        fail("--dry-run starts a new run and keeps nothing; leave out --resume")
    if tensorboard:
        _need_tensorboard()
    if dry_run:
        _dry_run(preset, set_ or [], epochs, device, seed, tensorboard)
    if resume is None:
        check_out_dir(out_dir)
    if nproc is not None:
        _launch(nproc, preset, set_ or [], epochs, device, seed, out_dir, as_json, quiet, resume,
                tensorboard)
    if os.environ.get("RANK", "0") != "0":  # a distributed worker: rank 0 speaks for all
        as_json, quiet = False, True
    from tuidl.runner import execute, prepare, resume_prepared
    try:
        if resume is not None:
            prep = resume_prepared(resume, set_ or [], epochs=epochs, device=device)
        else:
            prep = prepare(preset, set_ or [], epochs=epochs, device=device, seed=seed)
        sinks = [_say_warnings]
        if not as_json and not quiet:
            from tuidl.sinks.console import ConsoleProgress
            sinks.append(ConsoleProgress(err))
        from tuidl.engine.control import Control
        control = Control()
        summary = execute(prep, out_root=out_dir, run_dir=resume, sinks=sinks,
                          control=control, trust=trust_checkpoint, tensorboard=tensorboard)
    except TuidlError as e:
        fail(str(e))
    try:  # the run's files are written: a terminal or pipe that went away costs nothing
        if os.environ.get("RANK", "0") != "0":
            pass
        elif as_json:
            print(json.dumps(summary.public()), flush=True)
        else:
            from tuidl.sinks.console import fmt_metrics
            line = f"{summary.status}: {fmt_metrics(summary.metrics)}"
            if summary.message:
                line += f"\n{summary.message}"
            out.print(visible(line), highlight=False, markup=False)
            out.print(visible(f"run directory: {summary.run_dir}"), highlight=False,
                      markup=False, soft_wrap=True)
    except (OSError, ValueError):
        pass
    if summary.status == "stopped" and control.stop_signal:
        raise typer.Exit(128 + control.stop_signal)  # the shell's convention: 130 SIGINT …
    raise typer.Exit(EXIT_CODES.get(summary.status, 1))


def _say_warnings(event) -> None:
    """What the data needed (a feature constant in the training rows …): one `warning:`
    line each on stderr, whatever the output mode."""
    for warning in getattr(event, "warnings", None) or ():
        err.print(visible(f"warning: {warning}"), highlight=False, markup=False, soft_wrap=True)


DRY_RUN_STEPS = 2


def _need_tensorboard() -> None:
    """tensorboardX is an optional extra: without it, say what to install (exit 2) before
    anything trains."""
    from tuidl.tensorboard import require
    try:
        require()
    except TuidlError as e:
        fail(str(e))


def _dry_run(preset: str, sets: list[str], epochs, device, seed,
             tensorboard: bool = False) -> None:
    """--dry-run: the whole path of a run (config, data, model, two steps, one evaluation,
    the summary) in a throwaway folder; one line, exit 0 when it all works."""
    from tuidl.runner import execute, prepare
    try:
        prep = prepare(preset, sets, epochs=epochs, device=device, seed=seed)
        with tempfile.TemporaryDirectory(prefix="tuidl-dry-run-") as tmp:
            summary = execute(prep, out_root=tmp, max_steps=DRY_RUN_STEPS,
                              tensorboard=tensorboard)
    except TuidlError as e:
        fail(str(e))
    line = (f"dry run of {prep.preset.name}: {summary.status}, {summary.steps} steps and "
            f"{summary.epochs} evaluation in {summary.seconds:.2f} s; nothing kept")
    if summary.message and summary.status != "completed":
        line += f"\n{summary.message}"
    out.print(visible(line), highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_CODES.get(summary.status, 1))


def _launch(nproc: int, preset, sets, epochs, device, seed, out_dir, as_json, quiet,
            resume, tensorboard: bool = False) -> None:
    """--nproc N: check what can be checked here (one error line, exit 2), then run the same
    command on N worker processes and exit with the run's code."""
    if nproc < 1:
        fail(f"--nproc {nproc}: give a number of processes >= 1")
    if "WORLD_SIZE" in os.environ:
        fail("--nproc inside a distributed run (WORLD_SIZE is set): leave out --nproc "
             "when torchrun starts tuidl")
    from tuidl.runner import prepare, resume_prepared
    try:
        prep = (resume_prepared(resume, sets, epochs=epochs, device=device) if resume
                else prepare(preset, sets, epochs=epochs, device=device, seed=seed))
        from tuidl.engine.distributed import World, check_family
        check_family(prep.preset.spec, World(0, max(nproc, 2)))
    except TuidlError as e:
        fail(str(e))
    args = [preset] if preset is not None else ["--resume", resume]
    args += [a for s in sets for a in ("--set", s)]
    for flag, value in (("--epochs", epochs), ("--device", device), ("--seed", seed)):
        if value is not None:
            args += [flag, str(value)]
    args += ["--out", out_dir] + ["--json"] * as_json + ["--quiet"] * quiet
    args += ["--tensorboard"] * tensorboard
    from tuidl.launch import launch
    raise typer.Exit(launch(nproc, args))


from tuidl.cli_export import export_cmd  # noqa: E402  (its own module: two kinds of export)

app.command("export")(export_cmd)

from tuidl.cli_compare import compare_cmd  # noqa: E402  (its own module: a table to print)

app.command("compare")(compare_cmd)

from tuidl.cli_lesson import lesson_cmd  # noqa: E402  (its own module: the command is long)

app.command("lesson")(lesson_cmd)

from tuidl.cli_lrfind import lr_find_cmd  # noqa: E402  (the range test: torch loads inside)

app.command("lr-find")(lr_find_cmd)


def main() -> None:
    """The `tuidl` console script: every bad input is one `error:` line and exit code 2.

    Typer runs with standalone_mode=False so that click's usage errors (an unknown option, a
    missing argument, `--epochs abc`) come here instead of printing click's four-line box.
    """
    try:
        code = app(prog_name="tuidl", standalone_mode=False)
    except _click_errors.UsageError as e:
        ctx = getattr(e, "ctx", None)
        where = ctx.command_path if ctx is not None else "tuidl"
        say_error(f"{e.format_message().rstrip('.')}; see {where} --help")
        code = 2
    except ABORTS:  # Ctrl+C or end of input at a prompt
        say_error("aborted")
        code = 130
    except _click_errors.ClickException as e:
        say_error(e.format_message())
        code = 2
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        code = 130
    ignore_interrupts()  # the process is ending: a late Ctrl+C must not print a traceback
    quick_exit_collection()
    quiet_broken_streams()
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":  # pragma: no cover
    main()
