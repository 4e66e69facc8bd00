"""sentences (rnn): validation sentences with the true label, the prediction (as words) and the
probability of the second label (P(positive) for sentiment; with more than two classes, of the
predicted one); a green ✓ marks a right prediction, a red ✗ a wrong one.

Word order is the lesson, so a sentence is shown whole wherever it can be: wrapped, and fewer
of them rather than all cut, as long as at least `MIN_WHOLE` fit; else each is cut with an
ellipsis. A narrow panel drops the true label (✓ and ✗ say it) and abbreviates the labels."""
from __future__ import annotations

import textwrap
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from tuidl.events import TaskView
from tuidl.ui.widgets.views.common import fit

RIGHT, WRONG = "bold #5fd75f", "bold #ff5f5f"
MIN_WHOLE = 4  # sentences that must fit whole for the view to wrap rather than cut them


def _clean(text: str) -> str:
    return text.replace(" ,", ",")  # the tokens are joined with spaces


def render(view: TaskView, w: int, h: int, metrics: dict[str, Any]):
    d = view.data
    labels = d.get("labels") or ["negative", "positive"]
    examples = d.get("examples", [])
    right = sum(e["pred"] == e["true"] for e in examples)
    head = Text("sentences", style="bold")
    if examples:
        head.append(f"  {right}/{len(examples)} right",
                    style=RIGHT if right == len(examples) else "bold yellow")
    head.append(f"  @ epoch {view.epoch}", style="dim")
    fixed = 2 + (max(len(lab) for lab in labels) + 1) * 2 + 7  # mark, true, pred, P(…)
    narrow = w - fixed < 22  # then no true label, labels as 3-letter abbreviations
    names = [lab[:3] if narrow else lab for lab in labels]
    binary = all("p_positive" in e for e in examples)
    p_name = labels[-1][:1 if narrow else 3] if binary else "pred"
    label_w = max(4, max(len(n) for n in names))  # a label column: its header or its words
    # the text gets what the other columns leave, each with its 2 cells of padding
    text_w = max(8, w - 3 - (label_w + 2) * (1 if narrow else 2) - (len(p_name) + 5))
    sizes = [len(textwrap.wrap(_clean(e["text"]), text_w)) or 1 for e in examples]
    whole, used = 0, 0
    for size in sizes:
        if used + size > h - 2:
            break
        whole, used = whole + 1, used + size
    wrap = whole >= min(len(examples), MIN_WHOLE)
    if wrap:
        examples = examples[:whole]
    table = Table(box=None, pad_edge=False, padding=(0, 1), show_edge=False,
                  header_style="bold", expand=True, row_styles=["", "on #1e1e1e"])
    table.add_column("", width=1, no_wrap=True)
    table.add_column("text", ratio=1, no_wrap=not wrap, overflow="ellipsis")
    if not narrow:
        table.add_column("true", no_wrap=True)
    table.add_column("pred", no_wrap=True)
    table.add_column(f"P({p_name})", no_wrap=True, justify="right")
    for e in examples[:max(1, h - 2)]:
        ok = e["pred"] == e["true"]
        p = e.get("p_positive", e.get("p_pred"))
        cells = [Text("✓" if ok else "✗", style=RIGHT if ok else WRONG),
                 Text(_clean(e["text"]))]
        if not narrow:
            cells.append(Text(names[e["true"]], style="dim"))
        table.add_row(*cells, Text(names[e["pred"]], style=RIGHT if ok else WRONG),
                      Text("" if p is None else f"{p:.2f}"))
    return Group(fit(head, w), table)
