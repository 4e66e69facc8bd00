"""Family specs: which hyperparameters each model family takes, and where its task lives.

Torch-free, so `tuidl list`, `tuidl show` and the TUI form can use it without loading torch.
Each family has its own small module here; the training code is named by `task` and imported
only when a run starts.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from tuidl.config import Param

FAMILY_NAMES = ("perceptron", "mlp", "cnn", "rnn", "gan", "word2vec")


@dataclass(frozen=True)
class Family:
    name: str
    about: str
    params: tuple[Param, ...]
    task: str  # "module:Class" of the training task, imported lazily

    def param(self, name: str) -> Param:
        return next(p for p in self.params if p.name == name)

    def load_task(self):
        module, _, cls = self.task.partition(":")
        return getattr(importlib.import_module(module), cls)


def get_family(name: str) -> Family:
    if name not in FAMILY_NAMES:
        from tuidl.config import ConfigError, _did_you_mean
        raise ConfigError(f"unknown family {name!r}{_did_you_mean(name, FAMILY_NAMES)}; "
                          f"families: {', '.join(FAMILY_NAMES)}")
    return importlib.import_module(f"tuidl.specs.{name}").FAMILY
