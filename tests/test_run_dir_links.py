"""A run directory's files are tuidl's own: none is written through a symbolic link. A planted
`.lock`, `events.jsonl` or `metrics.csv` link is refused on resume (one `error:` line, exit
2) and what it points at is left untouched."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tuidl.config import TuidlError
from tuidl.rundir import open_file
from tuidl.runner import execute, prepare

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", [".lock", "events.jsonl", "metrics.csv", "summary.json"])
def test_a_planted_link_is_refused_and_its_target_untouched(tmp_path, name):
    summary = execute(prepare("xor-mlp", ["epochs=2"]), out_root=str(tmp_path / "runs"))
    run_dir = Path(summary.run_dir)
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    (run_dir / name).unlink(missing_ok=True)
    (run_dir / name).symlink_to(target)
    done = subprocess.run([sys.executable, "-m", "tuidl", "run", "--resume", str(run_dir),
                           "--epochs", "3"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "symbolic link" in done.stderr and name in done.stderr
    assert target.read_text() == "keep me\n"


def test_files_are_never_opened_through_a_link(tmp_path):
    target = tmp_path / "target"
    target.write_text("x")
    (tmp_path / "link").symlink_to(target)
    for mode in ("a", "w", "a+", "rb+"):
        with pytest.raises(TuidlError, match="symbolic link"):
            open_file(tmp_path / "link", mode)
    assert target.read_text() == "x"
