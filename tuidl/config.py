"""Hyperparameter schema and validation (torch-free).

A `Param` declares one hyperparameter: its type, range or choices, default and a one-line
description. Families list their params (see `tuidl.specs`); `resolve` turns a preset's values
plus command-line overrides into a complete, validated config dict. Every problem raises
`ConfigError` with a one-line message that the CLI and the TUI show as they are.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from typing import Any


class TuidlError(Exception):
    """A problem with the user's input: shown as one line, exit code 2."""


class ConfigError(TuidlError):
    pass


DIRS = "/"  # in Param.files: an existing folder is accepted too
ANY_FILE = "*"  # in Param.files: an existing regular file of any name (its reader checks what
# it holds: a word2vec corpus is read as text whatever its suffix)
TYPE_NAMES = {int: "int", float: "float", str: "str", bool: "bool", "ints": "int list"}


@dataclass(frozen=True)
class Param:
    name: str
    type: Any  # int, float, str, bool or "ints" (comma-separated positive ints, e.g. "16,16")
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    min: float | None = None
    max: float | None = None
    min_inclusive: bool = True
    pattern: str | None = None  # regex a str value must match in full
    files: tuple[str, ...] = ()  # beside the choices: a path ending so (".csv"), or any
    # existing file (ANY_FILE) or folder (DIRS)
    # the value that a run saved before this hyperparameter existed behaved as, where it is
    # not the default (None: the default); a saved run's config without it repeats that way
    before: Any = None

    @property
    def type_name(self) -> str:
        return TYPE_NAMES[self.type]

    @property
    def range_text(self) -> str:
        if self.choices:
            shown = [e for e in self.files if e in (DIRS, ANY_FILE) or ANY_FILE not in self.files]
            files = ["folder/" if e == DIRS else "file" if e == ANY_FILE else f"path{e}"
                     for e in shown]
            return " | ".join([*self.choices, *files])
        if self.type is bool:
            return "true | false"
        if self.type == "ints":
            return "e.g. 16,16 (each 1..4096)"
        lo = "-inf" if self.min is None else _fmt(self.min)
        hi = "inf" if self.max is None else _fmt(self.max)
        if self.type is str:
            return "text"
        return f"{'[' if self.min_inclusive else '('}{lo}, {hi}]"

    def parse(self, raw: str) -> Any:
        """Parse a command-line string (`--set name=raw`) and validate it."""
        raw = raw.strip()
        if self.type is bool:
            low = raw.lower()
            if low in ("true", "1", "yes", "on"):
                return True
            if low in ("false", "0", "no", "off"):
                return False
            raise ConfigError(f"{self.name}: expected true or false, got {_show(raw)}")
        if self.type in (int, float):
            try:
                value = int(raw) if self.type is int else float(raw)
            except ValueError:  # also a number of more than 4300 digits
                raise ConfigError(
                    f"{self.name}: expected {self.type_name}, got {_show(raw)}") from None
            return self.validate(value)
        return self.validate(raw)

    def validate(self, value: Any) -> Any:
        """Check a typed value (from TOML or `parse`) and return it normalised."""
        name = self.name
        if self.type is bool:
            if not isinstance(value, bool):
                raise ConfigError(f"{name}: expected true or false, got {_show(value)}")
            return value
        if self.type is int:
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                else:
                    raise ConfigError(f"{name}: expected int, got {_show(value)}")
        elif self.type is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{name}: expected float, got {_show(value)}")
            try:
                value = float(value)
            except OverflowError:  # an int too large for a float (TOML ints are unbounded)
                value = math.inf if value > 0 else -math.inf
            if not math.isfinite(value):
                raise ConfigError(f"{name}: expected a finite number, got {_show(value)}")
        elif self.type == "ints":
            return self._validate_ints(value)
        elif not isinstance(value, str):
            raise ConfigError(f"{name}: expected text, got {_show(value)}")
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            raise ConfigError(f"{name}: {_show(value)} is not valid ({self.help})")
        if self.files and isinstance(value, str) and value not in (self.choices or ()) and (
                value.lower().endswith(tuple(e for e in self.files if e not in (DIRS, ANY_FILE)))
                or (DIRS in self.files and os.path.isdir(value))
                or (ANY_FILE in self.files and os.path.isfile(value))):
            return value  # a file or folder: read (and checked) when the run starts
        if self.files and self.choices is not None and value not in self.choices:
            if ANY_FILE in self.files and os.path.exists(value):  # a device, a pipe …
                raise ConfigError(f"{name}: {show_path(value)}: not a regular file")
            if ("/" in value or os.sep in value) and not os.path.exists(value):
                raise ConfigError(f"{name}: {show_path(value)}: no such file or folder")
        if self.choices is not None and value not in self.choices:
            paths = self._paths_text()
            paths = f", or a {paths} that exists" if paths else ""
            raise ConfigError(f"{name}: {_show(value)} is not one of {', '.join(self.choices)}"
                              f"{paths}{_did_you_mean(str(value), self.choices)}")
        if self.type in (int, float):
            too_low = self.min is not None and (
                value < self.min if self.min_inclusive else value <= self.min)
            too_high = self.max is not None and value > self.max
            if too_low or too_high:
                raise ConfigError(f"{name}: {_show(value)} is out of range {self.range_text}")
        return value

    def _paths_text(self) -> str:
        """What `files` accepts besides the choices: '.csv / .tsv file or folder', …"""
        kinds = [e for e in self.files if e not in (DIRS, ANY_FILE)]
        what = "text file" if ANY_FILE in self.files else (
            f"{' / '.join(kinds)} file" if kinds else "")
        if DIRS in self.files:
            what = f"{what} or folder" if what else "folder"
        return what

    def _validate_ints(self, value: Any) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if isinstance(value, (list, tuple)):
            parts = [str(v) for v in value]
        elif isinstance(value, str):
            parts = [p.strip() for p in value.replace(" ", ",").split(",") if p.strip()]
        else:
            raise ConfigError(
                f"{self.name}: expected a list of ints like '16,16', got {_show(value)}")
        try:
            ints = [int(p) for p in parts]
        except ValueError:
            raise ConfigError(
                f"{self.name}: expected a list of ints like '16,16', got {_show(value)}") from None
        if not ints and self.min:
            raise ConfigError(f"{self.name}: needs at least one value")
        if any(i < 1 or i > 4096 for i in ints):
            raise ConfigError(f"{self.name}: each value must be in 1..4096, got {_show(value)}")
        return ",".join(str(i) for i in ints)


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


