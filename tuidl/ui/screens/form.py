"""Hyperparameter form: one field per parameter of the family's schema, filled with the
preset's values, each validated as it is typed with the same message the CLI gives."""
from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Select, Static

from tuidl.catalog import Preset
from tuidl.config import ConfigError, Param
from tuidl.text import plain


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class ParamField(Vertical):
    """Label, input (select for choices) and a hint line that turns into the error."""

    def __init__(self, param: Param, value: Any):
        super().__init__(classes="param-field")
        self.param, self.initial = param, value
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        p = self.param
        with Horizontal(classes="param-row"):
            yield Label(plain(p.name), classes="param-name")
            choices = None if p.files else (  # a file path needs free text
                p.choices or (("true", "false") if p.type is bool else None))
            if choices:
                yield Select([(c, c) for c in choices], value=_text(self.initial),
                             allow_blank=False, id=f"field-{p.name}", classes="param-input",
                             compact=True)
            else:
                yield Input(_text(self.initial), id=f"field-{p.name}", classes="param-input",
                            compact=True)
            yield Static(plain(self._hint), classes="param-hint")

    @property
    def _hint(self) -> str:
        return f"{self.param.help} · {self.param.range_text}"

    @property
    def raw(self) -> str:
        w = self.query_one(f"#field-{self.param.name}")
        return str(w.value)

    def validate(self) -> str | None:
        try:
            self.param.parse(self.raw)
            self.error = None
        except ConfigError as e:
            self.error = str(e)
        hint = self.query_one(".param-hint", Static)
        hint.update(plain(self.error or self._hint))  # the error quotes what was typed
        self.set_class(self.error is not None, "-invalid")
        return self.error

    def reset(self) -> None:
        w = self.query_one(f"#field-{self.param.name}")
        w.value = _text(self.initial)
        self.validate()


class FormScreen(Screen):
    BINDINGS = [Binding("ctrl+r", "start", "start"), Binding("ctrl+o", "reset", "defaults"),
                Binding("escape", "app.pop_screen", "back"),
                Binding("f1", "app.help", "help")]

    def __init__(self, preset: Preset, values: dict[str, Any] | None = None, **kw):
        super().__init__(**kw)
        self.preset = preset
        self.values = values or preset.resolve()

    def compose(self) -> ComposeResult:
        p = self.preset
        yield Static(plain(p.name, "bold") + plain(f" ({p.family}): {p.about}"), id="form-title")
        with VerticalScroll(id="form-fields"):
            for p in self.preset.spec.params:
                yield ParamField(p, self.values.get(p.name, p.default))
        with Horizontal(id="form-buttons"):
            yield Button("Start  ctrl+r", id="start", variant="success")
            yield Button("Defaults  ctrl+o", id="reset")
            yield Static(id="form-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#form-fields").border_title = "hyperparameters"
        self.query(".param-input").first().focus()

    def fields(self) -> list[ParamField]:
        return list(self.query(ParamField))

    def on_input_changed(self, event: Input.Changed) -> None:
        self._check()

    def on_select_changed(self, event: Select.Changed) -> None:
        self._check()

    def _check(self) -> list[str]:
        errors = [e for f in self.fields() if (e := f.validate())]
        self.query_one("#start", Button).disabled = bool(errors)
        self.query_one("#form-status", Static).update(
            f"[red]{len(errors)} invalid: fix before starting[/]" if errors else "")
        return errors

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self.action_start()
        elif event.button.id == "reset":
            self.action_reset()

    def show_values(self, values: dict[str, Any]) -> None:
        """Fill the fields with `values` (a run's, coming back to edit it); reset still goes
        back to what the form opened with."""
        for f in self.fields():
            if f.param.name in values:
                self.query_one(f"#field-{f.param.name}").value = _text(values[f.param.name])
                f.validate()
        self._check()

    def action_reset(self) -> None:
        for f in self.fields():
            f.reset()
        self._check()

    def action_start(self) -> None:
        if self._check():
            self.notify("fix the invalid values first", severity="error")
            return
        overrides = {f.param.name: f.raw for f in self.fields()}
        self.app.start_from_form(self.preset, overrides)
