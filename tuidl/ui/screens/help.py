"""Help overlay: every key of the app, by screen."""
from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS = [
    ("picker", "↑/↓ enter", "choose a preset, open its form; or a lesson, train it"),
    ("picker", "l", "jump to the lessons"),
    ("form", "tab / shift+tab", "move between fields"),
    ("form", "ctrl+r", "start the run (only when every value is valid)"),
    ("form", "ctrl+o", "reset every field to the preset's values"),
    ("training", "space", "pause / resume"),
    ("training", "n", "single step (pauses first)"),
    ("training", "s", "stop the run (its directory stays resumable)"),
    ("training", "+", "after the end: train on (to its last epoch, or as many again)"),
    ("training", "r", "restart with the same settings"),
    ("training", "e", "edit hyperparameters (back to the form)"),
    ("training", "[ / ]", "halve / double the learning rate, live"),
    ("training", "l", "toggle log scale of the loss chart"),
    ("training", "v", "each side panel alone, in turn (below 120 columns)"),
    ("training", "h", "gradient histograms, then one layer over time"),
    ("training", "j / k", "histograms: the next / previous layer"),
    ("training", "ctrl+s", "save a screenshot (SVG)"),
    ("training", "c", "compare this session's runs (loss curves overlaid)"),
    ("training", "x", "export weights, CSV tables, vectors / samples into the run directory"),
    ("compare", "l", "toggle log scale"),
    ("lesson", "m", "the variants' loss curves, or their main metric"),
    ("lesson", "l", "toggle log scale"),
    ("lesson", "t", "the lesson's whole text, or its first lines"),
    ("lesson", "1 … 6", "one variant's whole training screen"),
    ("lesson", "f", "activations: the functions, or their slopes"),
    ("lesson", "s", "stop every variant"),
    ("any", "?", "this help"),
    ("any", "escape", "back"),
    ("any", "ctrl+q / q", "quit (a running run is stopped cleanly)"),
]


SCROLL_KEYS = {"up", "down", "pageup", "pagedown", "home", "end"}


class HelpScreen(ModalScreen):
    """Any key but the scrolling ones closes it: a key pressed while it was still opening
    (Esc right after ?) leaves it open, and the next key, whatever it is, must not be lost
    to it in turn."""
    BINDINGS = [Binding("escape,question_mark,q", "app.pop_screen", "close")]

    def on_key(self, event) -> None:
        if event.key not in SCROLL_KEYS and self.app.screen is self:
            event.stop()
            event.prevent_default()
            self.app.pop_screen()

    def compose(self) -> ComposeResult:
        table = Table("screen", "key", "what it does", box=None, pad_edge=False)
        for row in KEYS:
            table.add_row(*row)
        with VerticalScroll(id="help-box"):  # scrolls on a terminal shorter than the list
            yield Static(table)
            yield Static("any key closes this help (↑ ↓ scroll it)", classes="dim")

    def on_mount(self) -> None:
        self.query_one("#help-box").border_title = "keys"
