"""Loss and metric charts (textual-plotext). Replotting is `clear_data(); plot(); refresh()`,
done only when the RunState changed, from the screen's bounded-rate timer.

Which curves a run gets is what its family declares (tuidl.specs: `losses`, `val_losses`,
`metric_chart`): classifiers plot train and val loss and val and train accuracy, the gan the
discriminator's and the generator's losses and the shares of modes covered and of
high-quality samples, word2vec its loss and precision@5.

When an lr changes during the run (a schedule, the lr keys), the loss chart draws the lr in
use on its right axis (linear, from 0): where the loss falls faster or slower, the lr that
did it is right above, on the same steps. A constant lr is no line, only the header's figure.

Legends sit outside the data: plotext would draw them over the start of the curves, where a
loss falls fastest, so the curves go in unlabelled and the row of the x label becomes the key
(each series in its colour, then the x unit).
"""
from __future__ import annotations

import math

import plotext
from rich.text import Text
from textual.color import Color
from textual_plotext import PlotextPlot

from tuidl.specs import Curve
from tuidl.text import visible
from tuidl.ui.state import RunState, Series
from tuidl.ui.widgets.base import ShowsState
from tuidl.ui.widgets.colors import as_hex

Line = tuple[str, list, list, "str | None"]  # label, x, y, colour
LR_COLOURS = ("theme:foreground", "theme:warning")  # lr lines: neutral, a setting, not a result
THEME_FALLBACK = {"primary": "#0178D4", "success": "#4EBF71", "warning": "#FEA62B",
                  "error": "#B93C5B", "accent": "#FEA62B", "secondary": "#004578"}


def plot_colour(colour: str | None, widget) -> str | tuple[int, int, int] | None:
    """A curve's colour for plotext: a plotext name as it is, `theme:NAME` the colour of that
    name in the widget's app theme, as (r, g, b)."""
    if not colour or not colour.startswith("theme:"):
        return colour
    name = colour[len("theme:"):]
    fallback = THEME_FALLBACK.get(name, "#c0c0c0")
    try:
        value = as_hex(getattr(widget.app.current_theme, name, None), fallback)
    except Exception:  # noqa: BLE001 - no app: a chart drawn on its own
        value = fallback
    return Color.parse(value).rgb


def loss_title(state: RunState) -> str:
    return state.spec.loss_title if state.loss_key else "loss"


def _line(curve: Curve, series: dict[str, Series]) -> Line | None:
    s = series.get(curve.key)
    if not s or not s.x:
        return None
    if curve.per is None:
        return curve.label, s.x, s.y, curve.colour
    total = series.get(curve.per)
    if not total:
        return None
    return curve.label, s.x, [v / t if t else 0.0 for v, t in zip(s.y, total.y)], curve.colour


def metric_curves(state: RunState) -> tuple[str, list[Line], tuple[float, float] | None]:
    """(title, curves, fixed y range) of the metric chart, as the family declares it, each
    evaluation at its step (the loss chart's x unit, so the two charts line up)."""
    chart, spe = state.spec.metric_chart, max(1, state.steps_per_epoch)
    lines = [(label, [e * spe for e in x], y, colour) for c in chart.curves
             if (line := _line(c, state.eval_series)) for label, x, y, colour in [line]]
    if not lines:
        return "metric", [], None
    return chart.title, lines, chart.ylim


def step_axis(plt, state: RunState, lines: list[Line]) -> None:
    """The x axis both charts share: steps from 0 to the run's last, whole-number ticks."""
    step_ticks(plt, max([state.step, *(x for line in lines for x in line[1][-1:])], default=0))


def step_ticks(plt, last: float) -> None:
    """An x axis of steps from 0 to `last`, whole-number ticks."""
    hi = max(1, int(math.ceil(last)))
    plt.xlim(0, hi)
    ticks = int_ticks(hi)
    plt.xticks(ticks, [str(t) for t in ticks])
    plt.xlabel("step")


