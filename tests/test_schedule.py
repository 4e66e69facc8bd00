"""Learning-rate schedules (tuidl.engine.schedule): the lr in use at each step is the closed
form of its schedule, for every optimizer of a run; constant touches nothing; the app's lr
keys scale the schedule's base; a run stopped mid-schedule resumes bit for bit.

The closed forms are written out here again, apart from the engine's, from the schedule's
description in `tuidl show` (lr is the peak, s the 0-based step, T the run's steps)."""
import math
from pathlib import Path

import pytest
import torch

from tuidl.config import TuidlError
from tuidl.engine.control import Control
from tuidl.runner import execute, prepare, resume_prepared

LR, T = 0.01, 40  # mlp-spiral cut to 400 points: 320 to train, 10 steps of 32 per epoch
SMALL = ["n_samples=400", "epochs=4", "lr=0.01", "log_every=1", "diagnostics=false"]


def expected(kind: str, s: int, warmup: float = 0.25, m: float = 0.1, every: int = 7,
             gamma: float = 0.5) -> float:
    w = round(warmup * T)
    if kind == "constant":
        return LR
    if kind == "step":
        return LR * gamma ** (s // every)
    if kind == "cosine":
        return LR * (m + (1 - m) * (1 + math.cos(math.pi * s / T)) / 2)
    if s < w:  # the rise
        if kind == "warmup_cosine":
            return LR * (s + 1) / w
        return LR * (1 / 25 + (24 / 25) * (1 - math.cos(math.pi * s / w)) / 2)
    return LR * (m + (1 - m) * (1 + math.cos(math.pi * (s - w) / (T - w))) / 2)


def _lrs(tmp_path, sets, control=None, key="lr"):
    """{step index: the lr it trained with}: a log at step k shows the lr of step k - 1."""
    seen = []
    summary = execute(prepare("mlp-spiral", SMALL + sets), out_root=str(tmp_path),
                      sinks=[seen.append], control=control)
    assert summary.status == "completed" and summary.steps == T
    return {e.step - 1: e.values[key] for e in seen if e.type == "scalars" and key in e.values
            and e.values.get("samples_per_s")}


@pytest.mark.parametrize("kind", ["step", "cosine", "warmup_cosine", "one_cycle"])
def test_each_schedule_s_lr_in_use_is_its_closed_form(tmp_path, kind):
    lrs = _lrs(tmp_path, [f"schedule={kind}", "warmup=0.25", "min_lr=0.1", "lr_step_every=7",
                          "lr_gamma=0.5"])
    assert sorted(lrs) == list(range(T))
    for s in (0, 1, 6, 7, 9, 10, 11, 20, 30, 39):
        assert lrs[s] == pytest.approx(expected(kind, s), rel=1e-12, abs=0), (kind, s)
    if kind != "step":
        assert max(lrs.values()) == pytest.approx(LR, rel=0.05)  # the peak is lr


def test_constant_leaves_the_lr_alone(tmp_path):
    """No scheduler at all: the lr is exactly the configured one at every step, and the
    optimizer's groups carry no scheduler's keys (the checkpoint is as before schedules)."""
    lrs = _lrs(tmp_path, [])
    assert set(lrs.values()) == {LR}
    state = torch.load(next(Path(tmp_path).glob("*/checkpoint.pt")), weights_only=True)
    assert state["schedule"] == {}
    assert "initial_lr" not in state["optimizers"]["model"]["param_groups"][0]


def test_a_gan_s_two_learning_rates_follow_the_schedule_times_its_lr_end(tmp_path):
    seen = []
    sets = ["epochs=2", "steps_per_epoch=10", "hidden_g=16,16", "hidden_d=16,16",
            "eval_samples=100", "log_every=1", "diagnostics=false", "schedule=cosine",
            "min_lr=0", "lr_end=0.5", "lr_g=0.002", "lr_d=0.001"]
    execute(prepare("gan-ring", sets), out_root=str(tmp_path), sinks=[seen.append])
    logs = [e for e in seen if e.type == "scalars" and "d_loss" in e.values]
    assert len(logs) == 20
    for e in logs:
        s = e.step - 1
        f = (1 + math.cos(math.pi * s / 20)) / 2 * (1 - 0.5 * s / 20)
        assert e.values["lr_g"] == pytest.approx(0.002 * f, rel=1e-12)
        assert e.values["lr_d"] == pytest.approx(0.001 * f, rel=1e-12)


def test_the_lr_keys_scale_the_schedule_s_base(tmp_path):
    """] mid-warmup (control.scale_lr, as the app sends it): from the next step on the lr is
    twice the schedule's, the warmup and the peak included."""
    control = Control()

    def sink(event):
        if event.type == "scalars" and event.step == 5:
            control.scale_lr(2.0)
    seen = []
    execute(prepare("mlp-spiral", SMALL + ["schedule=warmup_cosine", "warmup=0.25",
                                           "min_lr=0.1"]),
            out_root=str(tmp_path), sinks=[sink, seen.append], control=control)
    lrs = {e.step - 1: e.values["lr"] for e in seen if e.type == "scalars"
           and e.values.get("samples_per_s")}
    for s in range(T):
        scale = 2 if s >= 5 else 1
        assert lrs[s] == pytest.approx(scale * expected("warmup_cosine", s), rel=1e-12), s


def _stop_at(control: Control, step: int):
    def sink(event):
        if event.step >= step and not control.stop.is_set():
            control.request_stop()
    return sink


@pytest.mark.parametrize("kind", ["one_cycle", "step"])
def test_a_run_stopped_mid_schedule_resumes_bit_for_bit(tmp_path, kind):
    """Stopped mid-epoch, mid-rise, after a ] that doubled the base: the resumed run takes
    the same lrs and ends with the same weights and figures as one never stopped."""
    sets = SMALL + [f"schedule={kind}", "warmup=0.5", "lr_step_every=5", "dropout=0.2",
                    "log_every=3"]

    def run(out, stop_at=None):
        control, seen = Control(), []

        def double_at_6(event):
            if event.type == "scalars" and event.step == 6:
                control.scale_lr(2.0)
        sinks = [seen.append, double_at_6]
        if stop_at:
            sinks.append(_stop_at(control, stop_at))
        summary = execute(prepare("mlp-spiral", sets), out_root=str(out), sinks=sinks,
                          control=control)
        return summary, seen
    whole, whole_seen = run(tmp_path / "whole")
    part, _ = run(tmp_path / "part", stop_at=T // 2 + 2)
    assert part.status == "stopped" and 0 < part.steps < T and part.steps % 10  # mid-epoch
    seen = []
    resumed = execute(resume_prepared(part.run_dir), run_dir=part.run_dir, sinks=[seen.append])
    assert resumed.status == "completed" and resumed.metrics == whole.metrics

    def lrs(events):
        return {e.step: e.values["lr"] for e in events if e.type == "scalars"
                and e.values.get("samples_per_s")}
    after = lrs(seen)
    assert after and all(after[k] == lrs(whole_seen)[k] for k in after)
    a, b = (torch.load(Path(r.run_dir) / "checkpoint.pt", weights_only=True)["models"]
            for r in (whole, resumed))
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])


