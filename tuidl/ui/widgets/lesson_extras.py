"""What a lesson shows beside its runs (tuidl.lesson_extras has the math): the activations'
derivatives (or the functions, `f` toggles) on one small plot, with a key of each one's
largest slope and its slope at x = 3; a CNN's layers with their output sizes and receptive
fields."""
from __future__ import annotations

import plotext
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tuidl.lesson_extras import (activation_rows, curve, input_size, receptive_fields)
from tuidl.ui.widgets.charts import KeyedPlot

COLOURS = ("blue+", "green+", "red+", "cyan+", "orange+", "magenta+", "yellow", "white")


class ActivationPlot(KeyedPlot):
    """f'(x) (or f(x)) on [-5, 5] for each activation the lesson's variants use."""

    def __init__(self, names: list[str], **kw):
        super().__init__(**kw)
        self.names = [a.name for a in activation_rows(names)]
        self.derivative = True

    def on_mount(self) -> None:
        super().on_mount()
        self.draw()

    def restyle(self) -> None:
        self.draw()

    def toggle(self) -> None:
        self.derivative = not self.derivative
        self.draw()

    def draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("slope f'(x)" if self.derivative else "f(x)")
        # the last drawn covers the others where they cross: the first (the lesson's point,
        # the sigmoid) is drawn last
        for i, name in reversed(list(enumerate(self.names))):
            xs, ys = curve(name, self.derivative)
            self.plot_line(xs, ys, COLOURS[i % len(COLOURS)], name)
        plt.xticks([-5, -2.5, 0, 2.5, 5], ["-5", "-2.5", "0", "2.5", "5"])
        if self.derivative:
            plt.ylim(0, 1.05)
            plt.yticks([0, 0.25, 0.5, 0.75, 1], ["0", ".25", ".5", ".75", "1"])
        else:
            plt.ylim(-1.1, 5)
        self.refresh()


def slope_key(names: list[str]) -> Text:
    """A line per activation, in its curve's colour: largest slope, slope at x = 3."""
    out = Text()
    for i, a in enumerate(activation_rows(names)):
        out.append_text(Text.from_ansi(plotext.colorize("━━", COLOURS[i % len(COLOURS)])))
        out.append(f" {a.name:<9} f' ≤ {a.max_slope:<4.2g} f'(3) {a.slope_at_3:.2g}\n")
    out.rstrip()
    return out


class ActivationsPanel(Vertical):
    """The plot and its key."""
    DEFAULT_CSS = """
    ActivationsPanel ActivationPlot { height: 1fr; min-height: 5; }
    ActivationsPanel .slope-key { height: auto; }
    ActivationsPanel.-wide { layout: horizontal; }
    ActivationsPanel.-wide ActivationPlot { width: 1fr; }
    ActivationsPanel.-wide .slope-key { width: auto; padding: 1 0 0 1; }
    """

    def __init__(self, names: list[str], **kw):
        super().__init__(**kw)
        self.names = names

    def compose(self) -> ComposeResult:
        yield ActivationPlot(self.names)
        yield Static(slope_key(self.names), classes="slope-key")

    def toggle(self) -> None:
        self.query_one(ActivationPlot).toggle()


class ReceptiveFieldTable(Static):
    """The CNN's conv and pool layers: kernel, stride, padding, output size, receptive field."""

    def __init__(self, config: dict, **kw):
        super().__init__(**kw)
        self.config = config

    def on_mount(self) -> None:
        self.update(field_table(self.config))


def field_table(config: dict) -> Table:
    from tuidl.config import parse_ints
    size = input_size(config)
    table = Table(box=None, pad_edge=False, expand=True,
                  title=f"on {size}x{size} inputs", title_justify="left")
    for col in ("layer", "k/s/p", "out", "sees"):
        table.add_column(col, no_wrap=True)
    for r in receptive_fields(size, parse_ints(config["channels"]), config["kernel_size"],
                              config["padding"], config["stride"], config["pool"]):
        table.add_row(r.name, f"{r.kernel}/{r.stride}/{r.padding}", f"{r.size}x{r.size}",
                      f"{r.field}x{r.field}")
    return table
