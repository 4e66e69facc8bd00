"""tuidl.Monitor: a user's own model and loop, recorded for `tuidl watch`."""
from __future__ import annotations

import importlib.util
import json
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.nn import functional as F

import tuidl
from tuidl.sinks.jsonl import read_events
from tuidl.ui.app import TuidlApp
from tuidl.ui.screens.training import TrainingScreen
from tuidl.ui.widgets.grad_panel import GradPanel

from pilot_tools import wait

EXAMPLE = Path(__file__).parent.parent / "examples" / "monitor_digits.py"


def example():
    spec = importlib.util.spec_from_file_location("monitor_digits", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def events(run_dir) -> list:
    return list(read_events(Path(run_dir) / "events.jsonl"))


def summary(run_dir) -> dict:
    return json.loads((Path(run_dir) / "summary.json").read_text())


@pytest.fixture(scope="module")
def resnet_run(tmp_path_factory):
    """The example, a small residual CNN on the digits (not a preset), as a user runs it."""
    out = tmp_path_factory.mktemp("runs")
    return example().main(["--out", str(out), "--device", "cpu", "--epochs", "6"])


def test_the_example_records_a_run_that_learns_and_is_healthy(resnet_run):
    s = summary(resnet_run)
    assert s["status"] == "completed" and s["preset"] == "resnet-digits"
    assert s["metrics"]["val_accuracy"] > 0.85  # 0.95-0.97 measured
    assert s["diagnosis"]["verdict"] == "healthy"
    kinds = {e.type for e in events(resnet_run)}
    assert {"run_start", "scalars", "grad_stats", "histograms", "activations", "eval",
            "confusion", "diagnosis", "summary"} <= kinds
    start = events(resnet_run)[0]
    assert start.family == "custom" and start.layers[0]["name"] == "stem"
    assert (Path(resnet_run) / "metrics.csv").is_file()


async def test_watch_shows_the_example_s_gradient_panel_and_verdict(resnet_run):
    app = TuidlApp(watch=str(resnet_run))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, TrainingScreen) and not screen.live
        assert await wait(pilot, lambda: screen.state.status == "completed", 30)
        await pilot.pause(0.6)  # a chart redraw
        panel = screen.query_one(GradPanel)
        text = "\n".join(line.plain for line in panel.lines(60))
        assert text.startswith("HEALTHY") and "stem" in text and "head" in text
        assert screen.state.confusion is not None


def deep_sigmoid(seed: int, depth: int = 8) -> nn.Module:
    torch.manual_seed(seed)
    layers = []
    for _ in range(depth):
        layers += [nn.Linear(32, 32), nn.Sigmoid()]
    return nn.Sequential(*layers, nn.Linear(32, 2))


def deep_relu(seed: int, depth: int = 8) -> nn.Module:
    torch.manual_seed(seed)
    layers = []
    for _ in range(depth):
        linear = nn.Linear(32, 32)
        nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
        layers += [linear, nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(32, 2))


