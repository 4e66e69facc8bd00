"""Family specs: everything the rest of tuidl needs to know about a model family.

A family declares its hyperparameters, where its training task lives, and how its runs read:
its loss curves, its main metric (ordered fallbacks), the curves of its metric chart, the
metrics its task view titles show, whether it has a confusion matrix, whether it trains on
several processes, which hyperparameters are learning rates (and which model each drives),
which panel carries its lesson, and the remedies that fit its failures. Consumers (the
engine, the console, `tuidl compare`, the app) read these declarations and keep no lists of
family names, so a new family touches only its own files, its presets and its tests.

Torch-free, so `tuidl list`, `tuidl show` and the TUI form can use it without loading torch.
Each family has its own small module here; the training code is named by `task` and imported
only when a run starts.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from tuidl.config import Param

FAMILY_NAMES = ("perceptron", "mlp", "cnn", "rnn", "gan", "word2vec")
# families whose runs tuidl reads but does not train (no presets, no form): a user's own loop
READ_ONLY = ("custom",)
LESSON_PANELS = ("grad", "confusion", "task_view", "time_grads")


@dataclass(frozen=True)
class Curve:
    """One line of a chart: a series key, its legend label and colour (None: the chart's own
    cycle). With `per`, the series is divided point by point by the series `per` (modes
    covered / modes in the target)."""
    key: str
    label: str
    colour: str | None = None
    per: str | None = None


# one colour per series across every chart: train and val (loss, accuracy) look the same in
# both. A colour is a plotext colour name, or `theme:NAME`: the app theme's colour of that name
# (a theme switch restyles the curve)
TRAIN, VAL = "theme:primary", "theme:success"


@dataclass(frozen=True)
class Chart:
    title: str
    curves: tuple[Curve, ...]
    ylim: tuple[float, float] | None = None


@dataclass(frozen=True)
class Family:
    name: str
    about: str
    params: tuple[Param, ...]
    task: str  # "module:Class" of the training task, imported lazily
    # step series drawn on the loss chart (the first is the headline loss), and the chart's title
    losses: tuple[Curve, ...] = (Curve("loss", "train", TRAIN),)
    loss_title: str = "loss"
    val_losses: tuple[Curve, ...] = ()  # evaluation series drawn on the loss chart too
    main_metrics: tuple[str, ...] = ()  # the first one a run reports is its main metric
    metric_chart: Chart = Chart("metric", ())
    title_metrics: tuple[str, ...] = ()  # evaluation metrics the task view shows in its title
    confusion: bool = False  # evaluations send a confusion matrix
    distributed: bool = False  # trains on several processes (torchrun, --nproc)
    # learning-rate hyperparameters, each with the model (optimizer) it drives
    lr_keys: tuple[tuple[str, str], ...] = (("lr", "model"),)
    lesson_panel: str = "grad"  # the panel that carries the family's lesson (LESSON_PANELS)
    # verdict -> the remedy that fits; "verdict:value" keys refine it by the value of the
    # hyperparameter `remedy_key` (an LSTM that fails through time needs another remedy)
    remedies: dict[str, str] = field(default_factory=dict)
    remedy_key: str = ""
    # the headline loss falls as the model learns (not a GAN's, whose losses are a game's):
    # the diagnosis may read a loss that has not moved as a sign that the network is stuck
    loss_shows_progress: bool = True

    def remedies_for(self, config: dict[str, Any]) -> dict[str, str]:
        """The remedies by verdict for a run of this config."""
        value = config.get(self.remedy_key) if self.remedy_key else None
        return {verdict: self.remedies.get(f"{verdict}:{value}", remedy)
                for verdict, remedy in self.remedies.items() if ":" not in verdict}

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    def load_task(self):
        module, _, cls = self.task.partition(":")
        return getattr(importlib.import_module(module), cls)

    @property
    def loss_key(self) -> str:
        """The headline loss: the step series the console and comparisons report."""
        return self.losses[0].key

    def main_metric(self, metrics: dict[str, Any]) -> str | None:
        """The key of the run's main metric among `metrics` (None when none is there yet)."""
        return next((k for k in self.main_metrics if k in metrics), None)

    def lr_of(self, model: str) -> str:
        """The lr key of the optimizer of `model` (the key events and the app use)."""
        return next((key for key, m in self.lr_keys if m == model), f"lr_{model}")


# what a run of an unknown family (an old run directory, a foreign event file) is read as
GENERIC = Family(name="", about="", params=(), task="")


def get_family(name: str) -> Family:
    if name not in FAMILY_NAMES:
        from tuidl.config import ConfigError, _did_you_mean
        raise ConfigError(f"unknown family {name!r}{_did_you_mean(name, FAMILY_NAMES)}; "
                          f"families: {', '.join(FAMILY_NAMES)}")
    return importlib.import_module(f"tuidl.specs.{name}").FAMILY


def spec_of(name: str) -> Family:
    """The family's spec, or GENERIC for a name tuidl does not know: readers of run
    directories never fail on the family a file names."""
    if name in READ_ONLY:
        return importlib.import_module(f"tuidl.specs.{name}").FAMILY
    return get_family(name) if name in FAMILY_NAMES else GENERIC


def families() -> list[Family]:
    return [get_family(name) for name in FAMILY_NAMES]
