"""mlp on a CSV/TSV file the test writes: it trains, it standardises with training statistics
only, and every malformed file is one line naming the file, with exit code 2."""
import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from tuidl.cli import app
from tuidl.config import ConfigError
from tuidl.data.split import Split, standardize
from tuidl.data.tabular import load_table
from inputs import write_input

runner = CliRunner()


def write_table(path, n=300, sep=",", header=True, seed=0):
    """Features on wildly different scales; the label is a string."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)) * [1, 100, 0.01] + [0, 500, 3]
    label = np.where(x[:, 0] + (x[:, 1] - 500) / 100 > 0, "yes", "no")
    lines = [sep.join(["a", "b", "c", "answer"])] if header else []
    lines += [sep.join([f"{r[0]:.4f}", f"{r[1]:.4f}", f"{r[2]:.5f}", lab])
              for r, lab in zip(x, label)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_an_mlp_trains_on_a_csv_with_string_labels(tmp_path):
    csv = write_table(tmp_path / "data.csv")
    result = runner.invoke(app, ["run", "mlp", "--set", f"dataset={csv}", "--epochs", "20",
                                 "--out", str(tmp_path / "runs"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["metrics"]["val_accuracy"] >= 0.9
    events = [json.loads(line) for line in
              open(f"{summary['run_dir']}/events.jsonl").read().splitlines()]
    confusion = [e for e in events if e["type"] == "confusion"][-1]
    assert confusion["labels"] == ["no", "yes"]
    assert sum(map(sum, confusion["matrix"])) == 60  # 20 % of 300 validate


def test_label_column_by_name_or_index_tsv_and_no_header(tmp_path):
    t = load_table(write_table(tmp_path / "d.tsv", sep="\t"), "answer")
    assert t.x.shape == (300, 3) and t.classes == ["no", "yes"] and t.features == ["a", "b", "c"]
    with pytest.raises(ConfigError, match="column 'answer': '(yes|no)' is not a number"):
        load_table(write_table(tmp_path / "d.csv"), "0")  # column a as the label: answer is text
    plain = tmp_path / "n.csv"
    plain.write_text("1,2,0\n3,4,1\n5,6,1\n")  # all numbers: no header, columns by index
    t = load_table(plain)
    assert t.features == ["0", "1"] and t.classes == ["0", "1"] and t.y.tolist() == [0, 1, 1]
    t = load_table(plain, "0")
    assert t.features == ["1", "2"] and t.classes == ["1", "3", "5"]


def test_standardisation_uses_the_training_split_only():
    x_train = torch.tensor([[0.0, 10.0], [2.0, 30.0]])
    x_val = torch.tensor([[100.0, 20.0]])
    data = Split(x_train, torch.tensor([0, 1]), x_val, torch.tensor([0]))
    everything = np.array([[0.0, 10.0], [2.0, 30.0], [100.0, 20.0]], dtype=np.float32)
    scaled, warning = standardize(data, everything)
    assert warning is None
    assert torch.allclose(data.x_train.mean(0), torch.zeros(2))
    assert torch.allclose(data.x_train.std(0, unbiased=False), torch.ones(2))
    assert data.x_val.tolist() == [[99.0, 0.0]]  # (100 - 1) / 1: the val row did not move them
    assert np.allclose(scaled[2], [99.0, 0.0])


@pytest.mark.parametrize("name, content, label, message", [
    ("missing.csv", None, "", "no such file"),
    ("empty.csv", "", "", "the file is empty"),
    ("cols.csv", "a,b,y\n1,2,0\n3,4,1\n", "label", "no label column 'label' (columns: a, b, y)"),
    ("text.csv", "a,b,y\n1,2,0\n3,x,1\n", "", "row 3, column 'b': 'x' is not a number"),
    ("one.csv", "a,b,y\n1,2,0\n3,4,0\n", "", "the label column 'y' has a single class ('0')"),
    ("ragged.csv", "a,b,y\n1,2,0\n3,1\n", "", "row 3 has 2 cells, expected 3"),
    ("latin1.csv", b"a,b,y\n1,2,\xe9\n", "", "not UTF-8 text"),
])
def test_malformed_files_are_one_line_errors_with_exit_2(tmp_path, name, content, label, message):
    path = tmp_path / name
    write_input(path, content)
    args = ["run", "mlp", "--set", f"dataset={path}", "--out", str(tmp_path / "runs")]
    if label:
        args += ["--set", f"label_column={label}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    out = result.output.strip()
    assert out.startswith(f"error: {path}: ") and message in out and "\n" not in out
    assert not (tmp_path / "runs").exists()  # nothing half-made


def test_a_dataset_that_is_neither_a_choice_nor_a_csv_says_both(tmp_path):
    result = runner.invoke(app, ["run", "mlp", "--set", "dataset=data.parquet"])
    assert result.exit_code == 2
    assert "or a .csv / .tsv file" in result.output


def test_a_quoted_cell_may_span_lines(tmp_path):
    """csv reads the text whole: a quoted label with a newline is one cell, not two rows."""
    path = tmp_path / "quoted.csv"
    path.write_text('x,label\n1,"two\nlines"\n2,one\n3,"two\nlines"\n4,one\n')
    table = load_table(path)
    assert table.classes == ["one", "two\nlines"] and table.y.tolist() == [1, 0, 1, 0]


def test_many_classes_give_a_summarised_confusion_matrix(tmp_path):
    """60 classes: the run sends the 23 most confused and one "(other)" row and column, whose
    counts still add up to the whole validation set; confusion.csv holds the same."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 60, 1200)
    x = np.stack([y + rng.normal(0, 3, 1200), rng.normal(size=1200)], 1)
    csv = tmp_path / "many.csv"
    csv.write_text("a,b,label\n" + "".join(f"{a:.3f},{b:.3f},c{k}\n"
                                           for (a, b), k in zip(x, y)))
    result = runner.invoke(app, ["run", "mlp", "--set", f"dataset={csv}", "--epochs", "2",
                                 "--out", str(tmp_path / "runs"), "--json"])
    assert result.exit_code == 0, result.output
    run_dir = json.loads(result.stdout)["run_dir"]
    events = [json.loads(line) for line in open(f"{run_dir}/events.jsonl")]
    confusion = [e for e in events if e["type"] == "confusion"][-1]
    assert len(confusion["labels"]) == 24 and confusion["labels"][-1] == "(other)"
    assert confusion["classes"] == 60 and sum(map(sum, confusion["matrix"])) == 240
    assert len(open(f"{run_dir}/confusion.csv").read().splitlines()) == 25


