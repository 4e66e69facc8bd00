"""The training screen's layout follows the lesson: which side panels show, how much room the
gradient panel gets, what v does, and that no box waits forever for what never comes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuidl.catalog import _parse, dump_config, load_preset
from tuidl.config import ConfigError
from tuidl.events import Confusion, GradStats, RunStart, event_from_dict
from tuidl.ui.app import TuidlApp
from tuidl.ui.bridge import FileFollower

FIXTURES = Path(__file__).parent / "fixtures"


def shown_panels(screen) -> set[str]:
    boxes = {"grad": screen.grad_panel.parent, "task": screen.task_view,
             "confusion": screen.query_one("#confusion-box")}
    return {name for name, box in boxes.items() if box.display and box.region.height}


async def open_screen(pilot):
    await pilot.pause(0.8)
    return pilot.app.screen


async def test_a_gradient_lesson_gets_its_room_and_the_next_panel_the_rest():
    app = TuidlApp(source=FileFollower(FIXTURES / "vanishing"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        assert screen.state.lesson == "grad"  # the preset's, not the mlp family's task view
        assert shown_panels(screen) == {"grad", "confusion"}
        assert screen.grad_panel.parent.max_scroll_y == 0


async def test_v_shows_each_side_panel_alone_then_the_lesson_layout_again():
    app = TuidlApp(source=FileFollower(FIXTURES / "xor-mlp"))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        assert shown_panels(screen) == {"task", "grad"}
        seen = []
        for _ in range(4):
            await pilot.press("v")
            await pilot.pause(0.3)
            seen.append(shown_panels(screen))
        assert seen == [{"task"}, {"grad"}, {"confusion"}, {"task", "grad"}]


async def test_from_120_columns_every_panel_shows_and_v_says_so():
    app = TuidlApp(source=FileFollower(FIXTURES / "xor-mlp"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_screen(pilot)
        assert shown_panels(screen) == {"task", "grad", "confusion"}
        await pilot.press("v")
        await pilot.pause(0.3)
        assert shown_panels(screen) == {"task", "grad", "confusion"}


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_a_finished_run_without_a_view_or_matrix_shows_no_empty_box(size):
    """The exploding run diverged before its first evaluation: no task view or confusion
    matrix will ever come, so the gradient panel takes the column, down to its bottom, and
    the empty metric chart gives the loss chart its room."""
    app = TuidlApp(source=FileFollower(FIXTURES / "exploding"))
    async with app.run_test(size=size) as pilot:
        screen = await open_screen(pilot)
        assert shown_panels(screen) == {"grad"}
        box = screen.grad_panel.parent
        assert box.region.bottom == box.parent.region.bottom
        assert not screen.query_one("#metric-chart").display


def test_a_preset_names_its_lesson_panel_and_keeps_it_in_its_config():
    assert load_preset("vanishing-sigmoid").lesson_panel == "grad"
    assert load_preset("long-memory-rnn").lesson_panel == "time_grads"  # the family's
    assert load_preset("lstm-sentiment").lesson_panel == "task_view"
    preset = load_preset("exploding")
    again = _parse(dump_config(preset, preset.resolve()), "again", None)
    assert again.lesson == "grad"
    for bad in ('"[bold]x"', "false", "0", '["grad"]'):
        with pytest.raises(ConfigError, match="lesson must be one of grad, confusion, task_v"):
            _parse(f'family = "mlp"\nlesson = {bad}\n', "bad", None)


def test_a_diagnosis_that_does_not_add_up_is_skipped_as_unreadable():
    base = {"type": "diagnosis", "verdict": "vanishing", "layers": ["a", "b"],
            "states": ["vanishing", "healthy"]}
    assert event_from_dict(base).verdict == "vanishing"
    for bad in ({"states": ["vanishing"]}, {"verdict": "[/]"}, {"states": ["x", "healthy"]}):
        with pytest.raises(ValueError):
            event_from_dict({**base, **bad})


async def test_a_deep_gradient_lesson_keeps_every_layer_over_the_next_panel(tmp_path):
    """Twenty layers do not fit above a confusion matrix at 80x24: the matrix goes (v shows
    it), every layer stays."""
    names = [f"fc{i}" for i in range(1, 20)] + ["out"]
    events = [RunStart(preset="deep", family="mlp", lesson="grad", steps_per_epoch=10,
                       total_steps=10, layers=[{"name": n, "params": 1} for n in names]),
              GradStats(step=1, layers=names, norm=[10.0 ** -(20 - i) for i in range(20)]),
              Confusion(step=1, labels=["0", "1"], matrix=[[5, 1], [2, 7]])]
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e.to_dict()) + "\n"
                                                   for e in events))
    app = TuidlApp(source=FileFollower(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        assert shown_panels(screen) == {"grad"}
        assert screen.grad_panel.parent.max_scroll_y == 0
        assert screen.grad_panel.detail in ("compact", "minimal")
