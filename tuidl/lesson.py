"""Lessons: the curriculum as side-by-side experiments (torch-free).

A lesson is a TOML file, data like a preset: a title and a text (English and Chinese), two to
six variants (each a preset plus overrides) and the figure that proves the lesson, computed
from the variants' runs:

    title = { en = "A perceptron cannot learn XOR; one hidden layer can", zh = "…" }
    text = { en = "…what to look for…", zh = "…" }
    holds = "perceptron.accuracy <= 0.75 and mlp.val_accuracy >= 0.95"
    figure = "perceptron {perceptron.accuracy:.0%}, MLP {mlp.val_accuracy:.0%}"

    [[variants]]
    name = "perceptron"          # the name the figures use: [a-z][a-z0-9_]*
    label = "perceptron"         # what the screen and the table call it (default: name)
    preset = "perceptron-xor"
    set = { epochs = 20 }        # overrides, as `--set` gives them

`order` places it in the curriculum (lists sort by it); `panel = "grad"` (or "task_view")
makes every variant's card show that panel, whatever its preset's lesson panel is. `holds` is
an expression over the variants' figures (tuidl.lesson_figures): comparisons,
`and`/`or`/`not`, + - * /, min/max/abs and numbers or strings; nothing else is evaluated.
`figure` names figures as `{variant.figure:format}`. `extra` names a panel a lesson adds
beside its runs: "activations" (each function and its derivative) or "receptive_field" (the
CNN's layers). Built-in lessons ship inside the package (`tuidl.lesson_files`).
"""
from __future__ import annotations

import ast
import locale
import os
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from tuidl.config import ConfigError, _did_you_mean, _show

LANGS = ("en", "zh")
EXTRAS = ("", "activations", "receptive_field")
PANELS = ("", "grad", "task_view")  # what a lesson's cards show (tuidl.ui.widgets.variant_card)
MIN_VARIANTS, MAX_VARIANTS = 2, 6
NAME = re.compile(r"[a-z][a-z0-9_]{0,23}")
REF = re.compile(r"\{([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)(?::([^{}]{0,12}))?\}")
FUNCTIONS = ("min", "max", "abs")


@dataclass(frozen=True)
class Variant:
    name: str
    label: str
    preset: str
    overrides: dict[str, str] = field(default_factory=dict)

    @property
    def sets(self) -> list[str]:
        return [f"{k}={v}" for k, v in self.overrides.items()]


@dataclass(frozen=True)
class Lesson:
    name: str
    title: dict[str, str]
    text: dict[str, str]
    variants: tuple[Variant, ...]
    holds: str
    figure: str
    extra: str = ""
    order: int = 99  # where it comes in the curriculum (lists sort by it)
    panel: str = ""  # the panel each variant's card shows ("": each preset's lesson panel)

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title["en"]

    def text_in(self, lang: str) -> str:
        return self.text.get(lang) or self.text["en"]

    def used(self) -> list[tuple[str, str]]:
        """(variant, figure) pairs the verdict and the figure line name, in order."""
        refs = [(m[1], m[2]) for m in REF.finditer(self.figure)] + _attributes(self.holds)
        return list(dict.fromkeys(refs))


def default_lang() -> str:
    """zh where the locale is Chinese, else en (`--lang` overrides)."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        if value := os.environ.get(var):
            return "zh" if value.lower().startswith("zh") else "en"
    try:
        code = locale.getlocale()[0] or ""
    except ValueError:
        code = ""
    return "zh" if code.lower().startswith("zh") else "en"


def lesson_dir():
    return resources.files("tuidl.lesson_files")


def lesson_names() -> list[str]:
    return sorted(p.name[:-5] for p in lesson_dir().iterdir() if p.name.endswith(".toml"))


def list_lessons() -> list[Lesson]:
    """Every built-in lesson, in the curriculum's order."""
    return sorted((load_lesson(name) for name in lesson_names()),
                  key=lambda lesson: (lesson.order, lesson.name))


def load_lesson(name: str) -> Lesson:
    resource = lesson_dir() / f"{name}.toml"
    if not NAME.fullmatch(name.replace("-", "_")) or not resource.is_file():
        raise ConfigError(f"unknown lesson {_show(name)}{_did_you_mean(name, lesson_names())}; "
                          "`tuidl lesson` lists them")
    return parse(resource.read_text(encoding="utf-8"), name)


