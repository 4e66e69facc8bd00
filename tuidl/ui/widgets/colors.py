"""Colours: the health of a gradient from the app's theme, and the scales shared by the
heatmap-like widgets."""
from __future__ import annotations

import math

# without a theme (a widget rendered on its own)
HEALTH = {"vanishing": "#5f87ff", "healthy": "#5fd75f", "exploding": "#ff5f5f",
          "diverged": "#d700d7", "weak": "#ffd75f", "unknown": "#808080"}
# the theme colour that carries each health state (a theme switch restyles bars and badges);
# vanishing is the theme's primary (blue in most), never its error or success colour
THEMED = {"vanishing": "primary", "healthy": "success", "exploding": "error",
          "diverged": "error", "weak": "warning"}

# blue → white → red, for probabilities (0 → class 0, 1 → class 1)
_DIVERGING = [(0.0, (49, 54, 149)), (0.5, (240, 240, 240)), (1.0, (165, 0, 38))]
# dark → bright, for counts and magnitudes
_SEQUENTIAL = [(0.0, (20, 20, 40)), (0.5, (180, 60, 100)), (1.0, (255, 230, 120))]
# dark grey → white: a magnitude that must not read as a health colour (the gradient history)
_GREYS = [(0.0, (48, 48, 48)), (1.0, (238, 238, 238))]


def health_colours(widget) -> dict[str, str]:
    """Health state -> colour, from the theme of the widget's app (HEALTH without one)."""
    try:
        theme = widget.app.current_theme
    except Exception:  # noqa: BLE001 - no app: a widget rendered on its own
        return dict(HEALTH)
    out = dict(HEALTH)
    for state, name in THEMED.items():
        out[state] = as_hex(getattr(theme, name, None), HEALTH[state])
    return out


def as_hex(value: str | None, fallback: str) -> str:
    """'#rrggbb' for any colour Textual reads (a theme may say `ansi_blue`), else `fallback`."""
    from textual.color import Color
    try:
        r, g, b = Color.parse(value).rgb
    except Exception:  # noqa: BLE001 - None, or a name no one reads
        return fallback
    return f"#{r:02x}{g:02x}{b:02x}"


def _interp(stops, t: float) -> str:
    """A '#rrggbb' colour for t in [0, 1] (NaN counts as 0)."""
    t = min(1.0, max(0.0, 0.0 if math.isnan(t) else t))
    for (t0, c0), (t1, c1) in zip(stops, stops[1:]):
        if t <= t1:
            f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            r, g, b = (int(a + (b - a) * f) for a, b in zip(c0, c1))
            return f"#{r:02x}{g:02x}{b:02x}"
    r, g, b = stops[-1][1]
    return f"#{r:02x}{g:02x}{b:02x}"


def diverging(t: float) -> str:
    return _interp(_DIVERGING, t)


def sequential(t: float) -> str:
    return _interp(_SEQUENTIAL, t)


def greys(t: float) -> str:
    return _interp(_GREYS, t)


CLASS_COLORS = ["#5f87ff", "#ff5f5f", "#5fd75f", "#ffd75f", "#d787ff", "#5fd7d7", "#ff875f",
                "#afaf87", "#87afff", "#ff87af"]
