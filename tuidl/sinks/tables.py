"""The event stream as tables other tools read, written into the run directory.

- `metrics.csv`: one row per eval (epoch, step, then every metric of the first eval), appended
  and flushed as evals come, beside `events.jsonl`;
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
