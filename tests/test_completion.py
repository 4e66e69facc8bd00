"""Shell completion (Typer's): `tuidl --install-completion`, presets and lessons by name."""
import os
import subprocess
import sys

from typer.testing import CliRunner

from tuidl.cli import app


def complete(line: str) -> list[str]:
    """What bash completion offers for the last word of `line`."""
    words = line.split(" ")
    env = {**os.environ, "_TUIDL_COMPLETE": "complete_bash", "COMP_WORDS": line,
           "COMP_CWORD": str(len(words) - 1)}
    code = "from tuidl.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60)
    return done.stdout.split()


def test_completion_is_offered():
    text = CliRunner().invoke(app, ["--help"]).output
    assert "--install-completion" in text and "--show-completion" in text


def test_presets_and_lessons_complete_by_name():
    assert complete("tuidl run xor") == ["xor-mlp"]
    assert "vanishing-sigmoid" in complete("tuidl show van")
    assert complete("tuidl lesson dep") == ["depth"]
    assert complete("tuidl lr-find mlp-sp") == ["mlp-spiral"]
    assert complete("tuidl run zzz") == []
