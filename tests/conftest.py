"""Shared fixtures: train a preset in-process into a temporary run root."""
from __future__ import annotations

import json
from pathlib import Path

import pytest


@pytest.fixture
def train(tmp_path):
    """train("preset", "key=value", ...) -> (summary dict, run_dir Path, events list of dicts)."""
    from tuidl.runner import execute, prepare

    def _train(ref: str, *overrides: str, **flags):
        prep = prepare(ref, list(overrides), **flags)
        summary = execute(prep, out_root=str(tmp_path / "runs"))
        run_dir = Path(summary.run_dir)
        events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
        return summary.public(), run_dir, events

    return _train
