"""The engine's settings, read once from a run's resolved config into typed fields.

A run's config holds every hyperparameter of its family with the spec's default filled in
(tuidl.catalog), so nothing here restates a default. A family that has no such knob at all
(the perceptron has no grad_clip, gan and word2vec no view_every) gets the knob's neutral
value, named once in NEUTRAL: off, or every evaluation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# the value of a knob a family does not have: what the loop does without it
NEUTRAL = {"grad_clip": 0.0, "early_stopping": 0, "view_every": 1}


@dataclass(frozen=True)
class RunSettings:
    epochs: int
    log_every: int  # steps between logged figures and gradient statistics
    seed: int
    diagnostics: bool  # gradient statistics, activation health, the diagnosis
    grad_clip: float  # global L2 norm the gradients are clipped to (0 = off)
    patience: int  # early stopping: evals without a better val loss (0 = off)
    view_every: int  # evals between task views

    @classmethod
    def of(cls, config: dict[str, Any]) -> RunSettings:
        def knob(name: str):
            return config[name] if name in config else NEUTRAL[name]
        return cls(epochs=int(config["epochs"]), log_every=int(config["log_every"]),
                   seed=int(config["seed"]), diagnostics=bool(config["diagnostics"]),
                   grad_clip=float(knob("grad_clip")), patience=int(knob("early_stopping")),
                   view_every=int(knob("view_every")))
