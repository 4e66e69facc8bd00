"""`tuidl run PRESET --dry-run`: every built-in preset builds, trains two steps, evaluates once
and leaves nothing behind; the smoke test pytorch/examples gives each of its examples."""
from __future__ import annotations

import pytest

from cli_tools import call_entry
from tuidl.catalog import list_presets
from tuidl.cli import main

PRESETS = sorted(p.name for p in list_presets())


def _tuidl(argv, monkeypatch, capsys) -> tuple[int, str, str]:
    return call_entry(main, argv, monkeypatch, capsys)


@pytest.mark.parametrize("preset", PRESETS)
def test_every_built_in_preset_dry_runs(preset, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, out, err = _tuidl(["run", preset, "--dry-run"], monkeypatch, capsys)
    assert code == 0, err  # exploding diverges at step 4: two steps only see it grow
    assert out.startswith(f"dry run of {preset}: completed, 2 steps and 1 evaluation")
    assert list(tmp_path.iterdir()) == []  # no runs/ folder, nothing kept


@pytest.mark.parametrize("argv, says", [
    (["run", "xor-mlp", "--dry-run", "--set", "lr=-1"], "lr"),
    (["run", "--resume", "runs/x", "--dry-run"], "--dry-run starts a new run"),
    (["run", "xor-mlp", "--trust-checkpoint"], "--trust-checkpoint goes with --resume"),
])
def test_a_dry_run_refuses_bad_input_in_one_line(argv, says, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = _tuidl(argv, monkeypatch, capsys)
    assert code == 2 and err.startswith("error: ") and says in err and err.count("\n") == 1
