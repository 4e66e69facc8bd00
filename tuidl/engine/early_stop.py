"""Early stopping: stop when the validation loss has not improved for `patience` evals."""
from __future__ import annotations

import math


class EarlyStopping:
    def __init__(self, patience: int):
        self.patience = patience  # 0: off (the best loss is still tracked)
        self.best = math.inf
        self.bad = 0

    def update(self, val_loss: float | None) -> str | None:
        """Fold an eval's val loss in; the reason to stop, or None."""
        if val_loss is None:
            return None
        if val_loss < self.best:
            self.best, self.bad = val_loss, 0
        else:
            self.bad += 1
        if self.patience and self.bad >= self.patience:
            return (f"early stopping: val loss did not improve for {self.patience} evals "
                    f"(best {self.best:.4g})")
        return None

    def state_dict(self) -> dict:
        return {"best": self.best, "bad": self.bad}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.bad = float(state["best"]), int(state["bad"])
