"""The tuidl Textual app: picker → form → training screen, or a followed run directory.

`create_app` is the one factory used by the CLI and by the tests.
"""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widgets import Static

from tuidl.catalog import Preset, load_preset
from tuidl.config import TuidlError
from tuidl.text import visible
from tuidl.ui.bridge import EventSource, FileFollower, LiveRun, Warm, spawn_context
from tuidl.ui.screens.compare import CompareScreen, expand
from tuidl.ui.screens.form import FormScreen
from tuidl.ui.screens.help import HelpScreen
from tuidl.ui.screens.lesson import LessonScreen, follow_lesson, lesson_folder, live_lesson
from tuidl.ui.screens.picker import PickerScreen
from tuidl.ui.screens.training import TrainingScreen

MIN_W, MIN_H = 80, 24
STOP_SIGNALS = ("SIGTERM", "SIGHUP")  # kill, or the terminal went away (an SSH session drops)


def too_small(size: Size) -> bool:
    return size.width < MIN_W or size.height < MIN_H


class TooSmall(ModalScreen):
    def __init__(self, size: Size, **kw):
        super().__init__(**kw)
        self.terminal = size

    def compose(self):
        yield Static(id="too-small")

    def on_mount(self) -> None:
        self.show(self.terminal)

    def on_resize(self, event) -> None:
        self.show(event.size)

    def show(self, size: Size) -> None:
        self.terminal = size
        self.query_one("#too-small", Static).update(
            f"enlarge the terminal\n\ntuidl needs at least {MIN_W}×{MIN_H}; "
            f"this one is {size.width}×{size.height}")


