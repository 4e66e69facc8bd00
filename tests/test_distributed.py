"""Distributed training: 2 CPU processes with gloo through `tuidl run --nproc 2` (torch's elastic
launcher, as torchrun), against the single-process run with the same global batch."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch

from cli_tools import TUIDL
from tuidl.engine.distributed import World, from_env, shard, split
from tuidl.runner import execute, prepare



def tuidl_run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    return subprocess.run([*TUIDL, "run", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


def events_of(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]


def single(preset: str, tmp_path: Path, *overrides: str) -> dict:
    return execute(prepare(preset, list(overrides)), out_root=str(tmp_path / "single")).public()


@pytest.fixture(scope="module")
def distributed_runs(tmp_path_factory) -> dict[str, Path]:
    """mlp-digits and cnn-digits trained on 2 processes, each into its own --out folder."""
    runs = {}
    for preset in ("mlp-digits", "cnn-digits"):
        out = tmp_path_factory.mktemp(preset)
        done = tuidl_run(preset, "--nproc", "2", "--out", str(out), "--json")
        assert done.returncode == 0, done.stderr[-3000:]
        summary = json.loads(done.stdout)
        assert [p.name for p in out.iterdir()] == [Path(summary["run_dir"]).name]  # one run dir
        runs[preset] = Path(summary["run_dir"])
    return runs


@pytest.mark.parametrize("preset", ["mlp-digits", "cnn-digits"])
def test_two_processes_train_like_one_with_the_same_global_batch(preset, distributed_runs,
                                                                 tmp_path):
    run_dir = distributed_runs[preset]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "completed" and summary["world_size"] == 2
    alone = single(preset, tmp_path)
    assert alone["world_size"] == 1 and alone["steps"] == summary["steps"]
    for key in ("val_accuracy", "test_accuracy"):  # within a point (here: equal)
        assert abs(summary["metrics"][key] - alone["metrics"][key]) <= 0.01, key
    # the step figures are the mean over both ranks' halves: the same as one process's, up
    # to the drift of two float trajectories (the all-reduce sums the halves' gradients in
    # another order): cnn-digits ends 3 % apart on some CPUs, at a loss of 0.006
    assert summary["metrics"]["train_loss"] == pytest.approx(alone["metrics"]["train_loss"],
                                                             rel=0.1, abs=1e-3)
    events = events_of(run_dir)
    # each rank scored half of the validation set; the matrix counts all of it
    def val_rows(evs):
        return sum(map(sum, next(e for e in evs if e["type"] == "confusion")["matrix"]))
    assert val_rows(events) == val_rows(events_of(Path(alone["run_dir"]))) > 0
    assert any(e["type"] == "grad_stats" for e in events)  # rank 0 reads the averaged gradients
    assert sum(e["type"] == "run_start" for e in events) == 1  # one writer
    assert [e["type"] for e in events][-1] == "summary"


def test_watch_shows_a_distributed_run(distributed_runs):
    import asyncio

    from tuidl.ui.app import TuidlApp

    async def drive():
        app = TuidlApp(watch=str(distributed_runs["mlp-digits"]))
        async with app.run_test(size=(120, 40)) as pilot:
            deadline = time.monotonic() + 30
            while app.screen.state.status != "completed" and time.monotonic() < deadline:
                await pilot.pause(0.1)
            return app.screen.state.status, app.screen.state.epoch

    assert asyncio.run(drive()) == ("completed", 40)


def test_a_stopped_distributed_run_resumes_to_the_same_end(tmp_path):
    out = tmp_path / "runs"
    env = {k: v for k, v in os.environ.items() if k not in ("WORLD_SIZE", "RANK")}
    proc = subprocess.Popen([*TUIDL, "run", "mlp-digits", "--nproc", "2", "--epochs", "60",
                             "--out", str(out), "--quiet"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # a few epochs in, then Ctrl+C to the launcher
        found = list(out.glob("*/events.jsonl"))
        if found and found[0].read_text().count('"type": "eval"') >= 3:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err[-3000:]
    run_dir = next(out.iterdir())
    stopped = json.loads((run_dir / "summary.json").read_text())
    assert stopped["status"] == "stopped" and stopped["world_size"] == 2
    assert 3 <= stopped["epochs"] < 60 and (run_dir / "checkpoint.pt").is_file()
    assert "resume with: tuidl run --resume" in stopped["message"]

    done = tuidl_run("--resume", str(run_dir), "--nproc", "2", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    resumed = json.loads(done.stdout)
    assert resumed["status"] == "completed" and resumed["steps"] == 60 * 34
    alone = single("mlp-digits", tmp_path, "epochs=60")
    for key in ("val_accuracy", "test_accuracy"):
        assert abs(resumed["metrics"][key] - alone["metrics"][key]) <= 0.01, key
    types = [e["type"] for e in events_of(run_dir)]
    assert types.count("summary") == 2 and types.count("run_start") == 2


def test_shards_are_disjoint_and_cover_the_batch():
    idx = torch.arange(10) * 7
    for size in (2, 3, 4):
        parts = [shard(idx, World(r, size)) for r in range(size)]
        assert len({len(p) for p in parts}) == 1  # the same work on every rank
        seen = torch.cat(parts).tolist()
        assert set(seen) == set(idx.tolist())  # every index, padded by repeats only
        assert len(seen) - len(set(seen)) == (-len(idx)) % size
    assert shard(idx, World()).tolist() == idx.tolist()
    assert [split(10, World(r, 3)) for r in range(3)] == [slice(0, 3), slice(3, 6), slice(6, 10)]


def test_the_world_comes_from_torchruns_environment():
    assert from_env({}) == World()
    assert from_env({"WORLD_SIZE": "4", "RANK": "2", "LOCAL_RANK": "0"}) == World(2, 4, 0)


def test_leaving_the_group_first_frees_what_holds_it(monkeypatch):
    """A rank's DistributedDataParallel sits in a reference cycle and holds the process group:
    `stop` collects it before leaving, so gloo's threads end while the interpreter is whole
    (left to the shutdown, a worker now and then aborted: `terminate called without an
    active exception`)."""
    import weakref

    import torch.distributed as dist
    from tuidl.engine import distributed

    class Holder:  # what DDP's reducer and its hooks amount to: a cycle
        pass
    held = Holder()
    held.me = held
    alive = weakref.ref(held)
    del held
    left = []
    monkeypatch.setattr(dist, "is_initialized", lambda: True)
    monkeypatch.setattr(dist, "destroy_process_group", lambda: left.append(alive() is None))
    distributed.stop(World(0, 2, 0))
    assert left == [True]


def test_a_live_run_directory_refuses_a_distributed_resume(distributed_runs):
    """Rank 0 cannot lock it: every rank exits 2, none waits for the others; one line."""
    from tuidl.rundir import lock_run_dir
    run_dir = distributed_runs["mlp-digits"]
    lock = lock_run_dir(run_dir)  # as a live run holds it
    try:
        done = tuidl_run("--resume", str(run_dir), "--nproc", "2", "--epochs", "41",
                         timeout=120)
    finally:
        lock.release()
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ")
    assert "another tuidl process" in done.stderr, done.stderr


def test_bad_data_on_two_processes_is_one_error_line(tmp_path):
    """Each worker finds the same bad file; the launcher says it once."""
    (tmp_path / "bad.csv").write_text("a,label\n1,x\n")
    done = tuidl_run("mlp", "--nproc", "2", "--set", f"dataset={tmp_path / 'bad.csv'}",
                     "--out", str(tmp_path / "out"), timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(
        f"error: {tmp_path / 'bad.csv'}: "), done.stderr
