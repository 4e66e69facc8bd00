"""Loss and metric charts (textual-plotext). Replotting is `clear_data(); plot(); refresh()`,
done only when the RunState changed, from the screen's bounded-rate timer.

Curves per family: classifiers plot train and val loss, and val and train accuracy; the gan
plots the discriminator's and the generator's losses, and the share of modes covered and of
high-quality samples (both 0 to 1); word2vec plots its loss and precision@5.
"""
from __future__ import annotations

import math

from textual_plotext import PlotextPlot

from tuidl.ui.state import RunState

# step series key -> (legend label, colour or None for plotext's own cycle)
LOSS_CURVES = {"loss": ("train", None), "d_loss": ("D loss", "cyan+"),
               "g_loss": ("G loss", "orange+")}
Curve = tuple[str, list, list, "str | None"]  # label, x, y, colour


def loss_title(state: RunState) -> str:
    if "d_loss" in state.step_series or "g_loss" in state.step_series:
        return "loss: D discriminator, G generator"
    return "loss"


def metric_curves(state: RunState) -> tuple[str, list[Curve], tuple[float, float] | None]:
    """(title, curves, fixed y range) of the metric chart."""
    ev = state.eval_series
    if "modes" in ev or "high_quality" in ev:
        curves: list[Curve] = []
        if hq := ev.get("high_quality"):
            curves.append(("high quality", hq.x, hq.y, "cyan+"))
        modes, total = ev.get("modes"), ev.get("modes_total")
        if modes and total:  # drawn last: where the curves share a cell, this one shows
            share = [m / t if t else 0.0 for m, t in zip(modes.y, total.y)]
            curves.append(("modes covered", modes.x, share, "green+"))
        return "modes covered, high quality", curves, (0.0, 1.0)
    for key in ("val_accuracy", "accuracy"):
        if key in ev:
            curves = [("val", ev[key].x, ev[key].y, None)]
            if tr := ev.get("train_accuracy"):
                curves.append(("train", tr.x, tr.y, None))
            return "accuracy", curves, None
    if p := ev.get("precision_at_5"):
        return "precision@5", [("precision@5", p.x, p.y, None)], None
    return "metric", [], None


class LossChart(PlotextPlot):
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
        spe = max(1, state.steps_per_epoch)
        for key, (label, colour) in LOSS_CURVES.items():
            s = state.step_series.get(key)
            if s and s.x:
                extra = {"color": colour} if colour else {}
                plt.plot(s.x, self._y(s.y), label=label, marker="braille", **extra)
        val = state.eval_series.get("val_loss")
        if val and val.x:
            plt.plot([e * spe for e in val.x], self._y(val.y), label="val", marker="braille")
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


class MetricChart(PlotextPlot):
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
