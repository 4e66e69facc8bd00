"""Compare runs: their loss curves overlaid on one chart, and a table of where each ended.

Opened by `tuidl watch DIR DIR …` (or the folder `tuidl compare` writes), and by `c` on the
training screen for the runs of this session. Each run is followed from its run directory, so
runs still training keep moving; the screen redraws on the same bounded-rate timer as the
training screen.
"""
from __future__ import annotations

from pathlib import Path

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from tuidl.text import plain
from tuidl.ui.bridge import FileFollower
from tuidl.ui.state import RunState
from tuidl.ui.widgets.charts import KeyedPlot, log10s, log_ticks, step_ticks
from tuidl.ui.widgets.colors import HEALTH

REFRESH_HZ = 10
# one plotext colour per run, in order (the key under the chart names them)
RUN_COLOURS = ("blue+", "green+", "red+", "cyan+", "orange+", "magenta+", "yellow", "white")


def label_of(run_dir: Path) -> str:
    """'20261123-101500-optimizer-sgd' -> 'optimizer-sgd'."""
    parts = run_dir.name.split("-", 2)
    return parts[2] if len(parts) == 3 and parts[0].isdigit() else run_dir.name


MAX_KEYS = 3  # hyperparameters named in a run's label; more are "…"


def differing_labels(states: list[RunState], fallbacks: list[str]) -> list[str]:
    """Each run named by what sets it apart: the hyperparameters whose values differ between
    the runs (`activation=tanh`), at most MAX_KEYS of them, or its preset when the runs are of
    different presets; the run directory's name while a run's config is not known yet, where
    nothing differs, or to tell apart two runs whose labels would be the same."""
    configs = [s.config for s in states]
    if len(states) < 2 or not all(configs):
        return list(fallbacks)
    if len({s.preset for s in states}) > 1:
        labels = [s.preset or f for s, f in zip(states, fallbacks)]
    else:
        keys = differing_keys(states)
        if not keys:
            return list(fallbacks)
        more = " …" if len(keys) > MAX_KEYS else ""
        labels = [", ".join(f"{k}={c.get(k, '-')}" for k in keys[:MAX_KEYS]) + more
                  for c in configs]
    return [f"{label} ({f})" if labels.count(label) > 1 else label
            for label, f in zip(labels, fallbacks)]


def differing_keys(states: list[RunState]) -> list[str]:
    """The hyperparameters whose values differ between the runs, sorted."""
    configs = [s.config for s in states]
    return sorted(k for k in set().union(*configs) if len({repr(c.get(k)) for c in configs}) > 1)


def title_of(states: list[RunState]) -> str:
    """What the runs share and what sets them apart: 'mlp-spiral: 2 runs differing in
    activation', 'comparing 3 runs of mlp, xor-mlp'."""
    presets = sorted({s.preset for s in states if s.preset})
    if len(presets) != 1:
        return f"comparing {len(states)} runs" + (f" of {', '.join(presets)}" if presets else "")
    keys = differing_keys(states) if all(s.config for s in states) else []
    return f"{presets[0]}: {len(states)} runs" + (
        f" differing in {', '.join(keys)}" if keys else "")


def expand(run_dirs: list[str | Path]) -> list[Path]:
    """Run directories; a `tuidl compare` folder stands for the runs inside it."""
    out = []
    for d in map(Path, run_dirs):
        if (d / "events.jsonl").is_file():
            out.append(d)
        else:
            out.extend(sorted(p.parent for p in d.glob("*/events.jsonl")))
    return out


class OverlayChart(KeyedPlot):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.log_scale = False

    def draw(self, runs: list[tuple[str, RunState]]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("training loss" + (" (log)" if self.log_scale else ""))
        raw, lines = [], []
        for i, (label, state) in enumerate(runs):
            key = state.loss_key  # the family's headline loss
            if key:
                s = state.step_series[key]
                raw += s.y
                lines.append(self.plot_line(s.x, log10s(s.y) if self.log_scale else s.y,
                                            RUN_COLOURS[i % len(RUN_COLOURS)], label))
        self.keyed = lines
        step_ticks(plt, max((x for line in lines for x in line[1][-1:]), default=0))
        if self.log_scale:
            log_ticks(plt, raw)
        self.refresh()


class CompareScreen(Screen):
    BINDINGS = [Binding("l", "toggle_log", "log y"),
                Binding("escape", "back", "back"),
                Binding("q", "app.quit", "quit")]

    def __init__(self, run_dirs: list[Path], **kw):
        super().__init__(**kw)
        self.runs = [(label_of(d), FileFollower(d), RunState()) for d in run_dirs]
        self.labels = [label for label, _, _ in self.runs]
        self.drawn = -1

    def compose(self) -> ComposeResult:
        yield Static(f"comparing {len(self.runs)} runs", id="compare-title", markup=False)
        yield OverlayChart(id="overlay")
        yield Static(id="compare-table")
        yield Footer()

    def on_mount(self) -> None:
        self.pump()
        self.set_interval(1 / REFRESH_HZ, self.pump)

    def pump(self) -> None:
        for _, source, state in self.runs:
            for event in source.poll():
                state.apply(event)
        version = sum(state.version for _, _, state in self.runs)
        if version == self.drawn:
            return
        self.drawn = version
        states = [state for _, _, state in self.runs]
        self.labels = differing_labels(states, [label for label, _, _ in self.runs])
        self.query_one("#compare-title", Static).update(title_of(states))
        self.query_one(OverlayChart).draw(self.named())
        self.query_one("#compare-table", Static).update(self.table())

    def named(self) -> list[tuple[str, RunState]]:
        return [(label, state) for label, (_, _, state) in zip(self.labels, self.runs)]

    def table(self) -> Table:
        t = Table(box=None, pad_edge=False, expand=True)
        key = next((k for _, _, s in self.runs if (k := s.main_metric)), None)
        for col in ("run", "status", "epoch", "loss", "val_loss", key or "metric", "gradients"):
            t.add_column(col, no_wrap=col != "run")
        for label, s in self.named():
            loss = s.step_series[s.loss_key].y[-1] if s.loss_key else None
            verdict = s.diagnosis.verdict if s.diagnosis else ""
            t.add_row(plain(label), s.status, f"{s.epoch}/{s.epochs}", _num(loss),
                      _num(s.metrics.get("val_loss")), _num(s.metrics.get(key)) if key else "",
                      f"[{HEALTH.get(verdict, 'white')}]{verdict}[/]" if verdict else "")
        return t

    def action_toggle_log(self) -> None:
        chart = self.query_one(OverlayChart)
        chart.log_scale = not chart.log_scale
        chart.draw(self.named())

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """`back` only where there is a screen to go back to: Esc never quits."""
        return action != "back" or len(self.app.screen_stack) > 2

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()


def _num(x) -> str:
    return "" if x is None else f"{x:.4g}"
