"""What tuidl costs against a hand-written loop, a DataLoader loop, and with the app attached.

    .venv/bin/python benchmarks/overhead.py [--presets mlp-digits,cnn-digits,lstm-sentiment]
        [--repeats 3] [--stat best|median] [--clock wall|cpu] [--scale 1.0] [--device cpu]
        [--no-tui] [--no-record]

For each preset, the same number of training steps (epochs x steps per epoch) five ways:

- bare: benchmarks/bare_loops.py, index batching over device tensors, nothing else, the
  optimizer as hand-written code builds it (`torch.optim.Adam(params, lr=...)`);
- bare fused: the same with the optimizer as tuidl builds it (torch's fused kernels), so
  headless/bare fused is the cost of tuidl's instrumentation alone;
- DataLoader: bare with TensorDataset + DataLoader(shuffle=True);
- headless: `tuidl run` in-process (tuidl.runner.execute), every metric on (gradient
  statistics every log_every steps, activation health, diagnosis, events and CSV files,
  checkpoints);
- TUI: the real app driven headlessly (App.run_test), started from the form with ctrl+r; the
  run trains in a child process while the app redraws.

Timing. The bare loops time their loop alone. tuidl's time is the engine's own (the summary's
seconds: process start-up, imports and data loading excluded). tuidl evaluates once per epoch
(validation loss, accuracy, confusion matrix) and scores the test split at the end, which the
reference loops do not do, so the headless row gives two figures: `headless` = training only
(seconds minus the time inside evaluation; checkpoints, events and statistics stay counted)
against which the bare and DataLoader loops are compared, and `+eval` = the whole run. The app's
run cannot be timed from inside its child process, so TUI/headless compares whole runs
(evaluation included on both sides) by the engine's seconds.

Fairness: every measurement runs in a fresh interpreter (as `tuidl run` and the app's child
do), after a short warm-up of the same kind there; one CPU thread everywhere (tuidl's `threads`
default; torch.set_num_threads(1) in the reference loops); `--repeats` rounds, the order of the
five rotating per round; the fastest round of each is reported (`--stat median` for the middle
one: on a shared machine the same loop varies by +-10 % between rounds). The ratios are paired:
each round's own ratio (both sides measured within the same round), the median over the rounds
and their range. Rows go to benchmarks/RESULTS.md (results.py).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))
import bare_loops  # noqa: E402
from results import record  # noqa: E402

from tuidl.runner import execute, prepare  # noqa: E402

# epochs per preset at --scale 1: a few seconds per measurement on one CPU thread
EPOCHS = {"mlp-digits": 300, "cnn-digits": 100, "lstm-sentiment": 15}
KINDS = ("bare", "bare_fused", "dataloader", "headless", "tui")


def _epochs(preset: str, scale: float) -> int:
    return max(1, round(EPOCHS.get(preset, 10) * scale))


def headless(preset: str, epochs: int, device: str, clock=time.perf_counter) -> dict:
    """One in-process run: the engine's seconds, and the seconds spent evaluating."""
    from tuidl.engine import loop
    spent = {"run": 0.0, "eval": 0.0, "ckpt": 0.0}

    def timed(fn, key):
        def wrapper(*a, **kw):
            t0 = clock()
            try:
                return fn(*a, **kw)
            finally:
                spent[key] += clock() - t0
        return wrapper

    run, evaluate, save = loop.Engine.run, loop.Engine._evaluate, loop.save_checkpoint
    task_cls = prepare(preset).preset.spec.load_task()
    finish = task_cls.finish
    loop.Engine.run = timed(run, "run")
    loop.Engine._evaluate = timed(evaluate, "eval")
    loop.save_checkpoint = timed(save, "ckpt")
    task_cls.finish = timed(finish, "eval")
    try:
        with tempfile.TemporaryDirectory() as root:
            s = execute(prepare(preset, [f"epochs={epochs}", f"device={device}"]),
                        out_root=root)
            rate = median_rate(Path(s.run_dir))
    finally:
        loop.Engine.run, loop.Engine._evaluate = run, evaluate
        loop.save_checkpoint, task_cls.finish = save, finish
    assert s.status == "completed", s.message
    evaluation = spent["eval"] - spent["ckpt"]  # checkpoints are tuidl's cost: they count
    return {"seconds": spent["run"], "train_seconds": spent["run"] - evaluation,
            "steps": s.steps, "rate": rate}


