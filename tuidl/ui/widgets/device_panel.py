"""Device panel: the hardware the run uses, from its latest `system` event.

CUDA: per GPU the name, utilisation % with its recent history, temperature and power against
the limit (when the driver reports them), and for the run's own device the memory it holds
(allocated, reserved by torch's cache, the peak) against the card's total. CPU: the process's
CPU % with its history and its resident memory. Both: samples/s and milliseconds per step.
"""
from __future__ import annotations

from rich.text import Text

from tuidl.ui.state import RunState
from tuidl.ui.widgets.base import StateView

BARS = "▁▂▃▄▅▆▇█"
SPARK = 24  # readings in a sparkline
METER = 8  # cells of the memory meter


def sparkline(values: list[float], top: float = 100.0) -> str:
    """One block character per reading, scaled to 0..top (or the largest reading above it)."""
    values = values[-SPARK:]
    top = max([top, *values]) or 1.0
    return "".join(BARS[min(len(BARS) - 1, max(0, round(v / top * (len(BARS) - 1))))]
                   for v in values)


def _gb(mb: float | None) -> str:
    if mb is None:
        return "?"
    return f"{mb / 1024:.1f} GB" if mb >= 1024 else f"{mb:.0f} MB"


def _meter(used: float, total: float | None) -> Text:
    if not total:
        return Text("")
    filled = min(METER, round(used / total * METER))
    style = "red" if used / total > 0.9 else "green"
    return Text("█" * filled, style=style) + Text("░" * (METER - filled), style="dim")


class DevicePanel(StateView):
    DEFAULT_CSS = "DevicePanel { height: auto; }"

    def render(self) -> Text:
        s = self.state
        if s is None or s.system is None:
            return Text("no device readings yet", style="dim")
        if self.has_class("-compact"):
            return self._compact(s)
        sy = s.system
        lines = []
        for g in sy.gpus:
            lines.extend(self._gpu(g, s.util_history.get(g["index"], [])))
        host = Text("cpu " if sy.gpus else f"{sy.device} ", style="bold")
        host.append(f"process {sy.cpu_percent:.0f}% ")
        if not sy.gpus:
            host.append(sparkline(s.cpu_history, 100.0) + " ", style="cyan")
        host.append(f"rss {_gb(sy.rss_mb)}")
        run = Text("run ", style="bold")
        if s.live_rate is not None:  # the header's figure; none while paused
            run.append(f"{s.live_rate:,.0f} {s.rate_unit}/s  ")
        if s.status == "paused":
            run.append("paused", style="dim")
        elif s.live_step_ms is not None:
            run.append(f"{s.live_step_ms:.2f} ms/step")
        return Text("\n").join([*lines, host, run])

    @staticmethod
    def _compact(s: RunState) -> Text:
        """Two lines for a short terminal (the header has samples/s): each GPU's util, memory
        held, temperature and power, then ms/step and the process."""
        sy = s.system
        lines = []
        for g in sy.gpus:
            line = Text(f"cuda:{g['index']} ", style="bold")
            util = g.get("util")
            line.append(f"{util:.0f}% " if util is not None else "")
            line.append(sparkline(s.util_history.get(g["index"], []))[-8:], style="cyan")
            held = g.get("reserved_mb", g.get("used_mb"))
            if held is not None and g.get("total_mb"):
                line.append(f" {held / 1024:.1f}/{g['total_mb'] / 1024:.0f} GB")
            if g.get("temperature_c") is not None:
                line.append(f" {g['temperature_c']:.0f}°C")
            if g.get("power_w") is not None:
                line.append(f" {g['power_w']:.0f}W")
            lines.append(line)
        host = Text(f"{s.live_step_ms:.2f} ms/step  " if s.live_step_ms is not None else "")
        host.append(f"cpu {sy.cpu_percent:.0f}% ", style="" if sy.gpus else "bold")
        if not sy.gpus:
            host.append(sparkline(s.cpu_history)[-8:] + " ", style="cyan")
        host.append(f"rss {_gb(sy.rss_mb)}")
        out = Text("\n").join([*lines, host])
        out.no_wrap, out.overflow = True, "ellipsis"
        return out

    @staticmethod
    def _gpu(g: dict, history: list[float]) -> list[Text]:
        head = Text(f"cuda:{g['index']} {g.get('name') or ''}", style="bold")
        if g.get("temperature_c") is not None:
            head.append(f"  {g['temperature_c']:.0f} °C")
        if g.get("power_w") is not None:
            limit = g.get("power_limit_w")
            head.append(f"  {g['power_w']:.0f}" + (f"/{limit:.0f}" if limit else "") + " W")
        util = g.get("util")
        busy = Text("util ", style="bold")
        busy.append(f"{util:.0f}% " if util is not None else "n/a (no NVML) ")
        busy.append(sparkline(history, 100.0), style="cyan")
        total = g.get("total_mb")
        mem = Text("mem ", style="bold")
        if "allocated_mb" in g:  # the run's own device: torch's figures
            mem.append_text(_meter(g["reserved_mb"], total))
            held = _gb(g['reserved_mb']).removesuffix(" GB") + "/" + _gb(total)
            mem.append(f" {held} reserved\n    "  # fits a 40-column panel
                       f"{_gb(g['allocated_mb'])} allocated, peak {_gb(g['peak_mb'])}")
        else:  # another GPU of the run: what the driver sees on it
            used = g.get("used_mb") or 0.0
            mem.append_text(_meter(used, total))
            mem.append(f" {_gb(g.get('used_mb'))} used of {_gb(total)}")
        return [head, busy, mem]
