"""Gradient panel: one log-scale bar per layer (input → output), coloured by health, and a
layer × time strip of the recent readings so decay across layers and over training shows.

Narrow, each layer takes two lines (bar, then its strip under it); from `ONE_LINE_WIDTH`
columns the strip sits right of the bar and the layers' strips form one heatmap.

Health comes from the run's diagnosis (tuidl.diagnose, the `diagnosis` events): flagged layers
carry a badge, and below the bars the verdict, its explanation and the remedy. Then, where the
run measures them, a row of activation health (dead ReLUs, saturated sigmoid/tanh) and, for
recurrent models, the gradient reaching the state at each time step (backpropagation through
time) as a log-scale sparkline. Before the first diagnosis, fixed thresholds colour the bars."""
from __future__ import annotations

import math

from rich.text import Text

from tuidl.ui.state import RunState
from tuidl.ui.widgets.base import StateView
from tuidl.ui.widgets.colors import HEALTH, sequential

LOG_MIN, LOG_MAX = -8.0, 2.0  # bar axis: 1e-8 … 1e2
VANISHING, EXPLODING = 1e-5, 1e2
ONE_LINE_WIDTH = 70
BADGE = {"vanishing": "▼ vanishing", "exploding": "▲ exploding", "diverged": "✗ diverged"}
SPARK = "▁▂▃▄▅▆▇█"
FADES = 1e-6  # this reading: the first step gets under a millionth of the last step's gradient


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


class GradPanel(StateView):
    DEFAULT_CSS = "GradPanel { height: auto; }"

    def get_content_height(self, container, viewport, width: int) -> int:
        s = self.state
        n = len(s.layers) if s else 0
        extra = sum(len(part.split("\n")) for part in (self._verdict(s, width),
                                                        self._footer(s, width)) if part) \
            if s and s.grad_norms else 0
        return max(2, (n if width >= ONE_LINE_WIDTH else 2 * n) + 2 + extra)

    def render(self) -> Text:
        s = self.state
        if s is None or not s.grad_norms:
            return Text("no gradient readings yet", style="dim")
        width = self.size.width or 40
        name_w = min(12, max(len(n) for n in s.layers))
        one_line = width >= ONE_LINE_WIDTH
        if one_line:
            bar_w = (width - name_w - 15) // 2
            strip_w = width - name_w - bar_w - 15
        else:
            bar_w = strip_w = max(6, width - name_w - 14)
        out = Text()
        verdict = self._verdict(s, width)
        if verdict:  # first: the panel may scroll, the verdict must not scroll away
            out.append_text(Text.from_markup(verdict))
            out.append("\n")
        for i, (name, norm) in enumerate(zip(s.layers, s.grad_norms)):
            h = s.layer_state(i) or health(norm)
            filled = int(round(_frac(norm) * bar_w))
            out.append(f"{name[:name_w]:>{name_w}} ", style="bold")
            out.append("█" * filled, style=HEALTH[h])
            out.append("·" * (bar_w - filled), style="grey35")
            out.append(f" {norm:8.1e}", style=f"bold {HEALTH[h]}" if h in BADGE else "")
            out.append(f" {BADGE[h][0]}" if h in BADGE else "  ", style=f"bold {HEALTH[h]}")
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
        footer = self._footer(s, width)
        if footer:
            out.append("\n")
            out.append_text(Text.from_markup(footer))
        return out

    @staticmethod
    def _verdict(s: RunState, width: int) -> str:
        """The diagnosis: verdict, explanation and remedy (markup)."""
        d = s.diagnosis
        if d is None:
            return ""
        colour = HEALTH.get(d.verdict, "white")
        lines = [f"[bold {colour}]{d.verdict.upper()}[/] {_esc(d.explanation)}"]
        if d.remedy:
            lines.append(f"[dim]remedy:[/] {_esc(d.remedy)}")
        return "\n".join(_wrap(line, width) for line in lines)

    @staticmethod
    def _footer(s: RunState, width: int) -> str:
        """Activation health and the time profile (markup)."""
        lines = []
        a = s.activations
        if a is not None and a.layers:
            parts = []
            for name, kind, sat, dead in zip(a.layers, a.kinds, a.saturated, a.dead):
                value = dead if kind == "relu" else sat
                if value is not None:
                    style = "bold #ff5f5f" if value >= 0.5 else ("#ffd75f" if value >= 0.1
                                                                 else "dim")
                    parts.append(f"{name} [{style}]{value:.0%}[/]")
            kinds = sorted(set(a.kinds))
            what = " / ".join({"relu": "dead", "sigmoid": "saturated", "tanh": "saturated"}[k]
                               for k in kinds)
            lines.append(f"[dim]activations ({_esc(what)}):[/] " + "  ".join(parts))
        if s.time_grads:
            lines.append(_time_profile(s.time_grads, width))
        return "\n".join(_wrap(line, width) for line in lines)


def _esc(text: str) -> str:
    return text.replace("[", "\\[")


def _wrap(markup: str, width: int) -> str:
    """Wrap a markup line to `width` columns (rich keeps the styles)."""
    text = Text.from_markup(markup)
    return "\n".join(line.markup for line in text.wrap(_console(), max(20, width)))


def _console():
    from rich.console import Console
    return Console(width=400)


def _time_profile(norms: list[float], width: int) -> str:
    """dL/dh_t from the first time step to the last, as a log-scale sparkline."""
    finite = [v for v in norms if math.isfinite(v) and v > 0]
    if not finite:
        return "[dim]through time: no gradient reaches the early steps[/]"
    lo, hi = math.log10(min(finite)), math.log10(max(finite))
    room = max(8, width - 40)
    step = max(1, math.ceil(len(norms) / room))
    cells = []
    for v in norms[::step]:
        t = 0.0 if not (math.isfinite(v) and v > 0) or hi == lo else \
            (math.log10(v) - lo) / (hi - lo)
        cells.append(SPARK[min(len(SPARK) - 1, int(t * len(SPARK)))])
    ratio = norms[0] / norms[-1] if norms[-1] else float("nan")
    fades = f" [bold {HEALTH['vanishing']}]fades[/]" if ratio < FADES else ""
    return (f"[dim]through time, step 1 → {len(norms)}:[/] [#5fd7d7]{''.join(cells)}[/] "
            f"[dim]first/last[/] {ratio:.0e}{fades}")
