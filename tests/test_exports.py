"""Run directories hold results in formats other tools read: metrics and confusion as CSV,
weights, word vectors (word2vec text format and Projector TSVs), GAN samples."""
import csv

import pytest
from safetensors.torch import load_file

from tuidl.runner import execute, prepare, resume_prepared


def _rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_metrics_confusion_and_weights_of_a_classifier(train):
    summary, run_dir, _ = train("xor-mlp", "epochs=3")
    rows = _rows(run_dir / "metrics.csv")
    assert rows[0] == ["epoch", "step", "train_loss", "train_accuracy", "val_loss",
                       "val_accuracy", "val_balanced_accuracy", "val_macro_f1",
                       "val_recall_0", "val_recall_1", "val_f1_0", "val_f1_1"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3"]
    assert float(rows[-1][5]) == pytest.approx(summary["metrics"]["val_accuracy"])
    assert float(rows[-1][9]) == pytest.approx(summary["metrics"]["val_recall"]["1"])
    confusion = _rows(run_dir / "confusion.csv")
    assert confusion[0] == ["true \\ predicted", "0", "1"]
    assert sum(int(v) for r in confusion[1:] for v in r[1:]) == 80  # the validation set
    weights = load_file(run_dir / "model.safetensors")
    assert set(weights) == {"model.fc1.weight", "model.fc1.bias", "model.out.weight",
                            "model.out.bias"}
    from tuidl.models.mlp import build_mlp
    fresh = build_mlp(2, [8], 2, "tanh")
    fresh.load_state_dict({k.removeprefix("model."): v for k, v in weights.items()})


def test_a_resumed_run_appends_to_its_metrics(tmp_path):
    first = execute(prepare("xor-mlp", ["epochs=2"]), out_root=str(tmp_path))
    execute(resume_prepared(first.run_dir, ["epochs=4"]), run_dir=first.run_dir)
    rows = _rows(f"{first.run_dir}/metrics.csv")
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4"] and len(set(map(len, rows))) == 1


def _parse_word2vec_text(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    n, dim = map(int, lines[0].split())
    vectors = {}
    for line in lines[1:]:
        word, *values = line.split(" ")
        assert len(values) == dim
        vectors[word] = [float(v) for v in values]
    assert len(vectors) == n
    return vectors


def test_word_vectors_round_trip(train):
    summary, run_dir, _ = train("word2vec", "epochs=1", "n_sentences=300", "min_count=1")
    vectors = _parse_word2vec_text(run_dir / "vectors.txt")
    words = (run_dir / "metadata.tsv").read_text(encoding="utf-8").split("\n")[:-1]
    tsv = [[float(v) for v in line.split("\t")] for line in
           (run_dir / "vectors.tsv").read_text().splitlines()]
    assert list(vectors) == words and len(tsv) == len(words)
    assert vectors[words[3]] == pytest.approx(tsv[3], rel=1e-5)
    gensim = pytest.importorskip("gensim")  # only where it is installed
    kv = gensim.models.KeyedVectors.load_word2vec_format(str(run_dir / "vectors.txt"))
    assert kv.vector_size == len(tsv[0]) and kv[words[3]] == pytest.approx(tsv[3], rel=1e-5)


def test_gan_samples_as_csv(train):
    _, run_dir, _ = train("gan-ring", "epochs=1", "steps_per_epoch=10", "eval_samples=500")
    rows = _rows(run_dir / "samples.csv")
    assert rows[0] == ["x", "y"] and len(rows) == 501
    assert (run_dir / "model.safetensors").is_file()


def test_a_failing_export_does_not_lose_the_run(train, monkeypatch):
    from tuidl.engine.task import Task

    def broken(self, run_dir):
        raise OSError("disk full")
    monkeypatch.setattr(Task, "export", broken)
    summary, run_dir, _ = train("xor-mlp", "epochs=1")
    assert summary["status"] == "completed" and (run_dir / "summary.json").is_file()
    assert "export failed" in (run_dir / "error.log").read_text()


def test_an_export_requested_mid_run_is_written_and_reported(tmp_path):
    from tuidl.engine.control import Control
    from tuidl.events import Exported
    from tuidl.runner import execute, prepare
    control, seen = Control(), []

    def sink(event):
        seen.append(event)
        if getattr(event, "type", "") == "eval" and event.epoch == 1:
            control.request_export()  # asked while the run trains, after its first eval

    summary = execute(prepare("xor-mlp", ["epochs=5"]), out_root=str(tmp_path),
                      sinks=[sink], control=control)
    exported = [e for e in seen if isinstance(e, Exported)]
    assert exported and not exported[0].error
    assert "model.safetensors" in exported[0].files and "metrics.csv" in exported[0].files
    assert exported[0].step < summary.steps  # written mid-run, before the end