def test_a_feature_constant_in_training_rows_keeps_val_loss_finite_and_is_warned_of(tmp_path):
    """A border pixel no training digit touches, but some validation digits do: scaled by
    1 (as scikit-learn's StandardScaler does), not by a 1e-8 floor that made the val loss
    1e6 beside a fine accuracy; the run says so in one warning line."""
    from tuidl.runner import prepare
    config = prepare("mlp", ["dataset=x.csv"]).config
    n = 400
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    # the rows tuidl.data.split puts in validation, for this seed and these fractions
    order = np.random.default_rng(config["seed"] + 7919).permutation(n)
    n_test = int(round(n * config["test_fraction"]))
    val = order[n_test:][int(round(n * config["train_fraction"])):]
    border = np.zeros(n)
    border[val[:10]] = 255.0
    path = tmp_path / "border.csv"
    path.write_text("a,b,c,border,label\n" + "".join(
        f"{a:.4f},{b:.4f},{c:.4f},{d:.0f},{label}\n"
        for (a, b, c), d, label in zip(x, border, y)))
    result = CliRunner().invoke(app, ["run", "mlp", "--set", f"dataset={path}", "--set",
                                      "label_column=label", "--epochs", "5", "--json",
                                      "--out", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)["metrics"]
    assert np.isfinite(metrics["val_loss"]) and metrics["val_loss"] < 10, metrics
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: 1 feature(s) constant in the training rows (border): "
                        "centred and scaled by 1, not by their spread"], result.stderr
