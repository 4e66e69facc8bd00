"""The device panel's data: the system sampler against a fake NVML and fake CUDA counters,
its events in a real (CPU) run, and the panel rendering them."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch

from tuidl.engine.system import SystemSampler, nvml_figures
from tuidl.events import Summary, System
from tuidl.ui.state import RunState
from tuidl.ui.widgets.device_panel import DevicePanel, sparkline

MB = 1 << 20


class NotSupported(Exception):
    pass


class FakeNvml:
    """pynvml's functions for GPUs of an H200 box; `report=False`: a driver that reports no
    temperature and no power (as some do inside containers or on virtual GPUs)."""
    NVML_TEMPERATURE_GPU = 0

    def __init__(self, util=(87, 55), report=True):
        self.util, self.report = util, report

    def nvmlDeviceGetHandleByIndex(self, i):
        if i >= len(self.util):
            raise NotSupported("no such GPU")
        return i

    def nvmlDeviceGetName(self, h):
        return b"NVIDIA H200"

    def nvmlDeviceGetUtilizationRates(self, h):
        return SimpleNamespace(gpu=self.util[h], memory=10)

    def nvmlDeviceGetMemoryInfo(self, h):
        return SimpleNamespace(used=(20_000 + 1000 * h) * MB, total=143_771 * MB, free=0)

    def nvmlDeviceGetTemperature(self, h, kind):
        if not self.report:
            raise NotSupported("temperature")
        return 61 + h

    def nvmlDeviceGetPowerUsage(self, h):
        if not self.report:
            raise NotSupported("power")
        return 312_500  # mW

    def nvmlDeviceGetEnforcedPowerLimit(self, h):
        if not self.report:
            raise NotSupported("power limit")
        return 700_000


def fake_torch_memory(index):
    return {"name": "NVIDIA H200", "total_mb": 143_771.0, "allocated_mb": 1234.5,
            "reserved_mb": 2048.0, "peak_mb": 1500.25}


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def sampler(device, nvml, steps=None, gpus=None):
    wall, cpu = Clock(), Clock()
    counter = steps or [0]
    s = SystemSampler(device, lambda: counter[0], gpus=gpus, nvml=nvml,
                      torch_memory=fake_torch_memory, clock=wall, cpu_clock=cpu)
    return s, wall, cpu, counter


def test_cuda_reading_with_nvml():
    s, wall, cpu, steps = sampler(torch.device("cuda", 0), FakeNvml())
    wall.t, cpu.t, steps[0] = 2.0, 1.5, 400
    r = s.sample()
    assert r["cpu_percent"] == 75.0 and r["step_ms"] == 5.0 and r["rss_mb"] > 0
    (g,) = r["gpus"]
    assert g == {"index": 0, "name": "NVIDIA H200", "util": 87.0, "used_mb": 20000.0,
                 "total_mb": 143771.0, "temperature_c": 61.0, "power_w": 312.5,
                 "power_limit_w": 700.0, "allocated_mb": 1234.5, "reserved_mb": 2048.0,
                 "peak_mb": 1500.2}
    assert s.take() is None  # only the thread's readings are handed over
    s.latest = r
    assert s.take() is r and s.take() is None  # each reading is emitted once
    summary = s.summary()
    assert summary["peak_gpu_memory_mb"] == 1500.2 and summary["mean_gpu_util"] == 87.0
    assert summary["mean_cpu_percent"] == 75.0 and summary["peak_rss_mb"] > 0


def test_a_driver_without_power_or_temperature_reports_none():
    figures = nvml_figures(FakeNvml(report=False), 0)
    assert figures["temperature_c"] is None and figures["power_w"] is None
    assert figures["power_limit_w"] is None and figures["util"] == 87.0


def test_without_nvml_the_torch_figures_stand_alone():
    s, wall, _, _ = sampler(torch.device("cuda", 0), None)
    wall.t = 1.0
    (g,) = s.sample()["gpus"]
    assert g == {"index": 0, "name": "NVIDIA H200", "total_mb": 143771.0,
                 "allocated_mb": 1234.5, "reserved_mb": 2048.0, "peak_mb": 1500.2}
    assert "mean_gpu_util" not in s.summary()  # nothing to average


def test_a_multi_gpu_run_lists_its_gpus():
    s, wall, _, _ = sampler(torch.device("cuda", 0), FakeNvml(), gpus=[0, 1])
    wall.t = 1.0
    gpus = s.sample()["gpus"]
    assert [g["index"] for g in gpus] == [0, 1] and gpus[1]["util"] == 55.0
    assert "allocated_mb" in gpus[0] and "allocated_mb" not in gpus[1]  # torch: own device


def test_cpu_reading_has_no_gpus():
    s, wall, cpu, steps = sampler(torch.device("cpu"), "load")
    wall.t, cpu.t = 1.0, 0.98
    r = s.sample()
    assert r["device"] == "cpu" and "gpus" not in r and r["cpu_percent"] == 98.0
    assert r["step_ms"] is None  # no step in that second
    assert "peak_gpu_memory_mb" not in s.summary()


def test_a_run_emits_system_events_and_summarises_them(train, monkeypatch):
    import tuidl.engine.system as system
    monkeypatch.setattr(system, "SYSTEM_EVERY_S", 0.05)
    summary, run_dir, events = train("mlp-digits", "epochs=15")
    readings = [e for e in events if e["type"] == "system"]
    assert readings, "no system events"
    assert all(e["device"] == "cpu" and e["rss_mb"] > 0 and e["cpu_percent"] >= 0
               for e in readings)
    assert summary["system"]["peak_rss_mb"] >= max(e["rss_mb"] for e in readings)
    assert 0 < summary["system"]["mean_cpu_percent"]
    on_disk = json.loads((run_dir / "summary.json").read_text())
    assert on_disk["system"] == summary["system"]


def test_the_sampler_thread_stops():
    s = SystemSampler(torch.device("cpu"), lambda: 0, every=0.01).start()
    assert s._thread.is_alive()
    s.close()
    assert not s._thread.is_alive()


def cuda_state(report=True) -> RunState:
    state = RunState()
    state.rate, state.rate_unit = 43210.0, "samples"
    s, wall, cpu, steps = sampler(torch.device("cuda", 0), FakeNvml(report=report))
    for i in range(1, 6):
        wall.t, cpu.t, steps[0] = float(i), 0.9 * i, 400 * i
        state.apply(System(**s.sample()))
    return state


def test_panel_shows_the_gpu_figures():
    panel = DevicePanel()
    panel.state = cuda_state()
    lines = panel.render().plain.splitlines()
    assert lines[:4] == ["cuda:0 NVIDIA H200  61 °C  312/700 W", "util 87% ▇▇▇▇▇",
                         "mem ░░░░░░░░ 2.0/140.4 GB reserved",
                         "    1.2 GB allocated, peak 1.5 GB"]
    assert lines[4].startswith("cpu process 90% rss ")
    assert lines[5] == "run 43,210 samples/s  2.50 ms/step"


def test_panel_leaves_out_what_the_driver_does_not_report():
    panel = DevicePanel()
    panel.state = cuda_state(report=False)
    out = panel.render().plain
    assert "°C" not in out and " W" not in out and "util 87%" in out


def test_panel_on_cpu_and_before_any_reading():
    panel = DevicePanel()
    panel.state = RunState()
    assert "no device readings yet" in panel.render().plain
    panel.state.apply(System(device="cpu", cpu_percent=98.0, rss_mb=412.0, step_ms=0.5))
    out = panel.render().plain
    assert "cpu process 98%" in out and "rss 412 MB" in out and "0.50 ms/step" in out


def test_sparkline_scales_to_its_top():
    assert sparkline([0, 50, 100]) == "▁▅█"
    assert sparkline([]) == ""


def test_summary_json_carries_the_system_figures():
    s = Summary(system={"peak_rss_mb": 1.0})
    assert s.public()["system"] == {"peak_rss_mb": 1.0}
    assert "system" not in Summary().public()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_cuda_run_reports_non_zero_utilisation_and_memory(train, monkeypatch):
    import tuidl.engine.system as system
    monkeypatch.setattr(system, "SYSTEM_EVERY_S", 0.2)
    summary, _, events = train("cnn-digits", "device=cuda")
    readings = [e for e in events if e["type"] == "system"]
    assert readings and max(g["allocated_mb"] for e in readings for g in e["gpus"]) > 0
    assert summary["system"]["peak_gpu_memory_mb"] > 0


def test_compact_panel_for_short_terminals():
    panel = DevicePanel(classes="-compact")
    panel.state = cuda_state()
    assert panel.render().plain.splitlines() == [
        "cuda:0 87% ▇▇▇▇▇ 2.0/140 GB 61°C 312W", "2.50 ms/step  cpu 90% rss " +
        panel.render().plain.split("rss ")[1]]
