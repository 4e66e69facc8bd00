"""A terminal or pipe that goes away costs no file: the run writes its checkpoint, summary and
exports and exits with its own status code, quietly (issue: nothing lost when the SSH
session drops)."""
from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from test_reliability import _run_dir_with_events

ROOT = Path(__file__).resolve().parents[1]
IN_A_TERMINAL = ("import os, sys; os.setsid(); fd = os.open(sys.argv[1], os.O_RDWR); "
                 "[os.dup2(fd, i) for i in (0, 1, 2)]; "
                 "os.execv(sys.executable, [sys.executable, '-m', 'tuidl', *sys.argv[2:]])")


def _drain(fd: int) -> None:
    """Read the terminal like a terminal emulator would, until it closes."""
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass


def _resumes(run_dir: Path, epochs: int) -> None:
    done = subprocess.run([sys.executable, "-m", "tuidl", "run", "--resume", str(run_dir),
                           "--epochs", str(epochs), "--json"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "completed"


def _stopped_with_its_files(run_dir: Path) -> dict:
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "stopped" and "SIGHUP" in summary["message"]
    assert (run_dir / "model.safetensors").is_file()
    assert not list(run_dir.glob("*.tmp"))
    return summary


def test_a_terminal_that_hangs_up_stops_the_run_with_every_file(tmp_path):
    """The run's terminal closes (an SSH drop): SIGHUP, a checkpoint, summary.json (stopped)
    and model.safetensors; printing the last lines fails with EIO and costs nothing."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", IN_A_TERMINAL, os.ttyname(slave), "run",
                             "mlp-spiral", "--epochs", "3000", "--out", str(tmp_path)],
                            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    os.close(slave)
    reader = threading.Thread(target=_drain, args=(master,), daemon=True)
    reader.start()
    try:
        run_dir = _run_dir_with_events(tmp_path, 60)
    finally:
        os.close(master)  # the terminal goes away
    assert proc.wait(60) == 128 + signal.SIGHUP
    summary = _stopped_with_its_files(run_dir)
    _resumes(run_dir, summary["epochs"] + 1)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_killed_tmux_session_stops_the_run_with_every_file(tmp_path):
    sock = f"tuidl-test-{os.getpid()}"
    command = (f"cd {ROOT} && {sys.executable} -m tuidl run mlp-spiral --epochs 3000 "
               f"--out {tmp_path}")
    subprocess.run(["tmux", "-L", sock, "new-session", "-d", "-s", "s", "-x", "80", "-y", "24",
                    command], check=True, timeout=30)
    try:
        run_dir = _run_dir_with_events(tmp_path, 60)
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], timeout=30)
    deadline = time.monotonic() + 60
    while not (run_dir / "summary.json").is_file() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # the exports come right after the summary
    summary = _stopped_with_its_files(run_dir)
    _resumes(run_dir, summary["epochs"] + 1)


def test_a_closed_pipe_costs_the_run_nothing(tmp_path):
    """`tuidl run … 2>&1 | head -2`: the progress stops being printed, the run goes on to its
    end, writes its files and exits 0."""
    proc = subprocess.Popen([sys.executable, "-m", "tuidl", "run", "mlp-spiral", "--epochs",
                             "400", "--out", str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    for _ in range(2):
        proc.stdout.readline()
    proc.stdout.close()  # head has read its lines and gone
    assert proc.wait(120) == 0
    (run_dir,) = [p.parent for p in tmp_path.glob("*/summary.json")]
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "completed"
    assert (run_dir / "model.safetensors").is_file()
