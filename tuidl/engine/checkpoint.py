"""Checkpoints: model and optimizer state plus the loop's position, written atomically.

The file is written next to its final name and renamed over it, so a crash mid-write leaves the
previous checkpoint intact. `tuidl run --resume RUN_DIR` continues from it.
"""
from __future__ import annotations

import os
from typing import Any

import torch


def save_checkpoint(path: str, engine: Any) -> None:
    state = {
        "models": {n: m.state_dict() for n, m in engine.task.models.items()},
        "optimizers": {n: o.state_dict() for n, o in engine.task.optimizers.items()},
        "step": engine.step, "epoch": engine.epoch,
        "best_val": engine.best_val, "bad_evals": engine.bad_evals,
        "metrics": engine.metrics,
        "generator": engine.gen.get_state(),
        "torch_rng": torch.get_rng_state(),
        "config": engine.config,
    }
    tmp = f"{path}.tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str, device: torch.device) -> dict[str, Any]:
    return torch.load(path, map_location=device, weights_only=False)
