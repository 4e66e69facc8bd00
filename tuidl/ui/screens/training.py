"""The training screen: header, loss and metric charts, gradient panel, confusion matrix (for
classifiers) and task view, for a live run (with controls) or a followed run directory
(read-only).

A timer drains the event source at `REFRESH_HZ` and redraws only what changed, the charts and
panels at most `CHART_HZ` times a second (at once when the status changes); the engine
runs in a child process, so keys are answered while it trains. A child that dies without a
summary (the out-of-memory killer, SIGKILL) turns the run 'failed' here; the app lives on.
"""
from __future__ import annotations

import time
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tuidl.events import Exported, Scalars, Status
from tuidl.text import plain, visible
from tuidl.ui.bridge import EventSource, LiveRun
from tuidl.ui.state import RunState
from tuidl.ui.widgets.base import ShowsState
from tuidl.ui.widgets.charts import LossChart, MetricChart
from tuidl.ui.widgets.confusion import ConfusionView
from tuidl.ui.widgets.device_panel import DevicePanel
from tuidl.ui.widgets.grad_panel import DETAILS, GradPanel
from tuidl.ui.widgets.header import RunHeader
from tuidl.ui.widgets.task_view import TaskViewWidget

# Bounded rates (benchmarks/overhead.py: at 10 Hz the app cost a training run on 2 cores a
# quarter of its speed, at 4 Hz with charts at 2 Hz under a tenth)
REFRESH_HZ = 4  # events drained, header and status line
CHART_HZ = 2  # charts and panels, at most; at once when the run's status changes
WIDE = 120  # columns from which the task view gets a column of its own
TALL = 40  # rows from which the device panel has room for its full form
QUIT_AGAIN = 3.0  # seconds in which a second q (or y) quits a live run
# actions that act on a live run; of them, those that steer training while it runs
CONTROLS = {"pause", "single_step", "stop", "restart", "edit", "lr"}
STEERING = {"pause", "single_step", "stop", "lr"}
MIN_OTHER = 6  # rows (borders included) a second side panel needs beside a gradient lesson
GRAD_TITLE = "gradient L2 norm per layer"
NOT_EXPORTS = ("events.jsonl", "checkpoint.pt")  # run files that are not results to take away
UNFINISHED = ("waiting", "starting", "running", "paused")  # a run that has not said how it ended


