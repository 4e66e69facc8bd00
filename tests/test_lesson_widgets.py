"""What the panels draw to carry a lesson in little room: the gradient panel's levels of
detail, the through-time headline, the growth kept in sight before a NaN, chart keys outside
the data, the perceptron's line, whole sentences and the digits grid."""
from __future__ import annotations

import io
import re
import time

import pytest
from rich.console import Console

from test_widgets import One, fold, shown
from tuidl.events import TaskView, TimeGrads
from tuidl.ui.state import RunState
from tuidl.ui.widgets.charts import LossChart, MetricChart, key_line
from tuidl.ui.widgets.grad_panel import DETAILS, GradPanel, through_time
from tuidl.ui.widgets.colors import HEALTH, health_colours
from tuidl.ui.widgets.views import render_view


def text_of(renderable, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


def lines_of(name: str, width: int, detail: str) -> list[str]:
    panel = GradPanel()
    panel.update_state(fold(name))
    return [line.plain for line in panel.lines(width, detail)]


@pytest.mark.parametrize("width", [38, 76])
def test_every_level_of_detail_keeps_every_layer_and_the_verdict(width):
    sizes = []
    for detail in DETAILS:
        lines = lines_of("vanishing", width, detail)
        text = "\n".join(lines)
        assert lines[0].startswith("VANISHING")
        assert all(len(line) <= width for line in lines), detail
        if detail == "headline":
            assert "11 layers" in text and "7 flagged" in text
        else:
            names = [m[1] for line in lines if (m := re.match(r"\s*(fc\d+|out) [█·]", line))]
            assert names == [f"fc{i}" for i in range(1, 11)] + ["out"], detail
            assert text.count("▼") >= 7
        sizes.append(len(lines))
    assert sizes == sorted(sizes, reverse=True) and sizes[0] > sizes[2] > sizes[-1]


def test_the_full_panel_explains_and_keys_both_scales():
    text = "\n".join(lines_of("vanishing", 76, "full"))
    assert "remedy:" in text and "1e-8" in text
    assert "▼ vanishing" in text and "history 1e-8…1e2, old→new" in text


def test_a_recurrent_run_leads_with_the_gradient_through_time():
    lines = lines_of("memory", 38, "compact")
    assert lines[0].startswith("▼ FADES THROUGH TIME step 1 gets")
    spark = next(line for line in lines if line.startswith("step 60 "))
    assert spark.endswith(" step 1")
    cells = spark[len("step 60 "):-len(" step 1")]
    assert cells[0] > cells[-1]  # drawn from the last step back: it falls, it fades
    # the diagnosis says it too: every layer is healthy, the gradient through time is not
    assert any(line.startswith("layers VANISHING through time: dL/dh") for line in lines)


@pytest.mark.parametrize("norms, head", [
    ([1e-12] + [1.0] * 9, "▼ FADES THROUGH TIME"),
    ([1e-4] + [1.0] * 9, "WEAKENS THROUGH TIME"),
    ([0.5] * 10, "✓ CARRIES THROUGH TIME"),
    ([0.5] * 6 + [0.0] * 4, "✓ CARRIES THROUGH TIME step 1 gets 1e+00 of step 6's"),
    ([0.0] * 5, "THROUGH TIME no gradient reaches the early steps"),
    ([1e6, 1.0], "▲ GROWS THROUGH TIME step 1 gets 1e+06"),
    ([float("nan"), 1.0], "✗ THROUGH TIME the gradient at step 1 is not finite"),
    ([float("inf"), 1.0], "✗ THROUGH TIME"),
])
def test_the_through_time_headline_reads_the_first_to_last_ratio(norms, head):
    """Padding (zero gradient past the last word) is not the last step."""
    text = " ".join(line.plain for line in through_time(norms, 80, "full", dict(HEALTH)))
    assert text.startswith(head), text


def test_a_diverged_layer_keeps_the_bar_of_its_last_finite_reading():
    lines = lines_of("exploding", 38, "text")
    assert lines[0].startswith("EXPLODING → DIVERGED")
    assert "after exploding to" in " ".join(lines)
    fc1 = next(line for line in lines if line.startswith("fc1"))
    assert "█" in fc1 and "nan" in fc1 and fc1.endswith("✗")


async def test_chart_keys_sit_under_the_axis_not_on_the_curves():
    text = await shown(LossChart(), fold("xor-mlp"))
    rows = text.splitlines()
    plot = [row for row in rows if "┤" in row or "│" in row]
    assert not any("train" in row or "val" in row for row in plot)
    key = next(row for row in rows if "━━ train" in row)
    assert "━━ val" in key and "x: step" in key and rows.index(key) > rows.index(plot[-1])


async def test_the_metric_chart_gives_way_when_a_finished_run_has_no_metric():
    chart = MetricChart()
    async with One(chart).run_test(size=(80, 24)):
        chart.update_state(fold("pydoc"))
        assert not chart.display
        chart.update_state(fold("word2vec"))
        assert chart.display


def test_the_perceptron_draws_its_separating_line_and_keys():
    view = TaskView(kind="separating_line", epoch=3, data={
        "points": [[0, 0, 0], [0, 1, 1], [1, 0, 1], [1, 1, 1]], "w": [1.0, 1.0], "b": -0.5,
        "x_range": [-0.5, 1.5], "y_range": [-0.5, 1.5]})
    text = text_of(render_view(view, 38, 16), 38)
    assert "•" in text and "w·x+b=0" in text and "x1 -0.5 → 1.5" in text
    plot = text.split("x1 -0.5")[0]
    assert plot.count("●") == 1 and plot.count("▲") == 3  # a shape per class
    flat = TaskView(kind="separating_line", data={**view.data, "w": [0.0, 0.0], "b": 0.0})
    assert "no line" in text_of(render_view(flat, 60, 16), 60)


def test_sentences_show_whole_in_a_narrow_panel():
    state = fold("rnn")
    text = text_of(render_view(state.view, 38, 14), 38)
    assert "…" not in text and "true" not in text.splitlines()[1]
    assert "the plot looked awful" in text  # the end of a wrapped sentence


def test_the_digits_fill_the_rows_they_have():
    state = fold("digits")
    small = text_of(render_view(state.view, 38, 12), 38)
    tall = text_of(render_view(state.view, 38, 30), 38)
    assert tall.count("✗") + sum(line.strip().isdigit() for line in tall.splitlines()) > \
        small.count("✗") + sum(line.strip().isdigit() for line in small.splitlines())
    assert len(tall.rstrip("\n").splitlines()) <= 30


def test_a_state_without_time_readings_has_no_through_time_line():
    state = fold("xor-mlp")
    state.apply(TimeGrads(norm=[]))
    panel = GradPanel()
    panel.update_state(state)
    assert not any("THROUGH TIME" in line.plain for line in panel.lines(38))
    assert RunState().lesson == "grad"


async def test_train_and_val_take_the_theme_s_colours_and_follow_a_theme_switch():
    chart = LossChart()
    app = One(chart)
    async with app.run_test(size=(80, 24)) as pilot:
        chart.update_state(fold("xor-mlp"))
        await pilot.pause()

        def key_colours():
            text = chart.render()
            row = next(r for r in text.split("\n") if "━━ train" in r.plain)
            at = row.plain.index("━━ train")
            return {span.style.color.triplet.hex for span in row.spans
                    if span.start <= at < span.end and span.style.color}

        theme = app.current_theme
        assert key_colours() == {theme.primary.lower()}
        app.theme = "nord"
        await pilot.pause(0.2)
        assert key_colours() == {app.current_theme.primary.lower()} != {theme.primary.lower()}


@pytest.mark.parametrize("theme", ["ansi-dark", "textual-light", "nord"])
async def test_any_theme_colours_the_panels(theme):
    """A theme may name its colours (`ansi_blue`): the panels get them as #rrggbb."""
    from tuidl.ui.widgets.confusion import ConfusionView
    panel, matrix = GradPanel(), ConfusionView()

    class Two(One):
        def compose(self):
            yield panel
            yield matrix

    app = Two(None)
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = theme
        await pilot.pause()
        panel.update_state(fold("vanishing"))
        matrix.update_state(fold("digits"))
        await pilot.pause()
        assert all(c.startswith("#") for c in health_colours(panel).values())
        for widget in (panel, matrix):
            text_of(widget.render(), 80)


def test_a_hostile_class_number_does_not_stall_the_boundary_view():
    view = TaskView(kind="decision_boundary", data={
        "prob": [[0.5, 0.5], [0.5, 0.5]], "points": [[0.0, 0.0, 10 ** 9], [1.0, 1.0, 0]],
        "x_range": [0, 1], "y_range": [0, 1]})
    started = time.perf_counter()
    text = text_of(render_view(view, 38, 16), 38)
    assert time.perf_counter() - started < 0.5 and "● 0  ▲ 1" in text


def test_run_names_in_a_chart_key_are_shown_as_text():
    line = key_line([("evil\x1b]0;pwn\x07", [0], [0], "red")], 80)
    assert "\x1b" not in line.plain and "\x07" not in line.plain