def test_a_damaged_schedule_in_a_checkpoint_is_one_error(tmp_path):
    done = execute(prepare("mlp-spiral", SMALL + ["schedule=cosine", "epochs=1"]),
                   out_root=str(tmp_path))
    path = Path(done.run_dir) / "checkpoint.pt"
    state = torch.load(path, weights_only=True)
    state["schedule"]["model"]["base_lrs"] = ["x"]
    torch.save(state, path)
    with pytest.raises(TuidlError, match="damaged checkpoint"):
        execute(resume_prepared(done.run_dir, epochs=2), run_dir=done.run_dir)


def test_the_loss_chart_draws_an_lr_that_changes_on_its_right_axis():
    """One line per lr key (a GAN's lr_g and lr_d, left equal, are one), keyed with an arrow
    to its axis; a constant lr is no line (the header shows it)."""
    from tuidl.events import RunStart, Scalars
    from tuidl.ui.state import RunState
    from tuidl.ui.widgets.charts import lr_curves

    def state(family, lrs):
        s = RunState()
        s.apply(RunStart(family=family, config={"epochs": 1}, steps_per_epoch=30))
        for step, values in enumerate(lrs, 1):
            s.apply(Scalars(step=10 * step, values={"loss": 1.0, **values}))
        return s
    assert lr_curves(state("mlp", [{"lr": 0.01}] * 3)) == []
    (label, x, y, _), = lr_curves(state("mlp", [{"lr": v} for v in (0.01, 0.005, 0.0)]))
    assert label == "lr \u2192" and x == [10, 20, 30] and y == [0.01, 0.005, 0.0]
    both = [{"lr_g": v, "lr_d": v} for v in (0.002, 0.001)]
    assert [c[0] for c in lr_curves(state("gan", both))] == ["lr_g=lr_d \u2192"]
    apart = [{"lr_g": v, "lr_d": v / 2} for v in (0.002, 0.001)]
    assert [c[0] for c in lr_curves(state("gan", apart))] == ["lr_g \u2192", "lr_d \u2192"]


def test_every_family_has_the_schedules():
    from tuidl.specs import families
    from tuidl.specs.common import SCHEDULE_PARAMS
    for family in families():
        assert set(SCHEDULE_PARAMS) <= {p.name for p in family.params}, family.name
        assert family.param("schedule").default == "constant"  # today's runs, unchanged
