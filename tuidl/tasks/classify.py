"""Supervised classification, shared by the mlp, cnn and rnn families.

The data split lives on the device; a step indexes it by the engine's shuffled batch indices.
Evaluation scores the whole validation set in chunks and counts the confusion matrix on the
device with one `bincount`; per-class recall and F1, balanced accuracy and macro F1 come from it
(tuidl.tasks.class_figures), and the host reads all of an evaluation's figures in one copy.

`class_weight=balanced` weighs each class's loss by n / (k * n_c), counted in the training split
(scikit-learn's rule), and the loss is the weighted mean, as `F.cross_entropy(weight=)` takes
it, for training, validation and test alike. In a distributed run each rank's weighted mean is
rescaled by its share of the batch's total weight (one all-reduce of a scalar per step), so
the averaged gradient is that of the whole batch's weighted mean, as on one process.
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
from tuidl.tasks import class_figures

CHUNK = 4096
MAX_NAMED = 8  # classes named in a warning


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
        self.class_weight = (balanced_weights(data.y_train, len(labels))
                             if c.get("class_weight") == "balanced" else None)
        self.warnings += untrained_classes(data.y_train, labels)
        # L1 applies to weights (not biases); collected once.
        self.l1_params = [p for n, p in self.model.named_parameters() if p.dim() > 1]

    def distribute(self, world: distributed.World) -> None:
        """One rank of a distributed run: the training forward goes through DDP (gradients
        averaged over the ranks in backward); evaluation splits the validation set."""
        if world.active:
            self.world = world
            self.train_model = distributed.wrap(self.model, self.device)

    def loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The mean loss of the rows, weighted by their class's weight when there are any."""
        w = self.class_weight
        if self.mse:
            target = F.one_hot(y, logits.shape[1]).to(logits.dtype)
            if w is None:
                return F.mse_loss(torch.softmax(logits, dim=1), target)
            per_row = F.mse_loss(torch.softmax(logits, dim=1), target, reduction="none").mean(1)
            return (w[y] * per_row).sum() / w[y].sum()
        return F.cross_entropy(logits, y, weight=w)

    def weight_of(self, y: torch.Tensor) -> torch.Tensor:
        """The total weight of the rows `y` in the loss's mean (their number when unweighted)."""
        if self.class_weight is None:
            return torch.tensor(float(len(y)), dtype=torch.float64, device=y.device)
        return self.class_weight[y].sum(dtype=torch.float64)

    def train_loss(self, logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """This rank's loss, such that DDP's average of the ranks' gradients is the gradient of
        the whole batch's (weighted) mean loss: unweighted, every rank's mean already is (equal
        shards); weighted, each rank's mean is scaled by its share of the batch's weight."""
        loss = self.loss(logits, y)
        if self.class_weight is None or not self.world.active:
            return loss
        mine = self.weight_of(y)
        total = distributed.sum_(mine.clone(), self.world)
        return loss * (mine * self.world.size / total).to(loss.dtype)

    def train_step(self, idx, update, step=Step()):
        if not self.model.training:  # predict() leaves the whole model in eval mode
            self.model.train()
        x, y = self.data.x_train[idx], self.data.y_train[idx]
        logits = self.forward_train(x, step)
        loss = self.train_loss(logits, y)
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
        """Loss, accuracy and the confusion counts [k, k] of (x, y), on the device."""
        logits = self.predict(x)
        pred = logits.argmax(1)
        counts = class_figures.confusion(y, pred, len(self.labels))
        return self.loss(logits, y), (pred == y).float().mean(), counts

    def evaluate(self, view: bool = True) -> Evaluation:
        d = self.data
        if self.world.active:
            scored = self._score_shared(d.x_val, d.y_val, len(self.labels))
        else:
            scored = self.score(d.x_val, d.y_val)
        metrics, matrix = self.figures("val", *scored)
        return Evaluation(metrics, (self.labels, matrix), self.view() if view else None)

    def figures(self, split: str, loss: torch.Tensor, acc: torch.Tensor,
                counts: torch.Tensor) -> tuple[dict[str, Any], list[list[int]]]:
        """A split's metrics (loss, accuracy, then tuidl.tasks.class_figures') and its
        confusion matrix, copied to the host at once."""
        k = len(self.labels)
        host = torch.cat([torch.stack([loss.double(), acc.double()]),
                          class_figures.figures(counts), counts.view(-1).double()]).tolist()
        cells = host[2 + 2 + 2 * k:]
        matrix = [[int(v) for v in cells[i * k:(i + 1) * k]] for i in range(k)]
        return ({f"{split}_loss": host[0], f"{split}_accuracy": host[1],
                 **class_figures.named(host[2:], self.labels, split)}, matrix)

    def _score_shared(self, x: torch.Tensor, y: torch.Tensor, k: int):
        """Each rank scores its part of (x, y); the loss sums and confusion counts are summed
        across ranks, so every rank gets the figures of the whole set."""
        part = distributed.split(len(y), self.world)
        xs, ys = x[part], y[part]
        logits = self.predict(xs)
        counts = class_figures.confusion(ys, logits.argmax(1), k).view(-1)
        weight = self.weight_of(ys)
        loss_sum = (self.loss(logits, ys).double() * weight) if len(ys) else weight * 0
        sums = distributed.sum_(torch.cat([loss_sum.view(1), weight.view(1), counts.double()]),
                                self.world)
        counts = sums[2:].round().long().view(k, k)
        return (sums[0] / sums[1]).float(), counts.diagonal().sum() / counts.sum(), counts

    def view(self) -> tuple[str, dict[str, Any]] | None:
        return None

    def finish(self, metrics) -> Finish:
        d = self.data
        if d.x_test is None:
            return Finish()
        with torch.no_grad():
            metrics, _ = self.figures("test", *self.score(d.x_test, d.y_test))
        return Finish(metrics)


def untrained_classes(y: torch.Tensor, labels: list[str]) -> list[str]:
    """A warning when classes have no training rows: the model cannot learn them (and with
    class_weight=balanced they weigh 0 in every loss)."""
    counts = torch.bincount(y, minlength=len(labels)).tolist()  # once, at setup
    missing = [label for label, n in zip(labels, counts) if n == 0]
    if not missing:
        return []
    names = ", ".join(missing[:MAX_NAMED]) + (" …" if len(missing) > MAX_NAMED else "")
    return [f"{len(missing)} of {len(labels)} classes have no training rows ({names}): the "
            f"model cannot learn them; a larger train_fraction or more data would give them "
            f"some"]


def balanced_weights(y: torch.Tensor, k: int) -> torch.Tensor:
    """Class weights n / (k * n_c) of the training labels `y`, on their device, k the classes
    present (scikit-learn's "balanced"); a class absent from them weighs 0."""
    counts = torch.bincount(y, minlength=k).double()
    present = (counts > 0).sum()
    return torch.where(counts > 0, len(y) / (present * counts.clamp_min(1)), 0.0).float()
