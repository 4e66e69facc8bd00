"""`tuidl compare PRESET --vary key=a,b`: one run per combination, and their table. Its own
module, as the other long commands are."""
from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.table import Table

from tuidl.cli_io import check_out_dir, complete_preset, err, fail, out
from tuidl.config import TuidlError
from tuidl.text import plain, visible


def compare_cmd(
    preset: Annotated[str, typer.Argument(help="Preset name or path to a preset .toml file.",
                                          autocompletion=complete_preset)],
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
    check_out_dir(out_dir)
    from tuidl.compare import plan, primary_metric, run_all
    try:
        variants = plan(preset, vary, set_ or [], epochs=epochs, device=device, seed=seed)
        name = variants[0].prepared.preset.name

        def done(v, summary):
            if not as_json:
                line = f"{v.label}: {summary['status']} in {summary['seconds']:.1f}s"
                err.print(visible(line), highlight=False, markup=False)
        folder, results = run_all(variants, out_dir, name, done)
    except TuidlError as e:
        fail(str(e))
    if as_json:
        print(json.dumps({"preset": name, "dir": str(folder), "runs": results}))
        return
    table = Table(box=None, pad_edge=False, title=plain(f"{name}: {len(results)} variants"))
    spec = variants[0].prepared.preset.spec
    prim_key = next((p[0] for r in results if (p := primary_metric(spec, r["metrics"]))),
                    "metric")
    # runs named by what differs (as on the compare screen); metrics by their keys in
    # summary.json and metrics.csv, the one naming every table uses
    loss_key = f"train_{spec.loss_key}"
    for col in ("run", "status", loss_key, "val_loss", prim_key, "seconds", "gradients"):
        table.add_column(col, no_wrap=True)
    for r in results:
        m = r["metrics"]
        table.add_row(plain(r["variant"]), r["status"], _num(m.get(loss_key)),
                      _num(m.get("val_loss")), _num(m.get(prim_key)), f"{r['seconds']:.1f}",
                      (r.get("diagnosis") or {}).get("verdict", ""))
    out.print(table)
    out.print(visible(f"runs and compare.json in {folder}"), highlight=False, markup=False,
              soft_wrap=True)


def _num(x) -> str:
    return "" if x is None else f"{x:.4g}"
