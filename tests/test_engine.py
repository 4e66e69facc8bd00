"""The shared engine: event stream, reproducibility, gradient statistics, divergence, resume."""
import json
import platform

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from tuidl.engine.gradstats import GradStatsProbe, named_layers
from tuidl.runner import execute, prepare


def _of(events, kind):
    return [e for e in events if e["type"] == kind]


def test_gradient_statistics_match_a_hand_computation():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model(torch.randn(5, 3)).pow(2).sum().backward()
    layers = named_layers(model)
    assert [name for name, _ in layers] == ["0", "2"]
    norm, mean_abs, max_abs = zip(*GradStatsProbe(layers).compute())
    for i, (_, params) in enumerate(layers):
        g = torch.cat([p.grad.flatten() for p in params])
        assert norm[i] == pytest.approx(g.norm().item(), rel=1e-5)
        assert mean_abs[i] == pytest.approx(g.abs().mean().item(), rel=1e-5)
        assert max_abs[i] == pytest.approx(g.abs().max().item(), rel=1e-6)


def test_event_stream_of_a_finished_classifier_run(train):
    summary, run_dir, events = train("mlp", "epochs=3", "n_samples=300")
    assert {p.name for p in run_dir.iterdir()} >= {"config.toml", "events.jsonl",
                                                   "summary.json", "checkpoint.pt"}
    assert json.loads((run_dir / "summary.json").read_text()) == summary
    start = _of(events, "run_start")[0]
    layer_names = [layer["name"] for layer in start["layers"]]
    assert layer_names == ["fc1", "fc2", "out"]
    assert start["total_params"] == sum(layer["params"] for layer in start["layers"])
    grads = _of(events, "grad_stats")
    assert grads and all(g["layers"] == layer_names for g in grads)
    assert all(v > 0 for g in grads for v in g["norm"])
    confusions = _of(events, "confusion")
    assert len(confusions) == 3
    assert all(sum(map(sum, c["matrix"])) == 60 for c in confusions)  # 20 % of 300 validate
    scalars = _of(events, "scalars")
    assert {"loss", "lr", "samples_per_s"} <= set(scalars[0]["values"])
    assert [e["status"] for e in _of(events, "status")] == ["running", "completed"]
    assert events[-1]["type"] == "summary" and events[-1]["status"] == "completed"
    assert _of(events, "task_view")[0]["kind"] == "decision_boundary"


def test_same_seed_same_losses(train):
    def losses(*extra):
        _, _, events = train("mlp", "epochs=2", "n_samples=300", *extra)
        return [e["values"]["loss"] for e in _of(events, "scalars")]
    assert losses() == losses()
    assert losses() != losses("seed=1")


def test_exploding_run_is_reported_diverged_at_its_exact_step_and_layer(train):
    flags = ("mlp", "epochs=5", "optimizer=sgd", "lr=100", "init=normal", "init_scale=30",
             "activation=linear")
    summary, run_dir, _ = train(*flags, "log_every=1")
    assert summary["status"] == "diverged" and summary["steps"] < 5 * 25
    assert "went NaN/inf at step 4 (first non-finite layer: fc1); lower the learning rate" \
        in summary["message"]
    late, _, _ = train(*flags, "log_every=50")  # read back only every 50 steps
    assert late["status"] == "diverged" and "at step 4 " in late["message"]
    assert not (run_dir / "model.safetensors").exists()  # diverged before any finite checkpoint


