"""Checkpoints: durable writes, and reads that never run code.

What a checkpoint holds is the engine's `state_dict()` (tuidl.engine.loop): tensors and plain
values only (numbers, strings, lists, dicts), with `format` = FORMAT. It is read with
`torch.load(weights_only=True)`, so a file planted in a run directory (a shared --out, a run
copied from someone else) cannot execute anything: anything but tensors and plain values is
refused, with one line saying so. Checkpoints written by tuidl before format 2 pickled
objects; they are refused the same way, and `tuidl run --resume DIR --trust-checkpoint` reads
one with an unpickler that builds only what that format held (tuidl's Diagnoser, deques, numpy
RNG arrays, torch tensors; `Format1Unpickler`), then converts it (`upgrade`): even then no
other class or function in the file is built or called.

Writes go to `<path>.tmp`, are fsynced, renamed over the old file and the folder is fsynced,
so a crash or a SIGKILL mid-write leaves the previous checkpoint intact (and a power loss too).
A file that cannot be read back is a TuidlError naming it, never a traceback.
"""
from __future__ import annotations

import math
import os
import pickle
import types
import zipfile
from pathlib import Path
from typing import Any

import torch

from tuidl.checkpoint_scan import refused
from tuidl.config import TuidlError
from tuidl.rundir import replace_durably

FORMAT = 2
REQUIRED = ("models", "optimizers", "task", "step", "epoch", "batch", "generator", "meter",
            "early_stopping", "diagnoser", "metrics", "n_evals", "rng")


def save_checkpoint(path: str, engine: Any) -> None:
    """Write `engine.state_dict()` durably (temp file, fsync, rename, fsync the folder)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "wb") as f:
            torch.save(engine.state_dict(), f)
            f.flush()
            os.fsync(f.fileno())
        replace_durably(tmp, path)
    except BaseException as e:  # a full disk, a signal: no torn temp file; the last one stands
        tmp.unlink(missing_ok=True)
        if not isinstance(e, KeyboardInterrupt) and _interrupted(e):
            # Ctrl+C inside torch.save: its zip writer, closing, raises a RuntimeError
            # ("unexpected pos") over the KeyboardInterrupt; the run was interrupted, not failed
            raise KeyboardInterrupt from e
        raise


def _interrupted(e: BaseException | None) -> bool:
    seen = set()
    while e is not None and id(e) not in seen:
        if isinstance(e, KeyboardInterrupt):
            return True
        seen.add(id(e))
        e = e.__context__
    return False


def checkpoint_position(path: str) -> tuple[int, int, dict[str, float]] | None:
    """(step, epoch, metrics) of the checkpoint at `path`, its tensors left on disk (mapped,
    not read); None when there is none or it cannot be read."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        return int(state["step"]), int(state["epoch"]), dict(state["metrics"])
    except Exception:
        return None


def load_checkpoint(path: str, device: torch.device | str,
                    trust: bool = False) -> dict[str, Any]:
    """The checkpoint at `path` as written by `save_checkpoint`, its tensors on `device`.

    Loaded with weights_only=True: a file holding anything but tensors and plain values is a
    TuidlError and none of its code runs. `trust`: the file may be in the format of an older
    tuidl, read with `Format1Unpickler` (its known objects only) and converted."""
    extra = {"weights_only": False, "pickle_module": FORMAT1} if trust else {"weights_only": True}
    try:
        state = torch.load(path, map_location=device, **extra)
    except FileNotFoundError:
        raise TuidlError(f"{path}: no checkpoint to resume from") from None
    except pickle.UnpicklingError as e:
        if "weights_only" in str(e) or "refused to build" in str(e):
            raise refused(path, "holds more than tensors and plain values (a checkpoint of "
                                 "an older tuidl, or not tuidl's)") from None
        raise TuidlError(f"{path}: not a readable checkpoint ({type(e).__name__}); start the "
                         "run again or restore the file") from None
    except (EOFError, zipfile.BadZipFile, RuntimeError, ValueError, OSError, AttributeError,
            ImportError, TypeError) as e:
        raise TuidlError(f"{path}: not a readable checkpoint ({type(e).__name__}); start the "
                         "run again or restore the file") from None
    if trust and isinstance(state, dict) and "format" not in state and "models" in state:
        state = upgrade(state)
    if not isinstance(state, dict):
        raise TuidlError(f"{path}: not a tuidl checkpoint")
    if state.get("format") != FORMAT:
        if "format" not in state and "models" in state:
            raise refused(path, "is in the format of an older tuidl")
        raise TuidlError(f"{path}: checkpoint format {state.get('format')!r}, this tuidl "
                         f"reads format {FORMAT}; resume it with the tuidl that wrote it")
    missing = [k for k in REQUIRED if k not in state]
    if missing:
        raise TuidlError(f"{path}: not a tuidl checkpoint (no {', '.join(missing)})")
    return state


