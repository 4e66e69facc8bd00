"""Shared by the widget tests (importable: pytest puts tests/ on sys.path): a tiny app that
mounts one widget, and a RunState folded from a recorded fixture."""
from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from textual.app import App

from tuidl.sinks.jsonl import read_events
from tuidl.ui.state import RunState

FIXTURES = Path(__file__).parent / "fixtures"


def fold(name: str) -> RunState:
    """The RunState of a fixture's whole event stream."""
    state = RunState()
    for event in read_events(FIXTURES / name / "events.jsonl"):
        state.apply(event)
    return state


class One(App):
    """Mounts one widget, full screen."""

    def __init__(self, widget):
        super().__init__()
        self.widget = widget

    def compose(self):
        yield self.widget


async def shown(widget, state: RunState, size=(90, 30)) -> str:
    """What the widget draws for `state`, as plain text."""
    async with One(widget).run_test(size=size) as pilot:
        widget.update_state(state)
        await pilot.pause()
        console = Console(width=widget.size.width, record=True, file=io.StringIO())
        console.print(widget.render())
        return console.export_text()