def int_ticks(hi: int, most: int = 5) -> list[int]:
    """At most `most` whole-number ticks from 0 to about `hi`, spaced 1, 2 or 5 x 10^k."""
    power = 1
    while True:
        for step in (power, 2 * power, 5 * power):
            if hi <= step * (most - 1):
                return list(range(0, hi + 1, step))
        power *= 10


def loss_curves(state: RunState) -> list[Line]:
    """The family's step losses, then its evaluation losses placed at their steps."""
    spec, spe = state.spec, max(1, state.steps_per_epoch)
    lines = [line for c in spec.losses if (line := _line(c, state.step_series))]
    for c in spec.val_losses:
        if line := _line(c, state.eval_series):
            label, x, y, colour = line
            lines.append((label, [e * spe for e in x], y, colour))
    return lines


def lr_curves(state: RunState) -> list[Line]:
    """The family's lrs in use (its spec's lr keys), once one of them has changed; lrs that
    move together (a GAN's lr_g and lr_d, left equal) are one line, named by all their keys.
    Each label ends with an arrow: its axis is the right one."""
    series = [(key, s) for key, _ in state.spec.lr_keys if (s := state.lr_series.get(key))]
    if not any(min(s.y) != max(s.y) for _, s in series):
        return []
    lines: list[Line] = []
    for key, s in series:
        same = next((i for i, line in enumerate(lines) if line[2] == s.y), None)
        if same is None:
            lines.append((key, s.x, s.y, LR_COLOURS[len(lines) % len(LR_COLOURS)]))
        else:
            label, *rest = lines[same]
            lines[same] = (f"{label}={key}", *rest)
    return [(f"{label} \u2192", x, y, colour) for label, x, y, colour in lines]


def short(v: float) -> str:
    """A tick label of at most 4 characters where it can be: 0.01, 5e-3, 0."""
    text = f"{v:.1g}"
    if len(text) <= 4:
        return text
    mantissa, _, exponent = f"{v:.0e}".partition("e")
    return f"{mantissa}e{int(exponent)}"


def lr_axis(plt, lines: list[Line]) -> None:
    """The right axis: 0 to the highest lr shown, three short ticks."""
    hi = max((y for line in lines for y in line[2] if math.isfinite(y)), default=0.0)
    if not hi > 0:
        return
    plt.ylim(0, hi * 1.04, yside="right")
    plt.yticks([0, hi / 2, hi], ["0", short(hi / 2), short(hi)], yside="right")


def log10s(ys: list[float]) -> list[float]:
    """log10 of each value (NaN where there is none). The charts plot these on a linear axis
    with power-of-ten labels: plotext's own log scale transforms its stored data at every
    build, so a second build (a resize) took the log of a log."""
    return [math.log10(y) if y > 0 and math.isfinite(y) else math.nan for y in ys]