class Format1Unpickler(pickle.Unpickler):
    """Builds what a format-1 checkpoint held and nothing else: torch's tensors and storages,
    OrderedDict, deque, set, tuidl's Diagnoser and Diagnosis, numpy's RNG state arrays."""
    ALLOWED = {("collections", "OrderedDict"), ("collections", "deque"),
               ("builtins", "set"), ("__builtin__", "set"), ("copyreg", "_reconstructor"),
               ("builtins", "object"), ("__builtin__", "object"), ("_codecs", "encode"),
               ("tuidl.diagnose", "Diagnoser"), ("tuidl.diagnose", "Diagnosis"),
               ("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.dtypes", "UInt32DType"),
               ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_parameter")}

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED or (module == "torch" and name.endswith("Storage")):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused to build {module}.{name}")


FORMAT1 = types.SimpleNamespace(Unpickler=Format1Unpickler, load=pickle.load,
                                __name__="tuidl_format1")


def _diagnoser_state(old: Any) -> dict[str, Any]:
    """A pickled Diagnoser of any older version as today's state: the fields it lacks keep
    their defaults, and the stall rule stays off (its first loss is unknown)."""
    from tuidl.diagnose import Diagnoser
    fresh = Diagnoser()
    if old is not None:
        fresh.__dict__.update(vars(old))
        fresh.loss_first = getattr(old, "loss_first", math.nan)
    return fresh.state_dict()


def upgrade(old: dict[str, Any]) -> dict[str, Any]:
    """A format-1 checkpoint (pickled objects, flat sums) in format 2's layout."""
    sums, count = old.get("sums", ({}, 0))
    epoch_sums, epoch_count = old.get("epoch_sums", ({}, 0))
    diagnoser = old.get("diagnoser")
    kind, keys, pos, has_gauss, gauss = old["numpy_rng"]
    version, internal, gauss_next = old["python_rng"]
    rng = {"torch": old["torch_rng"],
           "numpy": {"kind": kind, "keys": torch.as_tensor(keys.astype("int64")),
                     "pos": int(pos), "has_gauss": int(has_gauss), "gauss": float(gauss)},
           "python": {"version": version, "internal": list(internal),
                      "gauss_next": gauss_next}}
    if "cuda_rng" in old:
        rng["cuda"] = old["cuda_rng"]
    return {"format": FORMAT, "models": old["models"], "optimizers": old["optimizers"],
            "task": old.get("task", {}), "step": old["step"], "epoch": old["epoch"],
            "batch": old.get("batch", 0), "generator": old["generator"],
            "meter": {"sums": {k: float(v) for k, v in sums.items()}, "count": count,
                      "epoch_sums": {k: float(v) for k, v in epoch_sums.items()},
                      "epoch_count": epoch_count},
            "early_stopping": {"best": old["best_val"], "bad": old["bad_evals"]},
            "diagnoser": _diagnoser_state(diagnoser),
            "metrics": old.get("metrics", {}), "n_evals": old.get("n_evals", 0), "rng": rng,
            "config": old.get("config", {})}
