"""The lesson screen: a lesson's variants trained at once, side by side, at 80x24; a lesson
folder reopened by `tuidl watch`; the picker's lessons; its widgets (the variant card, the
layer profile, the activations' plot, the receptive-field table)."""
import io
import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from pilot_tools import wait
from test_widgets import fold
from tuidl.lesson_extras import activation_rows, receptive_fields
from tuidl.lesson_run import read_record
from tuidl.ui.app import TuidlApp
from tuidl.ui.screens.lesson import LessonChart, LessonScreen
from tuidl.ui.state import RunState
from tuidl.ui.widgets.grad_panel import GradPanel
from tuidl.ui.widgets.lesson_extras import field_table
from tuidl.ui.widgets.variant_card import headline

FIXTURES = Path(__file__).parent / "fixtures"
SMALL, LARGE = (80, 24), (160, 48)


def text_of(renderable, width: int = 80) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


async def test_a_two_variant_lesson_trains_both_at_once_at_80x24(tmp_path):
    """xor live: the perceptron and the MLP train concurrently (each in its own process),
    both curves are overlaid and keyed, both cards show their run, the verdict comes when
    both have ended, and lesson.json holds it."""
    app = TuidlApp(lesson="xor", out_root=str(tmp_path), lang="en")
    async with app.run_test(size=SMALL) as pilot:
        assert await wait(pilot, lambda: isinstance(app.screen, LessonScreen), timeout=10)
        screen = app.screen
        assert await wait(pilot, lambda: all(s.status == "running" or s.finished
                                             for _, _, s in screen.runs), timeout=60)
        assert await wait(pilot, lambda: screen.verdict is not None, timeout=90)
        await pilot.pause(0.3)
        chart = screen.query_one(LessonChart)
        assert [label for label, *_ in chart.keyed] == ["perceptron", "MLP (one hidden layer)"]
        for i in range(2):
            card = screen.query_one(f"#card-{i}")
            assert card.region.width >= 38 and screen.region.contains_region(card.region)
        verdict = str(screen.query_one("#lesson-verdict").render())
        assert verdict.startswith("holds: perceptron 50%"), verdict
        folder = next(tmp_path.iterdir())
        assert read_record(folder)["holds"] is True


async def test_stop_all_stops_every_variant(tmp_path):
    app = TuidlApp(lesson="depth", out_root=str(tmp_path), lang="en")
    async with app.run_test(size=SMALL) as pilot:
        assert await wait(pilot, lambda: isinstance(app.screen, LessonScreen), timeout=10)
        screen = app.screen
        assert await wait(pilot, lambda: all(s.status == "running"
                                             for _, _, s in screen.runs), timeout=60)
        await pilot.press("s")
        assert await wait(pilot, lambda: screen.verdict is not None, timeout=30)
        assert {s.status for _, _, s in screen.runs} <= {"stopped", "completed"}


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_lesson_screen(snap_compare, size):
    """`tuidl watch` of a lesson folder (depth: sigmoid, ReLU+He, tanh+Xavier). At 80x24: the
    title, the text's first lines, the three loss curves keyed by variant, two cards side by
    side (the third below, scrolled to) each with its headline and a one-line profile of
    its layers' gradients (the sigmoid's fading toward the input), the verdict in green. At
    160x48: the whole text and three cards with every layer's bar."""
    app = TuidlApp(compare=[str(FIXTURES / "lesson-depth")])
    assert snap_compare(app, terminal_size=size)


async def test_a_key_opens_one_variant_whole_and_escape_returns():
    app = TuidlApp(compare=[str(FIXTURES / "lesson-depth")])
    async with app.run_test(size=SMALL) as pilot:
        assert await wait(pilot, lambda: isinstance(app.screen, LessonScreen)
                          and app.screen.verdict is not None, timeout=10)
        await pilot.press("1")
        assert await wait(pilot, lambda: not isinstance(app.screen, LessonScreen), timeout=5)
        assert await wait(pilot, lambda: app.screen.state.finished, timeout=10)
        assert app.screen.state.diagnosis.verdict == "vanishing"
        await pilot.press("escape")
        assert await wait(pilot, lambda: isinstance(app.screen, LessonScreen), timeout=5)


async def test_a_lesson_folder_of_hostile_labels_and_an_unknown_lesson(tmp_path):
    """A lesson.json naming a lesson this tuidl lacks, with markup and escapes in its
    labels: shown as text, no verdict claimed, nothing crashes."""
    folder = tmp_path / "lesson"
    shutil.copytree(FIXTURES / "lesson-depth", folder)
    record = json.loads((folder / "lesson.json").read_text())
    record.update(lesson="nope", title="[bold red]title\x1b[2J", holds=None, verdict="")
    record["variants"][0]["label"] = "[link=x]boom[/link]\x1b]0;t\x07"
    (folder / "lesson.json").write_text(json.dumps(record))
    app = TuidlApp(compare=[str(folder)])
    async with app.run_test(size=SMALL) as pilot:
        assert await wait(pilot, lambda: isinstance(app.screen, LessonScreen)
                          and app.screen.verdict is not None, timeout=10)
        screen = app.screen
        assert "[bold red]title" in str(screen.query_one("#lesson-title").render())
        assert "\x1b" not in str(screen.query_one("#lesson-title").render())
        assert screen.verdict[0] is None and "no verdict" in screen.verdict[1]
        assert "[link=x]boom" in screen.query_one("#card-0").border_title


