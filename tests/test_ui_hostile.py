"""The app shows hostile text as text: a run whose preset name, class labels, review texts,
words and messages hold markup (`[/]`), escape sequences and bidirectional overrides renders
at 80x24 and 160x48 without a crash and without a raw control character on screen; a form
field that is typed `[/]` says why the value is wrong instead of dying."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomli_w

from pilot_tools import wait
from tuidl.ui.app import TuidlApp

FIXTURES = Path(__file__).parent / "fixtures"
HOSTILE = "[/]x[bold]y \x1b[2J\x1b]0;T\x07 \u202e"
RAW = ("\x1b", "\x07", "\u202e")


def _poison(value):
    """Every string of a recorded event, with the hostile text added."""
    if isinstance(value, str):
        return value + HOSTILE
    if isinstance(value, list):
        return [_poison(v) for v in value]
    if isinstance(value, dict):
        return {k: _poison(v) for k, v in value.items()}
    return value


def _hostile_run(tmp_path, fixture: str) -> Path:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    lines = []
    for line in (FIXTURES / fixture / "events.jsonl").read_text().splitlines():
        event = json.loads(line)
        for key in ("preset", "message", "labels", "data", "run_dir", "explanation"):
            if key in event:
                event[key] = _poison(event[key])
        lines.append(json.dumps(event))
    (run_dir / "events.jsonl").write_text("\n".join(lines) + "\n")
    return run_dir


def _screen_text(app) -> str:
    return app.export_screenshot()


@pytest.mark.parametrize("fixture", ["digits", "rnn", "word2vec", "gan"])
@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_a_run_full_of_hostile_text_renders_as_text(tmp_path, fixture, size):
    app = TuidlApp(watch=str(_hostile_run(tmp_path, fixture)))
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        assert await wait(pilot, lambda: screen.state.finished, 20)
        await pilot.pause(0.6)  # a chart frame
        await pilot.press("v")  # the other panel
        await pilot.pause(0.3)
        text = _screen_text(app)
        assert app.is_running
    assert not any(c in text for c in RAW)
    assert "[/]x[bold]y" in text.replace("&#160;", " ") or size == (80, 24)


async def test_a_hostile_preset_and_a_typed_markup_value_leave_the_form_alive(tmp_path):
    preset = tmp_path / "p.toml"
    preset.write_text(tomli_w.dumps({"family": "mlp", "name": "n" + HOSTILE,
                                     "about": HOSTILE, "params": {"dataset": "xor"}}))
    app = TuidlApp(preset=str(preset), out_root=str(tmp_path / "runs"))
    async with app.run_test(size=(100, 30)) as pilot:
        field = app.screen.query_one("#field-lr")
        field.value = "[/]"
        await pilot.pause(0.2)
        text = _screen_text(app)
        assert app.is_running and "[/]" in text
    assert not any(c in text for c in RAW)
