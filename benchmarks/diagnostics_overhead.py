"""What the diagnostics cost: a preset with diagnostics on (default log_every) against the same
run with diagnostics=false, alternating; the median and the best of the training seconds of
each (the best is the steadier figure on a machine that is doing other things).

    .venv/bin/python benchmarks/diagnostics_overhead.py [--preset cnn-digits] [--repeats 7]
        [--device auto]

Diagnostics = per-layer gradient norms, mean/max |g|, weight norms and update ratios on logged
steps, activation health at each eval, the diagnosis, and (recurrent models) per-time-step
state gradients. The first run of each is a warm-up and is not counted.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import torch

from tuidl.runner import execute, prepare


def seconds(preset: str, device: str, on: bool, extra: list[str], cpu: bool) -> float:
    with tempfile.TemporaryDirectory() as root:
        prep = prepare(preset, [f"diagnostics={'true' if on else 'false'}", *extra],
                       device=device)
        t0 = time.process_time()
        wall = execute(prep, out_root=root).seconds
        return time.process_time() - t0 if cpu else wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="cnn-digits")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--set", action="append", default=[], dest="extra")
    ap.add_argument("--wall", action="store_true",
                    help="compare wall seconds (default on CPU: process CPU seconds, one "
                         "thread, which other work on the machine does not disturb)")
    args = ap.parse_args()
    cpu = not args.wall and args.device in ("auto", "cpu") and not torch.cuda.is_available()
    if cpu:
        torch.set_num_threads(1)
    run = lambda on: seconds(args.preset, args.device, on, args.extra, cpu)  # noqa: E731
    run(True), run(False)  # warm-up: imports, allocator
    on, off = [], []
    for _ in range(args.repeats):
        on.append(run(True))
        off.append(run(False))
    print(f"timing: {'process CPU seconds, 1 thread' if cpu else 'wall seconds'}")
    for how, f in (("median", statistics.median), ("best", min)):
        a, b = f(on), f(off)
        print(f"{args.preset}: diagnostics on {a:.3f}s, off {b:.3f}s ({how} of "
              f"{args.repeats}); overhead {100 * (a / b - 1):+.1f}%")


if __name__ == "__main__":
    main()
