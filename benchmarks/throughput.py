"""Throughput of presets and the cost of gradient statistics (opt-in, not part of the tests).

    .venv/bin/python benchmarks/throughput.py [--device auto] [--presets a,b,c] [--json]

For each preset: wall seconds of the engine, steps/s and samples/s (from the run's own
scalars). Then mlp-spiral with log_every=1 versus log_every=1000, which shows what measuring
the gradients (and the host sync that reads them) costs per step.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile

from tuidl.runner import execute, prepare
from tuidl.sinks.jsonl import read_events

DEFAULT = "xor-mlp,mlp-spiral,mlp-digits,cnn-digits,lstm-sentiment,gan-ring,word2vec"


def measure(preset: str, device: str, *overrides: str) -> dict:
    with tempfile.TemporaryDirectory() as root:
        s = execute(prepare(preset, list(overrides), device=device), out_root=root)
        rates = [v for e in read_events(f"{s.run_dir}/events.jsonl") if e.type == "scalars"
                 for k, v in e.values.items() if k.endswith("_per_s")]
    return {"preset": preset, "overrides": list(overrides), "device": s.device,
            "seconds": s.seconds, "steps": s.steps, "steps_per_s": round(s.steps / s.seconds, 1),
            "median_units_per_s": round(sorted(rates)[len(rates) // 2], 1) if rates else None}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="auto")
    ap.add_argument("--presets", default=DEFAULT)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    for name in args.presets.split(","):
        try:
            rows.append(measure(name, args.device))
        except Exception as e:  # a preset not present in this checkout
            print(f"skip {name}: {e}", file=sys.stderr)
    for log_every in (1, 1000):
        rows.append(measure("mlp-spiral", args.device, f"log_every={log_every}", "epochs=20"))
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"{'preset':16} {'overrides':22} {'device':7} {'seconds':>8} {'steps/s':>9} {'units/s':>11}")
    for r in rows:
        print(f"{r['preset']:16} {' '.join(r['overrides']):22} {r['device']:7} {r['seconds']:8.2f} "
              f"{r['steps_per_s']:9.0f} {r['median_units_per_s'] or 0:11.0f}")


if __name__ == "__main__":
    main()
