"""Compare runs: the same preset trained once per combination of varied hyperparameters.

    tuidl compare mlp-spiral --vary optimizer=sgd,momentum,rmsprop,adam --vary lr=0.01,0.001
    tuidl compare mlp-spiral --vary hidden="16,16;64,64,64"     (list values: separate by ;)

Every variant is resolved (and so validated) before any trains, so a bad value costs nothing.
The runs go into one folder, `<out>/<timestamp>-compare-<preset>/`, one run directory per
variant (named after what it varies) and `compare.json` with every variant's summary.
Torch-free until the first run starts.
"""
from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from tuidl.config import ConfigError

@dataclass
class Variant:
    label: str  # "optimizer=sgd lr=0.01"
    overrides: dict[str, str]
    prepared: Any


def parse_vary(items: list[str]) -> list[tuple[str, list[str]]]:
    axes = []
    for item in items:
        key, eq, values = item.partition("=")
        key = key.strip()
        sep = ";" if ";" in values else ","  # list values: --vary hidden="16,16;64,64"
        choices = [v.strip() for v in values.split(sep) if v.strip()]
        if not eq or not key or not choices:
            raise ConfigError(f"--vary expects key=value1,value2,…, got {item!r}")
        if key in dict(axes):
            raise ConfigError(f"--vary {key} is given twice")
        axes.append((key, choices))
    if not axes:
        raise ConfigError("compare needs at least one --vary key=value1,value2,…")
    return axes


def plan(ref: str, vary: list[str], sets: list[str], **cli: Any) -> list[Variant]:
    """Every combination, resolved; raises ConfigError naming the first bad one."""
    from tuidl.runner import prepare
    axes = parse_vary(vary)
    base = dict(s.split("=", 1) for s in sets if "=" in s)
    variants = []
    for combo in itertools.product(*[values for _, values in axes]):
        chosen = {key: value for (key, _), value in zip(axes, combo)}
        label = " ".join(f"{k}={v}" for k, v in chosen.items())
        try:
            prep = prepare(ref, list(sets) + [f"{k}={v}" for k, v in chosen.items()], **cli)
        except ConfigError as e:
            raise ConfigError(f"{label}: {e}") from None
        variants.append(Variant(label, {**base, **chosen}, prep))
    return variants


def primary_metric(spec, metrics: dict[str, Any]) -> tuple[str, float] | None:
    """The family's main metric (tuidl.specs) among a summary's metrics."""
    key = spec.main_metric(metrics)
    return (key, metrics[key]) if key else None


def run_all(variants: list[Variant], out_root: str, preset: str,
            on_done: Callable[[Variant, dict], None] = lambda v, s: None) -> tuple[Path, list]:
    from tuidl.runner import execute
    from tuidl.rundir import make_run_dir, write_atomic
    folder = make_run_dir(out_root, f"compare-{preset}")
    results = []
    for v in variants:
        summary = execute(v.prepared, out_root=str(folder), name=v.label).public()
        results.append({"variant": v.label, "overrides": v.overrides, **summary})
        write_atomic(folder / "compare.json", json.dumps(
            {"preset": preset, "runs": results}, indent=2) + "\n")
        on_done(v, summary)
    return folder, results
