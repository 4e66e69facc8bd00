"""Early stopping: stop when the validation loss has not improved for `patience` evals, and
go back to the weights of the best eval (Keras' `restore_best_weights`): the run's final
figures and model.safetensors are those of its best epoch, not of the `patience` epochs
after it."""
from __future__ import annotations

import math
from typing import Any

from torch import nn


class EarlyStopping:
    def __init__(self, patience: int):
        self.patience = patience  # 0: off (the best loss is still tracked)
        self.best = math.inf
        self.bad = 0
        # on: the best eval's weights (on the device, copied without a host sync), metrics
        # and epoch
        self.best_weights: dict[str, dict[str, Any]] | None = None
        self.best_metrics: dict[str, Any] = {}
        self.best_epoch = 0

    def update(self, val_loss: float | None, models: dict[str, nn.Module] | None = None,
               metrics: dict[str, Any] | None = None, epoch: int = 0) -> str | None:
        """Fold an eval's val loss in (keeping its weights when it is the best so far); the
        reason to stop, or None."""
        if val_loss is None:
            return None
        if val_loss < self.best:
            self.best, self.bad = val_loss, 0
            if self.patience and models:
                self.best_weights = {name: {k: v.detach().clone()
                                            for k, v in m.state_dict().items()}
                                     for name, m in models.items()}
                self.best_metrics, self.best_epoch = dict(metrics or {}), epoch
        else:
            self.bad += 1
        if self.patience and self.bad >= self.patience:
            return (f"early stopping: val loss did not improve for {self.patience} evals "
                    f"(best {self.best:.4g})")
        return None

    def restore(self, models: dict[str, nn.Module]) -> bool:
        """Load the best eval's weights into `models`; False when none were kept."""
        if not self.best_weights:
            return False
        for name, model in models.items():
            model.load_state_dict(self.best_weights[name])
        return True

    def state_dict(self) -> dict:
        return {"best": self.best, "bad": self.bad, "best_weights": self.best_weights,
                "best_metrics": dict(self.best_metrics), "best_epoch": self.best_epoch}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.bad = float(state["best"]), int(state["bad"])
        self.best_weights = state.get("best_weights")  # absent from older checkpoints
        self.best_metrics = {k: dict(v) if isinstance(v, dict) else float(v)  # per class
                             for k, v in state.get("best_metrics", {}).items()}
        self.best_epoch = int(state.get("best_epoch", 0))
