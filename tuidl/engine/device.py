"""Pick the torch device from `device=auto|cpu|cuda[:N]|mps`."""
from __future__ import annotations

import contextlib
import ctypes
import sys

import torch

from tuidl.config import TuidlError

ALL_CORES = torch.get_num_threads()  # torch's own default, before anyone changes it


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise TuidlError(f"device {name!r} requested but CUDA is not available here; "
                             "use --device cpu or auto")
        index = int(name.split(":")[1]) if ":" in name else 0
        count = torch.cuda.device_count()
        if index >= count:
            raise TuidlError(f"device {name!r}: only {count} CUDA device(s) here; use "
                             f"--device cuda:0{f'..cuda:{count - 1}' if count > 1 else ''}, "
                             "cpu or auto")
    if name == "mps" and not (getattr(torch.backends, "mps", None)
                              and torch.backends.mps.is_available()):
        raise TuidlError("device 'mps' requested but MPS is not available here; "
                         "use --device cpu or auto")
    return torch.device(name)


def seed_everything(seed: int) -> None:
    import random

    import numpy as np
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def set_cpu_threads(n: int) -> None:
    """Intra-op threads for CPU work: n, or torch's default (every core) for 0.

    For models this small one thread is 5-12 % slower than two on an idle 2-core machine
    (cnn-digits 1.47 s against 1.31 s, gan-ring 14.0 s against 13.2 s), and it stays fast on a
    busy one, where several threads spin against other processes and a run took 10-60 times
    longer (xor-mlp 0.5 s against 30 s).
    """
    torch.set_num_threads(n if n > 0 else ALL_CORES)


@contextlib.contextmanager
def denormals_flushed():
    """`flush_denormals()` for as long as a run trains, then the thread's mode as it was: the
    mode is the calling thread's (x86's MXCSR), and a program that runs tuidl in-process (a
    test, a notebook) keeps its own floating-point behaviour around it."""
    was = flushing()
    flush_denormals()
    try:
        yield
    finally:
        torch.set_flush_denormal(was)


def flushing() -> bool:
    """Whether this thread flushes denormals now (torch has no getter: 1e-39 x 1 tells)."""
    return (torch.tensor([1e-39]) * 1.0).item() == 0.0


def flush_denormals() -> bool:
    """Have the CPU treat denormal floats (below 1.2e-38 in float32) as zero, as TensorFlow
    does on CPUs by default.

    Adam's second moments of tiny gradients (a weight-decayed unit that no longer gets a
    gradient from the loss: its gradient is wd x w, its square soon under 1e-38) become
    denormals, and x86 works on those in microcode: a fused Adam step on a 128x128 layer whose
    moments are denormal took 68 us against 35 us (the default implementation 325 against
    60), so over-fitting runs with weight_decay slowed down as their units died. Flushed,
    they cost what any number costs. Values that small change no update that matters. False
    where the CPU has no such mode."""
    return bool(torch.set_flush_denormal(True))


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD = 32 << 20  # the largest glibc accepts on 64-bit systems
TRIM_THRESHOLD = 1 << 30


def keep_freed_memory() -> bool:
    """Have glibc's malloc keep freed memory for the next step instead of handing it back.

    A CPU step allocates and frees the same tensors again and again. glibc serves blocks of a
    few MB with mmap and trims its heap whenever 128 kB lie free at the top, so each step
    faulted fresh zero pages in: on word2vec-pydoc the kernel spent half of every step there
    (13 ms a step against 6 ms with this). Raising the mmap and trim thresholds (the
    `MALLOC_MMAP_THRESHOLD_` / `MALLOC_TRIM_THRESHOLD_` settings, the effect PyTorch's CPU
    tuning guide gets from jemalloc or tcmalloc) keeps those pages: the process holds at most
    the peak of one step's temporaries, now for reuse. False where the C library has no
    such knob (macOS, Windows, musl)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def rng_state(device: torch.device) -> dict:
    """Every RNG a step may draw from (torch's CPU and CUDA ones, numpy's and Python's global
    ones), as tensors and plain values: a checkpoint loads them with weights_only=True."""
    import random

    import numpy as np
    kind, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    state = {"torch": torch.get_rng_state(),
             "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)),
                       "pos": int(pos), "has_gauss": int(has_gauss), "gauss": float(gauss)},
             "python": {"version": version, "internal": list(internal),
                        "gauss_next": gauss_next}}
    if device.type == "cuda" and torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    import random

    import numpy as np
    torch.set_rng_state(state["torch"].cpu())
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].cpu().numpy().astype(np.uint32), n["pos"],
                         n["has_gauss"], n["gauss"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss_next"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["cuda"]])
