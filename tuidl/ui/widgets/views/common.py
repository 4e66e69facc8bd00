"""Drawing helpers shared by the task views: data → cell mapping, a braille canvas (2 x 4 dots
per cell, so a square data window is square on screen), titles and legends."""
from __future__ import annotations

from rich.text import Text

# bit of the braille dot in row r (0..3, top down), column c (0..1) of a cell
_BRAILLE_BITS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
BRAILLE_FULL = "⣿"


def cell_of(x: float, y: float, xr, yr, w: int, h: int) -> tuple[int, int]:
    """(column, row) of a data point in a w x h grid; row 0 is the top."""
    col = int((x - xr[0]) / ((xr[1] - xr[0]) or 1) * (w - 1) + 0.5)
    row = int((yr[1] - y) / ((yr[1] - yr[0]) or 1) * (h - 1) + 0.5)
    return col, row


def square_window(xr, yr) -> tuple[list[float], list[float]]:
    """x and y ranges with the larger of the two spans, about the same centres."""
    half = max(xr[1] - xr[0], yr[1] - yr[0]) / 2 or 1.0
    cx, cy = (xr[0] + xr[1]) / 2, (yr[0] + yr[1]) / 2
    return [cx - half, cx + half], [cy - half, cy + half]


class BrailleCanvas:
    """cols x rows cells of 2 x 4 dots. Points go in by layer; `cells()` yields, per cell, the
    braille character of all its dots and the set of layers that put a dot there."""

    def __init__(self, cols: int, rows: int, xr, yr):
        self.cols, self.rows, self.xr, self.yr = cols, rows, xr, yr
        self.masks: dict[tuple[int, int], int] = {}
        self.layers: dict[tuple[int, int], int] = {}  # cell -> bit set of layer indices

    def dot_cell(self, x: float, y: float) -> tuple[int, int] | None:
        col, row = cell_of(x, y, self.xr, self.yr, 2 * self.cols, 4 * self.rows)
        if 0 <= col < 2 * self.cols and 0 <= row < 4 * self.rows:
            return col, row
        return None

    def add(self, layer: int, points) -> None:
        masks, layers = self.masks, self.layers
        for p in points:
            dot = self.dot_cell(p[0], p[1])
            if dot is None:
                continue
            key = (dot[1] // 4, dot[0] // 2)
            masks[key] = masks.get(key, 0) | _BRAILLE_BITS[dot[1] % 4][dot[0] % 2]
            layers[key] = layers.get(key, 0) | (1 << layer)

    def cell(self, x: float, y: float) -> tuple[int, int] | None:
        """(row, column) of the cell holding a data point, or None outside the window."""
        dot = self.dot_cell(x, y)
        return None if dot is None else (dot[1] // 4, dot[0] // 2)

    def char(self, key: tuple[int, int]) -> str:
        return chr(0x2800 + self.masks.get(key, 0))


def legend(entries: list[tuple[str, str, str]], width: int) -> Text:
    """`glyph label` entries in their styles, wrapped onto as many lines as `width` needs."""
    out, used = Text(), 0
    for glyph, label, style in entries:
        size = len(glyph) + 1 + len(label) + 2
        if used and used + size - 2 > width:
            out.append("\n")
            used = 0
        out.append(glyph, style=style)
        out.append(f" {label}  ", style="dim")
        used += size
    out.rstrip()
    return out


def fit(text: Text, width: int) -> Text:
    """One line, cut to `width` with an ellipsis."""
    text.truncate(width, overflow="ellipsis")
    return text
