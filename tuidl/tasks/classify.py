"""Supervised classification, shared by the mlp, cnn and rnn families.

The data split lives on the device; a step indexes it by the engine's shuffled batch indices.
Evaluation scores the whole validation set in chunks and counts the confusion matrix on the
device with one `bincount`.
"""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from tuidl.data.split import Split
from tuidl.engine import distributed
from tuidl.engine.optim import build_optimizer
from tuidl.engine.task import Evaluation, Finish, Step, Task

CHUNK = 4096


class ClassifierTask(Task):

    def setup(self, data: Split, model: nn.Module, labels: list[str]) -> None:
        c = self.config
        self.data, self.labels = data, labels
        self.model = model.to(self.device)
        self.train_model = self.model  # what the training forward calls (DDP when distributed)
        self.models = {"model": self.model}
        self.optimizers = {"model": build_optimizer(
            c["optimizer"], self.model.parameters(), c["lr"], c["momentum"],
            c["weight_decay"])}
        self.n_train = len(data.y_train)
        self.mse = c.get("loss") == "mse"  # mlp only: cnn and rnn have no `loss` to choose
        # L1 applies to weights (not biases); collected once.
        self.l1_params = [p for n, p in self.model.named_parameters() if p.dim() > 1]

    def distribute(self, world: distributed.World) -> None:
        """One rank of a distributed run: the training forward goes through DDP (gradients
        averaged over the ranks in backward); evaluation splits the validation set."""
        if world.active:
            self.world = world
            self.train_model = distributed.wrap(self.model, self.device)

    def loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.mse:
            target = F.one_hot(y, logits.shape[1]).to(logits.dtype)
            return F.mse_loss(torch.softmax(logits, dim=1), target)
        return F.cross_entropy(logits, y)

    def train_step(self, idx, update, step=Step()):
        if not self.model.training:  # predict() leaves the whole model in eval mode
            self.model.train()
        x, y = self.data.x_train[idx], self.data.y_train[idx]
        logits = self.forward_train(x, step)
        loss = self.loss(logits, y)
        total = loss
        l1 = self.config["l1"]
        if l1 > 0:
            total = total + l1 * sum(p.abs().sum() for p in self.l1_params)
        total.backward()
        probes = self.after_backward()
        update("model")
        # accuracy later, for a whole log interval at once (reduce_outputs)
        return {"loss": loss.detach(), "logits": logits.detach(), "target": y, **probes}

    def reduce_outputs(self, outs):
        """Summed loss, and the summed per-step accuracies (float32, as a step's own mean
        would be): a handful of kernels for the whole interval."""
        sizes = [len(o["target"]) for o in outs]
        right = (torch.cat([o["logits"] for o in outs]).argmax(1)
                 == torch.cat([o["target"] for o in outs]))
        if len(set(sizes)) == 1:
            acc = right.view(len(outs), sizes[0]).sum(1, dtype=torch.float32) / sizes[0]
        else:  # an epoch's last, smaller batch
            acc = torch.stack([r.sum(dtype=torch.float32) / n
                               for r, n in zip(right.split(sizes), sizes)])
        return {"loss": torch.stack([o["loss"] for o in outs]).double().sum(),
                "accuracy": acc.double().sum()}

    def forward_train(self, x: torch.Tensor, step: Step) -> torch.Tensor:
        """The training forward pass of `step`."""
        return self.train_model(x)

    def after_backward(self) -> dict[str, torch.Tensor]:
        """Probes read from what backward left (gradients of intermediate tensors) before the
        update; they join the step's outputs."""
        return {}

    @torch.no_grad()
    def predict(self, x: torch.Tensor) -> torch.Tensor:
        self.model.eval()
        if not len(x):
            return self.model(x)
        return torch.cat([self.model(x[i:i + CHUNK]) for i in range(0, len(x), CHUNK)])

    def score(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor,
                                                               torch.Tensor]:
        logits = self.predict(x)
        pred = logits.argmax(1)
        return self.loss(logits, y), (pred == y).float().mean(), pred

    def evaluate(self, view: bool = True) -> Evaluation:
        d, k = self.data, len(self.labels)
        if self.world.active:
            loss, acc, counts = self._score_shared(d.x_val, d.y_val, k)
        else:
            loss, acc, pred = self.score(d.x_val, d.y_val)
            counts = torch.bincount(d.y_val * k + pred, minlength=k * k).view(k, k)
        loss_f, acc_f = torch.stack([loss, acc]).tolist()
        metrics = {"val_loss": loss_f, "val_accuracy": acc_f}
        return Evaluation(metrics, (self.labels, counts.tolist()),
                          self.view() if view else None)

    def _score_shared(self, x: torch.Tensor, y: torch.Tensor, k: int):
        """Each rank scores its part of (x, y); the loss sums and confusion counts are summed
        across ranks, so every rank gets the figures of the whole set."""
        part = distributed.split(len(y), self.world)
        xs, ys = x[part], y[part]
        logits = self.predict(xs)
        counts = torch.bincount(ys * k + logits.argmax(1), minlength=k * k)
        loss_sum = (self.loss(logits, ys).double() * len(ys)) if len(ys) else logits.new_zeros(
            (), dtype=torch.float64)
        both = distributed.sum_(torch.cat([loss_sum.view(1), counts.double()]), self.world)
        counts = both[1:].round().long().view(k, k)
        return (both[0] / len(y)).float(), counts.diagonal().sum() / counts.sum(), counts

    def view(self) -> tuple[str, dict[str, Any]] | None:
        return None

    def finish(self, metrics) -> Finish:
        d = self.data
        if d.x_test is None:
            return Finish()
        with torch.no_grad():
            loss, acc, _ = self.score(d.x_test, d.y_test)
        return Finish({"test_loss": loss.item(), "test_accuracy": acc.item()})