class TrainingScreen(Screen):
    # the footer shows them in this order, the most used first, and fits 80 columns (compact,
    # no palette key): restart, the lr keys and ctrl+p are in the ? help and the palette
    BINDINGS = [
        Binding("space", "pause", "pause"),
        Binding("n", "single_step", "step"),
        Binding("s", "stop", "stop"),
        Binding("v", "cycle_view", "view"),
        Binding("l", "toggle_log", "log"),
        Binding("c", "compare", "compare"),
        Binding("x", "export", "export"),
        Binding("question_mark", "app.help", "help"),
        Binding("q", "quit", "quit"),
        Binding("y", "quit_confirmed", "quit", show=False),
        Binding("e", "edit", "edit"),
        Binding("r", "restart", "restart", show=False),
        Binding("right_square_bracket", "lr(2.0)", "lr×2", show=False),
        Binding("left_square_bracket", "lr(0.5)", "lr÷2", show=False),
        Binding("ctrl+s", "app.screenshot", "svg", show=False),
        Binding("escape", "back", "back", show=False),
        Binding("ctrl+q", "app.quit", "quit", show=False, priority=True),  # q says it
    ]

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Keys that cannot act are not offered (nor answered): no controls on a followed
        run directory, none that steer training once the run has ended, no `back` with
        nowhere to go back to."""
        if action in CONTROLS:
            run = self.source if self.live and isinstance(self.source, LiveRun) else None
            if run is None:
                return False
            if action in STEERING and (self.state.finished or not run.alive):
                return False
        if action == "back":
            return len(self.app.screen_stack) > 2 or self._live_alive()
        return True

    def _live_alive(self) -> bool:
        return isinstance(self.source, LiveRun) and self.source.alive and self.live

    def __init__(self, source: EventSource, state: RunState | None = None, live: bool = True,
                 **kw):
        super().__init__(**kw)
        self.source = source
        self.state = state or RunState()
        self.live = live
        self.drawn = -1
        self.drawn_at = -1e9  # monotonic time of the last full redraw
        self.drawn_status: str | None = None
        # lr factors sent that no logged step has shown yet, and the lrs shown when sent
        self.lr_factor: float | None = None
        self.lr_seen: dict[str, float] = {}
        self.restarts = self.skipped = self.unreadable = 0  # a followed file's trouble
        self.solo: str | None = None  # v: the side panel shown alone (below WIDE)
        self.quit_asked = -1e9  # monotonic time of a first q on a live run
        if isinstance(source, LiveRun) and self.state.status == "waiting":
            # from the first frame: the key was taken, the process is at work
            self.state.status = "starting"
            self.state.message = "building the data and the model …"
        # the two panels that move with the layout (see _arrange); always the mounted ones
        self.grad_panel = GradPanel(id="grad-panel")
        self.task_view = TaskViewWidget(id="task-view")

    def compose(self) -> ComposeResult:
        yield RunHeader(id="run-header")
        with Horizontal(id="panels"):
            with Vertical(id="charts"):
                yield LossChart(id="loss-chart")
                yield MetricChart(id="metric-chart")
                yield DevicePanel(id="device-panel")
            with Vertical(id="side"):
                with VerticalScroll(id="grad-box"):
                    yield self.grad_panel
                with VerticalScroll(id="confusion-box"):
                    yield ConfusionView(id="confusion")
                yield self.task_view
            yield Vertical(id="wide-slot")
        yield Static(id="message")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one("#grad-box").border_title = GRAD_TITLE
        self.query_one("#confusion-box").border_title = "confusion matrix (validation)"
        self.task_view.border_title = "task view"
        self.query_one(DevicePanel).border_title = "device"
        self.pump()
        self.set_interval(1 / REFRESH_HZ, self.pump)

    def on_resize(self, event) -> None:
        self._arrange(event.size.width)
        self.call_after_refresh(self._fit)

    def _arrange(self, width: int | None = None) -> None:
        """Place the panels in columns for the terminal width and the run's family.

        Below `WIDE` columns the side column holds the gradient panel, the confusion matrix
        and the task view, as many as `_fit` finds room for. From `WIDE` on the task view gets
        a column of its own; a run without a confusion matrix (gan, word2vec) then stacks the
        gradient panel under the charts and gives the task view half the screen.
        """
        if self.task_view.parent is None:  # not composed yet
            return
        wide = (self.size.width if width is None else width) >= WIDE
        self.query_one(DevicePanel).set_class(self.size.height < TALL, "-compact")
        confusion = self.state.has_confusion
        self.set_class(wide, "-wide")
        self.set_class(not confusion, "-no-confusion")
        charts, side = self.query_one("#charts"), self.query_one("#side")
        target = self.query_one("#wide-slot") if wide else side
        if self.task_view.parent is not target:
            self.task_view.remove()
            self.task_view = TaskViewWidget(id="task-view")
            self.task_view.border_title = "task view"
            target.mount(self.task_view)
            self.task_view.update_state(self.state)
        target = charts if wide and not confusion else side
        box = self.grad_panel.parent
        if box is not None and box.parent is not target:
            box.remove()
            self.grad_panel = GradPanel(id="grad-panel")
            box = VerticalScroll(self.grad_panel, id="grad-box")
            box.border_title = GRAD_TITLE
            target.mount(box, before=0 if target is side else None)
            self.grad_panel.update_state(self.state)

    def _panels(self) -> tuple[str, list[str]]:
        """The panel that carries the run's lesson and the side panels it has, lesson first.
        A finished run that never sent a task view or confusion matrix has none (no box
        waiting forever)."""
        s = self.state
        have = ["grad"] + (["confusion"] if s.confusion is not None or (
            s.has_confusion and not s.finished) else []) + \
            (["task"] if s.view is not None or not s.finished else [])
        lesson = {"time_grads": "grad", "task_view": "task"}.get(s.lesson, s.lesson)
        if lesson not in have:
            lesson = "confusion" if "confusion" in have else "grad"
        return lesson, [lesson] + [p for p in have if p != lesson]

    def _fit(self) -> None:
        """Show and size the side panels for the run's lesson (its spec's or its preset's
        `lesson` panel) and the room there is.

        Below `WIDE` columns, one side column: a gradient lesson gets the gradient panel at
        the richest detail that fits over `MIN_OTHER` rows for the next panel (every layer
        stays on screen; without room for both, the next panel goes); a task view or
        confusion lesson fills the column under a gradient panel of at most a third of it.
        `v` shows each side panel alone in turn. From `WIDE` on every panel shows, the
        gradient panel as rich as its column allows.
        """
        if self.task_view.parent is None or self.grad_panel.parent is None:
            return
        lesson, panels = self._panels()
        boxes = {"grad": self.grad_panel.parent, "confusion": self.query_one("#confusion-box"),
                 "task": self.task_view}
        column = boxes["grad"].parent
        rows = column.size.height or max(4, self.size.height - 2)
        # the panel's width inside the border, less a scrollbar's: measured so, the content
        # fits without one (a scrollbar would narrow it, wrap it longer and keep itself)
        width = max(10, (column.size.width or self.size.width // 2) - 4)
        shown, grad, wide = set(panels), None, self.has_class("-wide")
        self.query_one("#wide-slot").display = wide and "task" in panels
        if wide:
            budget = rows // 2 if column.id == "charts" else \
                rows - (MIN_OTHER if "confusion" in panels else 0)
            grad = self._grad_fit(width, budget)
        elif self.solo in panels:
            shown, grad = {self.solo}, ("full", "1fr")
        elif lesson == "grad":
            shown = set(panels[:2])
            grad = self._grad_fit(width, rows - MIN_OTHER) if len(panels) > 1 else None
            if grad is None or self.grad_panel.height_for(width, grad[0]) + 2 > grad[1]:
                shown, grad = {"grad"}, self._grad_fit(width, rows)  # every layer first
        else:
            shown = {lesson, "grad"}
            grad = self._grad_fit(width, max(4, rows // 3), DETAILS)
        for name, box in boxes.items():
            box.display = name in shown
        detail, height = grad
        alone = not any(boxes[n].display and boxes[n].parent is column for n in shown
                        if n != "grad")
        if alone and column.id == "side":
            height = "1fr"  # the column's only panel: its box reaches the bottom
        self.grad_panel.set_detail(detail)
        if str(boxes["grad"].styles.height) != str(height):
            boxes["grad"].styles.height = height

    def _grad_fit(self, width: int, budget: int,
                  details: tuple[str, ...] = DETAILS[:-1]) -> tuple[str, int]:
        """The richest of `details` of the gradient panel that fits `budget` rows (with its
        border), and the box height; the least, scrolling, where none fits. The one-line
        `headline` (no layers) only where the caller allows it: under a task-view lesson
        below WIDE, where v shows the layers."""
        for detail in details:
            need = self.grad_panel.height_for(width, detail) + 2
            if need <= budget:
                return detail, need
        return details[-1], max(3, budget)

    def pump(self) -> None:
        """Fold new events into the state; redraw the widgets if anything changed."""
        exitcode = self.source.exitcode if isinstance(self.source, LiveRun) else None
        events = self.source.poll()  # after the exit code: all it sent is queued by now
        self._read_trouble()
        for event in events:
            try:
                self.state.apply(event)
            except (TypeError, ValueError, KeyError, IndexError, AttributeError):
                self.unreadable += 1  # well-typed, yet not foldable (a tampered file)
                continue
            if isinstance(event, Exported):
                self._exported(event)
            elif isinstance(event, Status) and event.status == "running" and not event.message:
                self.state.message = ""  # resumed: why it paused (a divergence) is past
            if isinstance(event, Status) or (isinstance(event, Scalars) and any(
                    event.values.get(k, v) != v for k, v in self.lr_seen.items())):
                self.lr_factor = None  # the engine has it (or went back to a checkpoint's)
        if exitcode is not None and not self.state.finished and self.state.status in UNFINISHED:
            self.state.apply(Status(step=self.state.step, epoch=self.state.epoch, status="failed",
                                    message=f"the training process exited (code {exitcode})"))
        s = self.state
        if s.version == self.drawn:
            if s.status in ("running", "paused"):
                self.query_one(RunHeader).refresh()  # the clock moves
            return
        now = time.monotonic()
        if s.status == self.drawn_status and now - self.drawn_at < 1 / CHART_HZ:
            # plotting is the app's main cost, and on a 2-core machine it takes from the
            # core that training would use: between chart frames only the header moves
            self.query_one(RunHeader).update_state(s)
            return
        if s.status != self.drawn_status:
            self.refresh_bindings()  # the footer offers what the run's state allows
        self.drawn, self.drawn_at, self.drawn_status = s.version, now, s.status
        with self.app.batch_update():
            if s.has_confusion == self.has_class("-no-confusion"):
                self._arrange()
            for widget in self.query("*"):  # every panel draws what it needs of the state
                if isinstance(widget, ShowsState):
                    widget.update_state(s)
            self._fit()
            self.call_after_refresh(self._fit)  # the message line may have taken a row
            self.set_class(s.system is not None, "-has-system")
            msg = self.query_one("#message", Static)
            msg.update(plain(f"{s.status}: {s.message}") if s.message else "")
            msg.display = bool(s.message)  # no message, no blank row: the panels get it
            msg.set_class(s.status in ("failed", "diverged"), "-error")
            msg.set_class(s.status == "paused" and bool(s.message), "-warning")

    def _read_trouble(self) -> None:
        """A followed file that was rewritten starts a fresh state; unreadable lines are
        counted and said once per change."""
        restarts = getattr(self.source, "restarts", 0)
        if restarts != self.restarts:
            self.restarts = restarts
            self.state = RunState(version=self.state.version + 1)
        skipped = getattr(self.source, "skipped", 0) + self.unreadable
        if skipped > self.skipped:
            self.skipped = skipped
            self.notify(f"{skipped} unreadable line(s) of events.jsonl skipped",
                        severity="warning", markup=False)

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
        """Back to the form, holding the values in use: the learning rates as the run has
        them now (after `[` or `]`), the rest as it started."""
        if run := self._run():
            in_use = {key: self.state.metrics[key] for key, _ in run.prepared.preset.spec.lr_keys
                      if key in self.state.metrics}
            self.app.edit_run(run.prepared, in_use)

    def action_lr(self, factor: float) -> None:
        """Every learning rate of the run (its spec's lr keys: lr, or a GAN's lr_g and lr_d)
        times `factor`, from the value in use; the engine applies it at the next step."""
        if run := self._run():
            config = run.prepared.config
            keys = [key for key, _ in run.prepared.preset.spec.lr_keys]
            if self.lr_factor is None:
                self.lr_seen = {k: float(self.state.metrics.get(k, config[k])) for k in keys}
            self.lr_factor = (self.lr_factor or 1.0) * factor  # ] ] ] between two logs: x8
            run.control.scale_lr(factor)
            shown = ", ".join(f"{k} → {v * self.lr_factor:.3g}" for k, v in self.lr_seen.items())
            self.notify(f"{shown} from the next step")

    def action_toggle_log(self) -> None:
        self.query_one(LossChart).toggle_log(self.state)

    def action_cycle_view(self) -> None:
        """Below `WIDE` columns: each side panel alone, full height, in turn, then the
        lesson's layout again."""
        if self.has_class("-wide"):
            self.notify("every panel is on screen at this size")
            return
        _, panels = self._panels()
        order = [None] + panels
        self.solo = order[(order.index(self.solo) + 1) % len(order)
                          if self.solo in order else 1]
        self._fit()

    def action_compare(self) -> None:
        self.app.compare_session(self.state)

    def action_export(self) -> None:
        """Weights, metrics and the family's exports into the run directory, now. A finished
        run wrote them at its end; a live one writes them at its next step (or while paused)."""
        run_dir = self.state.run_dir
        if isinstance(self.source, LiveRun) and self.source.alive and not self.state.finished:
            self.source.control.request_export()
            self.notify(visible(f"exporting to {run_dir} …"), markup=False)
        elif run_dir and Path(run_dir).is_dir():
            files = sorted(p.name for p in Path(run_dir).iterdir()
                           if p.is_file() and p.name not in NOT_EXPORTS)
            held = ", ".join(files) or "no exports yet"
            self.notify(visible(f"{run_dir} holds {held}"), markup=False)
        else:
            self.notify("no run directory to export to yet", severity="warning")

    def _exported(self, event: Exported) -> None:
        if event.error:
            self.notify(visible(event.error), severity="error", markup=False)
        else:
            files = [f for f in event.files if f not in NOT_EXPORTS]
            self.notify(visible(f"exported to {self.state.run_dir}: {', '.join(files)}"),
                        markup=False)

    def action_quit(self) -> None:
        """q quits at once, but a live run asks first: a stray q must not end a long run
        (it stops cleanly either way; ctrl+q quits at once)."""
        if not self._live_alive() or self.state.finished:
            self.app.exit()
        elif time.monotonic() - self.quit_asked < QUIT_AGAIN:
            self.action_quit_confirmed()
        else:
            self.quit_asked = time.monotonic()
            self.notify("the run is still training: q again (or y) quits and stops it "
                        "cleanly", severity="warning", timeout=QUIT_AGAIN)

    def action_quit_confirmed(self) -> None:
        if time.monotonic() - self.quit_asked < QUIT_AGAIN:
            self.app.exit()

    def action_back(self) -> None:
        if isinstance(self.source, LiveRun) and self.source.alive:
            self.notify("the run goes on; press s to stop it first", severity="warning")
            return
        if len(self.app.screen_stack) > 2:  # else nowhere to go back to: Esc never quits
            self.app.pop_screen()

    def on_unmount(self) -> None:
        self.source.close()
