"""A lesson's runs: planned (every variant resolved before any trains), trained, judged.

A run of a lesson is a folder like `tuidl compare`'s: `<out>/<timestamp>-lesson-<name>/`, one
run directory per variant (named after the variant) and `lesson.json`, written when the
lesson starts and again as each variant ends, with the verdict once all have ended:

    {"lesson": "xor", "title": "…", "lang": "en", "holds": true, "verdict": "holds: …",
     "variants": [{"name": "mlp", "label": "MLP", "preset": "xor-mlp",
                   "overrides": {"epochs": "50"}, "run_dir": "20261207-…-mlp",
                   "figures": {"val_accuracy": 1.0, …}}, …]}

`tuidl watch FOLDER` reopens it on the lesson screen. Torch-free until the first run starts.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from tuidl.config import ConfigError
from tuidl.lesson import MAX_VARIANTS, Lesson, Variant
from tuidl.lesson_figures import Figures, figures_of, verdict

LESSON_JSON = "lesson.json"
MAX_JSON = 1 << 20  # bytes of lesson.json read back; a bigger one is not a lesson's


@dataclass
class Planned:
    variant: Variant
    prepared: Any  # tuidl.runner.Prepared


def plan(lesson: Lesson, sets: list[str] = (), **cli: Any) -> list[Planned]:
    """Every variant resolved (its preset, its overrides, then `sets` and the flags); a
    ConfigError names the first bad one before anything trains."""
    from tuidl.runner import prepare
    out = []
    for v in lesson.variants:
        try:
            out.append(Planned(v, prepare(v.preset, [*v.sets, *sets], **cli)))
        except ConfigError as e:
            raise ConfigError(f"lesson {lesson.name}, variant {v.name}: {e}") from None
    return out


def start_folder(lesson: Lesson, out_root: str, lang: str) -> Path:
    from tuidl.rundir import make_run_dir
    folder = make_run_dir(out_root, f"lesson-{lesson.name}")
    write(folder, lesson, lang, {})
    return folder


def write(folder: Path, lesson: Lesson, lang: str, runs: dict[str, Path],
          figures: dict[str, Figures] | None = None, final: bool = False) -> dict:
    """lesson.json as it stands; with the verdict once every run has ended (`final`)."""
    from tuidl.rundir import write_atomic
    figures = figures or {}
    holds, line = (verdict(lesson, {**{v.name: {} for v in lesson.variants}, **figures})
                   if final else (None, ""))
    record = {"lesson": lesson.name, "title": lesson.title_in(lang), "lang": lang,
              "holds": holds, "verdict": line,
              "variants": [{"name": v.name, "label": v.label, "preset": v.preset,
                            "overrides": v.overrides,
                            "run_dir": runs[v.name].name if v.name in runs else None,
                            "figures": figures.get(v.name)} for v in lesson.variants]}
    write_atomic(folder / LESSON_JSON, json.dumps(record, indent=2, default=str) + "\n")
    return record


def judge(folder: Path, lesson: Lesson, lang: str, run_dirs: list[str | None],
          save: bool = True) -> tuple[bool | None, str]:
    """The verdict over the variants' run directories (in the lesson's order; None for a run
    that never started), written into lesson.json when `save`."""
    runs = {v.name: Path(d) for v, d in zip(lesson.variants, run_dirs) if d}
    figures = {name: figures_of(d) for name, d in runs.items()}
    if save:
        record = write(folder, lesson, lang, runs, figures, final=True)
        return record["holds"], record["verdict"]
    return verdict(lesson, {**{v.name: {} for v in lesson.variants}, **figures})


def run_all(lesson: Lesson, planned: list[Planned], out_root: str, lang: str,
            on_done: Callable[[Planned, dict], None] = lambda p, s: None) -> tuple[Path, dict]:
    """Train the variants one after the other (headless); the folder and lesson.json."""
    from tuidl.runner import execute
    folder = start_folder(lesson, out_root, lang)
    runs: dict[str, Path] = {}
    figures: dict[str, Figures] = {}
    record: dict = {}
    for p in planned:
        summary = execute(p.prepared, out_root=str(folder), name=p.variant.name)
        runs[p.variant.name] = Path(summary.run_dir)
        figures[p.variant.name] = figures_of(summary.run_dir)
        record = write(folder, lesson, lang, runs, figures, final=p is planned[-1])
        on_done(p, summary.public())
    return folder, record


def read_record(folder: str | Path) -> dict | None:
    """A lesson folder's lesson.json (None when there is none, or it is not one)."""
    path = Path(folder) / LESSON_JSON
    try:
        if not path.is_file() or path.stat().st_size > MAX_JSON:
            return None
        record = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("variants"), list):
        return None
    return record


def variant_dirs(folder: str | Path, record: dict) -> list[tuple[str, str, Path | None]]:
    """(name, label, run directory) of each variant in a lesson folder (at most
    MAX_VARIANTS): the directory lesson.json names, else the newest one named after the
    variant, else None (a run not started yet)."""
    out = []
    for v in record["variants"][:MAX_VARIANTS]:  # a lesson has no more
        if isinstance(v, dict) and isinstance(v.get("name"), str):
            out.append((v["name"], str(v.get("label", v["name"])),
                        find_run_dir(folder, v["name"], v.get("run_dir"))))
    return out


def find_run_dir(folder: str | Path, name: str, run_dir: Any = None) -> Path | None:
    folder = Path(folder)
    inside = isinstance(run_dir, str) and "/" not in run_dir and "\\" not in run_dir and (
        not run_dir.startswith("."))  # a name, never a way out of the folder
    if inside and (folder / run_dir).is_dir():
        return folder / run_dir
    found = sorted(p for p in folder.glob(f"*-{glob_safe(name)}") if p.is_dir())
    return found[-1] if found else None


def glob_safe(name: str) -> str:
    return "".join(c for c in name if c.isalnum() or c in "_-")
