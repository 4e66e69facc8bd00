"""A lesson: its variants trained side by side, the contrast that teaches.

The title and the lesson's text on top; the variants' loss curves overlaid (`m`: their main
metric instead), labelled as the lesson names them; a card per variant with its headline and
the panel that carries its lesson (tuidl.ui.widgets.variant_card), as many columns as the
width holds, scrolling where the height does not (80x24 shows two side by side); the lesson's
extra (the activations' slopes, the CNN's receptive fields) as one more card; and the verdict
once every run has ended, judged from the run directories as `tuidl lesson` judges them.

Live, each variant trains in its own process (bridge.LiveRun), all at once, into one lesson
folder; `tuidl watch FOLDER` follows such a folder instead, live or finished.
"""
from __future__ import annotations

import math
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tuidl.lesson import Lesson
from tuidl.text import plain
from tuidl.ui.bridge import EventSource, FileFollower, LiveRun
from tuidl.ui.screens.compare import RUN_COLOURS, OverlayChart
from tuidl.ui.screens.training import UNFINISHED
from tuidl.ui.state import RunState
from tuidl.ui.widgets.charts import log10s, log_ticks, step_ticks
from tuidl.lesson_extras import activation_names, cnn_config
from tuidl.ui.widgets.lesson_extras import ActivationsPanel, ReceptiveFieldTable
from tuidl.ui.widgets.variant_card import VariantCard

REFRESH_HZ = 4
CARD_W = 38  # columns a card needs
MIN_CARD_H = 8  # rows a card needs (its border included)
TALL = 40  # rows from which the lesson's text may take six lines
VERDICT_STYLE = {True: "bold green", False: "bold red", None: "bold yellow"}


