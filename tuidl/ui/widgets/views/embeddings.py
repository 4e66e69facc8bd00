"""embeddings (word2vec): each probe word, its category and its 5 nearest words (green when
they share the probe's category, red when not), and, when there is room below, the 2-D PCA
map of the category words (in a panel of `MAP_PANEL` rows or more, with as many probes as leave
room for it), each category its colour and shape (shapes tell them apart in
16 colours and without colour), the probe words labelled, the axes the first two principal
components."""
from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from tuidl.events import TaskView
from tuidl.ui.widgets.colors import CLASS_COLORS
from tuidl.ui.widgets.views.common import cell_of, fit, legend

SAME, OTHER, PLAIN = "#5fd75f", "#d75f5f", "#87afff"
MIN_MAP_ROWS = 8  # fewer rows left under the table: no map
SHAPES = "●▲■◆★✚✦✖"  # category i's shape on the map
MAP_PANEL, MIN_PROBES = 18, 4  # from this many rows, at least this many probes and a map
KEY = Text.assemble(("■", SAME), (" same category  ", "dim"), ("■", OTHER), (" other", "dim"))


def title(view: TaskView, metrics: dict[str, Any], compact: bool, w: int,
          key: bool = True) -> Text:
    """The title; compact, it carries the colour key instead of the name and epoch."""
    parts = [] if compact else [Text("nearest neighbours", style="bold")]
    p = metrics.get("precision_at_5")
    if p is not None:
        parts.append(Text.assemble(("p@5 " if compact and w < 42 else "precision@5 ", "bold"),
                                   (f"{p:.2f}", "bold green" if p >= 0.8 else "bold yellow")))
    if compact and key:
        parts.append(KEY.copy())
    if not compact:
        parts.append(Text(f"@ epoch {view.epoch}", style="dim"))
    return Text("  ").join(parts or [Text("nearest neighbours", style="bold")])


def _widest(rows: list[dict], extra: int) -> int:
    """Cells of the widest neighbour list, each word taking its length + `extra`."""
    return max([0] + [sum(len(word) + extra for word, _ in r.get("nearest", [])) for r in rows])


def neighbours_table(rows: list[dict], category_of: dict[str, str], colour: dict[str, str],
                     w: int) -> Table:
    probe_w = max([5] + [len(r.get("word", "")) for r in rows])
    cat_w = max([8] + [len(r.get("category", "")) for r in rows])
    show_cat = w >= probe_w + cat_w + 40 and any(r.get("category") for r in rows)
    room = w - probe_w - 1 - (cat_w + 1 if show_cat else 0)
    show_cos = _widest(rows, 7) <= room + 2  # "word 0.99  "
    sep = "  " if show_cos or _widest(rows, 2) <= room + 2 else " "
    table = Table(box=None, pad_edge=False, padding=(0, 1), show_edge=False,
                  header_style="bold")
    table.add_column("probe", no_wrap=True, min_width=probe_w)
    if show_cat:
        table.add_column("category", no_wrap=True, min_width=cat_w)
    table.add_column("5 nearest (cosine)" if show_cos else "5 nearest", no_wrap=True,
                     overflow="ellipsis", max_width=room)
    for r in rows:
        cat = r.get("category", "")
        near = Text()
        for i, (word, cos) in enumerate(r.get("nearest", [])):
            if i:
                near.append(sep)
            same = category_of.get(word) == cat
            near.append(word, style=(SAME if same else OTHER) if cat else "")
            if show_cos:
                near.append(f" {cos:.2f}", style="dim")
        cells = [Text(r.get("word", ""), style=f"bold {colour.get(cat, '')}".strip())]
        if show_cat:
            cells.append(Text(cat, style=colour.get(cat, "dim")))
        table.add_row(*cells, near)
    return table


def word_map(points: list, colour: dict[str, str], labelled: list[str], w: int, h: int,
             shape: dict[str, str] | None = None) -> Text:
    """Points in their category colour; labelled words written beside their point where they
    fit without covering another point or label."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    xr, yr = [min(xs), max(xs)], [min(ys), max(ys)]
    grid: list[list[tuple[str, str]]] = [[(" ", "")] * w for _ in range(h)]
    where = {}
    for x, y, word, cat in points:
        col, row = cell_of(x, y, xr, yr, w, h)
        grid[row][col] = ((shape or {}).get(cat, "●"), colour.get(cat, PLAIN))
        where[word] = (row, col, colour.get(cat, PLAIN))
    for word in dict.fromkeys(labelled):
        if word not in where:
            continue
        row, col, style = where[word]
        for start in (col + 1, col - len(word) - 1):  # right of the point, else left
            cells = range(start - 1, start + len(word) + 1)
            if start >= 0 and start + len(word) <= w and all(
                    grid[row][c][0] == " " for c in cells if 0 <= c < w and c != col):
                for i, ch in enumerate(word):
                    grid[row][start + i] = (ch, f"bold {style}")
                break
    out = Text()
    for i, line in enumerate(grid):
        for ch, style in line:
            out.append(ch, style=style)
        if i < h - 1:
            out.append("\n")
    return out


def render(view: TaskView, w: int, h: int, metrics: dict[str, Any]):
    d = view.data
    rows, points = d.get("neighbours", []), d.get("points", [])
    cats = d.get("categories") or list(dict.fromkeys(p[3] for p in points if p[3]))
    colour = {c: CLASS_COLORS[i % len(CLASS_COLORS)] for i, c in enumerate(cats)}
    shape = {c: SHAPES[i % len(SHAPES)] for i, c in enumerate(cats)}
    category_of = {p[2]: p[3] for p in points}
    has_cats = bool(cats) and any(r.get("category") for r in rows)
    if points and w >= 30 and h >= MAP_PANEL:
        # a tall panel without room for the whole table and a map: fewer probes, and the map
        cat_lines = legend([(SHAPES[0], c, "") for c in cats], w).plain.count("\n") + 1
        room = h - 4 - 2 - (MIN_MAP_ROWS - 2) - cat_lines  # title, header, key, blank
        rows = rows[:max(MIN_PROBES, min(len(rows), room))]
    compact = h < len(rows) + 4  # no line to spare for the colour key
    parts = [fit(title(view, metrics, compact, w, has_cats), w),
             neighbours_table(rows, category_of, colour, w)]
    if has_cats and not compact:
        parts.append(KEY.copy())
    left = h - 1 - (len(rows) + 1) - 1 - 1  # title, table with header, key, a blank line
    if points and left >= MIN_MAP_ROWS and w >= 30:
        cat_key = legend([(shape[c], c, colour[c]) for c in cats], w) if cats else Text("")
        map_rows = left - 1 - cat_key.plain.count("\n") - 1
        if map_rows >= MIN_MAP_ROWS - 2:
            # the probes (one per category) are labelled; without categories every word
            # that finds room is
            labelled = [r.get("word", "") for r in rows]
            if not cats:
                labelled += [p[2] for p in points]
            what = "category words" if cats else "frequent words"
            parts += [Text(""), fit(Text.assemble((f"2-D PCA map of the {what}", "bold"),
                                                  ("  PC1 →  PC2 ↑", "dim")), w),
                      word_map(points, colour, labelled, w, map_rows, shape), cat_key]
    return Group(*parts)
