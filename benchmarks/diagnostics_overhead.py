"""What the diagnostics cost, two ways. In place: one run with diagnostics on, every diagnostics
code path timed where it runs, as a share of the run. And whole runs: diagnostics on (default
log_every) against diagnostics=false, in alternating order, median and best of each; on a shared
machine their run-to-run noise (several %) is larger than the effect.

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


def attributed(preset: str, device: str, extra: list[str]) -> tuple[float, float]:
    """One run with diagnostics on, timing every diagnostics code path in place: (seconds in
    diagnostics, seconds of the whole run). Unlike on/off runs, this is not blurred by the
    run-to-run noise of a shared machine (which is larger than the effect)."""
    from tuidl.diagnose import Diagnoser
    from tuidl.engine.activations import ActivationProbe
    from tuidl.engine.gradstats import GradStatsProbe
    from tuidl.sinks.jsonl import JsonlSink
    from timing import Stopwatch
    watch = Stopwatch()
    timed = watch.wrap

    saved = []
    for cls, name in ((GradStatsProbe, "begin"), (GradStatsProbe, "finish"),
                      (GradStatsProbe, "histograms"),
                      (Diagnoser, "update"),
                      (ActivationProbe, "__enter__"), (ActivationProbe, "__exit__"),
                      (ActivationProbe, "read")):
        saved.append((cls, name, getattr(cls, name)))
        setattr(cls, name, timed(getattr(cls, name)))
    hook_factory = ActivationProbe._hook
    ActivationProbe._hook = lambda self, n, k: timed(hook_factory(self, n, k))
    sink_call = JsonlSink.__call__

    def sink(self, event):  # writing the diagnostics' own events
        if event.type in ("grad_stats", "histograms", "activations", "diagnosis",
                          "time_grads"):
            return timed(sink_call)(self, event)
        return sink_call(self, event)
    JsonlSink.__call__ = sink
    try:
        with tempfile.TemporaryDirectory() as root:
            total = execute(prepare(preset, list(extra), device=device), out_root=root).seconds
    finally:
        for cls, name, fn in saved:
            setattr(cls, name, fn)
        ActivationProbe._hook, JsonlSink.__call__ = hook_factory, sink_call
    return watch.spent, total


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
    for i in range(args.repeats):  # on/off, then off/on: no order bias
        for flag in ((True, False) if i % 2 == 0 else (False, True)):
            (on if flag else off).append(run(flag))
    print(f"timing: {'process CPU seconds, 1 thread' if cpu else 'wall seconds'}")
    inside, total = attributed(args.preset, args.device, args.extra)
    print(f"{args.preset}: {inside:.3f}s of {total:.3f}s inside diagnostics code "
          f"({100 * inside / total:.1f}% of the run, timed in place)")
    for how, f in (("median", statistics.median), ("best", min)):
        a, b = f(on), f(off)
        print(f"{args.preset}: diagnostics on {a:.3f}s, off {b:.3f}s ({how} of "
              f"{args.repeats}); overhead {100 * (a / b - 1):+.1f}%")


if __name__ == "__main__":
    main()
