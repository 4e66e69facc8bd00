"""What the panels that draw the whole run state share: hold the latest RunState, redraw."""
from __future__ import annotations

from textual.widget import Widget

from tuidl.ui.state import RunState


class StateView(Widget):
    """A widget that renders from the RunState it was last given."""
    RELAYOUT = True  # its height follows its content

    def __init__(self, **kw):
        super().__init__(**kw)
        self.state: RunState | None = None

    def update_state(self, state: RunState) -> None:
        self.state = state
        self.refresh(layout=self.RELAYOUT)