SHOWN = 300  # longest value a message repeats in full (a path fits)


def _show(value: Any) -> str:
    """A value as a message quotes it: its repr (escapes keep it on one line), cut short."""
    try:
        text = repr(value)
    except ValueError:  # an int of more than 4300 digits
        text = "a number too large"
    return text if len(text) <= SHOWN else text[:SHOWN - 1] + "…"


def show_path(path: str) -> str:
    """A path as a message names it: in full, escaped only where it would break the line."""
    return path if path.isprintable() else repr(path)


def _did_you_mean(word: str, options) -> str:
    """' (did you mean 'x'?)' for an option that `word` is a likely typo of, else ''."""
    close = closest(word, options)
    return f" (did you mean {close!r}?)" if close else ""


def closest(word: str, options) -> str | None:
    """The option `word` most likely mistypes: the nearest within a typo's reach (1 edit up
    to 5 letters, 2 up to 10, 3 beyond; an edit is a letter added, dropped, changed or two
    swapped; case ignored), else the only option that starts with it (3 letters or more).
    None for a far-fetched match: 'mnist' is not a typo of 'moons', nor 'data_root' of
    'dropout', though half their letters agree."""
    low = word.lower()
    reach = 1 if len(low) <= 5 else 2 if len(low) <= 10 else 3
    best = min(((_edits(low, o.lower(), reach), o) for o in options), default=(reach + 1, ""))
    if best[0] <= reach:
        return best[1]
    starts = [o for o in options if len(low) >= 3 and o.lower().startswith(low)]
    return starts[0] if len(starts) == 1 else None


def _edits(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance of a and b (limit + 1 once it is past limit)."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2, prev = [], list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        prev2, prev = prev, row
    return min(prev[-1], limit + 1)


def parse_ints(text: str) -> list[int]:
    """'16,16' -> [16, 16] (the canonical form `Param` stores for type 'ints')."""
    return [int(p) for p in text.split(",") if p]


def resolve(params: list[Param], values: dict[str, Any],
            overrides: list[str] | dict[str, str] = ()) -> dict[str, Any]:
    """Defaults <- preset values <- overrides ("key=value" strings), all validated."""
    by_name = {p.name: p for p in params}
    config = {p.name: p.default for p in params}
    for key, value in values.items():
        config[key] = _param(by_name, key).validate(value)
    items = overrides.items() if isinstance(overrides, dict) else map(_split_override, overrides)
    for key, raw in items:
        config[key] = _param(by_name, key).parse(raw)
    return config


def _param(by_name: dict[str, Param], key: str) -> Param:
    if key not in by_name:
        hint = (_did_you_mean(key, by_name) or _other_family(key, by_name)
                or "; `tuidl show PRESET` lists them")
        raise ConfigError(f"unknown hyperparameter {_show(key)}{hint}")
    return by_name[key]


def _other_family(key: str, by_name: dict[str, Param]) -> str:
    """' (a setting of the cnn family; …)' for a key that another family has, else ''."""
    from tuidl.specs import FAMILY_NAMES, get_family  # specs import this module
    names = {f: {p.name: p for p in get_family(f).params} for f in FAMILY_NAMES}
    mine = next((f for f, params in names.items() if params.keys() == by_name.keys()), None)
    others = [f for f, params in names.items() if f != mine and key in params]
    if not others:
        return ""
    has = (f"the {others[0]} family" if len(others) == 1 else
           f"the {', '.join(others[:-1])} and {others[-1]} families")
    if mine is None:
        return f" (a setting of {has})"
    data = next((p for p in by_name.values() if p.files), None)
    if data is not None and any(names[f][key].files or key == "data_root" for f in others):
        return (f" (a setting of {has}; the {mine} family reads its data from {data.name}: "
                f"{data.range_text})")
    return f" (a setting of {has}, not of the {mine} family; `tuidl show PRESET` lists its own)"


def _split_override(item: str) -> tuple[str, str]:
    key, sep, raw = item.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set expects key=value, got {_show(item)}")
    return key.strip(), raw
