"""Per-class figures of a classifier, from the confusion matrix it counts on the device.

For class c: recall = its rows predicted c / its rows; F1 = 2 tp / (2 tp + fp + fn). A class
with no rows in the scored split has no recall (None), one neither present nor predicted no F1.
Balanced accuracy is the mean recall over the classes present (scikit-learn's
`balanced_accuracy_score`), macro F1 the mean F1 over the classes present or predicted (its
`f1_score(average="macro")`). Accuracy reads 0.95 when a model never finds a class of 5 %;
balanced accuracy reads 0.5 for two classes.

Names, for a split `val` (or `test`): `val_balanced_accuracy` and `val_macro_f1` (numbers,
like every metric), `val_recall` and `val_f1` ({class name: figure or None}).
Per-class figures are left out beyond `PER_CLASS_MAX` (100) classes, so that every eval event
stays small; the two means still stand for all of them.
Cost: a few kernels on a [k, k] matrix; the caller copies them to the host with its own.
"""
from __future__ import annotations

import math
from typing import Any

import torch

PER_CLASS_MAX = 100


def confusion(y: torch.Tensor, pred: torch.Tensor, k: int) -> torch.Tensor:
    """Counts [k, k] on the device, rows true and columns predicted classes (one bincount)."""
    return torch.bincount(y * k + pred, minlength=k * k).view(k, k)


def figures(counts: torch.Tensor) -> torch.Tensor:
    """[2 + 2k] float64 on the device: balanced accuracy, macro F1, each class's recall, each
    class's F1 (NaN where a class has none)."""
    c = counts.double()
    tp, support, predicted = c.diagonal(), c.sum(1), c.sum(0)
    recall = tp / support  # 0 / 0 = NaN: a class with no rows
    f1 = 2 * tp / (support + predicted)  # 2tp + fp + fn = support + predicted
    return torch.cat([recall.nanmean().view(1), f1.nanmean().view(1), recall, f1])


def named(values: list[float], labels: list[str], split: str) -> dict[str, Any]:
    """The host copy of `figures` as metrics of `split`, per-class figures keyed by class."""
    k = len(labels)
    recall, f1 = values[2:2 + k], values[2 + k:2 + 2 * k]
    means = {f"{split}_balanced_accuracy": values[0], f"{split}_macro_f1": values[1]}
    if k > PER_CLASS_MAX:
        return means
    return {**means, f"{split}_recall": _by_class(labels, recall),
            f"{split}_f1": _by_class(labels, f1)}


def _by_class(labels: list[str], values: list[float]) -> dict[str, float | None]:
    return {label: None if math.isnan(v) else v for label, v in zip(labels, values)}
