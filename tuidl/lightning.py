"""`TuidlCallback`: a Lightning Trainer's run, recorded by `tuidl.Monitor` for `tuidl watch`.

    from tuidl.lightning import TuidlCallback
    trainer = lightning.Trainer(callbacks=[TuidlCallback(out="runs")])

Gradients are measured at `on_before_optimizer_step`, where Lightning has unscaled mixed-
precision gradients and not yet clipped them (its `gradient_clip_val` clips after this hook):
what the network produced. The loss the training step returns is summed on its device and read
every `log_every` steps (default: the Trainer's `log_every_n_steps`); each validation epoch's
logged metrics (`val_loss`, `val_accuracy`… as `self.log` named them) become an evaluation.
Only the global rank 0 process records. Needs the optional extra: pip install 'tuidl[lightning]'.
"""
from __future__ import annotations

import numbers
from typing import Any

try:
    from lightning.pytorch.callbacks import Callback
except ImportError:  # pragma: no cover - the older package name
    try:
        from pytorch_lightning.callbacks import Callback
    except ImportError as e:
        raise ImportError("tuidl.lightning needs Lightning: pip install 'tuidl[lightning]'") from e

from tuidl.monitor import Monitor


class TuidlCallback(Callback):
    def __init__(self, out: str = "runs", name: str | None = None,
                 log_every: int | None = None, **monitor_kw: Any):
        self.out, self.name, self.log_every, self.kw = out, name, log_every, monitor_kw
        self.monitor: Monitor | None = None

    def on_fit_start(self, trainer, pl_module) -> None:
        if not trainer.is_global_zero:
            return
        optimizer = trainer.optimizers[0] if trainer.optimizers else None
        total = trainer.estimated_stepping_batches
        self.monitor = Monitor(
            pl_module, optimizer, out=self.out, name=self.name or type(pl_module).__name__,
            config=dict(getattr(pl_module, "hparams", {}) or {}), hook_optimizer=False,
            log_every=self.log_every or trainer.log_every_n_steps,
            total_steps=total if isinstance(total, int) else 0, **self.kw)

    def on_before_optimizer_step(self, trainer, pl_module, optimizer) -> None:
        if self.monitor is not None:
            self.monitor.before_step()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if self.monitor is None:
            return
        self.monitor.after_step()
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        self.monitor.step(loss=loss)

    def on_validation_epoch_end(self, trainer, pl_module) -> None:
        if self.monitor is None or trainer.sanity_checking:
            return
        metrics = {}
        for key, value in trainer.callback_metrics.items():
            if hasattr(value, "numel") and value.numel() == 1:
                metrics[key] = value
            elif isinstance(value, numbers.Real):
                metrics[key] = value
        if metrics:
            self.monitor.eval(metrics)

    def on_fit_end(self, trainer, pl_module) -> None:
        if self.monitor is not None:
            stopped = getattr(trainer, "interrupted", False)
            self.monitor.close("stopped" if stopped else "completed")
            self.monitor = None

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        if self.monitor is not None:
            if isinstance(exception, KeyboardInterrupt):
                self.monitor.close("stopped", "stopped by user")
            else:
                self.monitor.close("failed", f"{type(exception).__name__}: {exception}")
            self.monitor = None
