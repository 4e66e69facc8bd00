"""The training screen: header, loss and metric charts, gradient panel (h: its histograms),
confusion matrix (for classifiers) and task view, for a live run (with controls) or a
followed run directory (read-only).

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

from tuidl.events import Exported, RunStart, Scalars, Status
from tuidl.rundir import CHECKPOINT, EVENTS
from tuidl.text import plain, visible
from tuidl.ui.bridge import EventSource, LiveRun
from tuidl.ui.screens.side_layout import SideLayout
from tuidl.ui.state import RunState
from tuidl.ui.widgets.base import ShowsState
from tuidl.ui.widgets.charts import LossChart, MetricChart
from tuidl.ui.widgets.confusion import ConfusionView
from tuidl.ui.widgets.device_panel import DevicePanel
from tuidl.ui.widgets.grad_panel import GradPanel
from tuidl.ui.widgets.header import RunHeader
from tuidl.ui.widgets.histograms import HistogramPanel
from tuidl.ui.widgets.task_view import TaskViewWidget

# Bounded rates (benchmarks/overhead.py: at 10 Hz the app cost a training run on 2 cores a
# quarter of its speed, at 4 Hz with charts at 2 Hz under a tenth)
REFRESH_HZ = 4  # events drained, header and status line
CHART_HZ = 2  # charts and panels, at most; at once when the run's status changes
ANSWER_S, ANSWER_LOOKS = 0.01, 100  # after a steering key: look this often, this many times
QUIT_AGAIN = 3.0  # seconds in which a second q (or y) quits a live run
# actions that act on a live run; of them, those that steer training while it runs
CONTROLS = {"pause", "single_step", "stop", "restart", "edit", "lr"}
STEERING = {"pause", "single_step", "stop", "lr"}
NOT_EXPORTS = (EVENTS, CHECKPOINT)  # run files that are not results to take away
UNFINISHED = ("waiting", "starting", "running", "paused")  # a run that has not said how it ended


class TrainingScreen(SideLayout, Screen):
    # the footer shows them in this order, the most used first, and fits 80 columns (compact,
    # no palette key): restart, the lr keys and ctrl+p are in the ? help and the palette
    BINDINGS = [
        Binding("space", "pause", "pause"),
        Binding("n", "single_step", "step"),
        Binding("s", "stop", "stop"),
        Binding("plus", "more", "more"),  # only once the run has ended: where pause was
        Binding("v", "cycle_view", "view"),
        Binding("l", "toggle_log", "log"),
        Binding("h", "histograms", "hist", show=False),  # no room left in 80 columns
        Binding("j", "hist_layer(1)", "next layer", show=False),
        Binding("k", "hist_layer(-1)", "previous layer", show=False),
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
        if action == "more":
            return self._can_go_on()
        if action == "hist_layer":
            return self.hist_view is not None
        return True

    def _can_go_on(self) -> bool:
        """A live run that ended completed or stopped, with a checkpoint to go on from (its
        process may still be writing the last files: `close` waits for it)."""
        s = self.state
        return (self.live and isinstance(self.source, LiveRun) and s.finished
                and s.status in ("completed", "stopped") and bool(s.run_dir)
                and (Path(s.run_dir) / CHECKPOINT).is_file())

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
        self.hist_view: str | None = None  # h: the gradient box's histograms, "layers" | "time"
        self.hist_layer = 0  # j / k: the layer the histograms' time view follows
        self.quit_asked = -1e9  # monotonic time of a first q on a live run
        self.answer_timer = None  # looks for the engine's answer to a steering key …
        self.answer_until = 0.0  # … until then (monotonic time)
        if isinstance(source, LiveRun) and self.state.status == "waiting":
            # from the first frame: the key was taken, the process is at work
            self.state.status = "starting"
            self.state.message = "building the data and the model …"
        # the panels that move with the layout (see _arrange); always the mounted ones
        self.grad_panel = GradPanel(id="grad-panel")
        self.hist_panel = HistogramPanel(id="hist-panel")
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
                    yield self.hist_panel
                with VerticalScroll(id="confusion-box"):
                    yield ConfusionView(id="confusion")
                yield self.task_view
            yield Vertical(id="wide-slot")
        yield Static(id="message")
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self._grad_face()
        self.query_one("#confusion-box").border_title = "confusion matrix (validation)"
        self.task_view.border_title = "task view"
        self.query_one(DevicePanel).border_title = "device"
        self.pump()
        self.set_interval(1 / REFRESH_HZ, self.pump)

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
            elif isinstance(event, RunStart):
                for warning in event.warnings:  # what the data needed: said once, kept longer
                    self.notify(visible(f"warning: {warning}"), severity="warning",
                                markup=False, timeout=12)
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
            for panel in self.query(DevicePanel):  # its throughput is the header's
                panel.update_state(s)
            return
        if s.status != self.drawn_status:
            self.drawn_status = s.status
            self.refresh_bindings()  # the footer offers what the run's state allows
            if time.monotonic() < self.answer_until:
                # the answer to a key (paused, running) shows at once; the panels, which
                # take far longer to draw, follow right after that frame
                self.query_one(RunHeader).update_state(s)
                self._show_message(s)
                self.call_after_refresh(self._redraw)
                return
        self._redraw()

    def _redraw(self) -> None:
        """Every panel, from the state as it is now."""
        if not self.is_attached:  # closed before its turn came
            return
        s = self.state
        self.drawn, self.drawn_at = s.version, time.monotonic()
        with self.app.batch_update():
            if s.has_confusion == self.has_class("-no-confusion"):
                self._arrange()
            for widget in self.query("*"):  # every panel draws what it needs of the state
                if isinstance(widget, ShowsState):
                    widget.update_state(s)
            self._fit()
            self.call_after_refresh(self._fit)  # the message line may have taken a row
            self.set_class(s.system is not None, "-has-system")
            self._show_message(s)

    def _show_message(self, s: RunState) -> None:
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

    def _answer_soon(self, answered) -> None:
        """A key asked the engine for something: show its answer (`answered()` holds) as
        soon as it comes, not at the next tick a quarter of a second later."""
        def look() -> None:
            self.pump()
            if answered() or self.state.finished:
                timer.stop()
                self.answer_until = 0.0
        if self.answer_timer is not None:
            self.answer_timer.stop()
        self.answer_until = time.monotonic() + ANSWER_S * ANSWER_LOOKS
        timer = self.answer_timer = self.set_interval(ANSWER_S, look, repeat=ANSWER_LOOKS)

    def action_pause(self) -> None:
        if run := self._run():
            if pausing := run.control.resume.is_set():
                run.control.pause()
            else:
                run.control.unpause()
            want = "paused" if pausing else "running"
            self._answer_soon(lambda: self.state.status == want)

    def action_single_step(self) -> None:
        if run := self._run():
            run.control.pause()
            run.control.step_once()
            step = self.state.step
            self._answer_soon(lambda: self.state.step > step and self.state.status == "paused")

    def action_stop(self) -> None:
        if run := self._run():
            run.control.request_stop()
            self._answer_soon(lambda: self.state.status not in ("running", "paused"))

    def action_more(self) -> None:
        """Train on, on this screen, in the same run directory: a stopped run to its last
        epoch, a completed one for as many epochs again (a short preset ends before its
        keys can be tried; this one can then be paused, stepped and steered)."""
        if not self._can_go_on():
            return
        from tuidl.config import TuidlError
        from tuidl.runner import resume_prepared
        s = self.state
        epochs = s.epochs if s.status == "stopped" and s.epoch < s.epochs else 2 * s.epochs
        try:
            prepared = resume_prepared(s.run_dir, [f"epochs={epochs}"])
        except TuidlError as e:
            self.notify(visible(str(e)), severity="error", markup=False)
            return
        self.source.close()
        self.source = LiveRun(prepared, out_root=str(Path(s.run_dir).parent),
                              warm=self.app.take_warm(), run_dir=s.run_dir)
        s.paused_for += max(0.0, time.time() - (s.last_time or time.time()))  # idle, not training
        s.summary, s.status, s.message = None, "starting", f"training on to epoch {epochs} …"
        s.version += 1
        self.pump()

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
