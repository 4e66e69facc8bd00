"""Preset picker: presets grouped by family, with what each shows and its key settings."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tuidl.catalog import Preset, list_presets
from tuidl.specs import FAMILY_NAMES
from tuidl.text import plain, visible


def preview(p: Preset) -> Text:
    out = Text()
    out.append(visible(f"{p.name}\n"), style="bold")
    out.append(f"{p.family}: {p.spec.about}\n\n", style="dim")
    out.append(visible(f"{p.about}\n\n"))
    config = p.resolve()
    keys = list(p.values) or [prm.name for prm in p.spec.params[:6]]
    for k in keys:
        out.append(f"{k:>16} ", style="bold")
        out.append(visible(f"{config[k]}\n"))
    out.append("\nenter: edit and start", style="dim")
    return out


class PickerScreen(Screen):
    BINDINGS = [Binding("enter", "choose", "choose", show=False),
                Binding("question_mark", "app.help", "help"),
                Binding("q", "app.quit", "quit")]

    def __init__(self, **kw):
        super().__init__(**kw)
        presets = list_presets()
        self.presets = {p.name: p for p in presets}
        self.order = sorted(presets, key=lambda p: (FAMILY_NAMES.index(p.family)
                                                    if p.family in FAMILY_NAMES else 99, p.name))

    def compose(self) -> ComposeResult:
        options: list = []
        family = None
        for p in self.order:
            if p.family != family:
                family = p.family
                options.append(Option(Text(family.upper(), style="bold"), disabled=True))
            options.append(Option(plain(f"  {p.name}"), id=p.name))
        with Horizontal():
            yield OptionList(*options, id="preset-list")
            yield Static(id="preset-preview")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#preset-list").border_title = "presets"
        self.query_one("#preset-preview").border_title = "what it shows"
        ol = self.query_one(OptionList)
        ol.highlighted = next(i for i, o in enumerate(ol._options) if not o.disabled)
        ol.focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self.query_one("#preset-preview", Static).update(preview(self.presets[event.option.id]))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.app.open_form(self.presets[event.option.id])
