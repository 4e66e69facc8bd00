"""Preset catalog: find, read and resolve them into a validated config (torch-free).

A preset is a small TOML file naming a family and the hyperparameter values that differ from
the family's defaults:

    family = "mlp"
    about = "a two-layer MLP solves XOR"
    [params]
    dataset = "xor"

A preset may name the panel that carries its lesson (`lesson = "grad"` for the deep networks
whose gradients are the point); without it, the family's `lesson_panel` holds.

Built-in presets ship inside the package (`tuidl.presets`), so an installed tuidl finds them;
any other path ending in .toml is read as a user preset.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from tuidl.config import ConfigError, _did_you_mean, _show, resolve, show_path
from tuidl.specs import FAMILY_NAMES, LESSON_PANELS, Family, get_family


@dataclass(frozen=True)
class Preset:
    name: str
    family: str
    about: str
    values: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    lesson: str = ""  # the panel that carries this preset's lesson ("": the family's)

    @property
    def spec(self) -> Family:
        return get_family(self.family)

    @property
    def lesson_panel(self) -> str:
        return self.lesson or self.spec.lesson_panel

    def resolve(self, overrides: list[str] | dict[str, str] = ()) -> dict[str, Any]:
        return resolve(list(self.spec.params), self.values, overrides)


def builtin_dir():
    return resources.files("tuidl.presets")


def builtin_names() -> list[str]:
    return sorted(p.name[:-5] for p in builtin_dir().iterdir() if p.name.endswith(".toml"))


def list_presets() -> list[Preset]:
    return [load_preset(name) for name in builtin_names()]


def load_preset(ref: str) -> Preset:
    """A built-in preset by name, or a preset file by path."""
    path = Path(ref)
    if ref.endswith(".toml") or path.is_file():
        return _parse(_read(path, show_path(ref)), path.stem, str(path))
    resource = builtin_dir() / f"{ref}.toml"
    if "/" in ref or "\\" in ref or not resource.is_file():  # names only, no paths out
        if ref and path.is_dir():
            raise ConfigError(_is_dir(show_path(ref), path))
        hint = _did_you_mean(ref, builtin_names())
        raise ConfigError(f"unknown preset {_show(ref)}{hint}; `tuidl list` shows them all")
    return _parse(resource.read_text(encoding="utf-8"), ref, None)


def _read(path: Path, shown: str) -> str:
    """A preset file's text; a missing, unreadable or non-UTF-8 file is a ConfigError."""
    if path.is_dir():
        raise ConfigError(_is_dir(shown, path))
    if not path.is_file():
        raise ConfigError(f"preset file not found: {shown}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{shown}: not UTF-8 text (byte {e.start}); save the preset as "
                          "UTF-8") from None
    except OSError as e:
        raise ConfigError(f"{shown}: cannot read it ({e.strerror or e}); check its "
                          "permissions") from None


def _is_dir(shown: str, path: Path) -> str:
    if (path / "config.toml").is_file():  # a run directory: its config.toml is a preset
        return (f"{shown}: is a run directory, not a preset; continue it with "
                f"`tuidl run --resume {shown}` or give {shown}/config.toml")
    return f"{shown}: is a directory, not a preset file; give a .toml file or a preset name"


def _parse(text: str, name: str, path: str | None) -> Preset:
    where = show_path(path) if path else f"preset {name}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{where}: invalid TOML: {e}") from None
    except ValueError:  # an integer of more than 4300 digits
        raise ConfigError(f"{where}: invalid TOML: a number is too long to read") from None
    unknown = set(data) - {"family", "about", "name", "lesson", "params"}
    if unknown:
        raise ConfigError(f"{where}: unknown key {_show(sorted(unknown)[0])} "
                          "(expected family, about, name, lesson and a [params] table)")
    if "family" not in data:
        raise ConfigError(f"{where}: missing 'family'; add a line like family = \"mlp\" "
                          f"(families: {', '.join(FAMILY_NAMES)})")
    params = data.get("params", {})
    if not isinstance(params, dict):
        raise ConfigError(f"{where}: [params] must be a table")
    lesson = data.get("lesson", "")
    if not isinstance(lesson, str) or (lesson and lesson not in LESSON_PANELS):
        raise ConfigError(f"{where}: lesson must be one of {', '.join(LESSON_PANELS)}, not "
                          f"{_show(lesson)}")
    preset = Preset(name=str(data.get("name", name)), family=str(data["family"]),
                    about=str(data.get("about", "")), values=params, path=path,
                    lesson=str(lesson))
    try:
        preset.resolve()
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None
    return preset


def dump_config(preset: Preset, config: dict[str, Any]) -> str:
    """The resolved config as a preset file that `tuidl run` accepts again."""
    import tomli_w
    head = {"name": preset.name, "family": preset.family, "about": preset.about}
    if preset.lesson:
        head["lesson"] = preset.lesson
    return tomli_w.dumps({**head, "params": config})
