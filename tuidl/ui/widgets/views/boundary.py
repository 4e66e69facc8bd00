"""decision_boundary / separating_line: a heatmap of P(class 1) (blue → white → red, muted so
the points stand out) with the points on top, each class its own shape in white (● class 0,
▲ class 1 …): the shape says the class and the region's colour the prediction, so a point on
the wrong side shows in 16 colours and without colour too. Half blocks give two pixel rows per
character row. The perceptron's view draws its separating line w·x + b = 0 as well. Under the
map: the axes' ranges, then the key."""
from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text

from tuidl.events import TaskView
from tuidl.ui.widgets.colors import diverging
from tuidl.ui.widgets.views.common import cell_of, fit

GLYPHS = "●▲■◆★✚✖▼◉♦"  # class i's shape
LINE = "•"  # a cell the separating line crosses
MUTE = 0.55  # the region's colour, mixed with black: the points in front stay readable


def _muted(t: float) -> str:
    c = diverging(t)
    r, g, b = (int(int(c[i:i + 2], 16) * MUTE) for i in (1, 3, 5))
    return f"#{r:02x}{g:02x}{b:02x}"


def glyph(c: int) -> str:
    return GLYPHS[c % len(GLYPHS)]


def heatmap(prob: list[list[float]], points: list, xr, yr, w: int, h: int,
            line: tuple[float, float, float] | None = None) -> Text:
    """prob[i][j]: row i from the lowest y up, column j from the lowest x. `line` (w1, w2, b):
    the cells whose centre lies within half a cell of w1·x + w2·y + b = 0 are marked."""
    g_rows, g_cols = len(prob), len(prob[0])
    dots = {}
    for x, y, c in points:
        col, row = cell_of(x, y, xr, yr, w, h)
        if 0 <= col < w and 0 <= row < h:
            dots[(row, col)] = int(c)

    def value(py: int, col: int) -> float:  # py counts pixel rows from the top (2h of them)
        gi = g_rows - 1 - int(py / (2 * h) * g_rows)
        gj = int(col / w * g_cols)
        return prob[min(max(gi, 0), g_rows - 1)][min(gj, g_cols - 1)]

    def on_line(row: int, col: int) -> bool:
        if line is None or (line[0] == 0 and line[1] == 0):
            return False
        w1, w2, b = line
        dx, dy = (xr[1] - xr[0]) / max(1, w - 1), (yr[1] - yr[0]) / max(1, h - 1)
        x, y = xr[0] + col * dx, yr[1] - row * dy
        return abs(w1 * x + w2 * y + b) <= (abs(w1) * dx + abs(w2) * dy) / 2

    out = Text()
    for row in range(h):
        for col in range(w):
            top, bottom = _muted(value(2 * row, col)), _muted(value(2 * row + 1, col))
            if (row, col) in dots:
                out.append(glyph(dots[(row, col)]), style=f"bold white on {top}")
            elif on_line(row, col):
                out.append(LINE, style=f"bold #ffd75f on {top}")
            else:
                out.append("▀", style=f"{top} on {bottom}")
        out.append("\n")
    out.rstrip()
    return out


def axes(xr, yr, w: int) -> Text:
    """The data window's ranges: x1 left to right, x2 bottom to top."""
    return fit(Text(f"x1 {xr[0]:.1f} → {xr[1]:.1f}   x2 {yr[0]:.1f} ↑ {yr[1]:.1f}",
                    style="dim"), w)


def key(classes: int, w: int, line: bool = False) -> Text:
    out = Text()
    for c in range(classes):
        out.append(f"{glyph(c)} {c}  ", style="bold")
    out.append("P(1) ", style="dim")
    for t, label in ((0.0, "0"), (0.5, ".5"), (1.0, "1")):
        out.append("█", style=_muted(t))
        out.append(f"{label} ", style="dim")
    if line:
        out.append(f" {LINE} w·x+b=0", style="#ffd75f")
    return fit(out, w)


def _classes(points: list) -> int:
    """Classes in the key: as many as the points name, at most one per shape (a hostile
    class number must not make the key loop)."""
    return min(len(GLYPHS), max(2, 1 + max((int(p[2]) for p in points), default=1)))


def _body(d: dict[str, Any], title: Text, prob, w: int, h: int, line=None):
    xr, yr = d["x_range"], d["y_range"]
    extra = 2 if h >= 8 else 0  # the axes and the key, where there is room
    parts = [fit(title, w), heatmap(prob, d["points"], xr, yr, w, h - 1 - extra, line)]
    if extra:
        parts += [axes(xr, yr, w), key(_classes(d["points"]), w, line is not None)]
    return Group(*parts)


def render_boundary(view: TaskView, w: int, h: int, metrics: dict[str, Any]):
    d = view.data
    return _body(d, Text(f"decision boundary @ epoch {view.epoch}", style="bold"), d["prob"],
                 w, h)


def line_to_prob(d: dict[str, Any], n: int = 32) -> list[list[float]]:
    (w1, w2), b = d["w"], d["b"]
    xr, yr = d["x_range"], d["y_range"]
    return [[1.0 if w1 * (xr[0] + (xr[1] - xr[0]) * j / (n - 1))
             + w2 * (yr[0] + (yr[1] - yr[0]) * i / (n - 1)) + b >= 0 else 0.0
             for j in range(n)] for i in range(n)]


def render_line(view: TaskView, w: int, h: int, metrics: dict[str, Any]):
    d = view.data
    (w1, w2), b = d["w"], d["b"]
    title = Text(f"{w1:+.2f}·x1 {w2:+.2f}·x2 {b:+.2f} = 0", style="bold")
    if w1 == 0 and w2 == 0:
        title.append("  (w = 0: no line, one class everywhere)", style="dim")
    title.append(f"  @ epoch {view.epoch}", style="dim")
    return _body(d, title, line_to_prob(d), w, h, (w1, w2, b))
