"""The command line: listing, showing, running, and one-line errors with exit code 2."""
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tuidl.cli import app

runner = CliRunner()


def test_list_names_every_family():
    result = runner.invoke(app, ["list"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in ("perceptron-xor", "xor-mlp", "mlp-spiral", "mlp-digits", "cnn-digits"):
        assert name in result.output


def test_show_lists_every_hyperparameter():
    result = runner.invoke(app, ["show", "mlp-spiral"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in ("lr", "optimizer", "hidden", "activation", "early_stopping", "seed"):
        assert name in result.output
    for choice in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adamw"):
        assert choice in result.output


@pytest.mark.parametrize("args, message", [
    (["run", "mlp", "--set", "lr=abc"], "error: lr: expected float, got 'abc'"),
    (["run", "mlp", "--set", "batch_size=0"], "error: batch_size: 0 is out of range [1, 1000000]"),
    (["run", "mlp", "--set", "optimzer=adam"],
     "error: unknown hyperparameter 'optimzer' (did you mean 'optimizer'?)"),
    (["run", "nosuchpreset"], "error: unknown preset 'nosuchpreset'; `tuidl list` shows them all"),
    (["run", "mlp", "--device", "gpu"], "error: device: 'gpu' is not valid"),
    (["show", "nosuchpreset"], "error: unknown preset 'nosuchpreset'"),
    (["run", "mlp", "--set", "train_fraction=0.9", "--set", "test_fraction=0.3"],
     "error: train_fraction + test_fraction must be < 1"),
])
def test_bad_input_is_one_line_exit_2(args, message, tmp_path):
    result = runner.invoke(app, [*args, "--out", str(tmp_path)] if args[0] == "run" else args)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.output
    assert "Traceback" not in result.output
    assert not list(tmp_path.iterdir())  # nothing created for a rejected run


def test_run_json_prints_exactly_one_object(tmp_path):
    result = runner.invoke(app, ["run", "perceptron-and", "--json", "--out", str(tmp_path)])
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert set(summary) >= {"preset", "status", "epochs", "steps", "seconds", "device",
                            "run_dir", "metrics"}
    assert summary["status"] == "completed" and summary["metrics"]["accuracy"] == 1.0


def test_run_plain_lines_when_not_a_tty(tmp_path):
    result = runner.invoke(app, ["run", "perceptron-or", "--epochs", "3", "--out", str(tmp_path)])
    assert result.exit_code == 0
    assert "epoch 3/3" in result.output and "completed:" in result.output
    assert "run directory:" in result.output


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_help_list_and_lessons_do_not_import_torch():
    for argv in (["--help"], ["list"], ["show", "mlp"], ["lesson"]):
        code = f"import sys; sys.argv=['tuidl', *{argv!r}]\nfrom tuidl.cli import main\n" \
               "try:\n    main()\nexcept SystemExit:\n    pass"  # the console script's path
        mods = _modules_after(code)
        assert "torch" not in mods, argv
        assert "textual" not in mods, argv
