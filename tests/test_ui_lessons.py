"""Every built-in preset, at 80x24 (the default terminal over SSH): the panel that carries its
lesson (its preset's or its family's `lesson`) is on screen without a key press, its content
wholly inside the visible region (no scroll offset needed), and it says the right thing.

Each preset trains for one short epoch into a temporary run directory (about 15 s for all);
the app then follows that directory as `tuidl watch` would."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from rich.console import Console

from pilot_tools import wait
from tuidl.catalog import builtin_names, load_preset
from tuidl.runner import execute, prepare
from tuidl.ui.app import TuidlApp
from tuidl.ui.bridge import FileFollower
from tuidl.ui.widgets.views import render_view

SMALL = (80, 24)
MIN_VIEW_ROWS = 10  # rows (inside the border) a task view needs to teach anything


@pytest.fixture(scope="module")
def runs():
    """preset name -> the run directory of one short seeded epoch of it."""
    with tempfile.TemporaryDirectory() as root:
        out = {}
        for name in builtin_names():
            summary = execute(prepare(name, ["epochs=1"], device="cpu"), out_root=root)
            out[name] = Path(summary.run_dir)
        yield out


@pytest.mark.parametrize("name", builtin_names())
async def test_the_lesson_panel_is_wholly_visible_at_80x24(runs, name):
    preset = load_preset(name)
    app = TuidlApp(source=FileFollower(runs[name]))
    async with app.run_test(size=SMALL) as pilot:
        assert await wait(pilot, lambda: getattr(app.screen, "state", None) is not None
                          and app.screen.state.finished, timeout=30)
        await pilot.pause(0.6)  # a chart frame, then the fit after the last layout
        screen = app.screen
        state = screen.state
        assert state.lesson == preset.lesson_panel
        lesson, panels = screen._panels()
        if state.lesson in ("grad", "time_grads") or (
                state.lesson == "task_view" and state.view is None and not state.has_confusion):
            assert lesson == "grad"
        box = {"grad": screen.grad_panel.parent, "task": screen.task_view,
               "confusion": screen.query_one("#confusion-box")}[lesson]
        assert box.display and box.region.height >= 3, f"{lesson} is not on screen"
        assert screen.region.contains_region(box.region)
        if lesson == "grad":
            panel = screen.grad_panel
            assert box.max_scroll_y == 0, f"{name}: the gradient panel needs scrolling"
            shown = "\n".join(line.plain for line in panel.lines(panel.size.width))
            assert all(layer[:12] in shown for layer in state.layers), shown
            assert len(panel.lines(panel.size.width)) <= box.content_region.height
            verdict = state.diagnosis.verdict.upper() if state.diagnosis else ""
            assert verdict in shown
            if state.lesson == "time_grads" and state.time_grads:
                assert "THROUGH TIME" in shown
        elif lesson == "confusion":
            assert box.max_scroll_y == 0
        else:
            view = screen.task_view
            assert state.view is not None, f"{name}: no task view after an epoch"
            width, height = view.content_region.width, view.content_region.height
            assert height >= MIN_VIEW_ROWS, f"{name}: the task view got {height} rows"
            console = Console(width=width, height=height, record=True, color_system=None)
            console.print(render_view(state.view, width, height, view.metrics))
            lines = console.export_text().rstrip("\n").split("\n")
            assert len(lines) <= height, f"{name}: the {state.view.kind} view overflows"
