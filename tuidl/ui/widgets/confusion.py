"""Confusion matrix: rows are true classes, columns predictions, per-class recall at the end of
each row. Coloured by right and wrong, not by count: the diagonal in the theme's success
colour, errors in its error colour, each as strong as its share of the row; empty cells are a
dim `·` and the diagonal is bold, so errors stand out in 16 colours and without colour too.

Counts that would not fit become each cell's share of its row in percent (the diagonal then
a ✓, its share being the recall); more classes than fit become the most confused of them
and `(other)`; a row never wraps."""
from __future__ import annotations

from rich.text import Text
from textual.color import Color
from textual.widget import Widget

from tuidl.events import OTHER, Confusion
from tuidl.ui.state import RunState
from tuidl.ui.widgets.base import ShowsState
from tuidl.ui.widgets.colors import as_hex

MAX_LABEL = 12  # characters of a class name in the row labels
RIGHT, WRONG, BACK = "#5fd75f", "#ff5f5f", "#1e1e1e"  # without a theme (a bare console)


class ConfusionView(ShowsState, Widget):
    DEFAULT_CSS = "ConfusionView { height: auto; }"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.confusion: Confusion | None = None
        self._fitted: tuple[object, int, tuple[Confusion, _Layout]] | None = None

    def update_state(self, state: RunState) -> None:
        if state.confusion is not self.confusion:
            self.confusion = state.confusion
            self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        if self.confusion is None:
            return 1
        c, look = self._fit(width)
        return len(c.labels) + 1 + -(-len(self._footer(c, look)) // max(1, width))

    def _fit(self, width: int) -> tuple[Confusion, _Layout]:
        """The matrix as the panel has room for it: whole, or its most confused classes
        (worked out once per matrix and width: layout and render both ask)."""
        if self._fitted and self._fitted[0] is self.confusion and self._fitted[1] == width:
            return self._fitted[2]
        c = self.confusion
        look = _Layout(c, width)
        while look.width > width and len(c.labels) > 2:
            c = c.fitted(min(len(c.labels) - 1,
                             max(2, (width - look.label_w - 5) // look.cell)))
            look = _Layout(c, width)
        self._fitted = (self.confusion, width, (c, look))
        return c, look

    @staticmethod
    def _footer(c: Confusion, look: _Layout) -> str:
        said = "cells: % of the true class, ✓ right; " if look.shares else ""
        if c.classes:
            return (f"{said}the {len(c.labels) - 1} most confused of {max(0, c.classes)} "
                    f"classes; {OTHER} sums the rest")
        total = sum(map(sum, c.matrix))
        right = sum(c.matrix[i][i] for i in range(len(c.labels)))
        return f"{said}{right}/{total} right ({right / max(1, total):.1%})"

    def _colours(self) -> tuple[Color, Color, Color]:
        try:
            theme = self.app.current_theme
            return (Color.parse(as_hex(theme.success, RIGHT)),
                    Color.parse(as_hex(theme.error, WRONG)),
                    Color.parse(as_hex(theme.background, BACK)))
        except Exception:  # no app (a widget rendered on its own)
            return Color.parse(RIGHT), Color.parse(WRONG), Color.parse(BACK)

    def render(self) -> Text:
        if self.confusion is None:
            return Text("no evaluation yet", style="dim")
        c, look = self._fit(self.size.width or 80)
        right, wrong, back = self._colours()
        cell, digits = look.cell, len(str(len(c.labels) - 1))
        heads = [str(i) for i in range(len(c.labels))] if look.numbered else c.labels
        out = Text(" " * look.label_w + "".join(f"{h[:cell - 1]:>{cell}}" for h in heads)
                   + look.recall_head + "\n", style="bold")
        rows = list(zip(c.labels, c.matrix, c.recall))
        for at, (label, row, recall) in enumerate(rows):
            name = f"{at:>{digits}} {label[:MAX_LABEL]}" if look.numbered else label
            out.append(f"{name[:look.label_w]:>{look.label_w}}", style="bold")
            total = max(1, sum(row))
            mixed = c.classes and at == len(rows) - 1  # OTHER's diagonal: not all right
            for j, v in enumerate(row):
                out.append(*_cell(v, v / total, at == j and not mixed, look, right, wrong,
                                  back))
            if mixed:
                out.append("\n")
                continue
            out.append(look.recall_fmt.format(recall) + "\n",
                       style="green" if recall >= 0.9 else "yellow")
        out.append(self._footer(c, look), style="dim")
        return out


def _cell(v: int, share: float, diagonal: bool, look: _Layout, right: Color, wrong: Color,
          back: Color) -> tuple[str, str]:
    """One cell's text and style: its count (or share), coloured by right or wrong."""
    if v == 0:
        return f"{'·':>{look.cell}}", "dim"
    text = ("✓" if diagonal else str(max(1, round(100 * share)))) if look.shares else str(v)
    tint = back.blend(right if diagonal else wrong, 0.3 + 0.7 * share)
    fg = "black" if tint.brightness > 0.5 else "white"
    return f"{text:>{look.cell}}", f"{fg} on {tint.hex}" + (" bold" if diagonal else "")


# from roomiest to tightest: (cells as shares of the row, columns numbered, "recall" in full,
# the least cell width); every cell keeps a space before it
TIERS = ((False, False, True, 3), (False, False, False, 2), (True, False, False, 2),
         (False, True, False, 2), (True, True, False, 2))


class _Layout:
    """Cell and label widths for a matrix, the roomiest of TIERS that fits `width`; `width`
    then says what it needs (more than was given: the caller shows fewer classes)."""

    def __init__(self, c: Confusion, width: int):
        k = len(c.labels)
        count = len(str(max(1, max(max(row) for row in c.matrix))))
        share = 2 if all(max((v for j, v in enumerate(row) if j != i), default=0) < sum(row)
                         for i, row in enumerate(c.matrix)) else 3  # 100 %: a whole row wrong
        longest = min(MAX_LABEL, max(len(label) for label in c.labels))
        for self.shares, self.numbered, full, least in TIERS:
            head = len(str(k - 1)) if self.numbered else longest
            self.cell = max(least, (share if self.shares else count) + 1, head + 1)
            self.label_w = len(str(k - 1)) + 1 + longest if self.numbered else longest
            self.recall_fmt, self.recall_head = (("  {:6.1%}", "  recall") if full
                                                 else (" {:4.0%}", " rec."))
            self.width = self.label_w + self.cell * k + len(self.recall_head)
            if self.width <= width:
                break
