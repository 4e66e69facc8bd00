"""Fallback for a task_view kind without a renderer of its own: its first list of records as
a table, else its keys and short values."""
from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from tuidl.events import TaskView


def render(view: TaskView, w: int, h: int, metrics: dict[str, Any]):
    rows = next((val for val in view.data.values()
                 if isinstance(val, list) and val and isinstance(val[0], dict)), None)
    if rows:
        table = Table(*rows[0].keys(), box=None, pad_edge=False)
        for r in rows[:max(1, h - 2)]:
            table.add_row(*[short(x) for x in r.values()])
        return Group(Text(view.kind, style="bold"), table)
    text = Text(f"{view.kind}\n", style="bold")
    for k, val in view.data.items():
        text.append(f"{k}: {short(val)}\n")
    return text


def short(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.3g}"
    if isinstance(x, (list, dict)):
        s = str(x)
        return s if len(s) < 60 else s[:57] + "…"
    return str(x)
