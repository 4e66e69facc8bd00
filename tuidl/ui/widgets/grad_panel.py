"""Gradient panel: one log-scale bar per layer (input → output) with its value and a badge,
coloured by health, and a grey history strip of the recent readings, so decay across layers
and over training shows.

It draws at one of five levels of detail, and the screen picks the richest that fits the
room it has (`height_for`): **full** (the verdict, its explanation and remedy; each layer's
history strip, right of its bar from `ONE_LINE_WIDTH` columns, under it below; the scales'
key; activation health), **text** (the same, with strips only beside the bars), **compact**
(the verdict on one line, one line per layer, the key),
**minimal** (the verdict and the layers) and, where the panel is not the lesson and has
little room, **headline** (the verdict and one line for the range of the layers' norms).

Health comes from the run's diagnosis (tuidl.diagnose, the `diagnosis` events): flagged layers
carry a badge (▼ ▲ ✗, a cue without colour too); before the first diagnosis, fixed thresholds
colour the bars. A layer whose latest reading is not finite keeps the bar of its last finite
one, so the growth before a NaN stays in sight. Recurrent models first get the through-time
headline: how much of the last step's gradient reaches the first step, with the gradient
drawn from the last step back to the first, the way backpropagation carries it."""
from __future__ import annotations

import math

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from tuidl.text import fit_tail
from tuidl.ui.state import RunState
from tuidl.ui.widgets.base import LinesView
from tuidl.ui.widgets.colors import greys, health_colours

LOG_MIN, LOG_MAX = -8.0, 2.0  # bar axis: 1e-8 … 1e2
VANISHING, EXPLODING = 1e-5, 1e2
ONE_LINE_WIDTH = 70
DETAILS = ("full", "text", "compact", "minimal", "headline")  # richest first
BADGE = {"vanishing": "▼", "exploding": "▲", "diverged": "✗"}
SPARK = "▁▂▃▄▅▆▇█"
# through time: the first step gets under a millionth of the last step's gradient (fades),
# under a hundredth (weakens), over a hundred times it (grows); else it carries
FADES, WEAKENS, GROWS = 1e-6, 1e-2, 1e2
VALUE_W = 11  # " 7.1e-10 ▼"


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


class GradPanel(LinesView):
    DEFAULT_CSS = "GradPanel { height: auto; }"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.hint = "v: each layer"  # the key that shows every layer, after the headline
        self.profile = False  # the headline adds a one-line profile of the layers
        self._cache: dict[tuple, list[Text]] = {}  # (width, detail) -> lines, for one state
        self._cached_for: tuple = ()

    def lines(self, width: int, detail: str | None = None) -> list[Text]:
        """The panel's content as lines of at most `width` cells (worked out once per state,
        theme, width and detail: the screen's fit, layout and render all ask)."""
        s, detail = self.state, detail or self.detail
        if s is None or not s.grad_norms or not s.layers:
            return [Text("no gradient readings yet", style="dim")]
        colours = health_colours(self)
        state = (id(s), s.version, tuple(colours.values()))
        if state != self._cached_for:
            self._cache, self._cached_for = {}, state
        if (width, detail) in self._cache:
            return self._cache[width, detail]
        out = []
        if s.time_grads:
            out += through_time(s.time_grads, width, detail, colours)
        out += _verdict(s, width, detail, colours)
        if detail == "headline":
            out.append(_summary(s, width, colours, self.hint))
            if self.profile:
                out.append(_profile(s, width, colours))
        else:
            out += _bars(s, width, detail, colours)
        if detail in ("full", "text", "compact"):
            out += _key(s, width, detail, colours)
        if detail in ("full", "text"):
            out += _activations(s, width)
        for line in out:
            line.truncate(width, overflow="ellipsis")
        self._cache[width, detail] = out
        return out


def _wrap(text: Text, width: int, one_line: bool) -> list[Text]:
    if one_line:
        text.truncate(width, overflow="ellipsis")
        return [text]
    return list(text.wrap(Console(width=400), max(20, width)))


def _verdict(s: RunState, width: int, detail: str, colours: dict[str, str]) -> list[Text]:
    """The diagnosis: the verdict and its explanation, then (full) the remedy."""
    d = s.diagnosis
    if d is None:
        return []
    colour = colours.get(d.verdict, colours["unknown"])
    line = Text()
    if s.time_grads:
        line.append("layers ", style="dim")
    if d.verdict == "diverged" and s.verdicts[-2:-1] == ["exploding"]:
        # the growth came first: the screen says so even when it went by in a few steps
        line.append("EXPLODING", style=f"bold {colours['exploding']}")
        line.append(" → ", style="dim")
    line.append(d.verdict.upper(), style=f"bold {colour}")
    line.append(f" {d.explanation}")
    out = _wrap(line, width, detail not in ("full", "text"))
    if d.remedy and detail in ("full", "text"):
        out += _wrap(Text.assemble(("remedy: ", "dim"), d.remedy), width, False)
    return out


