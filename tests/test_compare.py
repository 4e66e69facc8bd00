"""tuidl compare: every combination runs into one folder; bad variants fail before any run."""
import json
from pathlib import Path

from typer.testing import CliRunner

from tuidl.cli import app
from tuidl.compare import parse_vary

runner = CliRunner()


def test_vary_parses_lists_and_rejects_nonsense():
    assert parse_vary(["optimizer=sgd,adam", "hidden=16,16;8"]) == [
        ("optimizer", ["sgd", "adam"]), ("hidden", ["16,16", "8"])]


def test_compare_runs_every_combination_and_keeps_each_run(tmp_path):
    result = runner.invoke(app, ["compare", "xor-mlp", "--vary", "optimizer=sgd,adam",
                                 "--vary", "hidden=4;8", "--epochs", "2", "--out",
                                 str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [r["variant"] for r in data["runs"]] == [
        "optimizer=sgd hidden=4", "optimizer=sgd hidden=8",
        "optimizer=adam hidden=4", "optimizer=adam hidden=8"]
    for r in data["runs"]:
        assert r["status"] == "completed" and r["epochs"] == 2
        run_dir = Path(r["run_dir"])
        assert run_dir.parent == Path(data["dir"]) and (run_dir / "summary.json").is_file()
        assert "verdict" in r["diagnosis"]
    saved = json.loads(open(f"{data['dir']}/compare.json").read())
    assert [r["variant"] for r in saved["runs"]] == [r["variant"] for r in data["runs"]]


def test_compare_table_names_runs_by_what_differs_and_metrics_by_their_keys(tmp_path,
                                                                         monkeypatch):
    """Each row is `optimizer=adam`, as on the compare screen; each metric column is the key
    summary.json and metrics.csv use (`val_accuracy`), as every table names it."""
    from tuidl.cli_io import out
    monkeypatch.setattr(out, "_width", 100)  # whatever width the console took at import
    result = runner.invoke(app, ["compare", "xor-mlp", "--vary", "optimizer=sgd,adam",
                                 "--epochs", "2", "--out", str(tmp_path)],
                           env={"COLUMNS": "100"})
    assert result.exit_code == 0
    header = next(line for line in result.stdout.splitlines() if "status" in line).split()
    assert header == ["run", "status", "train_loss", "val_loss", "val_accuracy", "seconds",
                      "gradients"]
    assert "optimizer=sgd" in result.stdout and "optimizer=adam" in result.stdout
    assert "healthy" in result.stdout


def test_a_bad_variant_fails_before_anything_runs(tmp_path):
    result = runner.invoke(app, ["compare", "xor-mlp", "--vary", "optimizer=sgd,adamm",
                                 "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.strip().startswith("error: optimizer=adamm: optimizer: 'adamm'")
    assert not tmp_path.exists() or not list(tmp_path.iterdir())
    result = runner.invoke(app, ["compare", "xor-mlp", "--vary", "optimizer"])
    assert result.exit_code == 2 and "--vary expects key=value1,value2" in result.output


def test_watch_rejects_what_is_not_a_run_directory(tmp_path):
    result = runner.invoke(app, ["watch", str(tmp_path), str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {tmp_path}: not a run directory (no events.jsonl)"
