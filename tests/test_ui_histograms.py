"""The histograms of gradients and weights (`h` on the training screen): their fold into the
RunState, the panel on its own, the screen's keys, and snapshots at 80x24.

`tests/fixtures/histograms` is vanishing-sigmoid recorded with histogram events (record.py);
the older fixtures have none, as an old run directory has none."""
from __future__ import annotations

from pathlib import Path


from tuidl.events import HIST_BINS, HIST_SIDE, Histograms
from tuidl.sinks.jsonl import read_events
from tuidl.ui.app import TuidlApp
from tuidl.ui.bridge import FileFollower
from tuidl.ui.state import HIST_HISTORY, RunState
from tuidl.ui.widgets.histograms import (CELLS, PLAIN, HistogramPanel, folded, median_cell,
                                         strip)

import widget_tools
from widget_tools import fold

FIXTURES = Path(__file__).parent / "fixtures"
SMALL = (80, 24)
ZERO = HIST_SIDE  # the bin of exactly 0


def hist(layers: list[str], grad: list[list[int]], step: int = 10, **kw) -> Histograms:
    return Histograms(step=step, layers=layers, grad=grad, **kw)


def row(**bins: int) -> list[int]:
    """A HIST_BINS row: `bins` maps 'b<index>' to a count."""
    out = [0] * HIST_BINS
    for name, n in bins.items():
        out[int(name[1:])] = n
    return out


async def shown(panel: HistogramPanel, state: RunState, size=(60, 30)) -> str:
    """What the panel draws for `state`, as plain text."""
    return await widget_tools.shown(panel, state, size)


def first_cell(line: str, name: str) -> int:
    """Where the first filled cell of `name`'s row is, counted from its strip's start."""
    for text in line.splitlines():
        words = text.split()
        if len(words) > 1 and words[0] == name and set(words[1]) <= set("·░▒▓█"):
            return next(i for i, c in enumerate(words[1]) if c != "·")
    raise AssertionError(f"no row for {name}")


# -- the fold ---------------------------------------------------------------------------------
def test_the_vanishing_run_s_first_layer_sits_decades_left_of_its_last():
    state = fold("histograms")
    assert state.hist_layers[0] == "fc1" and state.hist_layers[-1] == "out"
    first = median_cell(folded(state.histograms["fc1"][-1][1]))
    last = median_cell(folded(state.histograms["out"][-1][1]))
    assert last - first >= 5  # decades: a cell is one
    # the engine's counts: every weight and every gradient value of the layer, once each
    sizes = {layer["name"]: layer["params"] for layer in
             next(read_events(FIXTURES / "histograms" / "events.jsonl")).layers}
    _, grad, weight = state.histograms["fc1"][-1]
    assert sum(grad) == sum(weight) == sizes["fc1"]


def test_a_malformed_histograms_event_is_left_out():
    state = RunState()
    good = hist(["a", "b"], [row(b20=5), row(b10=5)])
    state.apply(good)
    for bad in (hist(["a", "b"], [row(b20=5)]),  # a row short
                hist(["a"], [[1] * (HIST_BINS - 1)]),  # a bin short
                hist(["a"], [row(b3=-1)]),  # a negative count
                hist(["a"], [[0.5] * HIST_BINS]),  # not whole counts
                hist(["a"], [["x"] * HIST_BINS]),  # not numbers
                hist(["a", "a"], [row(b1=1), row(b1=1)]),  # one name for two layers
                hist(["a"], [row(b1=1)], weight=[row(b1=1), row(b2=1)])):  # weights astray
        state.apply(bad)
    assert state.hist_layers == ["a", "b"]
    assert [len(kept) for kept in state.histograms.values()] == [1, 1]


def test_each_layer_keeps_a_bounded_history():
    state = RunState()
    for step in range(HIST_HISTORY + 7):
        state.apply(hist(["a"], [row(b20=step + 1)], step=step))
    kept = state.histograms["a"]
    assert len(kept) == HIST_HISTORY and kept[-1][0] == HIST_HISTORY + 6


# -- the panel --------------------------------------------------------------------------------
async def test_the_panel_draws_the_decay_across_layers_in_words_and_cells():
    text = await shown(HistogramPanel(), fold("histograms"))
    assert "fc1 sits" in text and "decades below out" in text
    assert first_cell(text, "out") - first_cell(text, "fc1") >= 5
    assert "1e-10" in text and "gradient" in text and "weight" in text


