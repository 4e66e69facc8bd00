"""A run directory that cannot be written (a full disk, a read-only one, one deleted mid-run)
fails the run with a message saying what to do, never a traceback; the last checkpoint
stands and no torn temp file is left."""
from __future__ import annotations

import errno
import shutil
from pathlib import Path

import pytest
import torch

from cli_tools import TUIDL, call_entry
from tuidl.cli import main
from tuidl.engine.checkpoint import load_checkpoint
from tuidl.runner import execute, prepare

FULL = OSError(errno.ENOSPC, "No space left on device")


def _no_temps(run_dir: Path) -> None:
    assert not list(run_dir.glob("*.tmp"))


def test_a_disk_that_fills_mid_run_fails_the_run_and_keeps_its_checkpoint(tmp_path,
                                                                          monkeypatch):
    import tuidl.engine.loop
    from tuidl.sinks.jsonl import JsonlSink
    monkeypatch.setattr(tuidl.engine.loop, "CHECKPOINT_EVERY_S", 0)
    write, seen = JsonlSink.__call__, []

    def filling(self, event):
        seen.append(event)
        if event.type == "eval" and event.epoch == 3:
            raise FULL
        return write(self, event)
    monkeypatch.setattr(JsonlSink, "__call__", filling)
    summary = execute(prepare("xor-mlp", ["epochs=6"]), out_root=str(tmp_path))
    run_dir = Path(summary.run_dir)
    assert summary.status == "failed" and "could not be written (No space left on device" \
        in summary.message and f"tuidl run --resume {run_dir}" in summary.message
    assert load_checkpoint(str(run_dir / "checkpoint.pt"), "cpu")["epoch"] == 2
    assert (run_dir / "summary.json").is_file()
    _no_temps(run_dir)


def test_a_checkpoint_the_disk_cannot_hold_leaves_the_last_one_and_no_temp(tmp_path,
                                                                           monkeypatch):
    import tuidl.engine.checkpoint as ck
    import tuidl.engine.loop
    monkeypatch.setattr(tuidl.engine.loop, "CHECKPOINT_EVERY_S", 0)
    real, calls = torch.save, []

    def save(obj, f):
        calls.append(1)
        if len(calls) == 3:
            f.write(b"half a checkpoint")
            raise FULL
        return real(obj, f)
    monkeypatch.setattr(ck.torch, "save", save)
    summary = execute(prepare("xor-mlp", ["epochs=6"]), out_root=str(tmp_path))
    run_dir = Path(summary.run_dir)
    assert summary.status == "failed" and "No space left on device" in summary.message
    monkeypatch.setattr(ck.torch, "save", real)
    assert load_checkpoint(str(run_dir / "checkpoint.pt"), "cpu")["epoch"] == 2
    _no_temps(run_dir)


def test_a_run_directory_deleted_mid_run_fails_without_a_traceback(tmp_path, monkeypatch):
    from tuidl.sinks.jsonl import JsonlSink
    write, where = JsonlSink.__call__, []

    def deleting(self, event):
        if event.type == "run_start":
            where.append(event.run_dir)
        if event.type == "eval" and event.epoch == 2:
            shutil.rmtree(where[0])
        return write(self, event)
    monkeypatch.setattr(JsonlSink, "__call__", deleting)
    import tuidl.engine.loop
    monkeypatch.setattr(tuidl.engine.loop, "CHECKPOINT_EVERY_S", 0)
    summary = execute(prepare("xor-mlp", ["epochs=4"]), out_root=str(tmp_path))
    assert summary.status == "failed" and "could not be written" in summary.message


def test_resuming_on_a_read_only_disk_is_one_error_line(tmp_path, monkeypatch, capsys):
    summary = execute(prepare("xor-mlp", ["epochs=2"]), out_root=str(tmp_path))

    def read_only(path, mode, **kw):
        raise OSError(errno.EROFS, "Read-only file system", str(path))
    monkeypatch.setattr("tuidl.rundir.open_file", read_only)
    code, _, err = call_entry(main, ["run", "--resume", summary.run_dir, "--epochs", "3"],
                              monkeypatch, capsys)
    assert code == 2 and err.count("\n") == 1
    assert "cannot write in this run directory (Read-only file system)" in err


def test_an_out_folder_whose_disk_is_full_is_one_error_line_and_leaves_nothing(
        tmp_path, monkeypatch, capsys):
    """The folder passes the writability check, but its first file finds no space."""
    def full(*args, **kw):
        raise FULL
    monkeypatch.setattr("tuidl.rundir.write_atomic", full)
    out = tmp_path / "runs"
    code, _, err = call_entry(main, ["run", "xor-mlp", "--epochs", "1", "--out", str(out)],
                              monkeypatch, capsys)
    assert (code, err) == (2, f"error: {out}: cannot create a run directory (No space left on "
                              "device); free some space or pick another folder with --out\n")
    assert list(out.iterdir()) == []


@pytest.fixture
def small_disk(tmp_path):
    """A real 64 KiB filesystem (tmpfs; skipped where mounting is not allowed)."""
    import subprocess
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small filesystem here")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def _fill(disk: Path, leave_kib: int) -> None:
    with open(disk / "fill", "wb") as f:
        try:
            f.write(b"\0" * ((64 - leave_kib) << 10))
        except OSError:
            pass


@pytest.mark.parametrize("leave_kib", [0, 16])
def test_a_real_full_disk_is_one_line_or_a_failed_run_never_a_traceback(small_disk, leave_kib):
    """No room at all: one error line, exit 2. Room for the first files only: the run fails
    with exit 1 and says no checkpoint was written; no temp file is left either way."""
    import subprocess
    _fill(small_disk, leave_kib)
    out = small_disk / "runs"
    done = subprocess.run([*TUIDL, "run", "xor-mlp", "--epochs", "2", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert "Traceback" not in done.stderr + done.stdout
    if leave_kib == 0:
        assert done.returncode == 2 and done.stderr.startswith("error: ") \
            and done.stderr.count("\n") == 1 and "No space left on device" in done.stderr
    else:
        assert done.returncode == 1 and "could not be written (No space left on device)" in \
            done.stderr and "no checkpoint was written yet" in done.stderr
    assert not list(small_disk.rglob("*.tmp"))