def train(model, out, name, steps=200, optimizer=True, lr=0.1, **kw):
    """A plain loop on random data with a learnable rule, monitored."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(512, 32, generator=gen)
    y = (x[:, 0] + x[:, 1] > 0).long()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    with tuidl.Monitor(model, opt if optimizer else None, out=str(out), name=name,
                       config={"lr": lr}, **kw) as mon:
        for step in range(steps):
            idx = torch.randint(0, 512, (64,), generator=gen)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            if not optimizer:
                mon.before_step()
            opt.step()
            mon.step(loss=loss, batch_accuracy=(model(x[idx]).argmax(1) == y[idx]).float()
                     .mean() if step % 50 == 0 else 0.0)
            if step % 50 == 49:
                with torch.no_grad():
                    mon.eval({"val_accuracy": (model(x).argmax(1) == y).float().mean()})
    return mon.run_dir


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_deliberately_vanishing_custom_model_is_flagged(tmp_path, seed):
    """Eight sigmoid layers, SGD: the first layers' gradients are 1e-5 of the last one's or
    less on every seed (measured 1e-7); eight ReLU layers with He init are not flagged."""
    s = summary(train(deep_sigmoid(seed), tmp_path, "sigmoid"))
    assert s["diagnosis"]["verdict"] == "vanishing"
    assert s["diagnosis"]["states"][0] == "vanishing"
    healthy = summary(train(deep_relu(seed), tmp_path, "relu", lr=0.02))
    assert healthy["diagnosis"]["verdict"] == "healthy"


def test_without_an_optimizer_the_gradients_left_in_grad_are_read(tmp_path):
    run = train(deep_sigmoid(0, depth=3), tmp_path, "manual", steps=40, optimizer=False)
    grads = [e for e in events(run) if e.type == "grad_stats"]
    assert len(grads) == 4 and all(all(n > 0 for n in e.norm) for e in grads)
    assert all(r > 0 for r in grads[-1].update_ratio)  # before_step() then the step


def test_the_log_cadence_and_the_values(tmp_path):
    model = deep_relu(0, depth=2)
    run = train(model, tmp_path, "cadence", steps=100, log_every=25)
    scalars = [e for e in events(run) if e.type == "scalars"]
    assert [e.step for e in scalars] == [25, 50, 75, 100]
    assert all(0 < e.values["loss"] < 5 and e.values["lr"] == 0.1 for e in scalars)
    hist = [e for e in events(run) if e.type == "histograms"]
    assert hist and sum(hist[0].weight[0]) == 32 * 32 + 32  # every value of the layer counted


def test_an_error_inside_the_monitor_turns_it_off_and_training_goes_on(tmp_path, monkeypatch):
    from tuidl.engine import gradstats

    def broken(self):
        raise RuntimeError("probe broke")
    monkeypatch.setattr(gradstats.GradStatsProbe, "begin", broken)
    model = deep_relu(0, depth=2)
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.warns(RuntimeWarning, match="turned itself off"):
        run = train(model, tmp_path, "broken", steps=30)
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert "probe broke" in (Path(run) / "error.log").read_text()
    assert not any(h for h in model._forward_hooks.values())


def test_a_failing_loop_is_recorded_as_failed_and_its_error_goes_on(tmp_path):
    model = deep_relu(0, depth=1)
    with pytest.raises(ValueError, match="data ran out"):
        with tuidl.Monitor(model, out=str(tmp_path), name="fails") as mon:
            mon.step(loss=1.0)
            raise ValueError("data ran out")
    s = summary(mon.run_dir)
    assert s["status"] == "failed" and "data ran out" in s["message"]


def test_bad_arguments_are_said_at_once(tmp_path):
    with pytest.raises(TypeError, match="nn.Module"):
        tuidl.Monitor("not a model", out=str(tmp_path))
    with pytest.raises(ValueError, match="log_every"):
        tuidl.Monitor(nn.Linear(2, 2), out=str(tmp_path), log_every=0)


def test_hostile_names_and_config_are_kept_as_text(tmp_path):
    model = nn.Sequential()
    model.add_module("[bold red]x[/]", nn.Linear(2, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with tuidl.Monitor(model, out=str(tmp_path), name="../../\x1b[2Jevil",
                           config={"a\nb": object(), "nan": float("nan"), "ok": 3}) as mon:
            mon.step(loss=torch.tensor(1.0))
    run = Path(mon.run_dir)
    assert run.parent == tmp_path and "\x1b" not in run.name
    assert "ok = 3" in (run / "config.toml").read_text()
    assert events(run)[0].layers[0]["name"] == "[bold red]x[/]"


def test_importing_tuidl_does_not_import_torch():
    import subprocess
    import sys
    code = "import sys, tuidl; assert 'torch' not in sys.modules; print(tuidl.__version__)"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)


SYNCS = {"item", "tolist", "cpu", "numpy", "__float__", "__int__", "__bool__", "__index__"}


class Counted(torch.Tensor):
    """A loss that counts the calls that would copy it to the host (a sync on a GPU)."""
    calls: list[str] = []

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        name = getattr(func, "__name__", "")
        if name in SYNCS:
            cls.calls.append(name)
        return super().__torch_function__(func, types, args, kwargs or {})


def test_steps_between_logs_never_read_the_loss_on_the_host(tmp_path):
    model = deep_relu(0, depth=1)
    x, y = torch.randn(64, 32), torch.randint(0, 2, (64,))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    Counted.calls.clear()
    with tuidl.Monitor(model, opt, out=str(tmp_path), log_every=10, system=False) as mon:
        for step in range(25):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            mon.step(loss=loss.as_subclass(Counted))
            if step == 8:
                assert Counted.calls == []  # nine steps, no log yet: nothing read
    assert len(Counted.calls) == 2  # the two logs, one copy each


def test_a_monitored_run_can_write_tensorboard_files(tmp_path):
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    run = Path(train(deep_relu(0, depth=2), tmp_path, "tb", steps=50, tensorboard=True))
    acc = accumulator.EventAccumulator(str(run / "tensorboard"), size_guidance={"scalars": 0})
    acc.Reload()
    assert [e.step for e in acc.Scalars("train/loss")] == [10, 20, 30, 40, 50]
    assert "grad_hist/0" in acc.Tags()["histograms"]