async def test_dead_units_pile_into_the_zero_cell():
    """A ReLU layer whose units are dead on the batch: most of its gradients are exactly 0."""
    state = RunState()
    state.apply(hist(["fc1", "fc2"], [row(b15=40, b13=40, b16=20),
                                      row(**{f"b{ZERO}": 60, "b22": 25, "b6": 15})]))
    text = await shown(HistogramPanel(), state)
    assert "fc2: 60% of gradients exactly 0" in text
    assert first_cell(text, "fc2") == 0 and first_cell(text, "fc1") > 0
    cells = strip(folded(state.histograms["fc2"][-1][1]), 1, PLAIN["grad"], PLAIN)
    assert cells.plain[0] == "█" and cells.spans[0].style == PLAIN["zero"]


def test_folding_adds_both_signs_of_a_decade():
    counts = folded(row(**{"b0": 1, "b28": 2, f"b{ZERO}": 3, "b13": 4, "b15": 5}))
    assert len(counts) == CELLS
    assert counts[0] == 3 and counts[1] == 9 and counts[-1] == 3


async def test_a_run_without_histograms_says_so_in_one_line():
    assert (await shown(HistogramPanel(), fold("vanishing"))).strip() == \
        "no histograms in this run"
    assert (await shown(HistogramPanel(), RunState())).strip() == "no histograms yet"


async def test_layer_names_are_shown_as_text_never_markup():
    state = RunState()
    state.apply(hist(["[red]a[/]", "b\x1b[2J"], [row(b20=1), row(b21=1)]))
    text = await shown(HistogramPanel(), state)
    assert "[red]a[/]" in text and "b\\x1b[2J" in text and "\x1b[2J" not in text


async def test_the_time_view_shows_one_layer_a_row_per_histogram():
    panel, state = HistogramPanel(), fold("histograms")
    panel.show("time", len(state.hist_layers) - 1)
    text = await shown(panel, state)
    steps = [kept[0] for kept in state.histograms["out"]]
    assert text.startswith("out") and "layer 11 of 11" in text
    rows = [words for line in text.splitlines() if len(words := line.split()) > 1]
    assert [int(w[0]) for w in rows if set(w[1]) <= set("·░▒▓█")] == steps


# -- the screen -------------------------------------------------------------------------------
def faces(screen) -> tuple[bool, bool]:
    return screen.grad_panel.display and screen.grad_panel.region.height > 0, \
        screen.hist_panel.display and screen.hist_panel.region.height > 0


async def test_h_turns_the_gradient_box_to_its_histograms_and_back():
    app = TuidlApp(source=FileFollower(FIXTURES / "histograms"))
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause(0.8)
        screen = app.screen
        assert faces(screen) == (True, False)
        seen = []
        for key in ("h", "k", "h", "j", "h"):
            await pilot.press(key)
            await pilot.pause(0.3)
            seen.append((faces(screen), screen.hist_view, screen.hist_panel.which))
        assert seen == [((False, True), "layers", 0), ((False, True), "layers", 10),
                        ((False, True), "time", 10), ((False, True), "time", 0),
                        ((True, False), None, 0)]
        # every layer on screen, and the box alone in the side column: nothing scrolls
        await pilot.press("h")
        await pilot.pause(0.3)
        assert screen.grad_panel.parent.max_scroll_y == 0
        await pilot.press("v")  # v goes on from the norms
        await pilot.pause(0.3)
        assert screen.hist_view is None


def test_histograms_small(snap_compare):
    """vanishing-sigmoid at 80x24 after h: every layer's |gradient| histogram, the first
    layers' cells at the left (1e-10), each next layer's a decade or so right, out's near
    1e-2; the weights alike in every layer; `fc1 sits 8 decades below out` above them; the
    key (0 in the warning colour, 1e-10, 1, 100) and the shades under them."""
    app = TuidlApp(source=FileFollower(FIXTURES / "histograms"))
    assert snap_compare(app, terminal_size=SMALL, press=["h"])


def test_histograms_over_time_small(snap_compare):
    """vanishing-sigmoid at 80x24 after h, k, h: the last layer (out) over time, one row per
    histogram (steps 5 … 130), oldest at the top, with the same key."""
    app = TuidlApp(source=FileFollower(FIXTURES / "histograms"))
    assert snap_compare(app, terminal_size=SMALL, press=["h", "k", "h"])
