"""Loss and metric charts (textual-plotext). Replotting is `clear_data(); plot(); refresh()`,
done only when the RunState changed, from the screen's bounded-rate timer."""
from __future__ import annotations

import math

from textual_plotext import PlotextPlot

from tuidl.ui.state import RunState

LOSS_KEYS = ("loss", "d_loss", "g_loss")
METRIC_KEYS = ("val_accuracy", "accuracy", "modes", "high_quality", "precision_at_5")


def main_metric(state: RunState) -> str | None:
    return next((k for k in METRIC_KEYS if k in state.eval_series), None)


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
        plt.title("loss" + (" (log)" if self.log_scale else ""))
        spe = max(1, state.steps_per_epoch)
        for key in LOSS_KEYS:
            s = state.step_series.get(key)
            if s and s.x:
                plt.plot(s.x, self._y(s.y), label=f"train {key}" if key != "loss" else "train",
                         marker="braille")
        val = state.eval_series.get("val_loss")
        if val and val.x:
            plt.plot([e * spe for e in val.x], self._y(val.y), label="val", marker="braille")
        plt.xlabel("step")
        if self.log_scale:
            plt.yscale("log")
        self.refresh()

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
        key = main_metric(state)
        plt.title(key or "metric")
        if key:
            s = state.eval_series[key]
            plt.plot(s.x, s.y, marker="braille", label=key)
            tr = state.eval_series.get("train_accuracy") if key == "val_accuracy" else None
            if tr:
                plt.plot(tr.x, tr.y, marker="braille", label="train")
        plt.xlabel("epoch")
        self.refresh()
