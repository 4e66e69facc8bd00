"""Run header: preset, status, device, epoch/step, throughput, elapsed and ETA."""
from __future__ import annotations

from rich.text import Text

from tuidl.ui.widgets.base import StateView

STATUS_STYLE = {"running": "bold green", "paused": "bold yellow", "completed": "bold cyan",
                "stopped": "bold yellow", "diverged": "bold magenta", "failed": "bold red",
                "waiting": "dim"}


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class RunHeader(StateView):
    DEFAULT_CSS = "RunHeader { height: 1; }"

    RELAYOUT = False

    def render(self) -> Text:
        s = self.state
        if s is None:
            return Text("")
        out = Text()
        out.append(f" {s.preset or '…'} ", style="bold reverse")
        out.append(f" {s.status} ", style=STATUS_STYLE.get(s.status, "bold"))
        out.append(f" {s.device} ", style="dim")
        out.append(f" epoch {s.epoch}/{s.epochs} step {s.step}/{s.total_steps} ")
        if s.rate is not None:
            out.append(f" {s.rate:,.0f} {s.rate_unit}/s ", style="dim")
        out.append(f" {_clock(s.elapsed)}")
        if s.eta is not None:
            out.append(f" eta {_clock(s.eta)}", style="dim")
        return out
