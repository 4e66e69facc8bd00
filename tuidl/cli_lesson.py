"""`tuidl lesson`: the lessons, and one trained headless with its table and verdict.

Exit code 0 when the lesson's figure holds, 1 when it does not (or cannot be told), 2 for a
bad input. Torch-free until the first variant trains.
"""
from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.table import Table

from tuidl.cli_io import check_out_dir, complete_lesson, err, fail, out
from tuidl.config import TuidlError
from tuidl.text import plain, visible


def lesson_cmd(
    name: Annotated[Optional[str], typer.Argument(
        help="A lesson's name; without it, the list of lessons.",
        autocompletion=complete_lesson)] = None,
    lang: Annotated[Optional[str], typer.Option(
        help="Language of the lesson texts: en or zh (default: from the locale).")] = None,
    set_: Annotated[Optional[list[str]], typer.Option(
        "--set", "-s", help="Override a hyperparameter in every variant.")] = None,
    seed: Annotated[Optional[int], typer.Option(help="Random seed (the same for all).")] = None,
    device: Annotated[Optional[str], typer.Option(help="auto, cpu, cuda, cuda:N or mps.")] = None,
    out_dir: Annotated[str, typer.Option("--out", help="Where the lesson's runs go.")] = "runs",
    as_json: Annotated[bool, typer.Option("--json", help="Print only lesson.json.")] = False,
    in_app: Annotated[bool, typer.Option(
        "--app", help="Train the variants side by side in the app instead.")] = False,
) -> None:
    """List the lessons, or train one's variants and print its table and verdict."""
    from tuidl.lesson import LANGS, default_lang, list_lessons, load_lesson
    if lang is not None and lang not in LANGS:
        fail(f"--lang must be one of {', '.join(LANGS)}, not {visible(lang)!r}")
    lang = lang or default_lang()
    if name is None:
        table = Table("lesson", "variants", "what it shows", box=None, pad_edge=False)
        for lesson in list_lessons():
            table.add_row(lesson.name, plain(", ".join(v.label for v in lesson.variants)),
                          plain(lesson.title_in(lang)))
        out.print(table)
        return
    check_out_dir(out_dir)
    if in_app:
        from tuidl.cli import _open_app
        try:
            load_lesson(name)
        except TuidlError as e:
            fail(str(e))
        _open_app(lesson=name, lang=lang, out_root=out_dir)
        return
    from tuidl.lesson_run import plan, run_all
    try:
        lesson = load_lesson(name)
        planned = plan(lesson, set_ or [], seed=seed, device=device)
        if not as_json:
            out.print(plain(lesson.title_in(lang), "bold"))
            out.print(plain(lesson.text_in(lang)), highlight=False)

        def done(p, summary):
            if not as_json:
                err.print(visible(f"{p.variant.label}: {summary['status']} in "
                                  f"{summary['seconds']:.1f}s"), highlight=False, markup=False)
        folder, record = run_all(lesson, planned, out_dir, lang, done)
    except TuidlError as e:
        fail(str(e))
    if as_json:
        print(json.dumps({**record, "dir": str(folder)}))
    else:
        out.print(table_of(lesson, record))
        for line in extra_lines(lesson, planned):
            out.print(plain(line), highlight=False)
        style = {True: "bold green", False: "bold red"}.get(record["holds"], "bold yellow")
        out.print(plain(record["verdict"], style), highlight=False, soft_wrap=True)
        out.print(visible(f"runs and lesson.json in {folder}"), highlight=False, markup=False,
                  soft_wrap=True)
    raise typer.Exit(0 if record["holds"] else 1)


def table_of(lesson, record: dict) -> Table:
    """A row per variant: status, the figures the verdict names, gradients, seconds."""
    keys = list(dict.fromkeys(key for _, key in lesson.used()
                              if key not in ("status", "gradients", "seconds")))
    table = Table(box=None, pad_edge=False)
    for col in ("variant", "status", *keys, "gradients", "seconds"):
        table.add_column(col, no_wrap=col != "variant")
    for v in record["variants"]:
        f = v.get("figures") or {}
        table.add_row(plain(v["label"]), f.get("status", ""), *(_num(f.get(k)) for k in keys),
                      str(f.get("gradients", "")), _num(f.get("seconds"), ".1f"))
    return table


def extra_lines(lesson, planned) -> list[str]:
    """The lesson's extra, as text: each activation's slope, or the CNN's receptive fields."""
    from tuidl.config import parse_ints
    from tuidl.lesson_extras import (activation_names, activation_rows, cnn_config,
                                     input_size, receptive_fields)
    configs = [p.prepared.config for p in planned]
    if lesson.extra == "activations":
        return ["activation   f(x)          largest f'   f'(3)"] + [
            f"{a.name:<12} {a.formula:<13} {a.max_slope:<12.3g} {a.slope_at_3:.3g}"
            for a in activation_rows(activation_names(configs))]
    if lesson.extra == "receptive_field":
        cnn = cnn_config(configs)
        if cnn is None:
            return []
        size = input_size(cnn)
        rows = receptive_fields(size, parse_ints(cnn["channels"]), cnn["kernel_size"],
                                cnn["padding"], cnn["stride"], cnn["pool"])
        return [f"the CNN on {size}x{size} inputs: layer, kernel/stride/padding, output, "
                "receptive field"] + [
            f"  {r.name:<6} k{r.kernel} s{r.stride} p{r.padding}   {r.size}x{r.size}   "
            f"{r.field}x{r.field} px" for r in rows]
    return []


def _num(x, fmt: str = ".4g") -> str:
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    return format(x, fmt)
