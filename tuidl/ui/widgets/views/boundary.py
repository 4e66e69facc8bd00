"""decision_boundary / separating_line: a heatmap of P(class 1) (blue → white → red) with the
points on top in their class colour; half blocks give two pixel rows per character row."""
from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text

from tuidl.events import TaskView
from tuidl.ui.widgets.colors import CLASS_COLORS, diverging
from tuidl.ui.widgets.views.common import cell_of


def heatmap(prob: list[list[float]], points: list, xr, yr, w: int, h: int) -> Text:
    """prob[i][j]: row i from the lowest y up, column j from the lowest x."""
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

    out = Text()
    for row in range(h):
        for col in range(w):
            top, bottom = diverging(value(2 * row, col)), diverging(value(2 * row + 1, col))
            if (row, col) in dots:
                c = dots[(row, col)]
                out.append("●", style=f"bold {CLASS_COLORS[c % len(CLASS_COLORS)]} on {top}")
            else:
                out.append("▀", style=f"{top} on {bottom}")
        out.append("\n")
    return out


def line_to_prob(d: dict[str, Any], n: int = 32) -> list[list[float]]:
    (w1, w2), b = d["w"], d["b"]
    xr, yr = d["x_range"], d["y_range"]
    return [[1.0 if w1 * (xr[0] + (xr[1] - xr[0]) * j / (n - 1))
             + w2 * (yr[0] + (yr[1] - yr[0]) * i / (n - 1)) + b >= 0 else 0.0
             for j in range(n)] for i in range(n)]


def render_boundary(view: TaskView, w: int, h: int, metrics: dict[str, Any]):
    d = view.data
    return Group(Text(f"decision boundary @ epoch {view.epoch}", style="bold"),
                 heatmap(d["prob"], d["points"], d["x_range"], d["y_range"], w, h - 1))


def render_line(view: TaskView, w: int, h: int, metrics: dict[str, Any]):
    d = view.data
    (w1, w2), b = d["w"], d["b"]
    title = f"{w1:+.2f}·x1 {w2:+.2f}·x2 {b:+.2f} = 0  @ epoch {view.epoch}"
    return Group(Text(title, style="bold"),
                 heatmap(line_to_prob(d), d["points"], d["x_range"], d["y_range"], w, h - 1))
