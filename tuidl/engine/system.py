"""The hardware a run uses: sampled off the training thread, handed to the engine as events.

A `SystemSampler` thread wakes every `SYSTEM_EVERY_S` seconds and reads:
- the process: CPU % (CPU seconds of all its threads per wall second: 200 % is two busy
  cores) and resident memory (/proc on Linux; elsewhere the peak getrusage reports);
- the run: steps per second, from the engine's step counter, as milliseconds per step;
- on CUDA, torch's own figures for the run's device (memory allocated, reserved by the caching
  allocator, the peak allocated, the card's total and name) and, when the `nvidia-ml-py`
  package and a driver are there, NVML's: utilisation %, memory used on the card (all
  processes), temperature and power against its limit. A figure the driver does not report is
  None; without NVML the torch figures stand alone.

The engine takes the newest reading at its log steps (`take`) and emits it as a `system` event
from the training thread, so the sinks never see two threads; reading and formatting happen in
the sampler's thread, and the training loop pays one attribute read per log. `summary()` gives
the peaks and means for `summary.json`.

NVML is reached through a module object with pynvml's functions (`nvml`), so tests feed a
fake one; `torch_memory` likewise stands in for torch.cuda's counters.
"""
from __future__ import annotations

import os
import resource
import sys
import threading
import time
from typing import Any, Callable

SYSTEM_EVERY_S = 1.0
MB = 1 << 20


def load_nvml():
    """pynvml (the `nvidia-ml-py` package), initialised; None without it or a driver."""
    try:
        import pynvml
        pynvml.nvmlInit()
    except Exception:  # noqa: BLE001 - not installed, no driver, no GPU: torch figures only
        return None
    return pynvml


