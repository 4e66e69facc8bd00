"""Loss and metric charts (textual-plotext). Replotting is `clear_data(); plot(); refresh()`,
done only when the RunState changed, from the screen's bounded-rate timer.

Which curves a run gets is what its family declares (tuidl.specs: `losses`, `val_losses`,
`metric_chart`): classifiers plot train and val loss and val and train accuracy, the gan the
discriminator's and the generator's losses and the shares of modes covered and of
high-quality samples, word2vec its loss and precision@5.
"""
from __future__ import annotations

import math

from textual_plotext import PlotextPlot

from tuidl.specs import Curve
from tuidl.ui.state import RunState, Series
from tuidl.ui.widgets.base import ShowsState

Line = tuple[str, list, list, "str | None"]  # label, x, y, colour


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
    """(title, curves, fixed y range) of the metric chart, as the family declares it."""
    chart = state.spec.metric_chart
    lines = [line for c in chart.curves if (line := _line(c, state.eval_series))]
    if not lines:
        return "metric", [], None
    return chart.title, lines, chart.ylim


def loss_curves(state: RunState) -> list[Line]:
    """The family's step losses, then its evaluation losses placed at their steps."""
    spec, spe = state.spec, max(1, state.steps_per_epoch)
    lines = [line for c in spec.losses if (line := _line(c, state.step_series))]
    for c in spec.val_losses:
        if line := _line(c, state.eval_series):
            label, x, y, colour = line
            lines.append((label, [e * spe for e in x], y, colour))
    return lines


class LossChart(ShowsState, PlotextPlot):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.log_scale = False
        self.version = -1

    def update_state(self, state: RunState, force: bool = False) -> None:
        if state.version == self.version and not force:
            return
        self.version = state.version
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(loss_title(state) + (" (log)" if self.log_scale else ""))
        for label, x, y, colour in loss_curves(state):
            extra = {"color": colour} if colour else {}
            plt.plot(x, self._y(y), label=label, marker="braille", **extra)
        plt.xlabel("step")
        if self.log_scale:
            plt.yscale("log")
        else:
            self._short_ticks(state)
        self.refresh()

    def _short_ticks(self, state: RunState) -> None:
        """Huge losses (a diverging run) get short tick labels (4.5e+39), not 40 digits."""
        ys = [y for s in state.step_series.values() for y in s.y if math.isfinite(y)]
        if not ys or max(abs(y) for y in ys) < 1e5:
            return
        lo, hi = min(ys), max(ys)
        ticks = [lo + (hi - lo) * k / 4 for k in range(5)]
        self.plt.yticks(ticks, [f"{t:.1e}" for t in ticks])

    def _y(self, ys):
        if not self.log_scale:
            return ys
        return [y if y > 0 and math.isfinite(y) else float("nan") for y in ys]

    def toggle_log(self, state: RunState) -> None:
        self.log_scale = not self.log_scale
        self.update_state(state, force=True)


class MetricChart(ShowsState, PlotextPlot):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.version = -1

    def update_state(self, state: RunState) -> None:
        if state.version == self.version:
            return
        self.version = state.version
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        title, curves, ylim = metric_curves(state)
        plt.title(title)
        for label, x, y, colour in curves:
            extra = {"color": colour} if colour else {}
            plt.plot(x, y, marker="braille", label=label, **extra)
        if ylim:
            pad = (ylim[1] - ylim[0]) * 0.04  # so a curve at either end stays in the frame
            plt.ylim(ylim[0] - pad, ylim[1] + pad)
            plt.yticks([ylim[0], (ylim[0] + ylim[1]) / 2, ylim[1]])
        plt.xlabel("epoch")
        self.refresh()
