"""Why weight_decay runs were slow, and that they are not any more: denormal floats.

    .venv/bin/python benchmarks/denormals.py [--epochs 3000] [--rounds 3] [--no-record]

1. One optimizer step, fused Adam on a 128x128 layer, with ordinary gradients and with
   gradients of 1e-20 (their squares, Adam's second moments, are denormal), with the CPU's
   flush-to-zero mode off and on (`torch.set_flush_denormal`).
2. The over-fitting setup of the `overfitting` lesson (300 noisy points, 20 % of them for
   training, two layers of 128) trained `--epochs` epochs with AdamW and weight_decay 0.01,
   and without weight decay, each with flushing off (tuidl before) and on (tuidl now), in
   alternating rounds; the share of denormal values in the weights and optimizer state at
   the end.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
from results import record  # noqa: E402

from tuidl.engine import device as device_module  # noqa: E402
from tuidl.runner import execute, prepare  # noqa: E402

SETUP = ["n_samples=300", "train_fraction=0.2", "noise=0.45", "hidden=128,128",
         "batch_size=30", "threads=1"]


def step_us(tiny: bool, flush: bool, fused: bool = True) -> float:
    torch.set_flush_denormal(flush)
    p = torch.nn.Parameter(torch.randn(128 * 128))
    opt = torch.optim.Adam([p], lr=1e-3, fused=fused)
    p.grad = torch.full_like(p, 1e-20 if tiny else 1e-3)
    for _ in range(5):
        opt.step()
    t0 = time.perf_counter()
    for _ in range(2000):
        opt.step()
    return (time.perf_counter() - t0) / 2000 * 1e6


def denormal_share(engine_state: list) -> float:
    tiny = torch.finfo(torch.float32).tiny
    n = d = 0
    for t in engine_state:
        n += t.numel()
        d += int(((t != 0) & (t.abs() < tiny)).sum())
    return d / max(n, 1)


def run(wd: float, flush: bool, epochs: int, optimizer: str) -> tuple[float, float]:
    """(seconds, share of denormals at the end) of one run."""
    seen: list = []
    original = device_module.flush_denormals
    device_module.flush_denormals = lambda: bool(torch.set_flush_denormal(flush))
    import tuidl.engine.loop as loop
    finish = loop.Engine._evaluate

    def last_eval(self, means):
        out = finish(self, means)
        if self.epoch >= self.epochs:
            torch.set_flush_denormal(False)  # count what is there, not what flushing shows
            seen[:] = [p.detach() for m in self.task.models.values() for p in m.parameters()]
            seen.extend(v for o in self.task.optimizers.values() for st in o.state.values()
                        for v in st.values() if torch.is_tensor(v) and v.numel() > 1)
            share = denormal_share(seen)
            seen[:] = [share]
            torch.set_flush_denormal(flush)
        return out
    loop.Engine._evaluate = last_eval
    try:
        with tempfile.TemporaryDirectory() as root:
            s = execute(prepare("mlp", [*SETUP, f"weight_decay={wd}", f"epochs={epochs}",
                                        f"optimizer={optimizer}"]), out_root=root)
    finally:
        device_module.flush_denormals, loop.Engine._evaluate = original, finish
    return s.seconds, seen[0] if seen else float("nan")


def main(argv: list[str] | None = None) -> list[list]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--optimizers", default="adamw,rmsprop",
                    help="adamw runs torch's fused kernel on a CPU, rmsprop the default one")
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    rows = []
    for tiny in (False, True):
        off, on = step_us(tiny, False), step_us(tiny, True)
        rows.append([f"fused Adam step, 128x128, gradients {'1e-20' if tiny else '1e-3'}",
                     f"{off:.1f} us", f"{on:.1f} us", f"{off / on:.2f}", ""])
        print(" | ".join(rows[-1]), flush=True)
    for optimizer, wd in ((o, w) for o in args.optimizers.split(",") for w in (0.01, 0.0)):
        times: dict[bool, list[float]] = {False: [], True: []}
        shares: dict[bool, float] = {}
        for r in range(args.rounds):
            for flush in ((False, True) if r % 2 == 0 else (True, False)):
                seconds, shares[flush] = run(wd, flush, args.epochs, optimizer)
                times[flush].append(seconds)
        off, on = statistics.median(times[False]), statistics.median(times[True])
        rows.append([f"overfitting setup, {optimizer}, weight_decay={wd}, {args.epochs} epochs",
                     f"{off:.2f} s", f"{on:.2f} s", f"{off / on:.2f}",
                     f"{shares[False]:.1%} denormal at the end"])
        print(" | ".join(rows[-1]), flush=True)
    columns = ["what", "flush off (before)", "flush on (now)", "off / on", "note"]
    for tiny in (False, True):  # the default (foreach) implementation, which RMSprop uses
        off, on = step_us(tiny, False, fused=False), step_us(tiny, True, fused=False)
        rows.append([f"Adam step (default kernels), gradients {'1e-20' if tiny else '1e-3'}",
                     f"{off:.1f} us", f"{on:.1f} us", f"{off / on:.2f}", ""])
        print(" | ".join(rows[-1]), flush=True)
    if not args.no_record:
        record("denormals: why weight_decay runs were slow", columns, rows,
               note=f"one thread; whole runs: median of {args.rounds} alternating rounds.")
    return rows


if __name__ == "__main__":
    main()
