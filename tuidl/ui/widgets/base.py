"""What the training screen's panels share: each is handed the whole RunState at every redraw
(`ShowsState.update_state`), so a new panel needs no change to the screen's pump; most of them
just keep it and redraw (`StateView`)."""
from __future__ import annotations

from textual.widget import Widget

from tuidl.ui.state import RunState


class ShowsState:
    """A panel of the training screen: draws what it needs from the RunState it is given."""

    def update_state(self, state: RunState) -> None:
        raise NotImplementedError


class StateView(ShowsState, Widget):
    """A widget that renders from the RunState it was last given."""
    RELAYOUT = True  # its height follows its content

    def __init__(self, **kw):
        super().__init__(**kw)
        self.state: RunState | None = None

    def update_state(self, state: RunState) -> None:
        self.state = state
        self.refresh(layout=self.RELAYOUT)
