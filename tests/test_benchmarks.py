"""The overhead benchmark runs end to end with tiny settings (opt-in: -m benchmark)."""
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

pytestmark = pytest.mark.benchmark


def test_overhead_measures_every_loop_and_records_a_table(tmp_path, monkeypatch, capsys):
    import overhead
    import results
    monkeypatch.setattr(results, "RESULTS", tmp_path / "RESULTS.md")
    out = overhead.main(["--presets", "mlp-digits", "--scale", "0.02", "--repeats", "1"])
    (m,) = out
    assert m["preset"] == "mlp-digits" and m["steps"] == 34 * 6  # 6 epochs of 34 batches
    for key in ("bare", "bare_fused", "dataloader", "headless", "headless_all", "tui_all"):
        assert m[key] > 100, (key, m[key])  # samples/s
    assert m["headless"] >= m["headless_all"]  # evaluation is subtracted, never added
    printed = capsys.readouterr().out
    assert "headless/bare" in printed and "mlp-digits" in printed
    table = (tmp_path / "RESULTS.md").read_text()
    assert "| mlp-digits | 204 |" in table and "python benchmarks/overhead.py" in table


def test_the_reference_loops_train_the_preset_model():
    import bare_loops
    import torch
    import torch.nn.functional as F
    for kind in ("bare", "bare_fused", "dataloader"):
        s = bare_loops.build("mlp-digits", torch.device("cpu"), fused=kind == "bare_fused")
        assert bool(s.opt.defaults.get("fused")) == (kind == "bare_fused"), kind
        before = F.cross_entropy(s.model(s.x), s.y).item()
        bare_loops.LOOPS[kind](s, 3 * s.steps_per_epoch)
        assert F.cross_entropy(s.model(s.x), s.y).item() < before / 2, kind


def test_monitor_overhead_times_both_models_and_records_a_table(tmp_path, monkeypatch):
    import monitor_overhead
    import results
    monkeypatch.setattr(results, "RESULTS", tmp_path / "RESULTS.md")
    rows = monitor_overhead.main(["--repeats", "1", "--steps", "2", "--record"])
    assert [r[0] for r in rows] == ["resnet", "transformer"]
    assert all(float(r[6]) > 0 for r in rows)  # ms inside the Monitor, measured
    assert "tuidl.Monitor overhead" in (tmp_path / "RESULTS.md").read_text()
