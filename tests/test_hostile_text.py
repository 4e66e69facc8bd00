"""Text from users and data reaches the terminal as text: never parsed as markup (a `[/]`
crashed Rich, `[bold]x` lost its brackets), never as raw escapes (a preset could retitle or
clear the terminal) or bidirectional overrides. Fed through every CLI table and line."""
from __future__ import annotations

import pytest
import tomli_w

from cli_tools import call_entry
from tuidl.cli import main
from tuidl.events import RunStart, Status
from tuidl.sinks.console import ConsoleProgress
from tuidl.text import plain, visible

HOSTILE = ["[/]", "[bold]x", "\x1b[2J", "\x1b]0;T\x07", "\u202e", "[red]a[/red] \x9b1m"]
RAW = ("\x1b", "\x07", "\u202e", "\x9b")


def _clean(text: str) -> None:
    assert not any(c in text for c in RAW), repr(text)


def _preset(tmp_path, s: str):
    path = tmp_path / "hostile.toml"
    path.write_text(tomli_w.dumps({
        "family": "mlp", "name": s + "name", "about": "about " + s,
        "params": {"dataset": "xor", "n_samples": 40, "epochs": 1, "batch_size": 8,
                   "hidden": "4"}}), encoding="utf-8")
    return path


@pytest.mark.parametrize("s", HOSTILE, ids=repr)
def test_visible_spells_out_controls_and_plain_never_parses_markup(s):
    _clean(visible(s))
    assert plain(s).plain == visible(s)  # what is shown is what was written
    assert "\n" in visible("a\nb") and "\t" in visible("a\tb")


@pytest.mark.parametrize("s", HOSTILE, ids=repr)
def test_show_prints_a_hostile_preset_as_text(s, tmp_path, monkeypatch, capsys):
    code, out, err = call_entry(main, ["show", str(_preset(tmp_path, s))], monkeypatch, capsys)
    assert code == 0, err
    _clean(out + err)
    assert visible(s + "name") in out and visible("about " + s) in out


@pytest.mark.parametrize("s", HOSTILE, ids=repr)
def test_run_and_its_progress_print_hostile_names_and_paths_as_text(s, tmp_path,
                                                                    monkeypatch, capsys):
    out_dir = tmp_path / f"runs{s.replace('/', '|')}"
    code, out, err = call_entry(main, ["run", str(_preset(tmp_path, s)), "--out", str(out_dir)],
                                monkeypatch, capsys)
    assert code == 0, err
    _clean(out + err)
    assert visible(s + "name") in err and visible(str(out_dir)) in out
    code, out, err = call_entry(main, ["run", str(_preset(tmp_path, s)), "--dry-run"],
                                monkeypatch, capsys)
    assert code == 0 and visible(s + "name") in out
    _clean(out + err)


@pytest.mark.parametrize("s", HOSTILE[:3], ids=repr)
def test_compare_prints_its_table_of_hostile_values_as_text(s, tmp_path, monkeypatch, capsys):
    code, out, err = call_entry(main, ["compare", str(_preset(tmp_path, s)), "--vary",
                                       "lr=0.01,0.02", "--out", str(tmp_path / "c")],
                                monkeypatch, capsys)
    assert code == 0, err
    _clean(out + err)
    assert visible(s + "name") in out


@pytest.mark.parametrize("s", HOSTILE, ids=repr)
def test_the_progress_sink_shows_hostile_messages_as_text(s):
    from rich.console import Console
    import io
    console = Console(file=io.StringIO(), width=200)
    progress = ConsoleProgress(console, live=False)
    progress(RunStart(preset=s, family="mlp", config={"epochs": 1}, run_dir=f"runs/{s}"))
    progress(Status(status="failed", message=f"boom {s}"))
    text = console.file.getvalue()
    _clean(text)
    assert f"boom {visible(s)}" in text and not progress.broken