def parse(text: str, name: str) -> Lesson:
    where = f"lesson {name}"
    try:
        data = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, ValueError) as e:
        raise ConfigError(f"{where}: invalid TOML: {e}") from None
    unknown = set(data) - {"title", "text", "variants", "holds", "figure", "extra", "order",
                           "panel"}
    if unknown:
        raise ConfigError(f"{where}: unknown key {_show(sorted(unknown)[0])}")
    title, body = _texts(data.get("title"), where, "title"), _texts(data.get("text"), where,
                                                                    "text")
    raw = data.get("variants")
    if not isinstance(raw, list) or not MIN_VARIANTS <= len(raw) <= MAX_VARIANTS:
        raise ConfigError(f"{where}: needs {MIN_VARIANTS} to {MAX_VARIANTS} [[variants]]")
    variants = tuple(_variant(v, where) for v in raw)
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: two variants are named alike")
    extra = data.get("extra", "")
    if extra not in EXTRAS:
        raise ConfigError(f"{where}: extra must be one of {', '.join(EXTRAS[1:])}")
    holds, figure = data.get("holds"), data.get("figure")
    if not isinstance(holds, str) or not isinstance(figure, str):
        raise ConfigError(f"{where}: needs `holds` (an expression) and `figure` (a line)")
    order, panel = data.get("order", 99), data.get("panel", "")
    if not isinstance(order, int):
        raise ConfigError(f"{where}: order must be a whole number")
    if panel not in PANELS:
        raise ConfigError(f"{where}: panel must be one of {', '.join(PANELS[1:])}")
    lesson = Lesson(name, title, body, variants, " ".join(holds.split()), figure, extra, order,
                    panel)
    check_expression(lesson.holds, names, where)
    for variant, _ in lesson.used():
        if variant not in names:
            raise ConfigError(f"{where}: the figure names {_show(variant)}, not a variant")
    return lesson


def _texts(value: Any, where: str, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or not isinstance(value.get("en"), str):
        raise ConfigError(f"{where}: {key} needs an English text: {key} = {{ en = \"…\" }}")
    if set(value) - set(LANGS) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(f"{where}: {key} takes texts in {', '.join(LANGS)}")
    return {k: _one_line(v) for k, v in value.items()}


WIDE_CHAR = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")


def _one_line(text: str) -> str:
    """A text written over several lines as one: lines joined by a space, except between two
    Chinese characters (or their punctuation), which take none."""
    def join(m: re.Match) -> str:
        before, after = m.string[:m.start()][-1:], m.string[m.end():][:1]
        return "" if WIDE_CHAR.match(before) and WIDE_CHAR.match(after) else " "
    return re.sub(r"\s*\n\s*", join, text.strip()).replace("  ", " ")


def _variant(value: Any, where: str) -> Variant:
    if not isinstance(value, dict) or set(value) - {"name", "label", "preset", "set"}:
        raise ConfigError(f"{where}: a variant has name, label, preset and set")
    name, preset = value.get("name"), value.get("preset")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ConfigError(f"{where}: variant name {_show(name)} must be like relu_he")
    if not isinstance(preset, str):
        raise ConfigError(f"{where}: variant {name} needs a preset")
    sets = value.get("set", {})
    if not isinstance(sets, dict):
        raise ConfigError(f"{where}: variant {name}: set must be a table")
    overrides = {str(k): str(v).lower() if isinstance(v, bool) else str(v)
                 for k, v in sets.items()}
    return Variant(name, str(value.get("label", name)), preset, overrides)


# -- the verdict's expression: a small, closed language --------------------------------------
_NODES = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub,
          ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Compare, ast.Eq, ast.NotEq,
          ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Constant, ast.Name, ast.Load, ast.Attribute,
          ast.Call)


def check_expression(text: str, variants: list[str], where: str) -> ast.Expression:
    """The parsed expression, or a ConfigError naming what it may not hold."""
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as e:
        raise ConfigError(f"{where}: holds is not an expression: {e.msg}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise ConfigError(f"{where}: holds may not use {type(node).__name__}")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str)):
            raise ConfigError(f"{where}: holds may not use {node.value!r}")
        if isinstance(node, ast.Call) and (node.keywords or not isinstance(node.func, ast.Name)
                                           or node.func.id not in FUNCTIONS):
            raise ConfigError(f"{where}: holds may call only {', '.join(FUNCTIONS)}")
        if isinstance(node, ast.Attribute) and (not isinstance(node.value, ast.Name)
                                                or not NAME.fullmatch(node.attr)):
            raise ConfigError(f"{where}: holds names figures as variant.figure")
        if isinstance(node, ast.Name) and node.id not in (*variants, *FUNCTIONS):
            raise ConfigError(f"{where}: holds names {_show(node.id)}, not a variant")
    return tree


def _attributes(text: str) -> list[tuple[str, str]]:
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return []
    found = [(n.lineno, n.col_offset, n.value.id, n.attr) for n in ast.walk(tree)
             if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)]
    return [(v, a) for *_, v, a in sorted(found)]
