"""Headless progress: a rich progress bar on a terminal, plain periodic lines otherwise.

Lines stay short: a classifier's macro F1 and per-class figures are left to the files
(summary.json, metrics.csv), and its balanced accuracy is shown only where accuracy flatters
it by IMBALANCE_GAP or more (a rare class the model misses), beside the accuracy it corrects.

Redraws are bounded (rich refreshes at most 4 times a second; plain lines at most one every
`PLAIN_INTERVAL` seconds), so printing never slows training. Output that fails (the terminal
went away: EIO; a closed pipe: EPIPE; a closed stream) silences the progress and nothing
else: the run goes on and writes its files.
"""
from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)

from tuidl.events import EvalMetrics, Event, RunStart, Scalars, Status, Summary
from tuidl.specs import GENERIC, spec_of
from tuidl.text import plain, visible

PLAIN_INTERVAL = 2.0
OUTPUT_ERRORS = (OSError, ValueError)  # EIO, EPIPE, EBADF; "I/O operation on closed file"
IMBALANCE_GAP = 0.05  # accuracy above balanced accuracy by this much: the line shows both
BALANCED, MACRO_F1 = "_balanced_accuracy", "_macro_f1"


def telling(metrics: dict, key: str) -> bool:
    """Whether a line shows `key`: not a macro F1, and a balanced accuracy only where the
    accuracy it goes with is IMBALANCE_GAP or more above it."""
    if key.endswith(MACRO_F1):
        return False
    if key.endswith(BALANCED):
        accuracy = metrics.get(key[:-len(BALANCED)] + "_accuracy")
        return _number(accuracy) and accuracy - metrics[key] >= IMBALANCE_GAP
    return True


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def fmt_metrics(metrics: dict, keys=None) -> str:
    """`key=value` for each number among `keys` (default: every metric) that is `telling`."""
    return " ".join(f"{k}={metrics[k]:.4g}" for k in (keys or metrics)
                    if _number(metrics.get(k)) and telling(metrics, k))


def _balanced(key: str) -> str:
    """The balanced accuracy that goes with an accuracy key (shown when `telling`)."""
    return key[:-len("_accuracy")] + BALANCED if key.endswith("_accuracy") else ""


class ConsoleProgress:
    def __init__(self, console: Console | None = None, live: bool | None = None):
        self.console = console or Console(stderr=True)
        self.live = self.console.is_terminal if live is None else live
        self.progress: Progress | None = None
        self.task_id = None
        self.last_plain = 0.0
        self.loss = float("nan")
        self.rate = ""
        self.metric = ""
        self.total_epochs = 0
        self.spec = GENERIC  # the run's family, from its run_start
        self.broken = False  # the output failed: say nothing more

    def __call__(self, event: Event) -> None:
        if self.broken:
            return
        try:
            self._show(event)
        except OUTPUT_ERRORS:
            self.broken = True
            self.close()

    def _show(self, event: Event) -> None:
        if isinstance(event, RunStart):
            self._start(event)
        elif isinstance(event, Scalars):
            self.loss = event.values.get(self.spec.loss_key, self.loss)
            rate = next((v for k, v in event.values.items() if k.endswith("_per_s")), None)
            unit = next((k[:-6] for k in event.values if k.endswith("_per_s")), "samples")
            self.rate = f"{rate:,.0f} {unit}/s" if rate is not None else ""
            self._update(event)
        elif isinstance(event, EvalMetrics):
            main = self.spec.main_metric(event.metrics)
            self.metric = fmt_metrics(event.metrics, [main, _balanced(main)]) if main else ""
            self._update(event)
            now = time.monotonic()
            if not self.live and (now - self.last_plain >= PLAIN_INTERVAL
                                  or event.epoch == self.total_epochs):
                self.last_plain = now
                self.console.print(plain(f"epoch {event.epoch}/{self.total_epochs} step "
                                         f"{event.step} " + fmt_metrics(event.metrics)),
                                   highlight=False)
        elif isinstance(event, Status) and event.status in ("diverged", "failed", "stopped"):
            self.console.print(plain(event.status, "bold red") + plain(f": {event.message}"))
        elif isinstance(event, Summary):
            self.close()

    def _start(self, event: RunStart) -> None:
        self.total_epochs = event.config.get("epochs", 0)
        self.spec = spec_of(event.family)
        head = f"{event.preset} ({event.family}) on {event.device}: " \
               f"{event.total_params:,} parameters, {event.total_steps:,} steps"
        self.console.print(plain(head), highlight=False)
        if event.run_dir:
            self.console.print(plain(f"run directory: {event.run_dir}"), highlight=False,
                               soft_wrap=True)
        if self.live:
            self.progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("epoch {task.fields[epoch]}"), TextColumn("loss {task.fields[loss]}"),
                TextColumn("{task.fields[metric]}"), TextColumn("{task.fields[rate]}"),
                TimeElapsedColumn(), TimeRemainingColumn(),
                console=self.console, refresh_per_second=4, transient=False)
            self.task_id = self.progress.add_task(escape(visible(event.preset)),
                                                  total=event.total_steps,
                                                  epoch=0, loss="-", metric="", rate="")
            self.progress.start()

    def _update(self, event: Event) -> None:
        if self.progress is not None:
            self.progress.update(self.task_id, completed=event.step,
                                 epoch=f"{event.epoch}/{self.total_epochs}",
                                 loss=f"{self.loss:.4g}", metric=self.metric, rate=self.rate)

    def close(self) -> None:
        progress, self.progress = self.progress, None
        if progress is not None:
            try:
                progress.stop()
            except OUTPUT_ERRORS:
                self.broken = True
