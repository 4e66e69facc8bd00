"""The training screen: header, loss and metric charts, gradient panel, confusion matrix and
task view, for a live run (with controls) or a followed run directory (read-only).

A timer drains the event source at `REFRESH_HZ` and redraws only what changed; the engine
runs in its own thread, so keys are answered while it trains.
"""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tuidl.ui.bridge import EventSource, LiveRun
from tuidl.ui.state import RunState
from tuidl.ui.widgets.charts import LossChart, MetricChart
from tuidl.ui.widgets.confusion import ConfusionView
from tuidl.ui.widgets.grad_panel import GradPanel
from tuidl.ui.widgets.header import RunHeader
from tuidl.ui.widgets.task_view import TaskViewWidget

REFRESH_HZ = 10
WIDE = 140  # columns from which the task view gets a column of its own


class TrainingScreen(Screen):
    BINDINGS = [
        Binding("space", "pause", "pause/resume"),
        Binding("n", "single_step", "step"),
        Binding("s", "stop", "stop"),
        Binding("r", "restart", "restart"),
        Binding("e", "edit", "edit"),
        Binding("l", "toggle_log", "log y"),
        Binding("right_square_bracket", "lr(2.0)", "lr×2", show=False),
        Binding("left_square_bracket", "lr(0.5)", "lr÷2", show=False),
        Binding("v", "cycle_view", "view"),
        Binding("ctrl+s", "app.screenshot", "svg", show=False),
        Binding("question_mark", "app.help", "help"),
        Binding("escape", "back", "back", show=False),
        Binding("q", "app.quit", "quit", show=False),
    ]

    def __init__(self, source: EventSource, state: RunState | None = None, live: bool = True,
                 **kw):
        super().__init__(**kw)
        self.source = source
        self.state = state or RunState()
        self.live = live
        self.drawn = -1

    def compose(self) -> ComposeResult:
        yield RunHeader(id="run-header")
        with Horizontal(id="panels"):
            with Vertical(id="charts"):
                yield LossChart(id="loss-chart")
                yield MetricChart(id="metric-chart")
            with Vertical(id="side"):
                with VerticalScroll(id="grad-box"):
                    yield GradPanel(id="grad-panel")
                with VerticalScroll(id="confusion-box"):
                    yield ConfusionView(id="confusion")
                yield TaskViewWidget(id="task-view")
            yield Vertical(id="wide-slot")
        yield Static(id="message")
        yield Footer()

    def on_mount(self) -> None:
        for box, title in (("grad-box", "gradient L2 norm per layer"),
                           ("confusion-box", "confusion matrix (validation)")):
            self.query_one(f"#{box}").border_title = title
        self.query_one("#task-view").border_title = "task view"
        self.set_class(True, "-show-confusion")
        self.pump()
        self.set_interval(1 / REFRESH_HZ, self.pump)

    def on_resize(self) -> None:
        wide = self.size.width >= WIDE
        if wide != self.has_class("-wide"):
            self.set_class(wide, "-wide")
            self._place_task_view(wide)

    def _place_task_view(self, wide: bool) -> None:
        view = self.query_one(TaskViewWidget)
        target = self.query_one("#wide-slot") if wide else self.query_one("#side")
        if view.parent is not target:
            view.remove()
            new = TaskViewWidget(id="task-view")
            new.border_title = "task view"
            target.mount(new)
            new.update_view(self.state.view)

    def pump(self) -> None:
        """Fold new events into the state; redraw the widgets if anything changed."""
        for event in self.source.poll():
            self.state.apply(event)
        if self.state.version == self.drawn:
            if self.state.status in ("running", "paused"):
                self.query_one(RunHeader).refresh()  # the clock moves
            return
        self.drawn = self.state.version
        s = self.state
        with self.app.batch_update():
            self.query_one(RunHeader).update_state(s)
            self.query_one(LossChart).update_state(s)
            self.query_one(MetricChart).update_state(s)
            self.query_one(GradPanel).update_state(s)
            self.query_one(ConfusionView).update_confusion(s.confusion)
            self.query_one(TaskViewWidget).update_view(s.view)
            self.set_class(s.confusion is not None, "-has-confusion")
            msg = self.query_one("#message", Static)
            msg.update(f"{s.status}: {s.message}" if s.message else "")
            msg.set_class(s.status in ("failed", "diverged"), "-error")

    # -- controls ---------------------------------------------------------------------------
    def _run(self) -> LiveRun | None:
        if not self.live or not isinstance(self.source, LiveRun):
            self.notify("read-only: this screen follows a run directory", severity="warning")
            return None
        return self.source

    def action_pause(self) -> None:
        if run := self._run():
            if run.control.resume.is_set():
                run.control.pause()
            else:
                run.control.unpause()

    def action_single_step(self) -> None:
        if run := self._run():
            run.control.pause()
            run.control.step_once()

    def action_stop(self) -> None:
        if run := self._run():
            run.control.request_stop()

    def action_restart(self) -> None:
        if run := self._run():
            run.close()
            self.app.start_run(run.prepared, replace=True)

    def action_edit(self) -> None:
        if run := self._run():
            self.app.edit_run(run.prepared)

    def action_lr(self, factor: float) -> None:
        if run := self._run():
            lr = float(self.state.metrics.get("lr", run.prepared.config.get("lr", 0.01))) * factor
            run.control.set_lr(lr)
            self.notify(f"lr → {lr:.3g} from the next step")

    def action_toggle_log(self) -> None:
        self.query_one(LossChart).toggle_log(self.state)

    def action_cycle_view(self) -> None:
        self.set_class(not self.has_class("-show-confusion"), "-show-confusion")

    def action_back(self) -> None:
        if isinstance(self.source, LiveRun) and self.source.alive:
            self.notify("the run goes on; press s to stop it first", severity="warning")
            return
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
        else:
            self.app.exit()

    def on_unmount(self) -> None:
        self.source.close()