class LessonChart(OverlayChart):
    """The variants' loss curves overlaid, or (`metric`) their main metric at its steps."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.metric = False

    def draw(self, runs: list[tuple[str, RunState]]) -> None:
        if not self.metric:
            return super().draw(runs)
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        key = next((k for _, s in runs if (k := s.main_metric)), None)
        plt.title(key or "metric")
        lines = []
        for i, (label, s) in enumerate(runs):
            series = s.eval_series.get(key) if key else None
            if series and series.y:
                spe = max(1, s.steps_per_epoch)
                ys = log10s(series.y) if self.log_scale else series.y
                lines.append(self.plot_line([e * spe for e in series.x], ys,
                                            RUN_COLOURS[i % len(RUN_COLOURS)], label))
        self.keyed = lines
        step_ticks(plt, max((x for line in lines for x in line[1][-1:]), default=0))
        if self.log_scale:
            log_ticks(plt, [y for _, _, ys, _ in lines for y in ys])
        self.refresh()


class LessonScreen(Screen):
    BINDINGS = [Binding("m", "toggle_metric", "loss/metric"),
                Binding("l", "toggle_log", "log y"),
                Binding("t", "toggle_text", "text"),
                Binding("f", "toggle_extra", "f/f'", show=False),
                Binding("s", "stop", "stop all"),
                Binding("question_mark", "app.help", "help"),
                Binding("escape", "back", "back"),
                Binding("q", "app.quit", "quit"),
                *(Binding(str(n), f"open({n - 1})", f"run {n}", show=False)
                  for n in range(1, 7))]

    def __init__(self, lesson: Lesson | None, title: str, text: str,
                 variants: list[tuple[str, EventSource]], judge, **kw):
        """`variants`: (label, source) each; `judge(run_dirs)`: (holds, verdict line) once all
        runs have ended, from their run directories (None for one that never started)."""
        super().__init__(**kw)
        self.lesson, self.title_text, self.text = lesson, title, text
        self.runs = [(label, source, RunState()) for label, source in variants]
        self.judge = judge
        self.verdict: tuple[bool | None, str] | None = None
        self.drawn = -1

    # -- layout ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(plain(self.title_text, "bold"), id="lesson-title")
        yield Static(plain(self.text), id="lesson-text")
        yield LessonChart(id="lesson-chart")
        with VerticalScroll(id="lesson-cards"):
            with Grid(id="lesson-grid"):
                for i, (label, _, _) in enumerate(self.runs):
                    yield VariantCard(label, f"{i + 1}: every layer", id=f"card-{i}",
                                      panel=self.lesson.panel if self.lesson else "")
                yield from self._extra()
        yield Static(id="lesson-verdict")
        yield Footer()

    def _extra(self):
        extra = self.lesson.extra if self.lesson else ""
        if extra == "activations":
            plot = ActivationsPanel(activation_names(self._configs()), id="extra-plot",
                                    classes="lesson-extra")
            plot.border_title = "activations (f: f or f')"
            yield plot
        elif extra == "receptive_field":
            config = cnn_config(self._configs())
            if config:
                table = ReceptiveFieldTable(config, id="extra-table", classes="lesson-extra")
                table.border_title = "CNN receptive fields"
                yield table

    def _configs(self) -> list[dict]:
        """Each variant's resolved config (the extras are drawn from them)."""
        from tuidl.lesson_run import plan
        return [p.prepared.config for p in plan(self.lesson)]

    def on_mount(self) -> None:
        self.pump()
        self.set_interval(1 / REFRESH_HZ, self.pump)

    def on_resize(self, event) -> None:
        self.call_after_refresh(self._arrange)

    def _arrange(self) -> None:
        """Columns for the width; card rows as tall as the room allows, at least MIN_CARD_H
        (the cards scroll beyond)."""
        self.set_class(self.size.height >= TALL, "-tall")
        grid = self.query_one("#lesson-grid", Grid)
        box = self.query_one("#lesson-cards")
        n = len(grid.children)
        cols = max(1, min(n, self.size.width // CARD_W))
        rows = math.ceil(n / cols)
        for extra in self.query(".lesson-extra"):  # the cells the last row leaves free
            extra.styles.column_span = 1 + cols * rows - n
            extra.set_class(extra.styles.column_span > 1, "-wide")
        height = max(MIN_CARD_H, box.size.height // rows if box.size.height else MIN_CARD_H)
        grid.styles.grid_size_columns = cols
        grid.styles.grid_rows = str(height)
        grid.styles.height = height * rows

    # -- events ---------------------------------------------------------------------------
    def pump(self) -> None:
        for _, source, state in self.runs:
            exitcode = source.exitcode if isinstance(source, LiveRun) else None
            for event in source.poll():
                state.apply(event)
            if exitcode is not None and not state.finished and state.status in UNFINISHED:
                from tuidl.events import Status
                state.apply(Status(step=state.step, epoch=state.epoch, status="failed",
                                   message=f"the training process exited (code {exitcode})"))
        version = sum(state.version for _, _, state in self.runs)
        if version == self.drawn:
            return
        self.drawn = version
        states = [state for _, _, state in self.runs]
        if self.verdict is None and all(s.finished for s in states):
            self.verdict = self.judge([s.run_dir for s in states])
        self.query_one(LessonChart).draw(self.named())
        for i, (_, _, state) in enumerate(self.runs):
            self.query_one(f"#card-{i}", VariantCard).update_state(state)
        self.query_one("#lesson-verdict", Static).update(self.verdict_line(states))

    def named(self) -> list[tuple[str, RunState]]:
        return [(label, state) for label, _, state in self.runs]

    def verdict_line(self, states: list[RunState]) -> Text:
        if self.verdict is not None:
            holds, line = self.verdict
            return plain(line, VERDICT_STYLE[holds])
        done = sum(s.finished for s in states)
        return plain(f"training {len(states)} variants side by side: {done} done; the "
                     "verdict comes when all have ended", "dim")

    # -- keys -----------------------------------------------------------------------------
    def action_toggle_metric(self) -> None:
        chart = self.query_one(LessonChart)
        chart.metric = not chart.metric
        chart.draw(self.named())

    def action_toggle_log(self) -> None:
        chart = self.query_one(LessonChart)
        chart.log_scale = not chart.log_scale
        chart.draw(self.named())

    def action_open(self, i: int) -> None:
        """Variant i's whole training screen, followed from its run directory."""
        from tuidl.ui.screens.training import TrainingScreen
        if i >= len(self.runs):
            return
        _, source, state = self.runs[i]
        # a followed run: the folder it is read from (the run_dir its events name may be
        # where it was written, elsewhere)
        run_dir = source.run_dir if isinstance(source, VariantFollower) else state.run_dir
        if run_dir and Path(run_dir).is_dir():
            self.app.push_screen(TrainingScreen(FileFollower(run_dir), live=False))
        else:
            self.notify("that run has no run directory yet", severity="warning")

    def action_toggle_text(self) -> None:
        """The lesson's whole text (the charts give it room), or its first lines."""
        self.toggle_class("-full-text")
        self.call_after_refresh(self._arrange)

    def action_toggle_extra(self) -> None:
        for plot in self.query(ActivationsPanel):
            plot.toggle()

    def action_stop(self) -> None:
        for _, source, _ in self.runs:
            if isinstance(source, LiveRun) and source.alive:
                source.control.request_stop()

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "back":
            return len(self.app.screen_stack) > 2 and not self._live()
        if action == "stop":
            return self._live()
        if action == "open":
            return parameters[0] < len(self.runs)
        if action == "toggle_extra":
            return bool(self.query(ActivationsPanel))
        return True

    def _live(self) -> bool:
        return any(isinstance(source, LiveRun) and source.alive for _, source, _ in self.runs)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2 and not self._live():
            self.app.pop_screen()

    def on_unmount(self) -> None:
        self.action_stop()  # every run asked first, then each waited for
        for _, source, _ in self.runs:
            source.close()


def live_lesson(name: str, out_root: str, lang: str, warm=None) -> LessonScreen:
    """A lesson's variants started now, each in its own process, into a new lesson folder
    (a TuidlError for a lesson or a variant that does not resolve, before anything starts)."""
    from tuidl.lesson import load_lesson
    from tuidl.lesson_run import judge, plan, start_folder
    lesson = load_lesson(name)
    planned = plan(lesson)
    folder = start_folder(lesson, out_root, lang)
    sources = [(p.variant.label, LiveRun(p.prepared, out_root=str(folder),
                                         warm=warm if i == 0 else None, name=p.variant.name))
               for i, p in enumerate(planned)]
    return LessonScreen(lesson, lesson.title_in(lang), lesson.text_in(lang), sources,
                        lambda run_dirs: judge(folder, lesson, lang, run_dirs))


def lesson_folder(path: str | Path) -> bool:
    from tuidl.lesson_run import read_record
    return read_record(path) is not None


class VariantFollower(EventSource):
    """A variant's run directory in a lesson folder, followed once it is there (a headless
    lesson trains its variants one after the other: the later ones start later)."""

    def __init__(self, folder: Path, name: str, run_dir: Path | None):
        self.folder, self.name = folder, name
        self.inner = FileFollower(run_dir) if run_dir else None

    @property
    def run_dir(self) -> Path | None:
        return self.inner.path.parent if self.inner else None

    def poll(self) -> list:
        if self.inner is None:
            from tuidl.lesson_run import find_run_dir
            if (found := find_run_dir(self.folder, self.name)) is None:
                return []
            self.inner = FileFollower(found)
        return self.inner.poll()


def follow_lesson(folder: str | Path, lang: str | None = None) -> LessonScreen:
    """A lesson folder (`tuidl lesson` or the app wrote it), followed from its files: the
    verdict lesson.json holds, else the one its runs give once they have ended."""
    from tuidl.config import TuidlError
    from tuidl.lesson import load_lesson
    from tuidl.lesson_run import judge, read_record, variant_dirs
    folder = Path(folder)
    record = read_record(folder) or {"variants": []}
    try:
        lesson = load_lesson(str(record.get("lesson", "")))
    except TuidlError:  # a lesson this tuidl does not know: its runs, without a verdict
        lesson = None
    lang = lang or str(record.get("lang", "en"))
    title = lesson.title_in(lang) if lesson else str(record.get("title", "lesson"))
    text = lesson.text_in(lang) if lesson else ""
    sources = [(label, VariantFollower(folder, name, d))
               for name, label, d in variant_dirs(folder, record)]

    def verdict(run_dirs):
        saved = read_record(folder) or {}
        if saved.get("verdict") and saved.get("holds") in (True, False, None):
            return saved["holds"], str(saved["verdict"])
        if lesson is None or len(sources) != len(lesson.variants):
            return None, "no verdict: this lesson is not one of this tuidl's"
        dirs = [str(s.run_dir) if s.run_dir else None for _, s in sources]
        return judge(folder, lesson, lang, dirs, save=False)
    return LessonScreen(lesson, title, text, sources, verdict)