def rss_mb() -> float:
    """Resident memory of this process now (Linux), else its peak (getrusage)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB
    except (OSError, ValueError, IndexError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / MB if sys.platform == "darwin" else peak / 1024  # bytes vs kB


def torch_cuda_memory(index: int) -> dict[str, Any]:
    import torch
    props = torch.cuda.get_device_properties(index)
    uuid = getattr(props, "uuid", None)
    return {"name": props.name, "total_mb": props.total_memory / MB,
            "uuid": f"GPU-{uuid}" if uuid is not None else None,
            "allocated_mb": torch.cuda.memory_allocated(index) / MB,
            "reserved_mb": torch.cuda.memory_reserved(index) / MB,
            "peak_mb": torch.cuda.max_memory_allocated(index) / MB}


def nvml_figures(nvml, index: int, uuid: str | None = None) -> dict[str, Any]:
    """What the driver says of torch's GPU `index`; a figure it does not support is None.
    The GPU is found by the UUID torch gives, when it gives one: NVML numbers every GPU of the
    machine, torch only those CUDA_VISIBLE_DEVICES leaves."""
    def read(fn, *args):
        try:
            return fn(*args)
        except Exception:  # noqa: BLE001 - NVMLError_NotSupported and friends
            return None
    handle = None
    if uuid and hasattr(nvml, "nvmlDeviceGetHandleByUUID"):
        handle = read(nvml.nvmlDeviceGetHandleByUUID, uuid)
    if handle is None:
        handle = read(nvml.nvmlDeviceGetHandleByIndex, index)
    if handle is None:
        return {}
    util = read(nvml.nvmlDeviceGetUtilizationRates, handle)
    mem = read(nvml.nvmlDeviceGetMemoryInfo, handle)
    temp = read(nvml.nvmlDeviceGetTemperature, handle, getattr(nvml, "NVML_TEMPERATURE_GPU", 0))
    power = read(nvml.nvmlDeviceGetPowerUsage, handle)  # milliwatts
    limit = read(nvml.nvmlDeviceGetEnforcedPowerLimit, handle)
    name = read(nvml.nvmlDeviceGetName, handle)
    return {"name": name.decode() if isinstance(name, bytes) else name,
            "util": None if util is None else float(util.gpu),
            "used_mb": None if mem is None else mem.used / MB,
            "total_mb": None if mem is None else mem.total / MB,
            "temperature_c": None if temp is None else float(temp),
            "power_w": None if power is None else power / 1000,
            "power_limit_w": None if limit is None else limit / 1000}


class SystemSampler:
    def __init__(self, device, steps: Callable[[], int], *, gpus: list[int] | None = None,
                 nvml: Any = "load", torch_memory: Callable[[int], dict] = torch_cuda_memory,
                 every: float = SYSTEM_EVERY_S, clock=time.monotonic, cpu_clock=time.process_time):
        self.device = str(device)
        self.cuda = getattr(device, "type", str(device).split(":")[0]) == "cuda"
        index = getattr(device, "index", None)
        self.index = 0 if index is None else index
        self.gpus = gpus if gpus is not None else [self.index]  # shown: the run's device(s)
        self.nvml = (load_nvml() if self.cuda else None) if nvml == "load" else nvml
        self.torch_memory = torch_memory
        self.steps, self.every, self.clock, self.cpu_clock = steps, every, clock, cpu_clock
        self.latest: dict[str, Any] | None = None
        self.taken: dict[str, Any] | None = None
        self._last = (clock(), cpu_clock(), steps())
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.n = 0
        self.cpu_sum = self.util_sum = 0.0
        self.util_n = 0
        self.peak_rss = self.peak_gpu = 0.0

    # -- the sampler's thread -------------------------------------------------------------
    def start(self) -> "SystemSampler":
        self._thread = threading.Thread(target=self._loop, name="tuidl-system", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2 * self.every + 1)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.latest = self.sample()
            except Exception:  # noqa: BLE001 - a reading that fails is skipped, never fatal
                pass

    def sample(self) -> dict[str, Any]:
        """One reading (also callable directly, as the tests do)."""
        now, cpu, step = self.clock(), self.cpu_clock(), self.steps()
        t0, c0, s0 = self._last
        self._last = (now, cpu, step)
        wall = max(now - t0, 1e-9)
        out: dict[str, Any] = {"device": self.device,
                               "cpu_percent": round(100 * (cpu - c0) / wall, 1),
                               "rss_mb": round(rss_mb(), 1),
                               "step_ms": round(1000 * wall / (step - s0), 3)
                               if step > s0 else None}
        if self.cuda:
            gpus = []
            for i in self.gpus:
                mem = self.torch_memory(i)
                g = {"index": i, **(nvml_figures(self.nvml, i, mem.get("uuid"))
                                    if self.nvml else {})}
                g["name"] = g.get("name") or mem["name"]
                g["total_mb"] = g.get("total_mb") or mem["total_mb"]
                if i == self.index:  # torch's counters are this process's, on its device
                    g.update(allocated_mb=mem["allocated_mb"], reserved_mb=mem["reserved_mb"],
                             peak_mb=mem["peak_mb"])
                gpus.append({k: round(v, 1) if isinstance(v, float) else v
                             for k, v in g.items()})
            out["gpus"] = gpus
        self._account(out)
        return out

    def _account(self, s: dict[str, Any]) -> None:
        self.n += 1
        self.cpu_sum += s["cpu_percent"]
        self.peak_rss = max(self.peak_rss, s["rss_mb"])
        for g in s.get("gpus", []):
            if g["index"] == self.index:
                self.peak_gpu = max(self.peak_gpu, g.get("peak_mb") or 0.0)
                if g.get("util") is not None:
                    self.util_sum += g["util"]
                    self.util_n += 1

    # -- the training thread --------------------------------------------------------------
    def take(self) -> dict[str, Any] | None:
        """The newest reading if the engine has not emitted it yet."""
        latest = self.latest
        if latest is None or latest is self.taken:
            return None
        self.taken = latest
        return latest

    def summary(self) -> dict[str, Any]:
        """Peaks and means over the run, for summary.json (what there was to measure)."""
        out: dict[str, Any] = {"peak_rss_mb": round(max(self.peak_rss, rss_mb()), 1)}
        if self.n:
            out["mean_cpu_percent"] = round(self.cpu_sum / self.n, 1)
        if self.cuda:
            peak = self.peak_gpu
            try:
                peak = max(peak, self.torch_memory(self.index)["peak_mb"])
            except Exception:  # noqa: BLE001
                pass
            out["peak_gpu_memory_mb"] = round(peak, 1)
            if self.util_n:
                out["mean_gpu_util"] = round(self.util_sum / self.util_n, 1)
        return out
