"""samples (gan): real and generated points and the mode centres on a square braille plot.

A character cell holds 2 x 4 dots and is about twice as tall as wide, so a window of c columns
by c / 2 rows is square on screen (a ring looks round). A cell with only real points is drawn
in the real colour, only generated in the generated colour, both in a third; a mode centre
tints its cell (a `+` where nothing landed). The title gives the latest modes covered and
high-quality share (within 3 std of a mode) of the evaluation.
"""
from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.text import Text

from tuidl.events import TaskView
from tuidl.ui.widgets.views.common import BRAILLE_FULL, BrailleCanvas, fit, legend, square_window

REAL, GENERATED, BOTH = "#5f87ff", "#ff875f", "#ffffaf"
CENTRE, CENTRE_BG = "bold #5fd75f", "#1f4f1f"
GRID = "#3a3a3a"


def title(view: TaskView, metrics: dict[str, Any], width: int) -> Text:
    out = Text()
    modes, total = metrics.get("modes"), metrics.get("modes_total")
    if modes is not None and total:
        out.append("modes ", style="bold")
        out.append(f"{int(modes)}/{int(total)}",
                   style="bold green" if modes >= total else "bold yellow")
        out.append("  ")
    hq = metrics.get("high_quality")
    if hq is not None:
        out.append("high quality ", style="bold")
        out.append(f"{hq:.0%}", style="bold green" if hq >= 0.8 else "bold yellow")
        out.append("  ")
    if out.cell_len + 9 + len(str(view.epoch)) <= width:
        out.append(f"@ epoch {view.epoch}", style="dim")
    out.rstrip()
    return out


def plot(d: dict[str, Any], cols: int, rows: int) -> Text:
    xr, yr = square_window(d.get("x_range") or d.get("range") or [-3, 3],
                           d.get("y_range") or d.get("x_range") or [-3, 3])
    canvas = BrailleCanvas(cols, rows, xr, yr)
    canvas.add(0, d.get("real", []))
    canvas.add(1, d.get("generated", d.get("fake", [])))
    centres = {canvas.cell(c[0], c[1]) for c in d.get("centres", [])}
    axes_row, axes_col = canvas.cell(0.0, 0.0) or (None, None)
    style_of = {1: REAL, 2: GENERATED, 3: BOTH}
    out = Text()
    for r in range(rows):
        for c in range(cols):
            key = (r, c)
            layers = canvas.layers.get(key, 0)
            if key in centres:
                if layers:
                    out.append(canvas.char(key), style=f"bold {style_of[layers]} on {CENTRE_BG}")
                else:
                    out.append("+", style=f"{CENTRE} on {CENTRE_BG}")
            elif layers:
                out.append(canvas.char(key), style=style_of[layers])
            elif r == axes_row or c == axes_col:  # faint axes through the origin
                out.append("·", style=GRID)
            else:
                out.append(" ")
        if r < rows - 1:
            out.append("\n")
    return out


def render(view: TaskView, w: int, h: int, metrics: dict[str, Any]):
    d = view.data
    short = w < 48
    key = legend([(BRAILLE_FULL, "real", REAL),
                  (BRAILLE_FULL, "gen" if short else "generated", GENERATED),
                  (BRAILLE_FULL, "both", BOTH),
                  ("+", "centre" if short else "mode centre", f"{CENTRE} on {CENTRE_BG}")], w)
    head = [fit(title(view, metrics, w), w), key]
    plot_rows = max(2, h - len(head) - key.plain.count("\n"))
    cols = max(4, min(w, 2 * plot_rows))
    cols -= cols % 2
    pad = " " * ((w - cols) // 2)
    body = plot(d, cols, cols // 2)
    if pad:
        body = Text("\n").join(Text(pad) + line for line in body.split("\n"))
    return Group(*head, body)
