"""Naming what went wrong in a run: the first non-finite step and layer, out-of-memory and
run-directory (disk) advice.

The engine keeps each step's output scalars (device tensors, no sync) until the next log; when
a log reads a NaN or inf, `first_bad_step` finds the step that produced the first one with one
more transfer, so the report names the exact step however large `log_every` is.
"""
from __future__ import annotations

import errno
import os

import torch

from tuidl.engine.gradstats import named_layers


def first_bad_step(window: list[dict[str, torch.Tensor]], last_step: int) -> int | None:
    """The step (1-based) of the first non-finite output among the last len(window) steps,
    which ended at step `last_step`; None when all of them are finite."""
    if not window:
        return None
    finite = torch.stack([torch.stack([v.float() for v in out.values() if v.dim() == 0])
                          .isfinite().all() for out in window]).tolist()
    if all(finite):
        return None
    return last_step - len(window) + finite.index(False) + 1


def first_bad_layer(models: dict[str, torch.nn.Module]) -> str | None:
    """The first layer, input to output, whose weights or gradients are not finite."""
    several = len(models) > 1
    for name, model in models.items():
        for layer, params in named_layers(model, f"{name}." if several else ""):
            tensors = [p.detach() for p in params] + [p.grad for p in params
                                                      if p.grad is not None]
            if not all(bool(t.isfinite().all()) for t in tensors):
                return layer
    return None


OOM_WORDS = ("out of memory", "can't allocate memory", "not enough memory")  # CUDA, CPU


def is_out_of_memory(error: BaseException) -> bool:
    oom = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)
    text = str(error).lower()
    return isinstance(error, (oom, MemoryError)) or any(w in text for w in OOM_WORDS)


def out_of_memory_message(error: BaseException, device: torch.device, batch_size: int) -> str:
    first = (str(error).strip().splitlines() or [""])[0][:200]
    return (f"out of memory on {device}: {first}; try a smaller batch_size (now {batch_size}) "
            "or a smaller model")


DISK_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.ENOENT, errno.EIO, errno.EACCES}


def is_disk_error(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in DISK_ERRNOS


def disk_message(error: OSError, run_dir: str | None) -> str:
    """The run directory could not be written (full, read-only, deleted): what to do."""
    where = f" {run_dir}" if run_dir else ""
    if run_dir and os.path.isfile(os.path.join(run_dir, "checkpoint.pt")):
        then = f"; the last checkpoint stands; resume with: tuidl run --resume {run_dir}"
    else:
        then = "; no checkpoint was written yet: start the run again"
    return (f"the run directory{where} could not be written ({error.strerror or error}"
            f"{': ' + str(error.filename) if error.filename else ''}); free space or give "
            f"--out on another disk{then}")
