"""perceptron family: one threshold unit and Rosenblatt's rule Δw = η(t − o)x.

No autograd: the step writes −(t − o)x into `.grad` and lets plain SGD (lr = η) apply it, so the
engine measures and records the update like any other gradient. The data is the gate's 4-row
truth table, which is also what it is scored on. The run converges when an epoch makes no
mistake; the perceptron convergence theorem promises that only for linearly separable data.
"""
from __future__ import annotations

import torch
from torch import nn

from tuidl.data.gates import GATES, INPUTS, LINEARLY_SEPARABLE
from tuidl.engine.task import Evaluation, Finish, Step, Task


class PerceptronTask(Task):
    family = "perceptron"

    def __init__(self, config, device):
        super().__init__(config, device)
        c = config
        self.sign = c["output"] == "sign"
        self.x = torch.tensor(INPUTS, dtype=torch.float32, device=device)
        t = torch.tensor(GATES[c["gate"]], dtype=torch.float32, device=device)
        self.t = 2 * t - 1 if self.sign else t
        self.model = nn.Linear(2, 1).to(device)
        with torch.no_grad():
            if c["init"] == "zeros":
                self.model.weight.zero_()
                self.model.bias.zero_()
            else:
                nn.init.normal_(self.model.weight, 0, 0.5)
                nn.init.normal_(self.model.bias, 0, 0.5)
        self.models = {"model": self.model}
        self.optimizers = {"model": torch.optim.SGD(self.model.parameters(), lr=c["lr"])}
        self.n_train = 4
        self.epoch_errors = torch.zeros((), device=device)
        self.converged_epoch: int | None = None
        self.best_accuracy = 0.0
        self.n_evals = 0

    def output(self, x: torch.Tensor) -> torch.Tensor:
        a = self.model(x).squeeze(1)
        if self.sign:
            return torch.where(a >= 0, 1.0, -1.0)
        return (a >= 0).float()

    def train_step(self, idx, update, step=Step()):
        x, t = self.x[idx], self.t[idx]
        with torch.no_grad():
            err = t - self.output(x)
        self.model.weight.grad = -(err[:, None] * x).mean(0, keepdim=True)
        self.model.bias.grad = -err.mean().reshape(1)
        update("model")
        mistakes = (err != 0).float()
        self.epoch_errors += mistakes.sum()
        return {"loss": mistakes.mean()}

    def checkpoint_state(self) -> dict:
        return {"epoch_errors": self.epoch_errors, "n_evals": self.n_evals,
                "converged_epoch": self.converged_epoch, "best_accuracy": self.best_accuracy}

    def restore_checkpoint_state(self, state: dict) -> None:
        if not state:  # a checkpoint of an older tuidl kept none of it
            return
        self.epoch_errors = state["epoch_errors"].to(self.device)
        self.n_evals, self.converged_epoch = state["n_evals"], state["converged_epoch"]
        self.best_accuracy = state["best_accuracy"]

    def evaluate(self, view: bool = True) -> Evaluation:
        self.n_evals += 1
        o = self.output(self.x)
        acc, errors = torch.stack([(o == self.t).float().mean(), self.epoch_errors]).tolist()
        self.epoch_errors.zero_()
        if errors == 0 and self.converged_epoch is None:
            self.converged_epoch = self.n_evals
        self.best_accuracy = max(self.best_accuracy, acc)
        pred = (o > 0).long().tolist()
        true = (self.t > 0).long().tolist()
        matrix = [[sum(1 for a, b in zip(true, pred) if a == i and b == j) for j in (0, 1)]
                  for i in (0, 1)]
        w = self.model.weight.detach()[0].tolist()
        b = self.model.bias.detach().item()
        line = {"points": [[x0, x1, int(c)] for (x0, x1), c in zip(INPUTS, true)],
                "w": w, "b": b, "x_range": [-0.5, 1.5], "y_range": [-0.5, 1.5]}
        return Evaluation({"accuracy": acc, "val_accuracy": acc, "epoch_errors": errors},
                          (["0", "1"], matrix), ("separating_line", line) if view else None)

    def finish(self, metrics) -> Finish:
        gate = self.config["gate"]
        converged = self.converged_epoch is not None
        out = {"converged": converged, "converged_epoch": self.converged_epoch,
               "best_accuracy": self.best_accuracy}
        if converged:
            return Finish(out, f"converged at epoch {self.converged_epoch}: "
                               f"a line separates the {gate.upper()} classes")
        reason = ("not linearly separable: no line puts the classes on opposite sides"
                  if gate not in LINEARLY_SEPARABLE else "try more epochs or a larger lr")
        return Finish(out, f"did not converge in {self.n_evals} epochs ({reason}); "
                           f"best accuracy {self.best_accuracy:.0%}")