def test_early_stopping_stops_before_the_last_epoch_with_its_best_weights(train):
    """As Keras' restore_best_weights: the summary's figures and model.safetensors are those of the
    best eval, not of the `patience` evals after it, and the message says which epoch."""
    from tuidl.runner import execute, prepare
    # noise=0.2: moons that overlap, so the val loss turns up (without overlap it falls to 0)
    summary, run_dir, events = train("mlp", "epochs=200", "n_samples=200", "early_stopping=3",
                                     "lr=0.05", "noise=0.2")
    assert summary["status"] == "completed" and summary["epochs"] < 200
    evals = [e for e in events if e["type"] == "eval"]
    best = min(evals, key=lambda e: e["metrics"]["val_loss"])
    assert evals[-1]["metrics"]["val_loss"] > best["metrics"]["val_loss"]
    assert summary["metrics"]["val_loss"] == best["metrics"]["val_loss"]
    assert summary["message"].startswith("early stopping: val loss did not improve for 3 evals")
    assert f"the weights of epoch {best['epoch']}, its best, are restored" in summary["message"]
    # the weights kept are the best epoch's: a run of exactly that many epochs ends on them
    again = execute(prepare("mlp", ["epochs=" + str(best["epoch"]), "n_samples=200",
                                    "lr=0.05", "noise=0.2"]), out_root=str(run_dir.parent))
    kept = load_file(run_dir / "model.safetensors")
    same = load_file(Path(again.run_dir) / "model.safetensors")
    assert kept.keys() == same.keys() and all(torch.equal(kept[k], same[k]) for k in kept)


def test_resume_continues_from_the_checkpoint(tmp_path):
    prep = prepare("mlp", ["epochs=2", "n_samples=300"])
    first = execute(prep, out_root=str(tmp_path))
    from tuidl.runner import resume_prepared
    again = resume_prepared(first.run_dir, epochs=4)  # two more epochs
    resumed = execute(again, run_dir=first.run_dir)
    assert resumed.epochs == 4 and resumed.steps == 2 * first.steps
    lines = (tmp_path / first.run_dir.split("/")[-1] / "events.jsonl").read_text().splitlines()
    assert sum(json.loads(line)["type"] == "run_start" for line in lines) == 2


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_cpu_runs_keep_freed_memory_for_the_next_step():
    from tuidl.engine.device import keep_freed_memory
    assert keep_freed_memory()  # both mallopt settings accepted


def test_throughput_counts_training_time_not_the_time_spent_paused(tmp_path):
    """A single step after a long pause reports the step's own samples/s, not its samples
    over the pause (the header once read 6-47 samples/s while single-stepping)."""
    import time

    from engine_tools import Steered
    from tuidl.engine.control import Control
    control = Control()

    def pause_at_step_20(event):
        if event.type == "scalars" and event.step == 20:
            control.pause()
    run = Steered(tmp_path, "mlp-spiral", ["epochs=200", "log_every=10"], control,
                  pause_at_step_20)
    try:
        run.wait_for(lambda e: e.type == "status" and e.status == "paused")
        time.sleep(1.0)
        control.step_once()
        run.wait_for(lambda e: e.type == "scalars" and e.step > 20 and "samples_per_s" in e.values)
    finally:
        control.request_stop()
        run.thread.join(60)
    rates = [e.values["samples_per_s"] for e in run.seen
             if e.type == "scalars" and "samples_per_s" in e.values]
    running, single = rates[0], rates[-1]
    print(f"samples/s running {running:.0f}, single step after a pause {single:.0f}")
    # a step of 128 samples over a second would read < 128/s; the step itself takes ms
    assert single > 2000 and single > running / 20, rates


def test_a_run_flushes_denormals_to_zero_and_then_leaves_the_mode_as_it_was(train):
    """Adam's moments of weight-decayed units fall under 1.2e-38, where x86 computes in
    microcode (the default Adam kernels 3-6x slower a step; benchmarks/denormals.py): a run
    has the CPU treat such values as zero while it trains, and a program that runs tuidl
    in-process gets its own mode back (hypothesis, for one, refuses to run without
    subnormals)."""
    from tuidl.engine.device import flushing
    seen = []

    def sink(event):
        if event.type == "scalars":
            seen.append(flushing())
    assert not flushing()
    from tuidl.runner import execute, prepare
    import tempfile
    with tempfile.TemporaryDirectory() as root:
        execute(prepare("xor-mlp", ["epochs=1"]), out_root=root, sinks=[sink])
    assert seen and all(seen)
    assert not flushing()