def _summary(s: RunState, width: int, colours: dict[str, str], hint: str) -> Text:
    """One line for all the layers: how many, their norms' range, the flagged ones."""
    finite = [v for v in s.grad_norms if math.isfinite(v)]
    line = Text.assemble((f"{len(s.layers)} layers", "bold"))
    if finite:
        line.append(f" {min(finite):.0e}…{max(finite):.0e}")
    flagged = [state for i in range(len(s.layers))
               if (state := s.layer_state(i)) not in (None, "healthy")]
    if flagged:
        worst = "vanishing" if set(flagged) == {"vanishing"} else "exploding"
        line.append(f"  {len(flagged)} flagged", style=f"bold {colours[worst]}")
    line.append(f"  {hint}", style="dim")
    line.truncate(width, overflow="ellipsis")
    return line


def _profile(s: RunState, width: int, colours: dict[str, str]) -> Text:
    """`input ▁▁▂▃▄▅▆▇██ output`: each layer's norm as a block's height on the bars' log
    axis, in its health's colour, input to output: the decay across layers in one line."""
    n = len(s.layers)
    cell = max(1, min(3, (width - 13) // max(1, n)))
    line = Text("input ", style="dim")
    for i, norm in enumerate(s.grad_norms[:n]):
        level = min(len(SPARK) - 1, int(_frac(norm) * len(SPARK)))
        state = s.layer_state(i) or health(norm)
        line.append(SPARK[level] * cell, style=colours.get(state, ""))
    line.append(" output", style="dim")
    return line


def _bars(s: RunState, width: int, detail: str, colours: dict[str, str]) -> list[Text]:
    """One line per layer (name, bar, value, badge), with its history strip right of it
    (wide) or under it (narrow, full detail only)."""
    name_w = min(12, max((cell_len(n) for n in s.layers), default=1))
    beside = width >= ONE_LINE_WIDTH and detail in ("full", "text", "compact")
    below = detail == "full" and not beside
    if beside:
        bar_w = (width - name_w - 1 - VALUE_W - 3) // 2
        strip_w = width - name_w - 1 - VALUE_W - 3 - bar_w
    else:
        bar_w = strip_w = max(4, width - name_w - 1 - VALUE_W)
    out = []
    for i, (name, norm) in enumerate(zip(s.layers, s.grad_norms)):
        h = s.layer_state(i) or health(norm)
        colour = colours.get(h, colours["unknown"])
        hist = [row[i] for row in s.grad_history if i < len(row)]
        shown = norm if math.isfinite(norm) else next(
            (v for v in reversed(hist) if math.isfinite(v)), norm)
        filled = int(round(_frac(shown) * bar_w))
        shown_name = fit_tail(name, name_w)
        line = Text.assemble((" " * (name_w - cell_len(shown_name)) + shown_name + " ",
                              "bold"))
        faded = "" if math.isfinite(norm) else "dim "  # the last finite reading's bar
        line.append("█" * filled, style=f"{faded}{colour}")
        line.append("·" * (bar_w - filled), style="grey35")
        line.append(f" {norm:8.1e}", style=f"bold {colour}" if h in BADGE else "")
        line.append(f" {BADGE[h]}" if h in BADGE else "  ", style=f"bold {colour}")
        strip = _strip(hist[-strip_w:], colours) if beside or below else None
        if beside:
            line.append("   ")
            line.append_text(strip)
        out.append(line)
        if below:
            out.append(Text(" " * (name_w + 1)) + strip)
    return out


def _strip(hist: list[float], colours: dict[str, str]) -> Text:
    """A layer's readings, older → newer: grey by size (dark 1e-8 … white 1e2), a non-finite
    reading a ✗."""
    out = Text()
    for v in hist:
        if math.isfinite(v):
            out.append("█", style=greys(_frac(v)))
        else:
            out.append("✗", style=f"bold {colours['diverged']}")
    return out


def _key(s: RunState, width: int, detail: str, colours: dict[str, str]) -> list[Text]:
    """What the colours and the strip's greys mean."""
    out = []
    strips = width >= ONE_LINE_WIDTH or detail == "full"
    if detail == "full":
        name_w = min(12, max((cell_len(n) for n in s.layers), default=1))
        bar_w = ((width - name_w - 1 - VALUE_W - 3) // 2 if width >= ONE_LINE_WIDTH
                 else max(4, width - name_w - 1 - VALUE_W))
        scale = Text(" " * (name_w + 1) + f"1e{LOG_MIN:.0f}".ljust(bar_w - 3) +
                     f"1e{LOG_MAX:.0f}", style="dim")
        out.append(scale)
    key = Text()
    for h in ("vanishing", "healthy", "exploding"):
        key.append(f"{BADGE.get(h, '■')} ", style=f"bold {colours[h]}")
        key.append(f"{h}  ", style="dim")
    if strips:
        legend = Text()
        for t in (0.0, 0.33, 0.66, 1.0):
            legend.append("█", style=greys(t))
        legend.append(" history 1e-8…1e2, old→new", style="dim")
        if key.cell_len + legend.cell_len <= width:
            key.append_text(legend)
        else:
            out.append(key)
            key = legend
    key.truncate(width, overflow="ellipsis")
    out.append(key)
    return out


def _activations(s: RunState, width: int) -> list[Text]:
    """Activation health: the share of dead ReLUs, or of saturated units of a bounded
    activation (sigmoid, tanh, softsign, softplus), per layer."""
    a = s.activations
    if a is None or not a.layers:
        return []
    what = " / ".join(sorted({"dead" if k == "relu" else "saturated" for k in a.kinds}))
    line = Text.assemble((f"activations ({what}): ", "dim"))
    for name, kind, sat, dead in zip(a.layers, a.kinds, a.saturated, a.dead):
        value = dead if kind == "relu" else sat
        if value is not None:
            style = "bold #ff5f5f" if value >= 0.5 else ("#ffd75f" if value >= 0.1 else "dim")
            line.append(f"{name} ")
            line.append(f"{value:.0%}", style=style)
            line.append("  ")
    line.rstrip()
    return _wrap(line, width, False)


def through_time(norms: list[float], width: int, detail: str,
                 colours: dict[str, str]) -> list[Text]:
    """The recurrent lesson: the share of the last step's gradient dL/dh_t that reaches the
    first step, as a headline, then (compact and full) the gradient from the last step back
    to the first on a log scale, so a vanishing gradient reads as a fading line."""
    finite = [v for v in norms if math.isfinite(v) and v > 0]
    if not finite:
        head = Text.assemble(("THROUGH TIME", f"bold {colours['vanishing']}"),
                             " no gradient reaches the early steps")
        return _wrap(head, width, False)
    # the last step that gets a gradient (padded sequences: the last word, not the padding)
    steps = max(i for i, v in enumerate(norms) if math.isfinite(v) and v > 0) + 1
    norms = norms[:steps]
    if not math.isfinite(norms[0]):
        head = Text.assemble(("✗ THROUGH TIME", f"bold {colours['diverged']}"),
                             " the gradient at step 1 is not finite")
        return _wrap(head, width, False)
    ratio = norms[0] / norms[-1]
    if ratio > GROWS:
        colour, word = colours["exploding"], "▲ GROWS THROUGH TIME"
    elif ratio < FADES:
        colour, word = colours["vanishing"], "▼ FADES THROUGH TIME"
    elif ratio < WEAKENS:
        colour, word = colours.get("weak", "#ffd75f"), "WEAKENS THROUGH TIME"
    else:
        colour, word = colours["healthy"], "✓ CARRIES THROUGH TIME"
    head = Text.assemble((word, f"bold {colour}"),
                         f" step 1 gets {ratio:.0e} of step {steps}'s gradient")
    out = _wrap(head, width, False)  # the lesson itself: never cut
    if detail in ("minimal", "headline"):
        return out
    lo, hi = math.log10(min(finite)), math.log10(max(finite))
    left, right = f"step {steps} ", " step 1"
    room = max(8, width - len(left) - len(right))
    stride = max(1, math.ceil(steps / room))
    cells = []
    for v in list(reversed(norms))[::stride]:
        t = 0.0 if not (math.isfinite(v) and v > 0) or hi == lo else \
            (math.log10(v) - lo) / (hi - lo)
        cells.append(SPARK[min(len(SPARK) - 1, int(t * len(SPARK)))])
    line = Text(left, style="dim")
    line.append("".join(cells), style=colour)
    line.append(right, style="dim")
    line.truncate(width, overflow="ellipsis")
    return out + [line]
