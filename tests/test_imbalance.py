"""A rare class: stratified splits hold its share, class_weight=balanced finds it more often,
and the per-class figures (recall, F1, balanced accuracy, macro F1) say so where accuracy
does not."""
import csv
import json

import numpy as np
import pytest
import torch

from cli_tools import TUIDL
from tuidl.data.reviews import split_rows
from tuidl.data.split import indices
from tuidl.events import EvalMetrics
from tuidl.sinks.jsonl import parse_event
from tuidl.sinks.tables import PER_CLASS_COLUMNS, flat
from tuidl.tasks import class_figures
from tuidl.tasks.classify import balanced_weights

N, RARE = 2000, 100  # 5 % of the rows are "rare"


def write_rare(path, seed=0):
    """Two overlapping Gaussian blobs, the rare one shifted by 1.5 on both features: a model
    that weighs every row alike calls most rare rows common (the Bayes rule with a 5 % prior
    finds 37 % of them), one that weighs the classes alike finds most (86 %)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, 2))
    x[:RARE] += 1.5
    label = np.array(["rare"] * RARE + ["common"] * (N - RARE))
    order = rng.permutation(N)
    rows = [f"{a:.4f},{b:.4f},{lab}" for (a, b), lab in zip(x[order], label[order])]
    path.write_text("a,b,label\n" + "\n".join(rows) + "\n")
    return path


def rare_run(train, tmp_path, *sets):
    data = write_rare(tmp_path / "rare.csv")
    return train("mlp", f"dataset={data}", "hidden=8", "epochs=20", "threads=1", *sets)


def val_rows(events) -> dict[str, int]:
    confusion = [e for e in events if e["type"] == "confusion"][-1]
    return {label: sum(row) for label, row in zip(confusion["labels"], confusion["matrix"])}


def test_a_stratified_split_validates_on_the_rare_class_share(train, tmp_path):
    summary, run_dir, events = rare_run(train, tmp_path)
    assert val_rows(events) == {"common": 380, "rare": 20}  # exactly 20 % of each class
    m = summary["metrics"]
    assert set(m["val_recall"]) == set(m["val_f1"]) == {"common", "rare"}
    assert m["val_balanced_accuracy"] == pytest.approx(sum(m["val_recall"].values()) / 2)
    assert m["val_macro_f1"] == pytest.approx(sum(m["val_f1"].values()) / 2)
    # accuracy flatters the model; balanced accuracy does not
    assert m["val_accuracy"] > 0.95 and m["val_accuracy"] - m["val_balanced_accuracy"] > 0.1
    saved = json.loads((run_dir / "summary.json").read_text())["metrics"]
    assert saved["val_recall"] == m["val_recall"]
    with open(run_dir / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert float(rows[-1]["val_recall_rare"]) == pytest.approx(m["val_recall"]["rare"])
    assert float(rows[-1]["val_f1_common"]) == pytest.approx(m["val_f1"]["common"])
    assert float(rows[-1]["val_macro_f1"]) == pytest.approx(m["val_macro_f1"])
    eval_line = next(line for line in (run_dir / "events.jsonl").read_text().splitlines()
                     if '"type": "eval"' in line)
    assert isinstance(parse_event(eval_line), EvalMetrics)  # `watch` reads it


@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow),
                                  pytest.param(2, marks=pytest.mark.slow)])
def test_balanced_class_weights_find_the_rare_class(train, tmp_path, seed):
    plain, _, _ = rare_run(train, tmp_path, f"seed={seed}")
    weighted, _, _ = rare_run(train, tmp_path, f"seed={seed}", "class_weight=balanced")
    before, after = plain["metrics"], weighted["metrics"]
    # seeds 0, 1, 2: rare recall 0.45 -> 0.9, 0.3 -> 0.8, 0.35 -> 0.75
    assert after["val_recall"]["rare"] >= before["val_recall"]["rare"] + 0.3
    assert after["val_balanced_accuracy"] > before["val_balanced_accuracy"] + 0.1


def test_the_stratified_split_takes_each_class_share_deterministically():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    np.random.default_rng(5).shuffle(y)
    train, val, test = indices(y, 0.6, 0.2, seed=3, stratify=True)
    assert [np.bincount(y[part], minlength=3).tolist() for part in (train, val, test)] == [
        [30, 18, 12], [10, 6, 4], [10, 6, 4]]
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(100))
    again = indices(y, 0.6, 0.2, seed=3, stratify=True)
    assert all(np.array_equal(a, b) for a, b in zip((train, val, test), again))
    other = indices(y, 0.6, 0.2, seed=4, stratify=True)
    assert not np.array_equal(other[1], val)
    plain = indices(y, 0.6, 0.2, seed=3)  # the sizes of the plain split
    assert [len(p) for p in plain] == [len(p) for p in (train, val, test)]
    # an uneven share: each class within one row of it, the sizes those of the plain split
    y = np.repeat([0, 1, 2, 3], [7, 13, 1, 979])
    for seed in range(5):
        parts = indices(y, 0.7, 0.1, seed, stratify=True)
        share = np.bincount(y) * np.array([[0.7], [0.2], [0.1]])
        counts = np.array([np.bincount(y[p], minlength=4) for p in parts])
        assert np.abs(counts - share).max() <= 1
        assert counts.sum(1).tolist() == [700, 200, 100]


def test_labelled_text_is_split_by_class_too():
    labels = np.array([1] * 10 + [0] * 90)
    held_out = np.zeros(100, dtype=bool)
    held_out[:5] = True  # a folder's test/ rows stay the test split
    train, val, test = split_rows(held_out, 0.8, 0, labels, stratify=True)
    assert test.tolist() == [0, 1, 2, 3, 4]
    assert np.bincount(labels[val]).tolist() == [18, 1]  # 95 rows: 90 and 5 of each class
    assert not set(train) & set(val)


def test_per_class_figures_from_a_confusion_matrix():
    counts = torch.tensor([[8, 2, 0], [1, 1, 0], [0, 0, 0]])  # class 2: not there, not predicted
    values = class_figures.figures(counts).tolist()
    m = class_figures.named(values, ["a", "b", "c"], "val")
    assert m["val_recall"] == {"a": 0.8, "b": 0.5, "c": None}
    assert m["val_f1"]["a"] == pytest.approx(16 / 19) and m["val_f1"]["c"] is None
    assert m["val_balanced_accuracy"] == pytest.approx(0.65)  # mean over the classes there
    assert m["val_macro_f1"] == pytest.approx((16 / 19 + 2 / 5) / 2)


def test_balanced_weights_are_n_over_classes_times_count():
    y = torch.tensor([0] * 6 + [1] * 2)
    assert balanced_weights(y, 3).tolist() == pytest.approx([8 / 12, 8 / 4, 0.0])  # 2: absent


def test_metrics_csv_has_per_class_columns_up_to_a_bound():
    few = {"val_loss": 0.1, "val_recall": {"a": 1.0, "b": None}}
    assert flat(few) == {"val_loss": 0.1, "val_recall_a": 1.0, "val_recall_b": ""}
    many = {"val_loss": 0.1, "val_recall": {str(c): 0.5 for c in range(PER_CLASS_COLUMNS + 1)}}
    assert flat(many) == {"val_loss": 0.1}  # summary.json and events.jsonl keep them


@pytest.mark.slow
def test_weighted_loss_on_two_processes_is_the_whole_batch_weighted_mean(train, tmp_path):
    """Each rank's weighted mean scaled by its share of the batch's weight: two processes
    take the steps one does (the same train loss)."""
    import os
    import subprocess
    data = write_rare(tmp_path / "rare.csv")
    sets = ["--set", f"dataset={data}", "--set", "hidden=8", "--set", "class_weight=balanced",
            "--epochs", "3"]
    alone, _, _ = train("mlp", f"dataset={data}", "hidden=8", "class_weight=balanced",
                        epochs=3)
    env = {k: v for k, v in os.environ.items()
           if k not in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    done = subprocess.run([*TUIDL, "run", "mlp", *sets, "--nproc", "2", "--json", "--out",
                           str(tmp_path / "two")], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    two = json.loads(done.stdout)["metrics"]
    assert two["train_loss"] == pytest.approx(alone["metrics"]["train_loss"], rel=1e-3)
    assert two["val_loss"] == pytest.approx(alone["metrics"]["val_loss"], rel=1e-3)


def test_a_run_saved_before_stratified_splits_resumes_and_repeats_on_its_own_split(
        train, tmp_path):
    """A saved config without `stratify` (a run from before it existed) resumes, and repeats
    with `tuidl run <run>/config.toml`, on the plain split it trained on."""
    from tuidl.runner import resume_prepared
    data = write_rare(tmp_path / "rare.csv")
    rare = (f"dataset={data}", "hidden=8", "epochs=1", "threads=1")
    plain, _, plain_events = train("mlp", *rare, "stratify=false")
    summary, run_dir, _ = train("mlp", *rare)
    config = run_dir / "config.toml"
    assert "stratify = true" in config.read_text()
    assert resume_prepared(str(run_dir)).config["stratify"] is True
    config.write_text(config.read_text().replace("stratify = true\n", ""))  # an older run's
    assert resume_prepared(str(run_dir)).config["stratify"] is False
    again, _, again_events = train(str(config))
    assert again_events[0]["config"]["stratify"] is False
    assert val_rows(again_events) == val_rows(plain_events)
    assert again["metrics"] == plain["metrics"]


def test_the_console_line_adds_balanced_accuracy_only_where_accuracy_flatters():
    from tuidl.sinks.console import fmt_metrics
    m = {"val_accuracy": 0.96, "val_balanced_accuracy": 0.7, "val_macro_f1": 0.75,
         "val_recall": {"common": 0.99, "rare": 0.4}}
    assert fmt_metrics(m) == "val_accuracy=0.96 val_balanced_accuracy=0.7"
    m["val_balanced_accuracy"] = 0.95
    assert fmt_metrics(m) == "val_accuracy=0.96"


def test_a_class_with_no_training_rows_is_a_warning_and_many_classes_stay_small(train, tmp_path):
    """One 'lonely' row lands in validation: the run says the model cannot learn it. Past
    PER_CLASS_MAX classes the eval events carry the means only."""
    data = write_rare(tmp_path / "rare.csv")
    data.write_text(data.read_text() + "9.0,9.0,lonely\n")
    summary, _, events = train("mlp", f"dataset={data}", "hidden=8", "epochs=1",
                               "threads=1", "train_fraction=0.3")
    start = events[0]
    assert start["warnings"] == ["1 of 3 classes have no training rows (lonely): the model "
                                 "cannot learn them; a larger train_fraction or more data "
                                 "would give them some"]
    values = [0.5, 0.5] + [1.0] * 2 * (class_figures.PER_CLASS_MAX + 1)
    labels = [str(i) for i in range(class_figures.PER_CLASS_MAX + 1)]
    assert set(class_figures.named(values, labels, "val")) == {"val_balanced_accuracy",
                                                               "val_macro_f1"}
