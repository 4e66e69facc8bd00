"""Train every built-in preset with its defaults and print the README's preset table.

    .venv/bin/python benchmarks/preset_figures.py [--device auto] [--presets a,b]

Each row: the preset, its family, what it shows, the figure it reached (its family's headline
metric from the run summary) and the wall seconds of the run. The tests assert the same
figures; this script only reports them.
"""
from __future__ import annotations

import argparse
import tempfile

from tuidl.catalog import builtin_names, load_preset
from tuidl.runner import execute, prepare


def headline(family: str, summary: dict) -> str:
    m = summary["metrics"]
    if family == "perceptron":
        verdict = "converged" if m.get("converged") else "did not converge"
        return f"accuracy {m['accuracy']:.0%}, {verdict}"
    if family == "gan":
        return f"{m['modes']}/{m['modes_total']} modes, {m['high_quality']:.0%} high quality"
    if family == "word2vec":
        if "precision_at_5" in m:
            return f"precision@5 {m['precision_at_5']:.2f}"
        return summary.get("message", "").split("; ", 1)[-1]  # no categories: neighbours
    if "test_accuracy" in m:
        return f"test accuracy {m['test_accuracy']:.1%}"
    if "val_accuracy" in m:
        return f"val accuracy {m['val_accuracy']:.1%}"
    return f"{summary['status']}: {summary.get('message', '')}"  # a run that diverged


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="auto")
    ap.add_argument("--presets", default=",".join(builtin_names()))
    args = ap.parse_args()
    print("| preset | family | what it shows | reached | seconds |")
    print("| --- | --- | --- | --- | --- |")
    for name in args.presets.split(","):
        preset = load_preset(name)
        with tempfile.TemporaryDirectory() as root:
            s = execute(prepare(name, [], device=args.device), out_root=root).public()
        print(f"| `{name}` | {preset.family} | {preset.about} | "
              f"{headline(preset.family, s)} | {s['seconds']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
