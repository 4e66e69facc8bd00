"""What the training screen's panels share: each is handed the whole RunState at every redraw
(`ShowsState.update_state`), so a new panel needs no change to the screen's pump; most of them
just keep it and redraw (`StateView`)."""
from __future__ import annotations

from rich.text import Text
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


class LinesView(StateView):
    """A panel drawn as lines of text, at the level of detail the screen picks to fit its room
    (`height_for` each detail, then `set_detail`): the gradient panel, the histograms."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.detail = "full"

    def lines(self, width: int, detail: str | None = None) -> list[Text]:
        raise NotImplementedError

    def set_detail(self, detail: str) -> None:
        if detail != self.detail:
            self.detail = detail
            self.refresh(layout=True)

    def height_for(self, width: int, detail: str | None = None) -> int:
        """The lines the panel needs at `width` columns and that level of detail."""
        return len(self.lines(width, detail))

    def get_content_height(self, container, viewport, width: int) -> int:
        return max(1, len(self.lines(width)))

    def render(self) -> Text:
        return Text("\n").join(self.lines(self.size.width or 40))
