"""One variant of a lesson, in a card: its label (the border title), a line of where it
stands (status, epoch, its main metric) and the panel that carries its
lesson: the gradient panel at the richest detail that fits the card, or the task view once
the run has one and its preset's lesson is the task view."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tuidl.text import plain
from tuidl.ui.state import RunState
from tuidl.ui.widgets.base import ShowsState
from tuidl.ui.widgets.grad_panel import DETAILS, GradPanel
from tuidl.ui.widgets.task_view import TaskViewWidget


def headline(state: RunState) -> Text:
    """'done · 30/30 · val_accuracy 0.995' (the gradients' verdict is the panel's)."""
    parts = [plain("done" if state.status == "completed" else state.status)]
    if state.epochs:
        parts.append(plain(f"{state.epoch}/{state.epochs}"))
    key = state.main_metric
    if key and state.metrics.get(key) is not None:
        parts.append(plain(f"{key} {state.metrics[key]:.3g}"))
    elif state.status == "failed" and state.message:
        parts.append(plain(state.message))
    return Text(" · ").join(parts)


class VariantCard(ShowsState, Vertical):
    DEFAULT_CSS = """
    VariantCard { border: round $primary; height: 1fr; }
    VariantCard .card-line { height: 1; }
    VariantCard GradPanel { height: auto; }
    VariantCard TaskViewWidget { height: 1fr; display: none; }
    VariantCard.-view TaskViewWidget { display: block; }
    VariantCard.-view GradPanel { display: none; }
    """

    def __init__(self, label: str, hint: str = "", panel: str = "", **kw):
        """`hint`: the key that opens the whole run, named where the panel is a headline;
        `panel`: "grad" or "task_view" whatever the run's lesson panel ("": the run's)."""
        super().__init__(**kw)
        self.hint, self.panel = hint, panel
        self.border_title = plain(label).markup  # escaped: a label is shown as text
        self.state: RunState | None = None

    def compose(self) -> ComposeResult:
        yield Static(classes="card-line", markup=False)
        panel = GradPanel()
        panel.hint, panel.profile = self.hint, True
        yield panel
        yield TaskViewWidget()

    def update_state(self, state: RunState) -> None:
        self.state = state
        self.query_one(".card-line", Static).update(headline(state))
        view = (self.panel or state.lesson) == "task_view" and state.view is not None
        self.set_class(view, "-view")
        if view:
            self.query_one(TaskViewWidget).update_state(state)
        else:
            panel = self.query_one(GradPanel)
            panel.update_state(state)
            self.fit()

    def fit(self) -> None:
        """The gradient panel's richest detail that fits under the card's line."""
        panel = self.query_one(GradPanel)
        width, room = self.content_size.width, self.content_size.height - 1
        if width <= 0 or room <= 0 or panel.state is None:
            return
        detail = next((d for d in DETAILS if panel.height_for(width, d) <= room), DETAILS[-1])
        panel.set_detail(detail)

    def on_resize(self, event) -> None:
        self.fit()
