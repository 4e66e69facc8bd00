"""`tuidl lr-find PRESET`: the learning-rate range test (tuidl.lr_find), printed as a plot of
loss against lr (log x), a small table and a suggested lr with the command that tries it;
`--json` prints one JSON object instead.

Cheap to import: torch loads inside the command, so `tuidl --help` stays fast. Bad input (an
unknown preset or value, a bad range, a family whose loss does not fall) is one `error:` line
and exit code 2; a failure while training is one `error:` line and exit code 1.
"""
from __future__ import annotations

import json
import math
import sys
from typing import Annotated, Optional

import typer
from rich.table import Table

from tuidl.cli_io import complete_preset, err, fail, out
from tuidl.config import TuidlError
from tuidl.text import plain, visible

TABLE_ROWS = 8  # evenly spaced in log lr, plus the lowest point and the suggestion


def lr_find_cmd(
    preset: Annotated[str, typer.Argument(
        help="Preset name (see `tuidl list`) or path to a preset .toml file.",
        autocompletion=complete_preset)],
    set_: Annotated[Optional[list[str]], typer.Option(
        "--set", "-s", help="Override a hyperparameter: --set key=value (repeatable).")] = None,
    min_lr: Annotated[float, typer.Option("--min-lr", help="The lr of the first step.")] = 1e-6,
    max_lr: Annotated[float, typer.Option("--max-lr", help="The lr of the last step.")] = 1.0,
    steps: Annotated[int, typer.Option(help="Steps from --min-lr to --max-lr.")] = 100,
    seed: Annotated[Optional[int], typer.Option(help="Random seed.")] = None,
    device: Annotated[Optional[str], typer.Option(help="auto, cpu, cuda, cuda:N or mps.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only a JSON object.")] = False,
) -> None:
    """Find a learning rate: train from the preset's initial weights while the lr rises
    exponentially, plot the loss against the lr and suggest one."""
    from tuidl.lr_find import lr_find
    try:
        result = lr_find(preset, set_ or [], min_lr=min_lr, max_lr=max_lr, steps=steps,
                         seed=seed, device=device)
    except TuidlError as e:
        fail(str(e))
    except KeyboardInterrupt:
        err.print("stopped", highlight=False, markup=False)
        raise typer.Exit(130) from None
    except Exception as e:  # noqa: BLE001 - a data set's own error, out of memory: one line
        first = (str(e).strip().splitlines() or [""])[0]
        err.print(visible(f"error: lr-find failed: {type(e).__name__}: {first}"),
                  highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps(result.as_dict()), flush=True)
        return
    _report(result, preset)


def _report(result, preset: str) -> None:
    r = result
    out.print(plain(f"lr-find {r.preset}", "bold") + plain(
        f": {len(r.lrs)} steps, lr {r.min_lr:g} to {r.lrs[-1]:.3g} ({r.seconds:.2f} s)"),
        highlight=False)
    if r.stopped:
        out.print(visible(f"stopped early: {r.stopped}"), highlight=False, markup=False)
    print(_plot(r), flush=True)
    out.print(_table(r))
    if r.note:
        out.print(visible(f"note: {r.note}"), highlight=False, markup=False, soft_wrap=True)
    if r.suggestion is None:
        out.print("no suggestion: too few steps before the loss went non-finite; lower "
                  "--min-lr or --max-lr", highlight=False, markup=False)
        return
    out.print(plain(f"suggested lr: {r.suggestion:.2g}", "bold") + plain(
        f" (a tenth of {r.lowest:.2g}, where the smoothed loss is lowest; its steepest "
        f"descent, Lightning's suggestion, is at {r.steepest:.2g})"), highlight=False)
    out.print(visible(f"try it: tuidl run {preset} --set lr={r.suggestion:.2g}"),
              highlight=False, markup=False, soft_wrap=True)


def _rows(r) -> list[tuple[int, str]]:
    """Evenly spaced steps, the lowest smoothed loss and the step nearest the suggestion."""
    n = len(r.lrs)
    marks: dict[int, str] = {round(k * (n - 1) / (TABLE_ROWS - 1)): ""
                             for k in range(TABLE_ROWS)}
    if r.lowest is not None:
        marks[r.lrs.index(r.lowest)] = "lowest"
    if r.suggestion is not None:
        near = min(range(n), key=lambda i: abs(math.log(r.lrs[i] / r.suggestion)))
        marks[near] = "suggested" if not marks.get(near) else f"{marks[near]}, suggested"
    return sorted(marks.items())


def _table(r) -> Table:
    table = Table(box=None, pad_edge=False)
    for col in ("step", "lr", "loss", "smoothed", ""):
        table.add_column(col, justify="right" if col else "left", no_wrap=True)
    for i, mark in _rows(r):
        table.add_row(str(i + 1), f"{r.lrs[i]:.2e}", _num(r.losses[i]),
                      _num(r.smoothed[i]), mark)
    return table


def _num(v: float) -> str:
    return f"{v:.4g}" if math.isfinite(v) else str(v)


def _plot(r) -> str:
    """Loss (dots) and smoothed loss (line) against lr on a log axis, the suggestion marked;
    the y axis spans the curve before it blows up, so the descent fills the plot."""
    import plotext as plt

    plt.clear_figure()
    width = min(out.size.width if out.is_terminal else 80, 100)
    plt.plotsize(width, 18)
    finite = [(lr, loss, s) for lr, loss, s in zip(r.lrs, r.losses, r.smoothed)
              if math.isfinite(loss) and math.isfinite(s)]
    if finite:
        lrs, losses, smoothed = map(list, zip(*finite))
        top = max(smoothed[:smoothed.index(min(smoothed)) + 1]) * 1.15
        bottom = min(min(smoothed), min(losses)) * 0.95
        plt.scatter(lrs, [min(v, top) for v in losses], marker="dot", color="gray",
                    label="loss")
        plt.plot(lrs, smoothed, marker="braille", color="cyan", label="smoothed")
        plt.ylim(bottom, top)
    if r.suggestion is not None:
        plt.vline(r.suggestion, "green")
    plt.xscale("log")
    lo, hi = math.floor(math.log10(r.min_lr)), math.ceil(math.log10(max(r.lrs)))
    powers = range(lo, hi + 1, max(1, (hi - lo + 5) // 6))  # at most about 6 ticks
    plt.xticks([10.0 ** k for k in powers], [f"1e{k}" for k in powers])
    plt.xlabel("lr (log); the vertical line: the suggestion")
    plt.title(f"{r.preset}: loss against lr")
    text = plt.build()
    return text if sys.stdout.isatty() else plt.uncolorize(text)
