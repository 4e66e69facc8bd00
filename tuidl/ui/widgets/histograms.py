"""Histogram panel: how each layer's gradient and weight values spread over decades of |value|,
the shape a norm hides. The gradient panel's other face (`h` on the training screen).

Two views, from the `histograms` events (one every 5th logged step):

- **layers**: one row per layer, input to output, its latest histograms. A sigmoid stack's
  early layers sit decades left of its last (vanishing), an exploding one's slide right, and
  dead ReLU units pile into the zero cell. A line above says it in words.
- **time**: one layer, one row per histogram kept, newest at the bottom: a layer drifting.

The axis has `CELLS` cells, one per bin of |value|: exactly 0 (in the theme's warning colour
when it holds any), below 1e-10, one per decade 1e-10 … 1e2, and above. The sign is folded (a
cell counts both signs; the events keep them apart): how far a value is from 0, not which way
it points, is what vanishes or explodes. A cell's shade is its count as a share of the row's
largest, a decade of counts per shade (░ any, ▒ 1 %, ▓ 10 %, █ 50 %), so a thin tail shows.
Layer names are shown as text (Rich `Text`), never parsed as markup.
"""
from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text

from tuidl.events import HIST_BOTTOM, HIST_SIDE
from tuidl.text import fit_tail
from tuidl.ui.state import RunState
from tuidl.ui.widgets.base import LinesView

CELLS = HIST_SIDE + 1  # exactly 0, then HIST_SIDE magnitude bins, smallest first
SHADES = ((0.5, "█"), (0.1, "▓"), (0.01, "▒"), (0.0, "░"))
EMPTY = "·"
MAX_NAME = 12  # cells of a layer's name
DEAD_SHARE = 0.2  # a layer with this share of its gradients exactly 0 is named in the reading
TIME_ROWS = {"full": 24, "text": 16, "compact": 10, "minimal": 6, "headline": 3}
# the key's labels by priority: (cell, text); a label that would touch another is left out
LABELS = ((0, "0"), (12, "1"), (2, f"1e{HIST_BOTTOM}"), (14, "100"), (7, "1e-5"))
# without an app (a panel rendered on its own): the theme's colours as textual-dark has them
PLAIN = {"grad": Style(color="#3b9ae8"), "weight": Style(color="#a0a0a0"),
         "zero": Style(color="#ffa62b", bold=True), "empty": Style(color="#4a4a4a"),
         "key": Style(dim=True), "name": Style(bold=True)}


def folded(row: list[int]) -> list[int]:
    """A HIST_BINS row of signed-decade counts as CELLS counts of |value|: exactly 0, then
    each magnitude bin from below 1e-10 to above 1e2."""
    zero = HIST_SIDE
    return [row[zero]] + [row[zero - 1 - m] + row[zero + 1 + m] for m in range(HIST_SIDE)]


def median_cell(counts: list[int]) -> int | None:
    """The cell holding the median of the non-zero values (None: every value is 0)."""
    total = sum(counts[1:])
    seen = 0
    for cell in range(1, CELLS):
        seen += counts[cell]
        if total and 2 * seen >= total:
            return cell
    return None


def strip(counts: list[int], k: int, style: Style, styles: dict) -> Text:
    """One histogram as CELLS shaded cells, each `k` columns wide."""
    top = max(counts) or 1
    out = Text()
    for cell, n in enumerate(counts):
        if not n:
            out.append(EMPTY * k, style=styles["empty"])
            continue
        glyph = next(g for share, g in SHADES if n / top >= share)
        out.append(glyph * k, style=styles["zero"] if cell == 0 else style)
    return out


def _fit(width: int, name_w: int, weights: bool) -> tuple[int, int, bool]:
    """(name width, columns per cell, both strips): the roomiest that fits `width`, both
    strips before wide cells; the names are cut only when even one strip does not fit."""
    tries = ((2, True), (1, True), (2, False), (1, False)) if weights else ((2, False),
                                                                           (1, False))
    for k, both in tries:
        if name_w + 1 + CELLS * k * (1 + both) + both <= width:
            return name_w, k, both
    return max(3, min(name_w, width - 1 - CELLS)), 1, False


