"""Checkpoints: everything a run needs to go on exactly where it was, written durably.

A checkpoint holds the models, optimizers, the loop's position (epoch, the next batch of the
epoch, the generator state that draws the epoch's shuffled order), the running sums of the
epoch and of the log interval, early-stopping state, the diagnoser, every RNG a step may use
(torch CPU and CUDA, numpy's and Python's global ones) and the task's own state (a GAN's lr
schedule). On the CPU a run stopped at any step boundary and resumed ends with the same
weights and losses, bit for bit, as one that never stopped.

Writes go to `<path>.tmp`, are fsynced, renamed over the old file and the folder is fsynced,
so a crash or a SIGKILL mid-write leaves the previous checkpoint intact (and a power loss too).
A file that cannot be read back is a TuidlError naming it, never a traceback.
"""
from __future__ import annotations

import os
import pickle
import random
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tuidl.config import TuidlError
from tuidl.sinks.rundir import replace_durably


def state_of(engine: Any) -> dict[str, Any]:
    task = engine.task
    state = {
        "models": {n: m.state_dict() for n, m in task.models.items()},
        "optimizers": {n: o.state_dict() for n, o in task.optimizers.items()},
        "task": task.checkpoint_state(),
        "step": engine.step, "epoch": engine.epoch, "batch": engine.batch,
        "generator": engine.perm_state,  # what draws the order of the epoch at `batch`
        "sums": (engine.sums, engine.count), "epoch_sums": (engine.epoch_sums,
                                                            engine.epoch_count),
        "best_val": engine.best_val, "bad_evals": engine.bad_evals,
        "metrics": engine.metrics, "n_evals": engine.n_evals, "diagnoser": engine.diagnoser,
        "torch_rng": torch.get_rng_state(),
        "numpy_rng": np.random.get_state(), "python_rng": random.getstate(),
        "config": engine.config,
    }
    if torch.cuda.is_available() and task.device.type == "cuda":
        state["cuda_rng"] = torch.cuda.get_rng_state_all()
    return state


def save_checkpoint(path: str, engine: Any) -> None:
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        torch.save(state_of(engine), f)
        f.flush()
        os.fsync(f.fileno())
    replace_durably(tmp, path)


def load_checkpoint(path: str, device: torch.device) -> dict[str, Any]:
    try:
        state = torch.load(path, map_location=device, weights_only=False)
    except FileNotFoundError:
        raise TuidlError(f"{path}: no checkpoint to resume from") from None
    except (EOFError, pickle.UnpicklingError, zipfile.BadZipFile, RuntimeError, ValueError,
            OSError, AttributeError, ImportError) as e:
        raise TuidlError(f"{path}: not a readable checkpoint ({type(e).__name__}); start the "
                         "run again or restore the file") from None
    missing = [k for k in ("models", "optimizers", "step", "epoch", "generator")
               if not isinstance(state, dict) or k not in state]
    if missing:
        raise TuidlError(f"{path}: not a tuidl checkpoint (no {', '.join(missing)})")
    return state


def restore(engine: Any, state: dict[str, Any], path: str) -> None:
    """Put a checkpoint's state back into a freshly built engine and task."""
    task = engine.task
    try:
        for name, model in task.models.items():
            model.load_state_dict(state["models"][name])
        for name, opt in task.optimizers.items():
            opt.load_state_dict(state["optimizers"][name])
    except (KeyError, RuntimeError, ValueError) as e:
        first = str(e).strip().splitlines()[0][:160]
        raise TuidlError(f"{path}: does not match this run's config.toml (the model or "
                         f"optimizer changed: {first})") from None
    task.restore_checkpoint_state(state.get("task", {}))
    engine.step, engine.epoch = state["step"], state["epoch"]
    engine.batch = state.get("batch", 0)
    sums, engine.count = state.get("sums", ({}, 0))
    epoch_sums, engine.epoch_count = state.get("epoch_sums", ({}, 0))
    engine.sums = {k: float(v) for k, v in sums.items()}  # tensors in older checkpoints
    engine.epoch_sums = {k: float(v) for k, v in epoch_sums.items()}
    engine.best_val, engine.bad_evals = state["best_val"], state["bad_evals"]
    engine.metrics = state.get("metrics", {})
    engine.n_evals = state.get("n_evals", 0)
    if "diagnoser" in state:
        engine.diagnoser = state["diagnoser"]
    engine.gen.set_state(state["generator"].cpu())
    torch.set_rng_state(state["torch_rng"].cpu())
    if "numpy_rng" in state:
        np.random.set_state(state["numpy_rng"])
        random.setstate(state["python_rng"])
    if "cuda_rng" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda_rng"]])
