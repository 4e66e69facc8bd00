"""Train every built-in preset with its defaults on several seeds and print the README's
preset table.

    .venv/bin/python benchmarks/preset_figures.py [--device auto] [--presets a,b] [--seeds 0,1,2]

Each row: the preset, its family, what it shows, the figure it reached on each seed (its
family's headline metric from the run summary; for a preset whose lesson is the gradient, the
diagnosis too) and the wall seconds of the run on the first seed. The tests assert the same
figures, with margin below the worst seed; this script only reports them.
"""
from __future__ import annotations

import argparse
import re
import tempfile

from tuidl.catalog import builtin_names, load_preset
from tuidl.runner import execute, prepare

GRADIENT_LESSONS = ("grad", "time_grads")


def headline(family: str, summary: dict) -> tuple[str, str]:
    """(what the figure is, the figure) of a run."""
    m = summary["metrics"]
    if family == "perceptron":
        verdict = "converged" if m.get("converged") else "did not converge"
        return "accuracy", f"{m['accuracy']:.0%}, {verdict}"
    if family == "gan":
        return "modes, high quality", f"{m['modes']}/{m['modes_total']} {m['high_quality']:.0%}"
    if family == "word2vec":
        if "precision_at_5" in m:
            return "precision@5", f"{m['precision_at_5']:.2f}"
        said = summary.get("message", "").split("; ")  # "… class → instance, …; …"
        return "neighbours", next((x for x in said if x.startswith("class →")), said[-1])
    for key in ("test_accuracy", "val_accuracy"):
        if key in m:
            return key.replace("_", " "), f"{m[key]:.1%}"
    grew = re.search(r"after exploding to (\S+)", (summary.get("diagnosis") or {}).get(
        "explanation", ""))
    return "status", summary["status"] + (f" (exploding to {grew[1]} first)" if grew else "")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="auto")
    ap.add_argument("--presets", default=",".join(builtin_names()))
    ap.add_argument("--seeds", default="0,1,2")
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    print(f"| preset | family | what it shows | reached, seeds {', '.join(map(str, seeds))} | "
          f"seconds (seed {seeds[0]}) |")
    print("| --- | --- | --- | --- | --- |")
    for name in args.presets.split(","):
        preset = load_preset(name)
        figures, seconds = [], None
        for seed in seeds:
            with tempfile.TemporaryDirectory() as root:
                s = execute(prepare(name, [f"seed={seed}"], device=args.device),
                            out_root=root).public()
            what, figure = headline(preset.family, s)
            if (preset.lesson_panel in GRADIENT_LESSONS and s.get("diagnosis")
                    and s["status"] != "diverged"):
                figure += f" {s['diagnosis']['verdict']}"
            figures.append(figure)
            seconds = s["seconds"] if seconds is None else seconds
        print(f"| `{name}` | {preset.family} | {preset.about} | {what}: "
              f"{' · '.join(figures)} | {seconds:.1f} |", flush=True)


if __name__ == "__main__":
    main()
