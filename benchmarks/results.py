"""Append measured rows to benchmarks/RESULTS.md, one table per benchmark.

    from results import record
    record("overhead", ["preset", "bare samples/s", ...], rows, command="python benchmarks/…")

Each call adds a section: a heading with the benchmark name, the date, the device, the command
that produced it, and a Markdown table of `rows` (lists of cells). Earlier sections stay, so
the file is the history of measurements; the newest is at the bottom.
"""
from __future__ import annotations

import datetime
import platform
import sys
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = ("# Benchmark results\n\nMeasured by the commands shown, newest at the bottom. "
          "CPU figures come from a shared 2-core machine: repeat a command to see its "
          "noise.\n")


def device_name(device: str = "cpu") -> str:
    if device.startswith("cuda"):
        import torch
        return torch.cuda.get_device_name(torch.device(device))
    return f"CPU {platform.processor() or platform.machine()}, {_cores()} cores"


def _cores() -> int:
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def record(name: str, columns: list[str], rows: list[list], device: str = "cpu",
           command: str | None = None, note: str = "") -> None:
    command = command or "python " + " ".join(sys.argv)
    lines = [f"\n## {name}\n",
             f"{datetime.date.today().isoformat()} · {device_name(device)} · `{command}`\n"]
    if note:
        lines.append(f"{note}\n")
    lines.append("| " + " | ".join(columns) + " |")
    lines.append("|" + "---|" * len(columns))
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    text = RESULTS.read_text() if RESULTS.is_file() else HEADER
    RESULTS.write_text(text + "\n".join(lines) + "\n")


def _cell(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)
