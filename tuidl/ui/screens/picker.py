"""Preset picker: presets grouped by family, with what each shows and its key settings, and
the lessons (each trains its variants side by side)."""
from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tuidl.catalog import Preset, list_presets
from tuidl.lesson import Lesson, list_lessons
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


def lesson_preview(lesson: Lesson, lang: str) -> Text:
    out = Text()
    out.append(visible(f"lesson {lesson.name}\n"), style="bold")
    out.append(visible(f"{lesson.title_in(lang)}\n\n"))
    out.append(visible(f"{lesson.text_in(lang)}\n\n"), style="dim")
    for v in lesson.variants:
        sets = " ".join(f"{k}={val}" for k, val in v.overrides.items())
        out.append(visible(f"  {v.label}"), style="bold")
        out.append(visible(f": {v.preset} {sets}\n"))
    out.append("\nenter: train them side by side", style="dim")
    return out


LESSON = "lesson:"  # the option id of a lesson, before its name


class PickerScreen(Screen):
    BINDINGS = [Binding("enter", "choose", "choose", show=False),
                Binding("l", "lessons", "lessons"),
                Binding("question_mark", "app.help", "help"),
                Binding("q", "app.quit", "quit")]

    def __init__(self, **kw):
        super().__init__(**kw)
        presets = list_presets()
        self.presets = {p.name: p for p in presets}
        self.lessons = {lesson.name: lesson for lesson in list_lessons()}
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
        options.append(Option(Text("LESSONS: SIDE BY SIDE", style="bold"), disabled=True))
        options += [Option(plain(f"  {name}"), id=LESSON + name) for name in self.lessons]
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

    def action_lessons(self) -> None:
        """Jump to the lessons, below the presets."""
        ol = self.query_one(OptionList)
        ol.highlighted = next(i for i, o in enumerate(ol._options)
                              if (o.id or "").startswith(LESSON))
        ol.scroll_to_highlight(top=True)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if (key := event.option.id) and key.startswith(LESSON):
            self.query_one("#preset-preview", Static).update(
                lesson_preview(self.lessons[key[len(LESSON):]], self.app.lang))
        elif key:
            self.query_one("#preset-preview", Static).update(preview(self.presets[key]))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if (key := event.option.id) and key.startswith(LESSON):
            self.app.start_lesson(key[len(LESSON):])
        elif key:
            self.app.open_form(self.presets[key])
