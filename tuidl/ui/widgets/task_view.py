"""Task view: the family's own picture, chosen by the `kind` of the latest task_view event and
drawn by the matching module of `tuidl.ui.widgets.views` (decision boundary, GAN samples, CNN
filters, word2vec neighbours and map, RNN sentences; unknown kinds as a plain listing)."""
from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widget import Widget

from tuidl.events import TaskView
from tuidl.text import visible
from tuidl.ui.state import RunState
from tuidl.ui.widgets.base import ShowsState
from tuidl.ui.widgets.views import render_view


class TaskViewWidget(ShowsState, Widget):
    DEFAULT_CSS = "TaskViewWidget { height: 1fr; }"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.view: TaskView | None = None
        self.metrics: dict[str, Any] = {}

    def update_state(self, state: RunState) -> None:
        """The latest view, titled with the evaluation metrics the family declares for it."""
        wanted = state.spec.title_metrics
        self.update_view(state.view, {k: v for k, v in state.metrics.items() if k in wanted})

    def update_view(self, view: TaskView | None, metrics: dict[str, Any] | None = None) -> None:
        shown = dict(metrics or {})
        if view is not self.view or shown != self.metrics:
            self.view, self.metrics = view, shown
            self.refresh()

    def render(self):
        if self.view is None:
            return Text("the task view appears after the first evaluation", style="dim")
        try:
            return render_view(self.view, self.size.width, self.size.height, self.metrics)
        except Exception:  # noqa: BLE001 - a malformed view from a file: say so, stay up
            return Text(f"this {visible(self.view.kind)} view could not be drawn (its data "
                        "is malformed)", style="dim")
