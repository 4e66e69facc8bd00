"""The `tuidl` command line (Typer).

Importing this module must stay cheap: torch and the training code load only inside `run`, so
`tuidl --help`, `tuidl list` and `tuidl show` answer at once. A user's mistake (bad preset,
bad value, missing file) is one line on stderr and exit code 2, never a traceback.
"""
from __future__ import annotations

import json
import sys
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from tuidl import __version__
from tuidl.config import TuidlError

app = typer.Typer(
    help="Terminal deep-learning trainer and visualizer: watch the classic lessons happen.",
    invoke_without_command=True, add_completion=False, pretty_exceptions_enable=False,
    rich_markup_mode=None)
out = Console()
err = Console(stderr=True)

EXIT_CODES = {"completed": 0, "diverged": 0, "stopped": 130, "failed": 1}


def fail(message: str) -> None:
    err.print(f"error: {message}", highlight=False, markup=False, soft_wrap=True)
    raise typer.Exit(2)


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
        create_app(**kw).run()
    except TuidlError as e:
        fail(str(e))


@app.command("ui")
def ui_cmd(preset: Annotated[Optional[str], typer.Argument(
        help="Open straight at this preset's form.")] = None,
           out_dir: Annotated[str, typer.Option("--out", help="Where run directories go.")] = "runs",
           ) -> None:
    """Open the app: pick a preset, tune it, watch it train."""
    if preset:
        from tuidl.catalog import load_preset
        try:
            load_preset(preset)
        except TuidlError as e:
            fail(str(e))
    _open_app(preset=preset, out_root=out_dir)


@app.command("watch")
def watch_cmd(run_dirs: Annotated[list[str], typer.Argument(
        help="A run directory (live or finished); several, or a `tuidl compare` folder, to "
             "overlay their loss curves.")]) -> None:
    """Show a run's training screen, live while `tuidl run` writes it, or compare runs."""
    from pathlib import Path
    for d in run_dirs:
        p = Path(d)
        if not (p / "events.jsonl").is_file() and not list(p.glob("*/events.jsonl")):
            fail(f"{d}: not a run directory (no events.jsonl)")
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
        table.add_row(p.name, p.family, p.about)
    out.print(table)


@app.command("show")
def show_cmd(preset: Annotated[str, typer.Argument(help="Preset name or path to a .toml file.")]
             ) -> None:
    """Show every hyperparameter of a preset: type, range or choices, default, value."""
    from tuidl.catalog import load_preset
    try:
        p = load_preset(preset)
        config = p.resolve()
    except TuidlError as e:
        fail(str(e))
    out.print(f"[bold]{p.name}[/] ({p.family}): {p.about}", highlight=False)
    table = Table(box=None, pad_edge=False)
    table.add_column("name", no_wrap=True, style="bold")
    table.add_column("value", max_width=15)
    table.add_column("type", no_wrap=True)
    table.add_column("range / choices", max_width=18)
    table.add_column("description", ratio=1, min_width=18)
    for param in p.spec.params:
        value = config[param.name]
        shown = _txt(value)
        if value != param.default:  # the preset's own value, and what it replaces
            shown = f"[bold]{shown}[/]\n[dim](default {_txt(param.default)})[/]"
        table.add_row(param.name, shown, param.type_name, param.range_text, param.help)
    out.print(table)


def _txt(v) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


@app.command("run")
def run_cmd(
    preset: Annotated[Optional[str], typer.Argument(
        help="Preset name (see `tuidl list`) or path to a preset .toml file.")] = None,
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
) -> None:
    """Train a preset headless: progress on stderr, a run directory, a summary."""
    from tuidl.runner import execute, prepare, resume_prepared
    try:
        if resume:
            prep = resume_prepared(resume, set_ or [], epochs=epochs, device=device)
        elif preset is None:
            fail("run needs a PRESET (see `tuidl list`) or --resume RUN_DIR")
        else:
            prep = prepare(preset, set_ or [], epochs=epochs, device=device, seed=seed)
        sinks = []
        if not as_json and not quiet:
            from tuidl.sinks.console import ConsoleProgress
            sinks.append(ConsoleProgress(err))
        summary = execute(prep, out_root=out_dir, run_dir=resume, sinks=sinks)
    except TuidlError as e:
        fail(str(e))
    if as_json:
        print(json.dumps(summary.public()))
    else:
        from tuidl.sinks.console import fmt_metrics
        line = f"{summary.status}: {fmt_metrics(summary.metrics)}"
        if summary.message:
            line += f"\n{summary.message}"
        out.print(line, highlight=False, markup=False)
        out.print(f"run directory: {summary.run_dir}", highlight=False, markup=False)
    raise typer.Exit(EXIT_CODES.get(summary.status, 1))


@app.command("compare")
def compare_cmd(
    preset: Annotated[str, typer.Argument(help="Preset name or path to a preset .toml file.")],
    vary: Annotated[list[str], typer.Option(
        help="A hyperparameter and its values: --vary optimizer=sgd,adam (repeatable; every "
             "combination runs).")],
    set_: Annotated[Optional[list[str]], typer.Option(
        "--set", "-s", help="Override a hyperparameter in every variant.")] = None,
    epochs: Annotated[Optional[int], typer.Option(help="Number of epochs.")] = None,
    device: Annotated[Optional[str], typer.Option(help="auto, cpu, cuda, cuda:N or mps.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Random seed (the same for all).")] = None,
    out_dir: Annotated[str, typer.Option("--out", help="Where the comparison goes.")] = "runs",
    as_json: Annotated[bool, typer.Option("--json", help="Print only the JSON result.")] = False,
) -> None:
    """Train a preset once per combination of --vary values and compare them in a table."""
    from tuidl.compare import plan, primary_metric, run_all
    try:
        variants = plan(preset, vary, set_ or [], epochs=epochs, device=device, seed=seed)
        name = variants[0].prepared.preset.name

        def done(v, summary):
            if not as_json:
                err.print(f"{v.label}: {summary['status']} in {summary['seconds']:.1f}s",
                          highlight=False, markup=False)
        folder, results = run_all(variants, out_dir, name, done)
    except TuidlError as e:
        fail(str(e))
    if as_json:
        print(json.dumps({"preset": name, "dir": str(folder), "runs": results}))
        return
    table = Table(box=None, pad_edge=False, title=f"{name}: {len(results)} variants")
    prim_key = next((p[0] for r in results if (p := primary_metric(r["metrics"]))), "metric")
    keys = [part.split("=")[0] for part in results[0]["variant"].split(" ")]
    table.add_column(" ".join(keys), no_wrap=True)
    for col in ("status", "loss", "val loss", prim_key.replace("_", " "), "s", "gradients"):
        table.add_column(col, no_wrap=True)
    for r in results:
        m = r["metrics"]
        loss = m.get("train_loss", m.get("train_d_loss"))
        values = " ".join(part.split("=", 1)[1] for part in r["variant"].split(" "))
        table.add_row(values, r["status"], _num(loss), _num(m.get("val_loss")),
                      _num(m.get(prim_key)), f"{r['seconds']:.1f}",
                      (r.get("diagnosis") or {}).get("verdict", ""))
    out.print(table)
    out.print(f"runs and compare.json in {folder}", highlight=False, markup=False)


def _num(x) -> str:
    return "" if x is None else f"{x:.4g}"


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
