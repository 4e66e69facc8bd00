"""Gradient panel: one log-scale bar per layer (input → output), coloured by health, and a
layer × time strip of the recent readings so decay across layers and over training shows.

Narrow, each layer takes two lines (bar, then its strip under it); from `ONE_LINE_WIDTH`
columns the strip sits right of the bar and the layers' strips form one heatmap."""
from __future__ import annotations

import math

from rich.text import Text
from textual.widget import Widget

from tuidl.ui.state import RunState
from tuidl.ui.widgets.colors import HEALTH, sequential

LOG_MIN, LOG_MAX = -8.0, 2.0  # bar axis: 1e-8 … 1e2
VANISHING, EXPLODING = 1e-5, 1e2
ONE_LINE_WIDTH = 70


def health(norm: float) -> str:
    if not math.isfinite(norm):
        return "diverged"
    if norm < VANISHING:
        return "vanishing"
    if norm > EXPLODING:
        return "exploding"
    return "healthy"


def _frac(norm: float) -> float:
    if not math.isfinite(norm) or norm <= 0:
        return 0.0 if norm == 0 else 1.0
    return min(1.0, max(0.0, (math.log10(norm) - LOG_MIN) / (LOG_MAX - LOG_MIN)))


class GradPanel(Widget):
    DEFAULT_CSS = "GradPanel { height: auto; }"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.state: RunState | None = None

    def update_state(self, state: RunState) -> None:
        self.state = state
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        n = len(self.state.layers) if self.state else 0
        return max(2, (n if width >= ONE_LINE_WIDTH else 2 * n) + 2)

    def render(self) -> Text:
        s = self.state
        if s is None or not s.grad_norms:
            return Text("no gradient readings yet", style="dim")
        width = self.size.width or 40
        name_w = min(12, max(len(n) for n in s.layers))
        one_line = width >= ONE_LINE_WIDTH
        if one_line:
            bar_w = (width - name_w - 13) // 2
            strip_w = width - name_w - bar_w - 13
        else:
            bar_w = strip_w = max(6, width - name_w - 12)
        out = Text()
        for i, (name, norm) in enumerate(zip(s.layers, s.grad_norms)):
            h = health(norm)
            filled = int(round(_frac(norm) * bar_w))
            out.append(f"{name[:name_w]:>{name_w}} ", style="bold")
            out.append("█" * filled, style=HEALTH[h])
            out.append("·" * (bar_w - filled), style="grey35")
            out.append(f" {norm:8.1e}")
            out.append("   " if one_line else "\n" + " " * (name_w + 1))
            hist = [row[i] for row in s.grad_history[-strip_w:] if i < len(row)]
            for v in hist:
                out.append("█" if one_line else "▀", style=sequential(_frac(v)))
            out.append("\n")
        out.append(" " * (name_w + 1) + f"1e{LOG_MIN:.0f}".ljust(bar_w - 3) + f"1e{LOG_MAX:.0f}",
                   style="dim")
        if one_line:
            out.append(" " * 12 + "readings, older → newer", style="dim")
        out.append("\n")
        for h in ("vanishing", "healthy", "exploding"):
            out.append("■ ", style=HEALTH[h])
            out.append(f"{h}  ", style="dim")
        return out
