"""Start-up: wall time of `tuidl --help`, `tuidl list`, the app's first frame and a short run.

    .venv/bin/python benchmarks/startup.py [--repeats 10] [--no-record]

Each command runs as a fresh process (the installed `tuidl` script beside this Python), timed
from spawn to exit; the app is started in a pseudo-terminal of 80x24 and timed from spawn to
the first frame that shows the preset picker (its list of presets on screen), then quit with
ctrl+q. `tuidl run mlp-digits --epochs 1` is a whole headless run of 34 steps from spawn to
exit: what a user waits for beyond the training itself (imports, data, the run directory, the
exit). "key → first step" opens a preset's form in the app (`tuidl ui PRESET`), leaves it
`SETTLE` seconds (a user reading the form; the app's training process loads meanwhile), presses
ctrl+r and times until the header shows a training step; it also checks that no frame between
says "waiting" (the screen says "starting" from its first frame, unless the step is there).
Median and best of `--repeats` runs; targets: --help <= 0.3 s, list <= 0.5 s, first frame
<= 2 s, key → first step <= 1 s (none set for the run). `--load N` runs N
CPU-burning processes beside every measurement. Appends the table to benchmarks/RESULTS.md
(see results.py).
"""
from __future__ import annotations

import argparse
import fcntl
import multiprocessing
import os
import pty
import re
import select
import statistics
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from results import record

TUIDL = str(Path(sys.executable).with_name("tuidl"))
RUN = "`tuidl run mlp-digits --epochs 1`"
KEY = "ctrl+r → first training step, {}"
KEY_PRESETS = ("xor-mlp", "cnn-digits")
TARGETS = {"tuidl --help": 0.3, "tuidl list": 0.5, "first frame of `tuidl`": 2.0, RUN: None,
           **{KEY.format(p): 1.0 for p in KEY_PRESETS}}
PICKER_TEXT = b"xor-mlp"  # a preset name: on screen once the picker has drawn
SETTLE = 4.0  # seconds on the form before ctrl+r
STEP = re.compile(rb"step [1-9][0-9]*/")  # the header once a step has been logged


def run_once(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([TUIDL, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - t0


def first_frame(out_root: str, timeout: float = 30.0) -> float:
    """Seconds from spawning `tuidl` in an 80x24 pseudo-terminal to the picker on screen."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([TUIDL, "ui", "--out", out_root], stdin=slave, stdout=slave,
                            stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    seen, elapsed = b"", None
    try:
        while time.perf_counter() - t0 < timeout:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(master, 65536)
                except OSError:
                    break
                if PICKER_TEXT in seen:
                    elapsed = time.perf_counter() - t0
                    break
        os.write(master, b"\x11")  # ctrl+q
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    finally:
        os.close(master)
    if elapsed is None:
        raise RuntimeError("the picker never showed")
    return elapsed


def _pty_app(args: list[str]):
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"}
    proc = subprocess.Popen([TUIDL, *args], stdin=slave, stdout=slave, stderr=slave, env=env,
                            start_new_session=True)
    os.close(slave)
    return master, proc


def _read_until(master: int, pattern, timeout: float, seen: bytes = b"") -> bytes | None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([master], [], [], 0.01)
        if ready:
            try:
                seen += os.read(master, 65536)
            except OSError:
                return None
            if pattern.search(seen):
                return seen
    return None


def key_to_step(preset: str, out_root: str, timeout: float = 60.0) -> float:
    """Seconds from ctrl+r on a preset's form to a training step on screen."""
    master, proc = _pty_app(["ui", preset, "--out", out_root])
    try:
        if _read_until(master, re.compile(rb"Start"), timeout) is None:
            raise RuntimeError("the form never showed")
        _read_until(master, re.compile(rb"$^"), SETTLE)  # reading the form
        t0 = time.perf_counter()
        os.write(master, b"\x12")  # ctrl+r
        seen = _read_until(master, STEP, timeout)
        elapsed = time.perf_counter() - t0
        if seen is None:
            raise RuntimeError("no training step showed")
        if b"waiting" in seen:  # a dead frame: "starting", or the step itself, comes first
            raise RuntimeError("the screen said 'waiting' after the key")
        os.write(master, b"\x11")  # ctrl+q
        deadline = time.perf_counter() + 20
        while proc.poll() is None and time.perf_counter() < deadline:
            _read_until(master, re.compile(rb"$^"), 0.1)  # keep reading: it writes as it exits
        return elapsed
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(master)


def _burn(stop) -> None:
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--no-record", action="store_true")
    ap.add_argument("--load", type=int, default=0, help="CPU-burning processes beside")
    ap.add_argument("--only", default="", help="probes whose name holds this text")
    args = ap.parse_args()
    import tempfile
    rows = []
    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=_burn, args=(stop,), daemon=True)
               for _ in range(args.load)]
    for b in burners:
        b.start()
    with tempfile.TemporaryDirectory() as root:
        probes = {"tuidl --help": lambda: run_once(["--help"]),
                  "tuidl list": lambda: run_once(["list"]),
                  "first frame of `tuidl`": lambda: first_frame(root),
                  RUN: lambda: run_once(["run", "mlp-digits", "--epochs", "1", "--out", root,
                                         "-q"]),
                  **{KEY.format(p): (lambda p=p: key_to_step(p, root)) for p in KEY_PRESETS}}
        probes = {k: v for k, v in probes.items() if args.only in k}
        for name, probe in probes.items():
            probe()  # warm the file cache
            times = [probe() for _ in range(args.repeats)]
            med, best = statistics.median(times), min(times)
            target = TARGETS[name]
            verdict = "" if target is None else "met" if med <= target else "MISSED"
            rows.append([name, f"{med:.3f}", f"{best:.3f}",
                         "-" if target is None else f"<= {target}", verdict])
            print(f"{name:36} median {med:.3f} s  best {best:.3f} s  target "
                  f"{'-' if target is None else f'<= {target} s'}  {verdict}")
    stop.set()
    for b in burners:
        b.join()
    if not args.no_record:
        load = f" --load {args.load}" if args.load else ""
        only = f" --only '{args.only}'" if args.only else ""
        record("start-up" + (f", {args.load} CPU-burning processes beside" if load else ""),
               ["what", "median s", "best s", "target s", ""], rows,
               command=f"python benchmarks/startup.py --repeats {args.repeats}{load}{only}")


if __name__ == "__main__":
    main()