def _label(name: str, width: int, style: Style) -> Text:
    name = fit_tail(name, width)
    return Text.assemble((" " * (width - cell_len(name)) + name, style))


def _header(name_w: int, k: int, both: bool, corner: str, styles: dict) -> Text:
    line = _label(corner, name_w, styles["key"]) + Text(" ")
    line.append("gradient".ljust(CELLS * k) if both else "gradient", style=styles["grad"])
    if both:
        line.append(" weight", style=styles["weight"])
    return line


def _key(width: int, name_w: int, k: int, both: bool, styles: dict) -> Text:
    """The axis under the strips: 0 (the zero cell), 1e-10, 1, 100 where they fit."""
    starts = [name_w + 1 + i * (CELLS * k + 1) for i in range(1 + both)]
    end = min(width, starts[-1] + CELLS * k + 4)
    used = [False] * (end + 1)
    placed = []
    for cell, text in LABELS:
        for start in starts:
            at = start + cell * k
            if at + len(text) <= end and not any(used[max(0, at - 1):at + len(text) + 1]):
                used[at:at + len(text)] = [True] * len(text)
                placed.append((at, text))
    line = Text()
    for at, text in sorted(placed):
        line.append(" " * (at - len(line.plain)))
        line.append(text, style=styles["zero"] if text == "0" else styles["key"])
    return line


def _legend(styles: dict) -> Text:
    line = Text()
    for (_, glyph), said in zip(reversed(SHADES), ("any", "1%", "10%", "50%")):
        line.append(glyph, style=styles["grad"])
        line.append(f" {said} ", style=styles["key"])
    line.append("of the peak", style=styles["key"])
    return line


def reading(s: RunState) -> list[Text]:
    """The latest histograms in words: the layer with the most gradients exactly 0 (when
    they are many), and how many decades the first layer's median |g| sits from the last's."""
    names = s.hist_layers
    latest = [folded(s.histograms[n][-1][1]) for n in names]
    out = []
    zeros = [(c[0] / total, name) for name, c in zip(names, latest) if (total := sum(c))]
    share, name = max(zeros, default=(0.0, ""))
    if share >= DEAD_SHARE:
        out.append(Text.assemble((name, "bold"), f": {share:.0%} of gradients exactly 0"))
    first, last = median_cell(latest[0]), median_cell(latest[-1])
    if len(names) > 1 and first is not None and last is not None:
        gap = last - first
        where = "sits level with" if not gap else \
            f"sits {abs(gap)} decade{'s' * (abs(gap) > 1)} {'below' if gap > 0 else 'above'}"
        out.append(Text.assemble((names[0], "bold"), f" {where} ", (names[-1], "bold")))
    return out


def layer_lines(s: RunState, width: int, detail: str, styles: dict,
                selected: int = -1) -> list[Text]:
    """The layers view: one row per layer (`selected` one's name reversed), its latest
    gradient histogram and, where both fit, its weight histogram on the same axis."""
    names = s.hist_layers
    has_w = all(s.histograms[n][-1][2] for n in names)
    name_w, k, both = _fit(width, min(MAX_NAME, max(cell_len(n) for n in names)), has_w)
    out = reading(s)[:2 if detail == "full" else 1] if detail in ("full", "text") else []
    step = s.histograms[names[0]][-1][0]
    header = _header(name_w, k, both, "", styles)
    if header.cell_len + len(f"  step {step}") <= width:
        header.append(f"  step {step}", style=styles["key"])
    out.append(header)
    for i, name in enumerate(names):
        _, grad, weight = s.histograms[name][-1]
        style = styles["name"] + Style(reverse=True) if i == selected else styles["name"]
        out.append(_row(_label(name, name_w, style), grad, weight, k, both, styles))
    return out + _footer(width, name_w, k, both, detail, styles)


def _row(label: Text, grad: list[int], weight: list[int], k: int, both: bool,
         styles: dict) -> Text:
    """A label, then the gradient strip and (with room) the weight strip."""
    line = label + Text(" ")
    line.append_text(strip(folded(grad), k, styles["grad"], styles))
    if both:
        line.append(" ")
        line.append_text(strip(folded(weight), k, styles["weight"], styles))
    return line