def median_rate(run_dir: Path) -> float:
    """The steady-state samples/s the run reported: the median of its scalars events."""
    rates = []
    with open(run_dir / "events.jsonl", encoding="utf-8") as f:
        for line in f:
            e = json.loads(line)
            if e.get("type") == "scalars" and "samples_per_s" in e.get("values", {}):
                rates.append(e["values"]["samples_per_s"])
    return statistics.median(rates) if rates else float("nan")


def tui(preset: str, epochs: int, device: str, timeout: float = 600.0) -> dict:
    """The app, driven headlessly: pick the preset's form, set epochs, ctrl+r, wait."""
    from tuidl.ui.app import TuidlApp

    async def drive(root: str) -> None:
        app = TuidlApp(preset=preset, out_root=root)
        async with app.run_test(size=(100, 30)) as pilot:
            app.screen.query_one("#field-epochs").value = str(epochs)
            app.screen.query_one("#field-device").value = device
            await pilot.press("ctrl+r")
            state = app.screen.state
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and not (
                    state.status in ("completed", "failed", "stopped", "diverged")
                    and list(Path(root).glob("*/summary.json"))):
                await pilot.pause(0.1)
            if state.status != "completed":
                raise RuntimeError(f"{preset}: the app's run ended {state.status!r}: "
                                   f"{state.message}")

    with tempfile.TemporaryDirectory() as root:
        asyncio.run(drive(root))
        run_dir = next(Path(root).glob("*/summary.json")).parent
        summary = json.loads((run_dir / "summary.json").read_text())
        return {"seconds": summary["seconds"], "steps": summary["steps"],
                "rate": median_rate(run_dir)}


