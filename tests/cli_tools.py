"""Shared by the CLI tests (importable: pytest puts tests/ on sys.path)."""
import sys

import pytest

TUIDL = [sys.executable, "-m", "tuidl"]  # the console script, through this interpreter


def call_entry(entry, argv, monkeypatch, capsys) -> tuple[int, str, str]:
    """Run the console script's function as the installed `tuidl` does: argv in sys.argv."""
    monkeypatch.setattr(sys, "argv", ["tuidl", *argv])
    with pytest.raises(SystemExit) as exited:
        entry()
    captured = capsys.readouterr()
    return exited.value.code, captured.out, captured.err
