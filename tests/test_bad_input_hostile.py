"""Bad input that is also hostile text: each of the hostile strings, put in each place a user
or a file can put text that ends in an error, gives one `error:` line and exit code 2, with
the string shown as written (markup left as text) and its control characters spelled out;
no traceback, no warning, no run directory."""
from __future__ import annotations

import warnings

import pytest
import tomli_w

from cli_tools import call_entry
from tuidl.cli import main
from tuidl.text import visible

HOSTILE = ["[/]", "[bold]x", "\x1b[2J", "\x1b]0;T\x07", "\u202e", "[red]a[/red] \x9b1m"]
RAW = ("\x1b", "\x07", "\u202e", "\x9b")


def _csv(s: str) -> dict:
    return {"d.csv": f"a{s},label\nxyz,0\n2,1\n"}


def _preset(s: str) -> dict:
    return {"p.toml": tomli_w.dumps({"family": s})}


# where the text goes: (argv with S for the string, files to write, the start of the message)
PLACES = {
    "preset name": (["run", "S"], {}, "unknown preset 'S'"),
    "shown preset": (["show", "S"], {}, "unknown preset 'S'"),
    "--set key": (["run", "mlp", "--set", "S=1"], {}, "unknown hyperparameter 'S'"),
    "--set value": (["run", "mlp", "--set", "lr=S"], {}, "lr: expected float, got 'S'"),
    "--set choice": (["run", "mlp", "--set", "activation=S"], {}, "activation: 'S'"),
    "dataset path": (["run", "mlp", "--set", "dataset=S.csv"], {}, "S.csv: no such file"),
    "CSV header": (["run", "mlp", "--set", "dataset=d.csv"], None,
                   "d.csv: row 2, column 'aS': 'xyz' is not a number"),
    "preset family": (["run", "p.toml"], None, "unknown family 'S'"),
    "--resume": (["run", "--resume", "S"], {}, "S: not a run directory"),
    "watch": (["watch", "S"], {}, "S: not a run directory"),
    "--vary key": (["compare", "mlp", "--vary", "S=1,2"], {}, "unknown hyperparameter 'S'"),
    "--device": (["run", "mlp", "--device", "S"], {}, "device: 'S' is not valid"),
    "--out": (["run", "xor-mlp", "--out", "f/S"], {"f": "x"}, "f/S"),
}


@pytest.mark.parametrize("s", HOSTILE, ids=repr)
@pytest.mark.parametrize("place", PLACES)
def test_hostile_text_in_bad_input_is_one_plain_error_line(place, s, tmp_path, monkeypatch,
                                                           capsys):
    argv, files, message = PLACES[place]
    if files is None:
        files = _csv(s) if place == "CSV header" else _preset(s)
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("S", s) if a not in ("run", "show", "watch", "compare") else a
            for a in argv]
    if argv[0] in ("run", "compare") and "--out" not in argv:
        argv = [*argv, "--out", "out"]
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        code, out, err = call_entry(main, argv, monkeypatch, capsys)
    assert not warned, [str(w.message) for w in warned]
    assert (code, out) == (2, ""), err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert not any(c in err for c in RAW), repr(err)
    assert message.replace("S", visible(s)) in err, err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
