"""Run header: preset, status, device, epoch/step, the learning rate in use, throughput,
elapsed and ETA. What does not fit the width goes, least needed first (device, ETA,
throughput, epoch), so status, step, elapsed and lr stay at 80 columns."""
from __future__ import annotations

from rich.text import Text

from tuidl.ui.widgets.base import StateView

STATUS_STYLE = {"running": "bold green", "paused": "bold yellow", "completed": "bold cyan",
                "stopped": "bold yellow", "diverged": "bold magenta", "failed": "bold red",
                "waiting": "dim", "starting": "bold yellow"}


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
        # (text, style, rank): the higher the rank, the sooner it goes when space is short
        parts = [(f" {s.preset[:24] or '…'} ", "bold reverse", 0),
                 (f" {s.status} ", STATUS_STYLE.get(s.status, "bold"), 0),
                 (f" {s.device} ", "dim", 7),
                 (f" epoch {s.epoch}" + (f"/{s.epochs}" if s.epochs else ""), "", 4),
                 (f" step {s.step}" + (f"/{s.total_steps}" if s.total_steps else "") + " ", "",
                  1)]
        lrs = [(key, s.metrics[key]) for key, _ in s.spec.lr_keys if key in s.metrics]
        if lrs:
            parts.append((" " + " ".join(f"{k} {v:.3g}" for k, v in lrs) + " ", "", 3))
        if s.live_rate is not None:  # the device panel shows the same figure
            parts.append((f" {s.live_rate:,.0f} {s.rate_unit}/s ", "dim", 5))
        parts.append((f" {_clock(s.elapsed)}", "", 2))
        if s.eta is not None:
            parts.append((f" eta {_clock(s.eta)}", "dim", 6))
        width = self.size.width or 80
        while sum(len(text) for text, _, _ in parts) > width and max(r for *_, r in parts):
            worst = max(r for *_, r in parts)
            parts = [part for part in parts if part[2] != worst]
        out = Text()
        for text, style, _ in parts:
            out.append(text, style=style)
        out.truncate(width)
        return out
