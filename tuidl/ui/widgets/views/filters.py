"""filters (cnn): the first layer's kernels and validation digits with the prediction under
each, green when right and red with a ✗ when wrong; the digits fill as many rows as the panel
has room for."""
from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from tuidl.events import TaskView
from tuidl.ui.widgets.colors import sequential


def mini(image: list[list[float]]) -> Text:
    """A small image in half blocks (two pixel rows per line), scaled to its own range."""
    if len(image) % 2:
        image = image + [image[-1]]
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


def _name(names: list[str], k: int) -> str:
    """A class by name, cut to fit under a small image (by index when names are unknown)."""
    return names[k][:6] if 0 <= k < len(names) else str(k)


def _grid(cells: list, per_row: int) -> Table:
    grid = Table.grid(padding=(0, 1))
    for i in range(0, len(cells), max(1, per_row)):
        grid.add_row(*cells[i:i + per_row])
    return grid


def render(view: TaskView, w: int, h: int, metrics: dict[str, Any]):
    d = view.data
    filters = d.get("filters", [])[:8]
    k = len(filters[0][0]) if filters and filters[0] else 1
    table = _grid([mini(f) for f in filters], (w + 1) // (k + 1))
    filter_rows = -(-len(filters) // max(1, (w + 1) // (k + 1))) * (-(-k // 2))
    examples = d.get("examples", [])
    side = len(examples[0]["image"][0]) if examples else 1
    per_row = max(1, (w + 1) // (side + 1))
    tall = -(-side // 2) + 1  # an image and its label
    rows = max(1, (h - 2 - filter_rows) // tall)
    examples = examples[:per_row * rows]  # as many as fit the panel
    names = d.get("labels") or []
    cells = []
    for e in examples:
        right = e["pred"] == e["true"]
        label = Text(_name(names, e["pred"]), style="green" if right else "bold red")
        if not right:
            label.append(" ✗", style="bold red")
        image = mini(e["image"])
        image.rstrip()
        cells.append(Group(image, label))
    return Group(Text("first-layer filters", style="bold"), table,
                 Text("predictions (green right, red ✗ wrong)", style="bold"),
                 _grid(cells, per_row))
