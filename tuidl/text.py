"""Text from users and data on its way to a terminal: shown as text, never as markup, and
never as raw control characters (torch-free, cheap to import).

A preset's name or description, a class label from a CSV, a path, a failure message: any of
them may hold `[/]` (which Rich and Textual would parse as markup and fail on, or drop
bracketed words) or escape sequences (which would retitle or clear the user's terminal) or
bidirectional overrides (which reorder what is shown). Every output path builds its text
with `plain()` (a Rich `Text`, which no markup parser reads) or `visible()` (a str with those
characters spelled out as `\\x1b`, `\\u202e`); newlines and tabs stay.
"""
from __future__ import annotations

import re

from rich.text import Text

# C0 and C1 controls and DEL (but newline and tab), and the bidirectional controls
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                     "\u2066-\u2069]")


def _spell(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(value: object) -> str:
    """`value` as a str whose control characters are spelled out."""
    return CONTROL.sub(_spell, str(value))


def plain(value: object, style: str = "") -> Text:
    """`value` as Rich Text: shown as written (never parsed as markup), controls spelled out.
    The style covers this text alone, also once joined to others (`plain(a, "bold") +
    plain(b)` leaves b as it is)."""
    text = Text(visible(value))
    if style:
        text.stylize(style)
    return text


def fit_tail(name: str, width: int) -> str:
    """`name` in at most `width` cells, keeping its end: a layer's path differs at its end
    (blocks.0.conv1, blocks.0.conv2), so a cut name reads "…0.conv1", not "blocks.0.con"."""
    from rich.cells import cell_len, set_cell_size
    if cell_len(name) <= width:
        return name
    if width <= 1:
        return set_cell_size(name, width)
    tail = name
    while cell_len(tail) > width - 1:
        tail = tail[1:]
    return "…" + tail
