"""Each panel of the training screen on its own: a tiny app mounts one widget and hands it a
RunState folded from a recorded fixture; and the fold itself (RunState.apply) unit by unit."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.color import Color

from tuidl.events import (Confusion, EvalMetrics, GradStats, RunStart, Scalars, Status,
                          Summary)
from tuidl.ui.state import MAX_POINTS, RunState
from tuidl.specs import FAMILY_NAMES, get_family
from tuidl.ui.widgets.charts import LossChart, MetricChart, int_ticks, metric_curves
from tuidl.ui.widgets.confusion import ConfusionView
from tuidl.ui.widgets.device_panel import DevicePanel
from tuidl.ui.widgets.grad_panel import GradPanel
from tuidl.ui.widgets.header import RunHeader
from tuidl.ui.widgets.task_view import TaskViewWidget

from widget_tools import One, fold, shown

FIXTURES = Path(__file__).parent / "fixtures"




async def test_loss_chart_draws_the_family_s_losses():
    text = await shown(LossChart(), fold("gan"))
    assert "loss: D discriminator, G generator" in text and "D loss" in text
    assert "G loss" in text
    text = await shown(LossChart(), fold("xor-mlp"))
    assert "train" in text and "val" in text and "step" in text


async def test_loss_chart_in_log_scale_survives_redraws_and_resizes():
    """plotext's own log scale took the log of a log at the second build (a resize) and the
    app died of a math domain error; the chart now plots log10 values itself."""
    state, chart = fold("diverged"), LossChart()
    async with One(chart).run_test(size=(90, 30)) as pilot:
        chart.update_state(state)
        chart.toggle_log(state)
        for size in ((60, 20), (120, 40), (80, 24), (90, 30)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
        text = Console(width=90, record=True, file=io.StringIO())
        text.print(chart.render())
        out = text.export_text()
    assert "(log)" in out and "1e" in out


async def test_metric_chart_draws_the_family_s_metric():
    assert "accuracy" in await shown(MetricChart(), fold("xor-mlp"))
    text = await shown(MetricChart(), fold("gan"))
    assert "modes covered, high quality" in text and "high quality" in text
    assert "precision@5" in await shown(MetricChart(), fold("word2vec"))


async def test_grad_panel_flags_vanishing_and_leaves_a_healthy_run_alone():
    vanishing = await shown(GradPanel(), fold("vanishing"))
    assert vanishing.startswith("VANISHING")
    healthy = await shown(GradPanel(), fold("xor-mlp"))
    assert healthy.startswith("HEALTHY") and "fc1" in healthy
    assert "no gradient readings yet" in await shown(GradPanel(), RunState())


async def test_confusion_view_counts_and_recalls():
    state = fold("digits")
    text = await shown(ConfusionView(), state)
    right = sum(state.confusion.matrix[i][i] for i in range(10))
    assert "recall" in text and f"{right}/" in text
    assert "no evaluation yet" in await shown(ConfusionView(), RunState())


async def test_confusion_view_says_when_it_shows_the_most_confused_classes():
    state = RunState()
    n = 40
    state.apply(Confusion(labels=[f"k{i}" for i in range(n)],
                          matrix=[[9 if i == j else int(j == i + 1) for j in range(n)]
                                  for i in range(n)]))
    text = await shown(ConfusionView(), state, size=(120, 40))
    assert "the 23 most confused of 40 classes; (other) sums the rest" in text
    assert text.count("(other)") == 2 and "right (" not in text


@pytest.mark.parametrize("width", [36, 51, 90])
async def test_confusion_view_fits_its_width_with_the_most_confused_classes(width):
    """Never a wrapped row: ten digits fit even 36 columns (cells told apart by colour); 60
    named classes show as many of the most confused as fit, columns numbered."""
    digits = await shown(ConfusionView(), fold("digits"), size=(width, 30))
    assert max(map(len, digits.splitlines())) <= width and "right (" in digits
    n = 60
    state = RunState()
    state.apply(Confusion(labels=[f"class{i}" for i in range(n)],
                          matrix=[[50 if i == j else (i + j) % 3 for j in range(n)]
                                  for i in range(n)]))
    text = await shown(ConfusionView(), state, size=(width, 40))
    lines = text.splitlines()
    assert max(map(len, lines)) <= width and "most confused of 60 classes" in " ".join(
        text.split())
    assert lines[0].split()[:3] == ["0", "1", "2"] and lines[1].split()[0] == "0"
    assert lines[1].split()[1].startswith("class")


async def test_task_view_draws_the_latest_view_with_the_family_s_title_metrics():
    state = fold("word2vec")
    widget = TaskViewWidget()
    text = await shown(widget, state, size=(120, 40))
    assert widget.metrics == {"precision_at_5": state.metrics["precision_at_5"]}
    assert state.view.data["neighbours"][0]["word"] in text
    assert "appears after the first evaluation" in await shown(TaskViewWidget(), RunState())


async def test_run_header_says_what_runs_where():
    state = fold("xor-mlp")
    text = await shown(RunHeader(), state, size=(160, 3))
    assert "xor-mlp" in text and state.status in text


async def test_device_panel_shows_the_hardware_readings():
    text = await shown(DevicePanel(), fold("device-cpu"), size=(90, 30))
    assert "cpu" in text.lower()
    assert "no device readings yet" in await shown(DevicePanel(), RunState())


# -- the fold ------------------------------------------------------------------------------
def test_run_start_sets_the_run_and_its_family():
    s = RunState()
    s.apply(RunStart(step=0, preset="p", family="gan", config={"epochs": 4},
                     layers=[{"name": "G.fc1"}], total_steps=40, steps_per_epoch=10))
    assert (s.preset, s.family, s.epochs, s.layers) == ("p", "gan", 4, ["G.fc1"])
    assert s.spec.name == "gan" and not s.has_confusion


def test_scalars_feed_series_rate_and_lrs():
    s = RunState()
    s.apply(Scalars(step=10, values={"loss": 1.0, "lr": 0.1, "samples_per_s": 500.0}))
    assert s.step_series["loss"].y == [1.0] and s.metrics["lr"] == 0.1
    assert (s.rate, s.rate_unit) == (500.0, "samples") and "lr" not in s.step_series


def test_series_stay_bounded():
    s = RunState()
    for i in range(MAX_POINTS + 1):
        s.apply(Scalars(step=i, values={"loss": float(i)}))
    assert len(s.step_series["loss"].x) <= MAX_POINTS // 2 + 1


def test_evals_grads_confusion_status_and_summary_fold_in():
    s = RunState()
    s.apply(RunStart(family="mlp", layers=[{"name": "fc1"}, {"name": "out"}]))
    s.apply(GradStats(step=5, layers=["fc1", "out"], norm=[0.1, 1.0]))
    s.apply(EvalMetrics(step=5, epoch=1, metrics={"val_accuracy": 0.5, "converged": True}))
    s.apply(Confusion(step=5, epoch=1, labels=["0", "1"], matrix=[[1, 0], [0, 1]]))
    s.apply(Status(step=5, epoch=1, status="running"))
    assert s.grad_norms == [0.1, 1.0] and s.main_metric == "val_accuracy"
    assert "converged" not in s.eval_series and s.confusion.matrix[1][1] == 1
    assert s.status == "running" and not s.finished
    s.apply(Summary(step=9, epoch=2, status="completed", metrics={"test_accuracy": 0.9}))
    assert s.finished and s.status == "completed" and s.metrics["test_accuracy"] == 0.9
    assert (s.step, s.epoch) == (9, 2)


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.iterdir()
                                        if (p / "events.jsonl").is_file()))
def test_every_fixture_folds_into_a_finished_run_of_its_family(name):
    s = fold(name)
    assert s.family and s.spec.name == s.family and s.status != "waiting"
    assert s.loss_key is not None


async def test_confusion_view_colours_right_and_wrong_not_counts():
    """The diagonal is bold in the success colour, an error in the error colour, an empty
    cell a dim dot: right and wrong read apart without colour too."""
    state = RunState()
    state.apply(Confusion(labels=["a", "b"], matrix=[[9, 1], [0, 7]]))
    widget = ConfusionView()
    async with One(widget).run_test(size=(60, 10)) as pilot:
        widget.update_state(state)
        await pilot.pause()
        text = widget.render()
        theme = widget.app.current_theme
    cells = {text.plain[s.start:s.end].strip(): str(s.style) for s in text.spans
             if text.plain[s.start:s.end].strip() in ("9", "1", "7", "·")}
    assert "bold" in cells["9"] and "bold" in cells["7"] and "bold" not in cells["1"]
    assert cells["·"] == "dim"

    def nearer(cell: str, to: str, than: str) -> bool:
        bg = Color.parse(cells[cell].split(" on ")[1].split()[0])
        dist = lambda c: sum((a - b) ** 2 for a, b in zip(bg.rgb, Color.parse(c).rgb))  # noqa
        return dist(to) < dist(than)
    assert nearer("9", theme.success, theme.error) and nearer("1", theme.error, theme.success)


def test_train_and_val_keep_their_colours_across_charts():
    """Every family's `train` and `val` curves have one colour each, in both charts."""
    for name in FAMILY_NAMES:
        spec = get_family(name)
        curves = [*spec.losses, *spec.val_losses, *spec.metric_chart.curves]
        for label in ("train", "val"):
            assert len({c.colour for c in curves if c.label == label}) <= 1, (name, label)


def test_both_charts_share_a_step_axis_with_whole_number_ticks():
    state = fold("digits")
    _, curves, _ = metric_curves(state)
    spe = state.steps_per_epoch
    assert curves[0][1] == [e * spe for e in state.eval_series["val_accuracy"].x]
    assert int_ticks(51) == [0, 20, 40] and int_ticks(300) == [0, 100, 200, 300]
    assert int_ticks(7) == [0, 2, 4, 6] and int_ticks(1) == [0, 1]