def fresh(job: dict):
    """One measurement in a fresh interpreter (as `tuidl run` and the app's child are), after
    a short warm-up of the same kind there; its result is the last line it prints."""
    out = subprocess.run([sys.executable, __file__, "--child", json.dumps(job)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{job}: {out.stderr.strip()[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(job: dict):
    torch.set_num_threads(1)
    clock = time.process_time if job["clock"] == "cpu" else time.perf_counter
    preset, device = job["preset"], job["device"]
    if job["kind"] == "headless":
        headless(preset, 1, device, clock)  # warm-up
        return headless(preset, job["epochs"], device, clock)
    dev = "cpu" if device == "auto" else device
    bare_loops.train(preset, job["kind"], max(1, job["steps"] // 20), dev, clock)  # warm-up
    return bare_loops.train(preset, job["kind"], job["steps"], dev, clock)


def measure(preset: str, kinds: list[str], repeats: int, scale: float, device: str,
            clock: str = "wall") -> dict:
    epochs = _epochs(preset, scale)
    s = bare_loops.build(preset, torch.device("cpu"))
    steps, samples = s.steps_per_epoch * epochs, len(s.y) * epochs
    times: dict[str, list] = {k: [] for k in kinds}

    def once(kind: str):
        if kind == "tui":
            return tui(preset, epochs, device)
        return fresh({"kind": kind, "preset": preset, "epochs": epochs, "steps": steps,
                      "device": device, "clock": clock})

    for r in range(repeats):
        order = kinds[r % len(kinds):] + kinds[:r % len(kinds)]
        for k in order:
            times[k].append(once(k))
    out = {"preset": preset, "epochs": epochs, "steps": steps, "samples": samples}
    for k in ("bare", "bare_fused", "dataloader"):
        if k in times:
            out[k] = samples / pick(times[k])
    if "headless" in times:
        h = times["headless"]
        assert all(x["steps"] == steps for x in h), (steps, h)
        out["headless"] = samples / pick([x["train_seconds"] for x in h])
        out["headless_all"] = samples / pick([x["seconds"] for x in h])
        out["headless_rate"] = statistics.median(x["rate"] for x in h)
    if "tui" in times:
        out["tui_all"] = samples / pick([x["seconds"] for x in times["tui"]])
        out["tui_rate"] = statistics.median(x["rate"] for x in times["tui"])
    seconds = {k: [x if isinstance(x, float) else x["seconds"] for x in v]
               for k, v in times.items()}
    if "headless" in times:
        seconds["headless_all"] = seconds["headless"]
        seconds["headless"] = [x["train_seconds"] for x in times["headless"]]
    out["paired"] = {(a, b): [tb / ta for ta, tb in zip(seconds[a], seconds[b])]
                     for a, b in PAIRS if a in seconds and b in seconds}
    return out


STAT = {"best": min, "median": statistics.median}
pick = min  # set by --stat


# the ratios reported: (faster side, reference) of samples/s, compared round by round
PAIRS = [("headless", "bare"), ("headless", "bare_fused"), ("tui", "headless_all"),
         ("headless", "dataloader")]


def ratio(ratios: list[float] | None) -> str:
    """The median of the per-round ratios, and their range when there are several: each
    round measures both sides minutes apart at most, so a slow spell of the machine falls on
    both, where the best (or median) of each side separately may come from different spells."""
    if not ratios:
        return "-"
    mid = f"{statistics.median(ratios):.2f}"
    return mid if len(ratios) == 1 else f"{mid} ({min(ratios):.2f}-{max(ratios):.2f})"


COLUMNS = ["preset", "steps", "bare", "bare fused", "DataLoader", "headless", "headless +eval",
           "TUI +eval", "headless/bare", "headless/bare fused", "TUI/headless",
           "tuidl/DataLoader"]


def row(m: dict) -> list:
    g, p = m.get, m["paired"].get
    return [m["preset"], m["steps"], g("bare", "-"), g("bare_fused", "-"), g("dataloader", "-"),
            g("headless", "-"), g("headless_all", "-"), g("tui_all", "-"),
            *[ratio(p(pair)) for pair in PAIRS]]


def main(argv: list[str] | None = None) -> list[dict]:
    ap = argparse.ArgumentParser()
    ap.add_argument("--presets", default=",".join(bare_loops.PRESETS))
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0, help="times the default epochs")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="cpu: this process's CPU seconds for bare, DataLoader and headless "
                         "(steadier on a busy machine; waits such as fsync not counted; the "
                         "app's run is always timed by wall seconds, as its headless twin)")
    ap.add_argument("--stat", choices=tuple(STAT), default="best",
                    help="best: the fastest round of each (timeit's rule: slower rounds "
                         "measure the machine's other work); median: the middle one")
    ap.add_argument("--no-tui", action="store_true")
    ap.add_argument("--no-record", action="store_true")
    ap.add_argument("--label", default="", help="a note for the recorded table")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return []
    torch.set_num_threads(1)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    global pick
    pick = STAT[args.stat]
    kinds = [k for k in KINDS if not (k == "tui" and args.no_tui)]
    load = os.getloadavg()[0]
    results = [measure(p, kinds, args.repeats, args.scale, args.device, args.clock)
               for p in args.presets.split(",")]
    rows = [row(m) for m in results]
    load = f"load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end"
    print(f"samples/s, {args.stat} of {args.repeats}; headless = training only (evaluation "
          f"subtracted), +eval = the whole run; ratios: median of the {args.repeats} rounds' "
          f"ratios (lowest-highest); {load}")
    widths = [max(len(str(c)), 14) for c in COLUMNS]
    print("  ".join(f"{c:>{w}}" for c, w in zip(COLUMNS, widths)))
    for r in rows:
        print("  ".join(f"{(f'{v:,.0f}' if isinstance(v, float) else str(v)):>{w}}"
                        for v, w in zip(r, widths)))
    if not args.no_record:
        record("overhead: tuidl vs a bare loop, a DataLoader loop, and with the TUI", COLUMNS,
               rows, device=args.device if args.device != "auto" else "cpu",
               command="python benchmarks/overhead.py " + " ".join(argv or sys.argv[1:]),
               note=f"samples/s, {args.stat} of {args.repeats} rounds, one CPU thread; headless = "
                    "training only (time inside evaluation subtracted), +eval = whole runs; "
                    "ratios: the median of the rounds' own ratios (both sides measured in the "
                    f"same round), lowest-highest in brackets; {load}; clock: {args.clock}."
                    + (f" {args.label}" if args.label else ""))
    return results


if __name__ == "__main__":
    main()