async def test_the_picker_lists_the_lessons_and_previews_one():
    app = TuidlApp(lang="en")
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause(0.2)
        options = app.screen.query_one("#preset-list")
        index = next(i for i, o in enumerate(options._options) if o.id == "lesson:xor")
        options.highlighted = index
        await pilot.pause(0.2)
        preview = str(app.screen.query_one("#preset-preview").render())
        assert "A perceptron cannot learn XOR" in preview and "perceptron-xor" in preview


# -- widgets --------------------------------------------------------------------------------
def test_the_card_headline_names_status_epoch_and_main_metric():
    state = fold("vanishing")
    line = headline(state).plain
    assert line == "done · 3/3 · val_accuracy 0.48", line
    failed = RunState(status="failed", message="out of memory")
    assert headline(failed).plain == "failed · out of memory"


def test_the_headline_profile_draws_each_layer_low_to_high():
    panel = GradPanel()
    panel.profile, panel.hint = True, "1: every layer"
    panel.update_state(fold("vanishing"))
    lines = [line.plain for line in panel.lines(60, "headline")]
    profile = lines[-1]
    assert profile.startswith("input ") and profile.endswith(" output")
    blocks = profile[len("input "):-len(" output")]
    assert blocks[0] < blocks[-1]  # the input layer's block is lower than the output's
    assert "1: every layer" in "".join(lines)


def test_activation_slopes():
    rows = {a.name: a for a in activation_rows(["sigmoid", "tanh", "relu", "softsign", "nope"])}
    assert set(rows) == {"sigmoid", "tanh", "relu", "softsign"}
    assert rows["sigmoid"].max_slope == pytest.approx(0.25)
    assert rows["tanh"].max_slope == pytest.approx(1.0)
    assert rows["sigmoid"].slope_at_3 < 0.05 and rows["relu"].slope_at_3 == 1.0


def test_receptive_fields_of_the_digits_cnn():
    rows = receptive_fields(8, [16, 32], kernel=3, padding=1, stride=1, pool="max")
    assert [(r.name, r.size, r.field) for r in rows] == [
        ("conv1", 8, 3), ("pool1", 4, 4), ("conv2", 4, 8), ("pool2", 2, 10)]
    strided = receptive_fields(28, [8], kernel=5, padding=0, stride=2, pool="none")
    assert [(r.size, r.field, r.jump) for r in strided] == [(12, 5, 2)]
    table = text_of(field_table({"dataset": "digits", "channels": "16,32", "kernel_size": 3,
                                 "padding": 1, "stride": 1, "pool": "max"}))
    assert "on 8x8 inputs" in table and "10x10" in table


def test_the_slope_key_names_each_activation_with_its_largest_slope():
    from tuidl.ui.widgets.lesson_extras import slope_key
    lines = slope_key(["sigmoid", "relu"]).plain.splitlines()
    assert lines[0].startswith("━━ sigmoid") and "f' ≤ 0.25" in lines[0]
    assert lines[1].startswith("━━ relu") and "f'(3) 1" in lines[1]


async def test_the_activations_panel_plots_each_function_and_f_toggles_it():
    from textual.app import App

    from tuidl.ui.widgets.lesson_extras import ActivationPlot, ActivationsPanel

    class One(App):
        def compose(self):
            yield ActivationsPanel(["sigmoid", "tanh", "nope"])

    app = One()
    async with app.run_test(size=(60, 16)) as pilot:
        plot = app.query_one(ActivationPlot)
        assert plot.names == ["sigmoid", "tanh"] and plot.derivative
        app.query_one(ActivationsPanel).toggle()
        await pilot.pause()
        assert not plot.derivative and "f(x)" in str(plot.render())


async def test_watching_a_headless_lesson_picks_up_each_variant_as_it_starts(tmp_path):
    """`tuidl lesson` trains its variants one after the other: the third one's directory
    appears after the screen opened; it is followed then, and the verdict comes from the
    runs once all have ended."""
    folder = tmp_path / "lesson"
    shutil.copytree(FIXTURES / "lesson-depth", folder)
    later = tmp_path / "later"
    (folder / "tanh_xavier").rename(later)
    record = json.loads((folder / "lesson.json").read_text())
    record.update(holds=None, verdict="")
    record["variants"][2]["run_dir"] = None
    (folder / "lesson.json").write_text(json.dumps(record))
    app = TuidlApp(compare=[str(folder)])
    async with app.run_test(size=SMALL) as pilot:
        assert await wait(pilot, lambda: isinstance(app.screen, LessonScreen), timeout=10)
        screen = app.screen
        assert await wait(pilot, lambda: screen.runs[0][2].finished, timeout=10)
        assert screen.runs[2][2].status == "waiting" and screen.verdict is None
        later.rename(folder / "20261207-000000-tanh_xavier")
        assert await wait(pilot, lambda: screen.verdict is not None, timeout=10)
        assert screen.verdict[0] is True and screen.verdict[1].startswith("holds:")
