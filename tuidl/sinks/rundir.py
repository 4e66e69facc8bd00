"""Run directories: the unit a user keeps, compares and resumes.

    runs/<YYYYmmdd-HHMMSS>-<preset>[-N]/
        config.toml      the fully resolved config (a preset file `tuidl run` accepts again)
        events.jsonl     the event stream, appended and flushed event by event
        summary.json     the final summary (the same object `tuidl run --json` prints)
        checkpoint.pt    model + optimizer state, replaced atomically after each eval
"""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

CONFIG, EVENTS, SUMMARY, CHECKPOINT = "config.toml", "events.jsonl", "summary.json", "checkpoint.pt"


def make_run_dir(root: str | os.PathLike, preset: str) -> Path:
    """A new, unique directory; mkdir without exist_ok makes it safe against concurrent runs."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", preset).strip("-") or "run"
    base = f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}"
    for n in range(1, 10_000):
        path = root / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a unique run directory under {root}")


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_summary(run_dir: Path, summary: dict) -> None:
    write_atomic(run_dir / SUMMARY, json.dumps(summary, indent=2) + "\n")
