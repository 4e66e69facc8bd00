"""filters (cnn): the first layer's kernels and a few validation digits with the prediction
under each, green when right and red when wrong."""
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


def render(view: TaskView, w: int, h: int, metrics: dict[str, Any]):
    d = view.data
    table = Table.grid(padding=(0, 1))
    table.add_row(*[mini(f) for f in d.get("filters", [])[:8]])
    ex = Table.grid(padding=(0, 1))
    examples = d.get("examples", [])
    side = len(examples[0]["image"][0]) if examples else 1
    examples = examples[:max(1, min(8, (w + 1) // (side + 1)))]  # as many as fit the width
    ex.add_row(*[mini(e["image"]) for e in examples])
    names = d.get("labels") or []
    ex.add_row(*[Text(_name(names, e["pred"]), style="green" if e["pred"] == e["true"] else "red")
                 for e in examples])
    return Group(Text("first-layer filters", style="bold"), table,
                 Text("predictions (green right, red wrong)", style="bold"), ex)
