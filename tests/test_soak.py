"""Soak (opt-in: `pytest -m soak tests/test_soak.py -s`): 200 back-to-back short runs and 20
runs stopped mid-epoch and resumed, in one process, leak no child processes, file handles or
threads and do not grow its memory. Prints the figures it measured."""
import gc
import os
import resource
import threading
from pathlib import Path

import pytest

from tuidl.engine.control import Control
from tuidl.runner import execute, prepare, resume_prepared

pytestmark = [pytest.mark.soak, pytest.mark.skipif(not Path("/proc/self/fd").is_dir(),
                                                   reason="counts file handles in /proc")]
RUNS, RESUMED, WARMUP = 200, 20, 20


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def _children() -> list[str]:
    me = str(os.getpid())
    return [p.name for p in Path("/proc").iterdir() if p.name.isdigit()
            and (p / "stat").is_file() and _parent(p) == me]


def _parent(proc: Path) -> str:
    try:
        return proc.joinpath("stat").read_text().rsplit(")", 1)[1].split()[1]
    except (OSError, IndexError):
        return ""


def _handles() -> tuple[int, int]:
    return len(os.listdir("/proc/self/fd")), threading.active_count()


def test_soak_runs_and_resumes_leak_nothing(tmp_path):
    rss, handles = [], []
    for i in range(RUNS):
        s = execute(prepare("xor-mlp", ["epochs=2", f"seed={i}"]), out_root=str(tmp_path / "a"))
        assert s.status == "completed"
        if i + 1 == WARMUP or i + 1 == RUNS:
            gc.collect()
            rss.append(_rss_mb())
            handles.append(_handles())
    for i in range(RESUMED):
        control = Control()

        def stop(event, control=control):
            if event.step >= 33 and not control.stop.is_set():
                control.request_stop()
        part = execute(prepare("mlp-spiral", ["epochs=4", "n_samples=400", "log_every=3",
                                              f"seed={i}"]),
                       out_root=str(tmp_path / "b"), sinks=[stop], control=control)
        assert part.status == "stopped"
        done = execute(resume_prepared(part.run_dir), run_dir=part.run_dir)
        assert done.status == "completed" and done.steps == 40
    gc.collect()
    rss.append(_rss_mb())
    handles.append(_handles())
    print(f"\nsoak: {RUNS} runs + {RESUMED} stopped/resumed; RSS after {WARMUP} runs "
          f"{rss[0]:.0f} MB, after {RUNS} {rss[1]:.0f} MB, at the end {rss[2]:.0f} MB; "
          f"(fds, threads) {handles}; children {_children()}")
    assert handles[0] == handles[1] == handles[2]
    assert not _children()
    assert rss[2] - rss[0] < 40  # MB: no per-run growth (a leak of 0.2 MB a run would show)


def test_soak_real_processes_interrupted_by_signals_and_resumed(tmp_path):
    """20 real `tuidl run` processes, each stopped by SIGINT, SIGTERM or SIGHUP mid-run and
    resumed to the end by another: every one resumes, and no process is left behind."""
    import json
    import signal
    import subprocess
    import sys
    import time
    root = Path(__file__).resolve().parents[1]
    sigs = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
    for i in range(RESUMED):
        out = tmp_path / f"r{i}"
        proc = subprocess.Popen([sys.executable, "-m", "tuidl", "run", "mlp-spiral", "--epochs",
                                 "3000", "--seed", str(i), "--out", str(out), "--quiet"],
                                cwd=root, stderr=subprocess.PIPE, text=True)
        while not list(out.glob("*/events.jsonl")) or list(out.glob(
                "*/events.jsonl"))[0].read_text().count("\n") < 30:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.05)
        proc.send_signal(sigs[i % 3])
        assert proc.wait(30) == 128 + sigs[i % 3]
        (run_dir,) = out.iterdir()
        epochs = json.loads((run_dir / "summary.json").read_text())["epochs"]
        done = subprocess.run([sys.executable, "-m", "tuidl", "run", "--resume", str(run_dir),
                               "--epochs", str(epochs + 1), "--json"], cwd=root,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and json.loads(done.stdout)["status"] == "completed"
    print(f"\nsoak: {RESUMED} real processes stopped by signals and resumed; children "
          f"{_children()}")
    assert not _children()
