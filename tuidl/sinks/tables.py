"""The event stream as tables other tools read, written into the run directory.

- `metrics.csv`: one row per eval (epoch, step, then every metric of the first eval), appended
  and flushed as evals come, beside `events.jsonl`. A per-class figure ({class: value}, such as
  `val_recall`) becomes one column per class, `val_recall_<class>`, when there are at most
  PER_CLASS_COLUMNS classes; with more it is left out (events.jsonl and summary.json hold it),
  so the table keeps a bounded width and the same columns on every row;
- `confusion.csv`: the latest validation confusion matrix, rows true and columns predicted
  classes, replaced atomically at each eval.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from tuidl.events import Confusion, EvalMetrics, Event
from tuidl.rundir import METRICS, open_file, write_atomic

CONFUSION = "confusion.csv"
PER_CLASS_COLUMNS = 10  # classes up to which per-class figures get columns (digits, CIFAR-10)


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
            self.file = open_file(path, "a", encoding="utf-8", newline="")
            if resumed:  # a resumed run goes on with the columns the file has
                with open(path, encoding="utf-8") as f:
                    self.columns = next(csv.reader(f))[2:]
            else:
                self.columns = list(flat(event.metrics))
                csv.writer(self.file).writerow(["epoch", "step", *self.columns])
        row = flat(event.metrics)
        csv.writer(self.file).writerow(
            [event.epoch, event.step, *[row.get(k, "") for k in self.columns]])
        self.file.flush()

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def flat(metrics: dict) -> dict:
    """The metrics as table cells: numbers as they are, a per-class figure as one cell per
    class (up to PER_CLASS_COLUMNS classes; an undefined figure is an empty cell)."""
    out = {}
    for key, value in metrics.items():
        if not isinstance(value, dict):
            out[key] = value
        elif len(value) <= PER_CLASS_COLUMNS:
            out.update({f"{key}_{label}": "" if v is None else v for label, v in value.items()})
    return out


def confusion_csv(labels: list[str], matrix: list[list[int]]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["true \\ predicted", *labels])
    for label, row in zip(labels, matrix):
        w.writerow([label, *row])
    return out.getvalue()