def time_lines(s: RunState, width: int, detail: str, styles: dict, layer: int) -> list[Text]:
    """The time view: layer `layer`'s histograms kept, one row each (its step on the left),
    oldest at the top, the newest that fit the detail's rows."""
    names = s.hist_layers
    name = names[min(max(0, layer), len(names) - 1)]
    kept = s.histograms[name][-TIME_ROWS.get(detail, 6):]
    has_w = all(w for _, _, w in kept)
    name_w, k, both = _fit(width, max(4, len(str(kept[-1][0]))), has_w)
    out = []
    if detail in ("full", "text"):
        out.append(Text.assemble((name, "bold"), (f"  layer {names.index(name) + 1} of "
                                                  f"{len(names)}, old → new", styles["key"])))
    out.append(_header(name_w, k, both, "step", styles))
    for step, grad, weight in kept:
        out.append(_row(_label(str(step), name_w, styles["key"]), grad, weight, k, both,
                        styles))
    return out + _footer(width, name_w, k, both, detail, styles)


def _footer(width: int, name_w: int, k: int, both: bool, detail: str,
            styles: dict) -> list[Text]:
    if detail in ("minimal", "headline"):
        return []
    return [_key(width, name_w, k, both, styles)] + ([_legend(styles)] if detail == "full" else [])


class HistogramPanel(LinesView):
    """The histograms of the run's layers: `show("layers" | "time", layer)` picks the view
    (`which`: the layer the time view follows, the one the layers view marks);
    the screen picks the detail that fits its room (`height_for`, `set_detail`), as it does
    for the gradient panel."""
    COMPONENT_CLASSES = {"histograms--grad", "histograms--weight", "histograms--zero",
                         "histograms--empty", "histograms--key"}
    DEFAULT_CSS = """
    HistogramPanel { height: auto; }
    HistogramPanel > .histograms--grad { color: $primary-lighten-1; }
    HistogramPanel > .histograms--weight { color: $text-muted; }
    HistogramPanel > .histograms--zero { color: $warning; text-style: bold; }
    HistogramPanel > .histograms--empty { color: $text-disabled; }
    HistogramPanel > .histograms--key { color: $text-muted; }
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self.view, self.which = "layers", 0
        self._cache: dict[tuple, list[Text]] = {}
        self._cached_for: tuple = ()

    def show(self, view: str, layer: int) -> None:
        if (view, layer) != (self.view, self.which):
            self.view, self.which = view, layer
            self.refresh(layout=True)

    def styles_now(self) -> dict:
        """The rich styles of the component classes (the theme's), PLAIN without an app."""
        got = dict(PLAIN)
        for name in ("grad", "weight", "zero", "empty", "key"):
            try:  # the whole style, so a colour that is a share of the background is
                style = self.get_component_rich_style(f"histograms--{name}")  # blended in
            except Exception:  # noqa: BLE001 - not mounted: no stylesheet to ask
                return got
            got[name] = Style(color=style.color, bold=style.bold)
        return got

    def lines(self, width: int, detail: str | None = None) -> list[Text]:
        """The panel's content as lines of at most `width` cells (worked out once per state,
        view, theme, width and detail: the screen's fit, layout and render all ask)."""
        s, detail = self.state, detail or self.detail
        if s is None or not s.hist_layers:
            said = "no histograms in this run" if s is not None and (
                s.finished or s.grad_norms) else "no histograms yet"
            return [Text(said, style="dim")]
        styles = self.styles_now()
        state = (id(s), s.version, self.view, self.which, tuple(map(str, styles.values())))
        if state != self._cached_for:
            self._cache, self._cached_for = {}, state
        if (width, detail) not in self._cache:
            out = (time_lines(s, width, detail, styles, self.which) if self.view == "time"
                   else layer_lines(s, width, detail, styles, self.which))
            for line in out:
                line.truncate(width, overflow="ellipsis")
            self._cache[width, detail] = out
        return self._cache[width, detail]