class TuidlApp(App):
    CSS_PATH = "app.tcss"
    TITLE = "tuidl"
    BINDINGS = [Binding("ctrl+q", "quit", "quit", priority=True)]

    def __init__(self, preset: str | None = None, watch: str | None = None,
                 out_root: str = "runs", source: EventSource | None = None,
                 compare: list[str] | None = None, lesson: str | None = None,
                 lang: str | None = None):
        super().__init__()
        spawn_context()  # before the app takes over stdio (see bridge.spawn_context)
        self.initial_preset, self.watch_dir, self.out_root = preset, watch, out_root
        self.source = source
        self.compare_dirs = compare
        self.initial_lesson = lesson
        from tuidl.lesson import default_lang
        self.lang = lang or default_lang()  # of the lessons' texts
        self.session_states: list = []  # RunStates of the runs started or watched here
        self.stop_signals: dict = {}  # signal -> the handler before this app's, while it runs
        self.warm: Warm | None = None  # the training process that waits for the next run

    def on_mount(self) -> None:
        self._handle_stop_signals()
        if self.compare_dirs and len(self.compare_dirs) == 1 and lesson_folder(
                self.compare_dirs[0]):
            self.push_screen(follow_lesson(self.compare_dirs[0]))
        elif self.compare_dirs:
            self.push_screen(CompareScreen(expand(self.compare_dirs)))
        elif self.source is not None:  # tests and `watch` hand in a ready source
            self.push_screen(TrainingScreen(self.source, live=False))
        elif self.watch_dir:
            self.push_screen(TrainingScreen(FileFollower(self.watch_dir), live=False))
        else:
            self.push_screen(PickerScreen())
            if self.initial_preset:
                self.open_form(load_preset(self.initial_preset))
            elif self.initial_lesson:
                self.start_lesson(self.initial_lesson)
        self._check_size(self.size)

    def warm_next(self) -> None:
        """A training process for the next run, started now (see bridge.Warm)."""
        if self.warm is None or not self.warm.process.is_alive():
            self.warm = Warm()

    def on_resize(self, event) -> None:
        # runs before App._on_resize stores the new size: self.size is still the old one here
        self._check_size(event.size)

    def _check_size(self, size: Size) -> None:
        small = too_small(size)
        showing = isinstance(self.screen, TooSmall)
        if small and not showing:
            self.push_screen(TooSmall(size))
        elif not small and showing:
            self.pop_screen()

    # -- signals ------------------------------------------------------------------------------
    def _handle_stop_signals(self) -> None:
        """SIGTERM and SIGHUP stop the live runs cleanly (each writes its summary as
        'stopped'), then the app exits, instead of dying with a run orphaned in its child."""
        if threading.current_thread() is not threading.main_thread():
            return  # handlers can only be installed from the main thread
        self.signal_loop = asyncio.get_running_loop()
        for name in STOP_SIGNALS:
            if (signum := getattr(signal, name, None)) is not None:
                self.stop_signals[signum] = signal.signal(signum, self._on_stop_signal)

    def _on_stop_signal(self, signum: int, frame) -> None:
        if self._terminal_gone():
            # hung up: there is no screen to restore and Textual's own shutdown would wait
            # forever on its writes, so wait for the runs' summaries here and leave at once
            if self.warm is not None:
                self.warm.process.kill()  # it has no run to stop
            for run in self.live_runs():
                run.close()
            os._exit(128 + signum)
        self.signal_loop.call_soon_threadsafe(self.stop_on_signal, signum)

    def _terminal_gone(self) -> bool:
        if self.is_headless:
            return False
        try:
            import termios
        except ImportError:  # not POSIX: no hang-up to tell apart
            return False
        try:
            termios.tcgetattr(sys.__stdin__.fileno())  # EIO once the terminal hung up
        except (termios.error, OSError, ValueError, AttributeError):
            return True
        return False

    def stop_on_signal(self, signum: int) -> None:
        for run in self.live_runs():
            run.control.request_stop()
        # leaving unmounts the training screens, whose LiveRun.close waits for each summary
        self.exit(return_code=128 + signum)

    def live_runs(self) -> list[LiveRun]:
        runs = []
        for s in list(self.screen_stack):
            sources = ([s.source] if isinstance(s, TrainingScreen) else
                       [source for _, source, _ in s.runs] if isinstance(s, LessonScreen) else [])
            runs += [source for source in sources if isinstance(source, LiveRun)]
        return runs

    def on_unmount(self) -> None:
        if self.warm is not None:
            self.warm.close()
        for signum, previous in self.stop_signals.items():
            signal.signal(signum, signal.SIG_DFL if previous is None else previous)
        self.stop_signals = {}

    # -- navigation ---------------------------------------------------------------------------
    def open_form(self, preset: Preset, values: dict | None = None) -> None:
        self.push_screen(FormScreen(preset, values))
        self.warm_next()  # torch loads while the user tunes the run

    def start_from_form(self, preset: Preset, overrides: dict[str, str]) -> None:
        from tuidl.runner import prepare
        try:
            prepared = prepare(preset.path or preset.name, overrides)
        except TuidlError as e:
            self.notify(visible(str(e)), severity="error", markup=False)
            return
        self.start_run(prepared)

    def take_warm(self) -> Warm | None:
        """The training process waiting for a run; the next one starts once this one runs."""
        warm, self.warm = self.warm, None
        self.call_later(self.warm_next)
        return warm

    def start_run(self, prepared, replace: bool = False) -> None:
        screen = TrainingScreen(LiveRun(prepared, out_root=self.out_root,
                                        warm=self.take_warm()))
        self.session_states.append(screen.state)
        if replace:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)

    def start_lesson(self, name: str) -> None:
        """Train a lesson's variants at once, side by side (tuidl.ui.screens.lesson)."""
        try:
            screen = live_lesson(name, self.out_root, self.lang, self.take_warm())
        except TuidlError as e:
            self.notify(visible(str(e)), severity="error", markup=False)
            return
        self.push_screen(screen)

    def edit_run(self, prepared, in_use: dict | None = None) -> None:
        """Back to the form of this preset, with the run's values and `in_use` over them
        (the learning rates the run has now)."""
        values = {**prepared.config, **(in_use or {})}
        self.pop_screen()
        if isinstance(self.screen, FormScreen):
            self.screen.show_values(values)
        else:
            self.open_form(prepared.preset, values)

    def compare_session(self, current=None) -> None:
        """Overlay the runs of this session (and the one on screen) that have a directory."""
        states = self.session_states + ([current] if current not in self.session_states else [])
        dirs = list(dict.fromkeys(Path(s.run_dir) for s in states if s and s.run_dir))
        if len(dirs) < 2:
            self.notify("compare needs two runs: start another (r restarts, e edits) or "
                        "`tuidl watch DIR DIR …`", severity="warning")
            return
        self.push_screen(CompareScreen(dirs))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        saved = self.save_screenshot(filename, path or str(Path.cwd()))
        self.notify(visible(f"screenshot saved: {saved}"), markup=False)


def create_app(**kw) -> TuidlApp:
    return TuidlApp(**kw)
