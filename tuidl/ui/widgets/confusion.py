"""Confusion matrix: heat-coloured counts, rows are true classes, columns predictions, with
per-class recall at the end of each row."""
from __future__ import annotations

from rich.text import Text
from textual.widget import Widget

from tuidl.events import OTHER, Confusion
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
        if self.confusion is None:
            return 1
        c, _ = self._fit(width)
        return len(c.labels) + 1 + -(-len(self._footer(c)) // max(1, width))

    def _fit(self, width: int) -> tuple[Confusion, _Layout]:
        """The matrix as the panel has room for it: whole, or its most confused classes."""
        c = self.confusion
        look = _Layout(c, width)
        while look.width > width and len(c.labels) > 2:
            c = c.fitted(min(len(c.labels) - 1,
                             max(2, (width - look.label_w - 1 - 5) // look.cell)))
            look = _Layout(c, width)
        return c, look

    @staticmethod
    def _footer(c: Confusion) -> str:
        if c.classes:
            return (f"the {len(c.labels) - 1} most confused of {max(0, c.classes)} classes; "
                    f"{OTHER} sums the rest")
        total = sum(map(sum, c.matrix))
        right = sum(c.matrix[i][i] for i in range(len(c.labels)))
        return f"{right}/{total} right ({right / max(1, total):.1%})"

    def render(self) -> Text:
        if self.confusion is None:
            return Text("no evaluation yet", style="dim")
        c, look = self._fit(self.size.width or 80)
        inner = [row[:-1] for row in c.matrix[:-1]] if c.classes else c.matrix
        biggest = max(1, max(max(row, default=0) for row in inner))  # OTHER's sums: off scale
        cell, digits = look.cell, len(str(len(c.labels) - 1))
        heads = [str(i) for i in range(len(c.labels))] if look.numbered else c.labels
        out = Text(" " * (look.label_w + 1) + "".join(f"{h[:cell]:>{cell}}" for h in heads)
                   + look.recall_head + "\n", style="bold")
        rows = list(zip(c.labels, c.matrix, c.recall))
        for at, (label, row, recall) in enumerate(rows):
            name = f"{at:>{digits}} {label[:MAX_LABEL]}" if look.numbered else label
            out.append(f"{name[:look.label_w]:>{look.label_w}} ", style="bold")
            for v in row:
                heat = min(1.0, v / biggest)
                bg = sequential(heat)
                fg = "black" if heat > 0.5 else "white"
                out.append(f"{v:>{cell}}", style=f"{fg} on {bg}")
            if c.classes and at == len(rows) - 1:  # OTHER: its diagonal mixes many classes
                out.append("\n")
                continue
            out.append(look.recall_fmt.format(recall) + "\n",
                       style="green" if recall >= 0.9 else "yellow")
        out.append(self._footer(c), style="dim")
        return out


MAX_LABEL = 12  # characters of a class name in the row labels
# from roomiest to tightest: (columns numbered, a space between cells, "recall" in full,
# the least cell width); a tight cell is told from its neighbours by its colour alone, so
# not in a summary, whose OTHER row sums to large counts all of one colour
TIERS = ((False, 1, True, 3), (False, 1, True, 2), (False, 1, False, 2), (False, 0, False, 2),
         (True, 1, False, 2))


class _Layout:
    """Cell and label widths for a matrix, the roomiest of TIERS that fits `width`; `width`
    then says what it needs (more than was given: the caller shows fewer classes)."""

    def __init__(self, c: Confusion, width: int):
        k = len(c.labels)
        count = len(str(max(1, max(max(row) for row in c.matrix))))
        longest = min(MAX_LABEL, max(len(label) for label in c.labels))
        for numbered, gap, full, least in TIERS:
            if c.classes and not gap:
                continue
            head = len(str(k - 1)) if numbered else longest
            self.numbered = numbered
            self.cell = max(least, count + gap, head + gap)
            self.label_w = len(str(k - 1)) + 1 + longest if numbered else longest
            self.recall_fmt, self.recall_head = (("  {:6.1%}", "  recall") if full
                                                 else (" {:4.0%}", " rec."))
            self.width = self.label_w + 1 + self.cell * k + len(self.recall_head)
            if self.width <= width:
                break
