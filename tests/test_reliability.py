"""No run lost: stops at any step resume exactly; real signals end a real `tuidl run` cleanly; a
SIGKILL mid-checkpoint leaves the last one intact; torn event lines are cut and skipped; crashes
and out-of-memory are failed runs with their message; a diverging run under a front end goes
back to its last finite checkpoint and pauses; a run directory has one writer at a time."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from tuidl.config import TuidlError
from tuidl.engine.checkpoint import load_checkpoint
from tuidl.engine.control import Control
from tuidl.runner import execute, prepare, resume_prepared
from tuidl.sinks.jsonl import JsonlSink, read_events

ROOT = Path(__file__).resolve().parents[1]

EXACT_CASES = {  # a preset and settings that use every source of randomness it has; events
    # every 3 steps, so the stop (at the first event past half-way) falls inside an epoch
    "mlp-dropout": ("mlp-spiral", ["epochs=6", "dropout=0.2", "n_samples=400", "log_every=3"]),
    "mlp-one-cycle": ("mlp-spiral", ["epochs=6", "n_samples=400", "log_every=3",
                                     "schedule=one_cycle", "warmup=0.6"]),  # stops mid-rise
    "gan-schedule": ("gan-ring", ["epochs=4", "steps_per_epoch=25", "eval_samples=300",
                                  "hidden_g=32,32", "hidden_d=32,32", "log_every=3"]),
    "word2vec-negatives": ("word2vec", ["epochs=2", "n_sentences=400", "log_every=3"]),
    "lstm": ("lstm-sentiment", ["epochs=2", "n_samples=400", "log_every=3"]),
}


def _weights(run_dir) -> dict[str, torch.Tensor]:
    return load_file(Path(run_dir) / "model.safetensors")


def _stop_at(control: Control, step: int):
    def sink(event):
        if event.step >= step and not control.stop.is_set():
            control.request_stop()
    return sink


@pytest.mark.parametrize("case", EXACT_CASES)
def test_a_run_stopped_mid_epoch_and_resumed_ends_exactly_like_one_that_never_stopped(
        tmp_path, case):
    preset, flags = EXACT_CASES[case]
    whole = execute(prepare(preset, flags), out_root=str(tmp_path / "whole"))
    control = Control()
    stop_step = whole.steps // 2 + 1
    part = execute(prepare(preset, flags), out_root=str(tmp_path / "part"),
                   sinks=[_stop_at(control, stop_step)], control=control)
    assert part.status == "stopped" and 0 < part.steps < whole.steps
    assert "resume with: tuidl run --resume" in part.message
    state = load_checkpoint(str(Path(part.run_dir) / "checkpoint.pt"), "cpu")
    assert state["step"] == part.steps and state["batch"] > 0  # written where it stopped
    resumed = execute(resume_prepared(part.run_dir), run_dir=part.run_dir)
    assert resumed.status == "completed" and resumed.steps == whole.steps
    assert resumed.metrics == whole.metrics
    a, b = _weights(whole.run_dir), _weights(part.run_dir)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _spawn_run(tmp_path, *args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tuidl", "run", *args, "--out",
                             str(tmp_path), "--quiet"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _run_dir_with_events(tmp_path, n: int, timeout=60.0) -> Path:
    """The run directory, once its events.jsonl holds `n` lines (the run is well under way)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for events in tmp_path.glob("*/events.jsonl"):
            if events.read_text().count("\n") >= n:
                return events.parent
        time.sleep(0.05)
    raise AssertionError("the run never got going")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP],
                         ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_to_a_real_run_stops_it_cleanly_and_it_resumes(tmp_path, sig):
    proc = _spawn_run(tmp_path, "mlp-spiral", "--epochs", "3000")
    run_dir = _run_dir_with_events(tmp_path, 60)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + sig, err
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["status"] == "stopped"
    assert f"stopped by {signal.Signals(sig).name}" in summary["message"]
    lines = (run_dir / "events.jsonl").read_text().splitlines()
    assert all(json.loads(line) for line in lines) and json.loads(lines[-1])["type"] == "summary"
    assert load_checkpoint(str(run_dir / "checkpoint.pt"), "cpu")["step"] == summary["steps"]
    done = subprocess.run([sys.executable, "-m", "tuidl", "run", "--resume", str(run_dir),
                           "--epochs", str(summary["epochs"] + 1), "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "completed"


@pytest.mark.parametrize("gap", [0.0, 0.002, 0.02, 0.2])
def test_a_second_ctrl_c_ends_the_run_at_its_checkpoint_and_says_so(tmp_path, gap):
    """Pressed at once or a moment later (mid-step, mid-checkpoint, while the last files are
    written): exit 130, no traceback; summary.json names the checkpoint's step and model.safetensors
    holds its weights, not those of steps that are lost; the run resumes."""
    proc = _spawn_run(tmp_path, "mlp-digits", "--epochs", "200")
    run_dir = _run_dir_with_events(tmp_path, 12)
    deadline = time.monotonic() + 60
    while not (run_dir / "checkpoint.pt").is_file() and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    time.sleep(gap)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    said = (run_dir / "summary.json").read_text() if (run_dir / "summary.json").is_file() else ""
    assert proc.returncode == 130 and "Traceback" not in err, (proc.returncode, out, err, said)
    summary = json.loads(said)
    state = load_checkpoint(str(run_dir / "checkpoint.pt"), "cpu")
    assert summary["status"] == "stopped" and summary["steps"] == state["step"], summary
    weights = _weights(run_dir)
    assert all(torch.equal(weights[f"model.{k}"], v) for k, v in state["models"]["model"].items())
    done = subprocess.run([sys.executable, "-m", "tuidl", "run", "--resume", str(run_dir),
                           "--epochs", str(summary["epochs"] + 1), "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and json.loads(done.stdout)["status"] == "completed", done.stderr


def test_ctrl_c_inside_torch_save_stays_an_interrupt_and_leaves_no_temp_file(tmp_path,
                                                                           monkeypatch):
    """torch's zip writer turns a KeyboardInterrupt raised mid-save into a RuntimeError
    ("unexpected pos") as it closes; the run must read it as interrupted, not failed."""
    import tuidl.engine.checkpoint as ck

    def save(obj, f):
        try:
            f.write(b"PK half")
            raise KeyboardInterrupt
        finally:
            raise RuntimeError("[enforce fail at inline_container.cc:672] unexpected pos 64 vs 0")
    monkeypatch.setattr(ck.torch, "save", save)
    engine = type("E", (), {"state_dict": lambda self: {}})()
    with pytest.raises(KeyboardInterrupt):
        ck.save_checkpoint(str(tmp_path / "checkpoint.pt"), engine)
    assert list(tmp_path.iterdir()) == []


SIGNAL_UNDER_A_LOCK = """
import os, signal, time
from tuidl.engine.control import Control
from tuidl.engine.signals import stop_on_signals
control = Control()
with stop_on_signals(control):
    with control.stop._cond:  # the main thread holds the Event's lock, as inside set()
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler runs here, with the lock held
    deadline = time.monotonic() + 10
    while not control.stop.is_set() and time.monotonic() < deadline:
        time.sleep(0.01)
print(control.stop.is_set(), control.stop_signal)
"""


def test_a_signal_that_lands_while_an_event_lock_is_held_still_stops_and_never_hangs():
    """Two Ctrl+C a moment apart once hung a run for ever: the second handler ran inside the
    first one's Event.set(), waiting on the lock its own thread held."""
    done = subprocess.run([sys.executable, "-c", SIGNAL_UNDER_A_LOCK], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.stdout.split() == ["True", str(int(signal.SIGINT))], done.stderr


def test_a_run_interrupted_before_its_first_checkpoint_says_nothing_is_kept(tmp_path):
    def interrupt(event):
        if event.type == "scalars" and event.step >= 5:
            raise KeyboardInterrupt  # what a second Ctrl+C raises inside the loop
    summary = execute(prepare("xor-mlp", ["epochs=50"]), out_root=str(tmp_path),
                      sinks=[interrupt])
    assert summary.status == "stopped" and summary.steps == 0 and summary.metrics == {}
    assert summary.message.startswith("interrupted at step ") and summary.message.endswith(
        "before a checkpoint: nothing to resume")
    assert not (Path(summary.run_dir) / "model.safetensors").exists()


KILL_MID_CHECKPOINT = """
import os, sys, time, torch
import tuidl.engine.checkpoint as ck
real, calls = torch.save, []
def save(obj, f):
    calls.append(1)
    if len(calls) < 3:
        return real(obj, f)
    f.write(b"PK half a checkpoint"); f.flush()
    open(sys.argv[2], "w").close()  # tell the test: now is the time to kill
    time.sleep(120)
ck.torch.save = save
import tuidl.engine.loop
tuidl.engine.loop.CHECKPOINT_EVERY_S = 0  # a checkpoint after every eval
from tuidl.runner import execute, prepare
execute(prepare("mlp-spiral", ["epochs=400"]), out_root=sys.argv[1])
"""


def test_sigkill_during_a_checkpoint_write_leaves_the_last_one_intact(tmp_path):
    marker = tmp_path / "writing"
    proc = subprocess.Popen([sys.executable, "-c", KILL_MID_CHECKPOINT, str(tmp_path / "runs"),
                             str(marker)], cwd=ROOT)
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the third checkpoint write never started"
    proc.kill()
    proc.wait(timeout=10)
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert (run_dir / "checkpoint.pt.tmp").read_bytes() == b"PK half a checkpoint"
    state = load_checkpoint(str(run_dir / "checkpoint.pt"), "cpu")  # the second one, whole
    assert state["epoch"] >= 2
    events = list(read_events(run_dir / "events.jsonl"))
    resumed = execute(resume_prepared(str(run_dir), epochs=state["epoch"] + 1),
                      run_dir=str(run_dir))
    assert resumed.status == "completed" and len(events) > 10
    assert not (run_dir / "checkpoint.pt.tmp").exists()


def test_a_torn_last_event_line_is_cut_before_appending_and_skipped_by_readers(tmp_path):
    first = execute(prepare("xor-mlp", ["epochs=2"]), out_root=str(tmp_path))
    events = Path(first.run_dir) / "events.jsonl"
    whole = events.read_text()
    with open(events, "a") as f:
        f.write('{"type": "scalars", "step": 99, "val')  # a writer killed mid-line
    assert len(list(read_events(events))) == len(whole.splitlines())
    sink = JsonlSink(events)  # a resumed run appends here
    sink.close()
    assert events.read_text() == whole
    with open(events, "a") as f:
        f.write("not json at all\n")
    assert len(list(read_events(events))) == len(whole.splitlines())


def test_an_exception_inside_training_is_a_failed_run_that_says_why(tmp_path, monkeypatch):
    from tuidl.tasks.classify import ClassifierTask
    real, calls = ClassifierTask.train_step, []

    def flaky(self, idx, update, step):
        calls.append(1)
        if len(calls) == 30:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return real(self, idx, update, step)
    monkeypatch.setattr(ClassifierTask, "train_step", flaky)
    summary = execute(prepare("mlp-spiral", ["epochs=5"]), out_root=str(tmp_path))
    assert summary.status == "failed"
    assert "out of memory on cpu" in summary.message
    assert "try a smaller batch_size (now 32)" in summary.message
    run_dir = Path(summary.run_dir)
    assert "RuntimeError" in (run_dir / "error.log").read_text()
    assert json.loads((run_dir / "summary.json").read_text())["status"] == "failed"


@pytest.mark.parametrize("error", [
    RuntimeError("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: not enough "
                 "memory: you tried to allocate 1099511627776 bytes."),
    RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 8 GB"),
    MemoryError(),
], ids=["not enough memory", "can't allocate", "MemoryError"])
def test_running_out_of_cpu_memory_gets_the_batch_size_advice(tmp_path, monkeypatch, error):
    from tuidl.tasks.classify import ClassifierTask

    def hungry(self, idx, update, step):
        raise error
    monkeypatch.setattr(ClassifierTask, "train_step", hungry)
    summary = execute(prepare("mlp-spiral", ["epochs=2"]), out_root=str(tmp_path))
    assert summary.status == "failed" and "out of memory on cpu" in summary.message
    assert "try a smaller batch_size (now 32)" in summary.message


def test_an_exception_while_the_data_loads_is_a_failed_run_too(tmp_path, monkeypatch):
    import tuidl.tasks.mlp as mlp

    def broken(*args, **kw):
        raise OSError("the disk went away")
    monkeypatch.setattr(mlp.toy2d, "make", broken)
    summary = execute(prepare("mlp"), out_root=str(tmp_path))
    assert summary.status == "failed" and "the disk went away" in summary.message
    run_dir = Path(summary.run_dir)
    assert [e.type for e in read_events(run_dir / "events.jsonl")] == ["status", "summary"]
    assert (run_dir / "config.toml").is_file() and (run_dir / "error.log").is_file()


def test_a_diverging_run_under_a_front_end_goes_back_to_its_checkpoint_and_pauses(tmp_path):
    from engine_tools import Steered
    control = Control()
    control.pause_on_divergence = True
    blown = []

    def blow_up_after_epoch_3(event):
        if event.type == "eval" and event.epoch == 3 and not blown:
            blown.append(True)
            control.set_lr(1e6)  # from the next step on: NaN within a few steps
    run = Steered(tmp_path, "mlp-spiral", ["epochs=6", "optimizer=sgd", "lr=0.1"], control,
                  blow_up_after_epoch_3)
    try:
        paused = run.wait_for(lambda e: e.type == "status" and e.status == "paused")
        assert paused.message.startswith("diverged: the loss went NaN/inf at step ")
        assert f"back at step {paused.step}, the last finite checkpoint" in paused.message
        assert 1 <= paused.epoch <= 3  # checkpoints come after evals, at most every 2 s
        control.set_lr(0.1)
        control.unpause()
        run.thread.join(60)
    finally:
        control.request_stop()  # never leave a paused engine behind
    summary = run.summary
    assert summary.status == "completed" and summary.epochs == 6
    assert all(torch.isfinite(t).all() for t in _weights(summary.run_dir).values())


def test_a_run_directory_has_one_writer_at_a_time(tmp_path):
    proc = _spawn_run(tmp_path, "mlp-spiral", "--epochs", "3000")
    try:
        run_dir = _run_dir_with_events(tmp_path, 30)
        with pytest.raises(TuidlError, match="another tuidl process .* is writing this run"):
            execute(resume_prepared(str(run_dir)), run_dir=str(run_dir))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=30)
    resumed = execute(resume_prepared(str(run_dir), epochs=1 + json.loads(
        (run_dir / "summary.json").read_text())["epochs"]), run_dir=str(run_dir))
    assert resumed.status == "completed"


def test_runs_started_together_get_their_own_directories(tmp_path):
    from concurrent.futures import ProcessPoolExecutor

    from tuidl.rundir import make_run_dir
    with ProcessPoolExecutor(4) as pool:
        dirs = list(pool.map(make_run_dir, [tmp_path] * 32, ["same"] * 32))
    assert len(set(dirs)) == 32
