"""Task view: the family's own picture, chosen by the `kind` of the latest task_view event.

decision_boundary / separating_line → heatmap of P(class 1) with the points on top;
samples → real vs generated points; filters → first-layer kernels and predictions;
sentences / embeddings → tables. Unknown kinds fall back to a key: value listing.
"""
from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widget import Widget

from tuidl.events import TaskView
from tuidl.ui.widgets.colors import CLASS_COLORS, diverging, sequential


def _cell(x: float, y: float, xr, yr, w: int, h: int) -> tuple[int, int]:
    col = int((x - xr[0]) / ((xr[1] - xr[0]) or 1) * (w - 1) + 0.5)
    row = int((yr[1] - y) / ((yr[1] - yr[0]) or 1) * (h - 1) + 0.5)  # row 0 is the top
    return col, row


def heatmap(prob: list[list[float]], points: list, xr, yr, w: int, h: int) -> Text:
    """prob[i][j]: row i from the lowest y up, column j from the lowest x. Half blocks give two
    pixel rows per character row; points are drawn as dots in their class colour."""
    g_rows, g_cols = len(prob), len(prob[0])
    dots = {}
    for x, y, c in points:
        col, row = _cell(x, y, xr, yr, w, h)
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


def scatter(layers: list[tuple[list, str, str]], xr, yr, w: int, h: int) -> Text:
    grid = [[(" ", "")] * w for _ in range(h)]
    for pts, char, style in layers:
        for x, y in pts:
            col, row = _cell(x, y, xr, yr, w, h)
            if 0 <= col < w and 0 <= row < h:
                grid[row][col] = (char, style)
    out = Text()
    for line in grid:
        for ch, style in line:
            out.append(ch, style=style)
        out.append("\n")
    return out


def _line_to_prob(d: dict[str, Any], n: int = 32) -> list[list[float]]:
    (w1, w2), b = d["w"], d["b"]
    xr, yr = d["x_range"], d["y_range"]
    return [[1.0 if w1 * (xr[0] + (xr[1] - xr[0]) * j / (n - 1))
             + w2 * (yr[0] + (yr[1] - yr[0]) * i / (n - 1)) + b >= 0 else 0.0
             for j in range(n)] for i in range(n)]


def _mini(image: list[list[float]]) -> Text:
    lo = min(min(r) for r in image)
    hi = max(max(r) for r in image)
    span = (hi - lo) or 1.0
    out = Text()
    for r in range(0, len(image) - 1, 2):
        for a, b in zip(image[r], image[r + 1]):
            out.append("▀", style=f"{sequential((a - lo) / span)} on "
                                  f"{sequential((b - lo) / span)}")
        out.append("\n")
    return out


class TaskViewWidget(Widget):
    DEFAULT_CSS = "TaskViewWidget { height: 1fr; }"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.view: TaskView | None = None

    def update_view(self, view: TaskView | None) -> None:
        if view is not self.view:
            self.view = view
            self.refresh()

    def render(self):
        v = self.view
        if v is None:
            return Text("the task view appears after the first evaluation", style="dim")
        w, h = max(8, self.size.width), max(4, self.size.height - 1)
        d = v.data
        if v.kind == "decision_boundary":
            return Group(Text(f"decision boundary @ epoch {v.epoch}", style="bold"),
                         heatmap(d["prob"], d["points"], d["x_range"], d["y_range"], w, h))
        if v.kind == "separating_line":
            (w1, w2), b = d["w"], d["b"]
            title = f"{w1:+.2f}·x1 {w2:+.2f}·x2 {b:+.2f} = 0  @ epoch {v.epoch}"
            return Group(Text(title, style="bold"),
                         heatmap(_line_to_prob(d), d["points"], d["x_range"], d["y_range"], w, h))
        if v.kind == "samples":
            return self._samples(d, w, h)
        if v.kind == "filters":
            return self._filters(d)
        return self._table(v)

    def _samples(self, d: dict[str, Any], w: int, h: int):
        xr = d.get("x_range") or d.get("range") or [-3, 3]
        yr = d.get("y_range") or xr
        layers = [(d.get("real", []), "·", "grey62"),
                  (d.get("generated", d.get("fake", [])), "•", "bold #ff875f"),
                  ([c[:2] for c in d.get("centres", d.get("modes", []))], "+", "bold #5fd75f")]
        return Group(Text("real · generated • mode +", style="bold"), scatter(layers, xr, yr, w, h))

    def _filters(self, d: dict[str, Any]):
        table = Table.grid(padding=(0, 1))
        filters = d.get("filters", [])[:8]
        table.add_row(*[_mini(f if len(f) % 2 == 0 else f + [f[-1]]) for f in filters])
        ex = Table.grid(padding=(0, 1))
        examples = d.get("examples", [])[:8]
        ex.add_row(*[_mini(e["image"]) for e in examples])
        ex.add_row(*[Text(f"{e['pred']}", style="green" if e["pred"] == e["true"] else "red")
                     for e in examples])
        return Group(Text("first-layer filters", style="bold"), table,
                     Text("predictions (green right, red wrong)", style="bold"), ex)

    def _table(self, v: TaskView):
        rows = next((val for val in v.data.values()
                     if isinstance(val, list) and val and isinstance(val[0], dict)), None)
        if rows:
            table = Table(*rows[0].keys(), box=None, pad_edge=False)
            for r in rows[:20]:
                table.add_row(*[_short(x) for x in r.values()])
            return Group(Text(v.kind, style="bold"), table)
        text = Text(f"{v.kind}\n", style="bold")
        for k, val in v.data.items():
            text.append(f"{k}: {_short(val)}\n")
        return text


def _short(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.3g}"
    if isinstance(x, (list, dict)):
        s = str(x)
        return s if len(s) < 60 else s[:57] + "…"
    return str(x)
