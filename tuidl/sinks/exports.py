"""Results in the formats other tools read, written into the run directory.

- `metrics.csv`: one row per eval (epoch, step, then every metric of the first eval), appended
  and flushed as evals come, beside `events.jsonl`;
- `confusion.csv`: the latest validation confusion matrix, rows true and columns predicted
  classes, replaced atomically at each eval;
- at the end of a run, what the task exports (`Task.export`): the model's weights
  (`model.safetensors` when the safetensors package is installed, else `model.pt`, a plain
  state_dict), word vectors (`vectors.txt` in word2vec's text format, `vectors.tsv` and
  `metadata.tsv` for the TensorBoard Embedding Projector), GAN samples (`samples.csv`).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from tuidl.events import Confusion, EvalMetrics, Event
from tuidl.sinks.rundir import write_atomic

METRICS, CONFUSION = "metrics.csv", "confusion.csv"


class CsvSink:
    """Consumes the event stream like any sink; writes metrics.csv and confusion.csv."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self.file = None
        self.columns: list[str] = []

    def __call__(self, event: Event) -> None:
        if isinstance(event, EvalMetrics):
            self._metrics(event)
        elif isinstance(event, Confusion):
            write_atomic(self.run_dir / CONFUSION, confusion_csv(event.labels, event.matrix),
                         durable=False)

    def _metrics(self, event: EvalMetrics) -> None:
        path = self.run_dir / METRICS
        if self.file is None:
            resumed = path.is_file() and path.stat().st_size > 0
            self.file = open(path, "a", encoding="utf-8", newline="")
            if resumed:  # a resumed run goes on with the columns the file has
                with open(path, encoding="utf-8") as f:
                    self.columns = next(csv.reader(f))[2:]
            else:
                self.columns = list(event.metrics)
                csv.writer(self.file).writerow(["epoch", "step", *self.columns])
        csv.writer(self.file).writerow(
            [event.epoch, event.step, *[event.metrics.get(k, "") for k in self.columns]])
        self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def confusion_csv(labels: list[str], matrix: list[list[int]]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["true \\ predicted", *labels])
    for label, row in zip(labels, matrix):
        w.writerow([label, *row])
    return out.getvalue()


def save_weights(models: dict[str, Any], run_dir: Path) -> Path:
    """All models' tensors in one file, keys '<model>.<param>'; written to a temp file first."""
    import torch
    tensors = {f"{name}.{k}": v.detach().cpu().contiguous()
               for name, m in models.items() for k, v in m.state_dict().items()}
    try:
        from safetensors.torch import save_file
    except ImportError:
        path, tmp = run_dir / "model.pt", run_dir / "model.pt.tmp"
        torch.save(tensors, tmp)
    else:
        path, tmp = run_dir / "model.safetensors", run_dir / "model.safetensors.tmp"
        save_file(tensors, str(tmp))
    tmp.replace(path)
    return path


def save_word_vectors(words: list[str], vectors, run_dir: Path) -> None:
    """word2vec text format (gensim's load_word2vec_format reads it), and the Projector TSVs."""
    rows = vectors.tolist()
    dim = len(rows[0]) if rows else 0
    text = [f"{len(words)} {dim}"]
    text += [f"{w} " + " ".join(f"{v:.6g}" for v in row) for w, row in zip(words, rows)]
    write_atomic(run_dir / "vectors.txt", "\n".join(text) + "\n")
    write_atomic(run_dir / "vectors.tsv",
                 "".join("\t".join(f"{v:.6g}" for v in row) + "\n" for row in rows))
    write_atomic(run_dir / "metadata.tsv", "".join(f"{w}\n" for w in words))


def save_points(points, run_dir: Path, name: str = "samples.csv") -> None:
    write_atomic(run_dir / name, "x,y\n" + "".join(f"{a:.6g},{b:.6g}\n"
                                                   for a, b in points.tolist()))
