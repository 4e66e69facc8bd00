"""Confusion matrix: heat-coloured counts, rows are true classes, columns predictions, with
per-class recall at the end of each row."""
from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tuidl.events import Confusion
from tuidl.ui.state import RunState
from tuidl.ui.widgets.base import ShowsState
from tuidl.ui.widgets.colors import sequential


class ConfusionView(ShowsState, Widget):
    DEFAULT_CSS = "ConfusionView { height: auto; }"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.confusion: Confusion | None = None

    def update_state(self, state: RunState) -> None:
        if state.confusion is not self.confusion:
            self.confusion = state.confusion
            self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.confusion.labels) + 2 if self.confusion else 1

    def render(self) -> Text:
        c = self.confusion
        if c is None:
            return Text("no evaluation yet", style="dim")
        biggest = max(1, max(max(row) for row in c.matrix))
        cell = max(3, len(str(biggest)) + 1)
        label_w = max(len(label) for label in c.labels)
        recall_fmt, recall_head = "  {:6.1%}", "  recall"
        width = self.size.width or 80
        if label_w + 1 + cell * len(c.labels) + 8 > width:  # narrow: tighter cells and recall
            cell = len(str(biggest))
            recall_fmt, recall_head = " {:4.0%}", " rec."
        out = Text(" " * (label_w + 1) + "".join(f"{lab[:cell - 1] or lab[:1]:>{cell}}"
                                                 for lab in c.labels)
                   + recall_head + "\n", style="bold")
        for label, row, recall in zip(c.labels, c.matrix, c.recall):
            out.append(f"{label:>{label_w}} ", style="bold")
            for v in row:
                bg = sequential(v / biggest)
                fg = "black" if v / biggest > 0.5 else "white"
                out.append(f"{v:>{cell}}", style=f"{fg} on {bg}")
            out.append(recall_fmt.format(recall) + "\n",
                       style="green" if recall >= 0.9 else "yellow")
        total = sum(map(sum, c.matrix))
        right = sum(c.matrix[i][i] for i in range(len(c.labels)))
        out.append(f"{right}/{total} right ({right / max(1, total):.1%})", style="dim")
        return out
