"""gan_images (gan on images): a row of generated images over a row of real ones, as many as
fit the width, with the run's nearest-image distance and diversity in the titles."""
from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from tuidl.events import TaskView
from tuidl.ui.widgets.views.filters import mini


def _row(images: list, width: int) -> Table:
    side = len(images[0][0]) if images else 1
    fit = max(1, (width + 1) // (side + 1))
    table = Table.grid(padding=(0, 1))
    table.add_row(*[mini(img) for img in images[:fit]])
    return table


def render(view: TaskView, w: int, h: int, metrics: dict[str, Any]):
    d = view.data
    title = "generated"
    if "diversity" in metrics:
        title += (f"  nearest real {metrics['nearest']:.3f} RMS, diversity "
                  f"{metrics['diversity']:.2f} of the data's")
    return Group(Text(title, style="bold"), _row(d.get("generated", []), w),
                 Text("real", style="bold"), _row(d.get("real", []), w))
