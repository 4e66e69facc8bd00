"""Pilot tests: drive the real app through a short real run."""
import asyncio
import threading
import time

import pytest

from tuidl.ui.app import TuidlApp
from tuidl.ui.screens.form import FormScreen
from tuidl.ui.screens.training import TrainingScreen

from pilot_tools import SIZE, start
from pilot_tools import wait as _wait


async def test_pick_xor_mlp_start_and_complete(tmp_path):
    app = TuidlApp(out_root=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        ol = app.screen.query_one("#preset-list")
        index = next(i for i, o in enumerate(ol._options) if o.id == "xor-mlp")
        ol.highlighted = index
        await pilot.press("enter")
        assert isinstance(app.screen, FormScreen)
        await pilot.press("ctrl+r")
        assert isinstance(app.screen, TrainingScreen)
        screen = app.screen
        assert await _wait(pilot, lambda: screen.state.status == "completed")
        assert screen.state.metrics["val_accuracy"] == 1.0
        assert len(screen.state.step_series["loss"].y) > 10
        assert screen.state.grad_norms and screen.state.layers == ["fc1", "out"]
        loss = screen.state.step_series["loss"].y
        assert loss[-1] < loss[0] / 5


async def test_pause_resume_and_live_lr(tmp_path):
    app = TuidlApp(preset="mlp-spiral", out_root=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(app, pilot, 200)
        assert await _wait(pilot, lambda: screen.state.step > 50)
        t0 = time.monotonic()
        await pilot.press("space")
        # the key is answered while training runs (200 epochs take far longer); a second
        # covers a loaded machine (the suite runs on two workers), 0.05 s is usual
        assert time.monotonic() - t0 < 1.0
        assert await _wait(pilot, lambda: screen.state.status == "paused", 10)
        await pilot.pause(0.3)
        step = screen.state.step
        await pilot.pause(0.5)
        assert screen.state.step == step  # nothing moves while paused
        await pilot.press("n")  # a single step
        assert await _wait(pilot, lambda: screen.state.step == step + 1, 5)
        await pilot.press("right_square_bracket")  # lr x 2, live
        await pilot.press("space")
        assert await _wait(pilot, lambda: screen.state.metrics.get("lr") == pytest.approx(0.01), 10)
        await pilot.press("s")
        assert await _wait(pilot, lambda: screen.state.status == "stopped", 10)


@pytest.mark.parametrize("preset, keys, epochs", [("gan-ring", ("lr_g", "lr_d"), 20),
                                                  ("mlp-spiral", ("lr",), 400)])
async def test_lr_keys_scale_every_learning_rate_from_its_value_in_use(tmp_path, preset, keys,
                                                                      epochs):
    """] doubles each of the family's learning rates from the value the run is using (a GAN's
    lr_g and lr_d, decayed by their schedule), [ halves them; one single step shows each."""
    app = TuidlApp(preset=preset, out_root=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(app, pilot, epochs)  # long enough to be paused mid-run
        metrics = screen.state.metrics
        assert await _wait(pilot, lambda: all(k in metrics for k in keys) and
                           screen.state.step > 30)
        await pilot.press("space")
        assert await _wait(pilot, lambda: screen.state.status == "paused", 10)

        async def one_step(key: str) -> dict[str, float]:
            before = {k: metrics[k] for k in keys}
            step = screen.state.step
            await pilot.press(key, "n")
            assert await _wait(pilot, lambda: screen.state.step == step + 1
                               and all(metrics[k] != before[k] for k in keys), 10)
            return before

        before = await one_step("right_square_bracket")
        for k in keys:
            assert metrics[k] == pytest.approx(2 * before[k], rel=2e-3)
        before = await one_step("left_square_bracket")
        for k in keys:
            assert metrics[k] == pytest.approx(before[k] / 2, rel=2e-3)
        await pilot.press("s")
        assert await _wait(pilot, lambda: screen.state.status == "stopped", 10)


async def test_invalid_form_value_blocks_start(tmp_path):
    app = TuidlApp(preset="xor-mlp", out_root=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#field-batch_size").value = "0"
        await pilot.pause()
        assert app.screen.query_one("#start").disabled
        hint = str(app.screen.query("ParamField.-invalid .param-hint").first().render())
        assert "batch_size: 0 is out of range" in hint
        await pilot.press("ctrl+r")
        assert isinstance(app.screen, FormScreen)
        assert not list(tmp_path.iterdir())


async def test_watch_follows_a_run_being_written(tmp_path):
    from tuidl.runner import execute, prepare
    from tuidl.ui.bridge import FileFollower
    prep = prepare("mlp-spiral", ["epochs=15"])
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault(
        "summary", execute(prep, out_root=str(tmp_path))))
    worker.start()
    while not list(tmp_path.glob("*/events.jsonl")):
        await asyncio.sleep(0.05)
    run_dir = next(tmp_path.iterdir())
    app = TuidlApp(watch=str(run_dir))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, TrainingScreen) and not screen.live
        seen_running = await _wait(pilot, lambda: screen.state.status == "running", 30)
        assert await _wait(pilot, lambda: screen.state.status == "completed", 120)
        worker.join()
        assert seen_running
        assert screen.state.epoch == 15 == result["summary"].epochs
    assert isinstance(FileFollower(run_dir).poll()[0].type, str)


async def test_export_key_writes_the_exports_mid_run(tmp_path):
    from pathlib import Path
    app = TuidlApp(preset="mlp-spiral", out_root=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(app, pilot, 200)
        assert await _wait(pilot, lambda: screen.state.step > 20)
        run_dir = Path(screen.state.run_dir)
        assert not (run_dir / "model.safetensors").exists()
        await pilot.press("x")
        assert await _wait(pilot, lambda: (run_dir / "model.safetensors").is_file(), 10)
        assert screen.state.status == "running"  # the run goes on
        assert await _wait(pilot, lambda: any("exported to" in str(n.message)
                                              for n in app._notifications), 10)
        await pilot.press("s")
        assert await _wait(pilot, lambda: screen.state.status == "stopped", 10)
