"""Start-up: wall time of `tuidl --help`, `tuidl list`, the app's first frame and a short run.

    .venv/bin/python benchmarks/startup.py [--repeats 10] [--no-record]

Each command runs as a fresh process (the installed `tuidl` script beside this Python), timed
from spawn to exit; the app is started in a pseudo-terminal of 80x24 and timed from spawn to
the first frame that shows the preset picker (its list of presets on screen), then quit with
ctrl+q. `tuidl run mlp-digits --epochs 1` is a whole headless run of 34 steps from spawn to
exit: what a user waits for beyond the training itself (imports, data, the run directory, the
exit). Median and best of `--repeats` runs; targets: --help <= 0.3 s, list <= 0.5 s, first
frame <= 2 s (none set for the run). Appends the table to benchmarks/RESULTS.md (see results.py).
"""
from __future__ import annotations

import argparse
import fcntl
import os
import pty
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
TARGETS = {"tuidl --help": 0.3, "tuidl list": 0.5, "first frame of `tuidl`": 2.0, RUN: None}
PICKER_TEXT = b"xor-mlp"  # a preset name: on screen once the picker has drawn


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--no-record", action="store_true")
    args = ap.parse_args()
    import tempfile
    rows = []
    with tempfile.TemporaryDirectory() as root:
        probes = {"tuidl --help": lambda: run_once(["--help"]),
                  "tuidl list": lambda: run_once(["list"]),
                  "first frame of `tuidl`": lambda: first_frame(root),
                  RUN: lambda: run_once(["run", "mlp-digits", "--epochs", "1", "--out", root,
                                         "-q"])}
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
    if not args.no_record:
        record("start-up", ["what", "median s", "best s", "target s", ""], rows,
               command=f"python benchmarks/startup.py --repeats {args.repeats}")


if __name__ == "__main__":
    main()