def log_ticks(plt, ys: list[float]) -> None:
    """Ticks at the powers of ten spanned by `ys` (raw values), labelled 1e-3, 1e+0 …"""
    logs = [v for v in log10s(ys) if math.isfinite(v)]
    if not logs:
        return
    lo, hi = math.floor(min(logs)), math.ceil(max(logs))
    step = max(1, (hi - lo) // 5)
    ticks = list(range(lo, hi + 1, step))
    plt.yticks(ticks, [f"1e{t:+d}" for t in ticks])


def key_line(lines: list[Line], width: int, xlabel: str = "step") -> Text:
    """`━━ train  ━━ val   x: step`, each series in the colour plotext draws it in."""
    out = Text()
    for label, _, _, colour in lines:
        out.append_text(Text.from_ansi(plotext.colorize("━━", colour or "default")))
        out.append(f" {visible(label)}  ")
    if out.cell_len + len(xlabel) + 3 <= width:  # the x unit, where it fits
        out.append(f"x: {xlabel}", style="dim")
    out.rstrip()
    out.truncate(width, overflow="ellipsis")
    return Text(" " * max(0, (width - out.cell_len) // 2)) + out


class KeyedPlot(PlotextPlot):
    """A plot whose x-label row carries the key of its curves, in the colours the theme gives
    them (`plot_colour`): a theme switch redraws it."""
    XLABEL = "step"  # the x-label row, which the key replaces

    def __init__(self, **kw):
        super().__init__(**kw)
        self.keyed: list[Line] = []

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.restyle())

    def restyle(self) -> None:
        """Draw again in the current theme's colours."""

    def plot_line(self, x, y, colour: str | None, label: str, yside: str = "left") -> Line:
        """Plot one curve (on the left or the right y axis); the line for the key, its colour
        resolved."""
        colour = plot_colour(colour, self)
        self.plt.plot(x, y, marker="braille", yside=yside,
                      **({"color": colour} if colour else {}))
        return label, x, y, colour

    def render(self):
        text = super().render()
        if not self.keyed:
            return text
        rows = text.split("\n", allow_blank=True)
        for i in range(len(rows) - 1, -1, -1):
            if rows[i].plain.strip() == self.XLABEL:
                rows[i] = key_line(self.keyed, self.size.width or 40, self.XLABEL)
                break
        return Text("\n").join(rows)


class RunChart(ShowsState, KeyedPlot):
    """A chart of the training screen: replotted when the run's state moved (or the theme)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.version = -1
        self.state: RunState | None = None

    def restyle(self) -> None:
        if self.state is not None:
            self.update_state(self.state, force=True)

    def update_state(self, state: RunState, force: bool = False) -> None:
        if state.version == self.version and not force:
            return
        self.version, self.state = state.version, state
        self.plt.clear_data()
        self.plt.clear_figure()
        self.draw(state)
        self.refresh()

    def draw(self, state: RunState) -> None:
        raise NotImplementedError


class LossChart(RunChart):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.log_scale = False

    def draw(self, state: RunState) -> None:
        plt = self.plt
        plt.title(loss_title(state) + (" (log)" if self.log_scale else ""))
        lines = loss_curves(state)
        self.keyed = [self.plot_line(x, self._y(y), colour, label)
                      for label, x, y, colour in lines]
        if lrs := lr_curves(state):  # on the right axis
            self.keyed += [self.plot_line(x, y, colour, label, "right")
                           for label, x, y, colour in lrs]
            lr_axis(plt, lrs)
        step_axis(plt, state, lines)
        if self.log_scale:
            log_ticks(plt, [y for line in lines for y in line[2]])
        else:
            self._short_ticks(state)

    def _short_ticks(self, state: RunState) -> None:
        """Huge losses (a diverging run) get short tick labels (4.5e+39), not 40 digits."""
        ys = [y for s in state.step_series.values() for y in s.y if math.isfinite(y)]
        if not ys or max(abs(y) for y in ys) < 1e5:
            return
        lo, hi = min(ys), max(ys)
        ticks = [lo + (hi - lo) * k / 4 for k in range(5)]
        self.plt.yticks(ticks, [f"{t:.1e}" for t in ticks])

    def _y(self, ys):
        return log10s(ys) if self.log_scale else ys

    def toggle_log(self, state: RunState) -> None:
        self.log_scale = not self.log_scale
        self.update_state(state, force=True)


class MetricChart(RunChart):
    def draw(self, state: RunState) -> None:
        plt = self.plt
        title, curves, ylim = metric_curves(state)
        # a finished run with no metric to show (a corpus without categories, a run that
        # diverged before its first evaluation) gives the loss chart the room
        self.display = bool(curves) or not state.finished
        plt.title(title)
        self.keyed = [self.plot_line(x, y, colour, label) for label, x, y, colour in curves]
        if ylim:
            pad = (ylim[1] - ylim[0]) * 0.04  # so a curve at either end stays in the frame
            plt.ylim(ylim[0] - pad, ylim[1] + pad)
            plt.yticks([ylim[0], (ylim[0] + ylim[1]) / 2, ylim[1]])
        step_axis(plt, state, curves)
