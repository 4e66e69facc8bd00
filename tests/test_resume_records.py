"""A resumed run's side files agree with its checkpoint: what was recorded after the step it
goes on from (evaluations a kill left behind the last checkpoint) is cut, not kept twice, and
config.toml holds the config the run goes on with (--epochs), so it repeats the run."""
from __future__ import annotations

import csv
import json
import shutil
import tomllib
from pathlib import Path

from tuidl.runner import execute, prepare, resume_prepared


def test_records_past_the_checkpoint_are_cut_and_config_follows_the_resume(tmp_path):
    first = execute(prepare("mlp-spiral", ["epochs=3"]), out_root=str(tmp_path))
    run = Path(first.run_dir)
    shutil.copy(run / "checkpoint.pt", tmp_path / "epoch3.pt")
    execute(resume_prepared(str(run), epochs=6), run_dir=str(run))
    assert tomllib.loads((run / "config.toml").read_text())["params"]["epochs"] == 6
    # a kill after the evals of epochs 4-6 but before their checkpoint: back to epoch 3
    shutil.copy(tmp_path / "epoch3.pt", run / "checkpoint.pt")
    again = execute(resume_prepared(str(run), epochs=6), run_dir=str(run))
    assert again.status == "completed" and again.epochs == 6
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3, 4, 5, 6]
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    evals = [e["epoch"] for e in events if e["type"] == "eval"]
    assert evals == [1, 2, 3, 4, 5, 6]
    steps = [e["step"] for e in events]
    assert steps == sorted(steps)  # never back in time
