"""A run directory's checkpoint is data, never code: a planted pickle is refused by every
command that meets it (one `error:` line, exit 2) and its payload never runs; a checkpoint of
an older tuidl says how to go on, and goes on when the user vouches for it."""
from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tuidl.checkpoint_scan import foreign_globals
from tuidl.config import TuidlError
from tuidl.diagnose import Diagnoser
from tuidl.engine.checkpoint import FORMAT, load_checkpoint
from tuidl.runner import execute, prepare

ROOT = Path(__file__).resolve().parents[1]


class Payload:
    """Unpickling this writes the marker file: what a planted checkpoint would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return exec, (f"open({str(self.marker)!r}, 'w').close()",)


def _tuidl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tuidl", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def run_dir(tmp_path) -> Path:
    summary = execute(prepare("xor-mlp", ["epochs=2"]), out_root=str(tmp_path / "runs"))
    return Path(summary.run_dir)


def test_a_checkpoint_of_tensors_and_plain_values_loads_with_weights_only(run_dir):
    path = run_dir / "checkpoint.pt"
    state = torch.load(path, weights_only=True)
    assert state["format"] == FORMAT and foreign_globals(path) == []
    assert load_checkpoint(str(path), "cpu")["step"] == state["step"]


@pytest.mark.parametrize("command", ["resume", "watch", "export"])
def test_a_planted_checkpoint_is_refused_and_its_payload_never_runs(run_dir, tmp_path,
                                                                     command):
    marker = tmp_path / "payload-ran"
    state = torch.load(run_dir / "checkpoint.pt", weights_only=True)
    state["diagnoser"] = Payload(marker)
    torch.save(state, run_dir / "checkpoint.pt")
    args = {"resume": ["run", "--resume", str(run_dir), "--epochs", "3"],
            "watch": ["watch", str(run_dir)], "export": ["export", str(run_dir)]}[command]
    done = _tuidl(*args)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "nothing in it ran" in lines[0] and "Traceback" not in done.stderr
    assert not marker.exists()
    with pytest.raises(TuidlError, match="more than tensors and plain values"):
        load_checkpoint(str(run_dir / "checkpoint.pt"), "cpu")
    assert not marker.exists()


def test_even_a_trusted_resume_never_runs_a_planted_payload(run_dir, tmp_path):
    marker = tmp_path / "payload-ran"
    state = _older_format(torch.load(run_dir / "checkpoint.pt", weights_only=True))
    state["diagnoser"] = Payload(marker)
    torch.save(state, run_dir / "checkpoint.pt")
    done = _tuidl("run", "--resume", str(run_dir), "--epochs", "3", "--trust-checkpoint")
    assert done.returncode == 2 and done.stderr.startswith("error: "), done.stderr
    assert done.stderr.count("\n") == 1 and not marker.exists()


def _older_format(state: dict) -> dict:
    """The layout tuidl wrote before format 2: pickled objects and flat sums."""
    diagnoser = Diagnoser()
    diagnoser.load_state_dict(state["diagnoser"])
    for name in ("time_low", "time_vanishing", "time_last", "losses", "loss_first",
                 "readings", "lookups"):  # fields a Diagnoser of that time did not have
        del vars(diagnoser)[name]
    rng, meter = state["rng"], state["meter"]
    n, p = rng["numpy"], rng["python"]
    return {"models": state["models"], "optimizers": state["optimizers"], "task": {},
            "step": state["step"], "epoch": state["epoch"], "batch": state["batch"],
            "generator": state["generator"], "sums": (meter["sums"], meter["count"]),
            "epoch_sums": (meter["epoch_sums"], meter["epoch_count"]),
            "best_val": state["early_stopping"]["best"],
            "bad_evals": state["early_stopping"]["bad"], "metrics": state["metrics"],
            "n_evals": state["n_evals"], "diagnoser": diagnoser,
            "torch_rng": rng["torch"],
            "numpy_rng": (n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"],
                          n["has_gauss"], n["gauss"]),
            "python_rng": (p["version"], tuple(p["internal"]), p["gauss_next"]),
            "config": state["config"]}


def test_an_older_checkpoint_says_how_to_go_on_and_goes_on_when_trusted(run_dir):
    path = run_dir / "checkpoint.pt"
    torch.save(_older_format(torch.load(path, weights_only=True)), path)
    refused = _tuidl("run", "--resume", str(run_dir), "--epochs", "4", "--quiet")
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "--trust-checkpoint" in refused.stderr
    done = _tuidl("run", "--resume", str(run_dir), "--epochs", "4", "--trust-checkpoint",
                  "--quiet")
    assert done.returncode == 0, done.stderr
    state = torch.load(path, weights_only=True)  # written again, in today's format
    assert state["format"] == FORMAT and state["epoch"] == 4


def test_an_older_checkpoint_resumes_exactly_like_todays(tmp_path):
    """The conversion keeps every RNG and sum: trusted old and new resume identically."""
    flags = ["epochs=2", "seed=3"]
    first = execute(prepare("mlp-spiral", flags), out_root=str(tmp_path / "a"))
    state = torch.load(Path(first.run_dir) / "checkpoint.pt", weights_only=True)
    summaries = []
    for name, trust in (("new", False), ("old", True)):
        d = tmp_path / name
        d.mkdir()
        for f in ("config.toml", "events.jsonl"):
            (d / f).write_bytes((Path(first.run_dir) / f).read_bytes())
        torch.save(_older_format(state) if trust else state, d / "checkpoint.pt")
        from tuidl.runner import resume_prepared
        random.seed(0)  # whatever the process did before: the checkpoint's RNGs win
        summaries.append(execute(resume_prepared(str(d), epochs=4), run_dir=str(d),
                                 trust=trust))
    assert summaries[0].status == summaries[1].status == "completed"
    assert summaries[0].metrics == summaries[1].metrics


@pytest.mark.parametrize("field, value", [
    ("batch", -5), ("step", "12"), ("epoch", 1.5), ("batch", 10**9), ("meter", {}),
    ("early_stopping", {"best": "x"}), ("diagnoser", {"history": 3}), ("rng", {}),
    ("generator", torch.zeros(3)), ("metrics", 7), ("models", {}),
    ("optimizers", {"model": {"state": {}, "param_groups": []}}),
])
def test_a_damaged_checkpoint_is_one_error_line(run_dir, field, value):
    path = run_dir / "checkpoint.pt"
    state = torch.load(path, weights_only=True)
    state[field] = value
    torch.save(state, path)
    done = _tuidl("run", "--resume", str(run_dir), "--epochs", "3")
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
