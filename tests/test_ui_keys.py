"""Keys that do what they say: none offered that cannot act, Esc never quits, q asks before
it ends a live run, runs told apart by what differs, and the lr in use in the header."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from pilot_tools import SIZE, start
from pilot_tools import wait
from tuidl.events import RunStart, Status
from tuidl.runner import execute, prepare
from tuidl.ui.app import TuidlApp
from tuidl.ui.bridge import FileFollower
from tuidl.ui.screens.compare import CompareScreen, differing_labels, title_of
from tuidl.ui.screens.training import TrainingScreen
from tuidl.ui.state import RunState
from tuidl.ui.widgets.header import RunHeader
from test_widgets import One, fold

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def spirals():
    """Two short mlp-spiral runs that differ in their activation only."""
    with tempfile.TemporaryDirectory() as root:
        yield [execute(prepare("mlp-spiral", ["epochs=1", f"activation={a}"], device="cpu"),
                       out_root=root, name=f"spiral-{a}").run_dir for a in ("relu", "tanh")]


async def test_the_compare_overlay_names_runs_by_what_differs(spirals):
    app = TuidlApp(compare=spirals)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert await wait(pilot, lambda: all(s.config for _, _, s in screen.runs), 10)
        await pilot.pause(0.3)
        assert screen.labels == ["activation=relu", "activation=tanh"]
        key = screen.query_one("#overlay").render().plain
        assert "activation=relu" in key and "activation=tanh" in key
        assert "activation=tanh" in [str(c) for c in screen.table().columns[0]._cells]
        title = str(screen.query_one("#compare-title").render())
        assert title == "mlp-spiral: 2 runs differing in activation", title


def test_labels_fall_back_to_the_directory_and_stay_distinct():
    a, b, c = fold("xor-mlp"), fold("xor-mlp"), fold("digits")
    assert differing_labels([a, b], ["one", "two"]) == ["one", "two"]  # nothing differs
    assert differing_labels([a, c], ["one", "two"]) == ["xor-mlp", "cnn-digits"]
    assert differing_labels([a, RunState()], ["one", "two"]) == ["one", "two"]  # not yet read
    b.config = {**b.config, "lr": 0.5}
    d = fold("xor-mlp")
    d.config = {**d.config, "lr": 0.5}
    assert differing_labels([a, b, d], ["x", "y", "z"]) == ["lr=0.03", "lr=0.5 (y)",
                                                             "lr=0.5 (z)"]
    assert title_of([a, b, d]) == "xor-mlp: 3 runs differing in lr"
    assert title_of([a, c]) == "comparing 2 runs of cnn-digits, xor-mlp"
    assert title_of([RunState(), RunState()]) == "comparing 2 runs"


async def test_esc_goes_back_from_compare_and_never_quits():
    app = TuidlApp(source=FileFollower(FIXTURES / "xor-mlp"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        training = app.screen
        app.push_screen(CompareScreen([FIXTURES / "compare" / d for d in
                                       ("optimizer-sgd", "optimizer-adam")]))
        await pilot.pause(0.3)
        await pilot.press("escape")
        assert app.screen is training
        await pilot.press("escape")  # nothing to go back to: it stays
        assert app.screen is training and app.is_running
    app = TuidlApp(compare=[str(FIXTURES / "compare")])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        await pilot.press("escape")
        assert isinstance(app.screen, CompareScreen) and app.is_running


async def test_watch_mode_answers_no_control_key():
    app = TuidlApp(source=FileFollower(FIXTURES / "xor-mlp"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        for key in ("space", "n", "s", "r", "e", "right_square_bracket"):
            await pilot.press(key)
        await pilot.pause(0.2)
        assert not list(app._notifications)  # no "read-only" toasts: the keys are not bound


async def test_q_asks_once_before_it_ends_a_live_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = TuidlApp(preset="xor-mlp")
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(app, pilot, 400)
        assert isinstance(screen, TrainingScreen)
        assert await wait(pilot, lambda: screen.state.step > 5)
        await pilot.press("q")
        await pilot.pause(0.2)
        assert app.is_running and app.screen is screen
        assert any("q again" in str(n.message) for n in app._notifications)
        await pilot.press("y")
        await pilot.pause(0.5)
    assert app.return_code in (0, None)


async def test_the_header_keeps_status_step_lr_and_elapsed_at_80_columns():
    state = fold("vanishing")
    state.preset = "a-preset-with-a-long-and-winding-name"
    header = RunHeader()
    async with One(header).run_test(size=(80, 24)) as pilot:
        header.update_state(state)
        await pilot.pause()
        text = header.render().plain
    assert len(text) <= 80 and "completed" in text and "step 75/75" in text
    assert "lr 0.1" in text and "00:00" in text and "a-preset-with-a-long-and" in text


async def test_form_keys_leave_text_editing_alone():
    """ctrl+d in a field deletes a character, as in any text field; ctrl+o resets the form."""
    app = TuidlApp(preset="xor-mlp")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        field = app.screen.query_one("#field-lr")
        default = field.value
        field.value = "0.5"
        field.focus()
        await pilot.pause(0.1)  # focus selects the text: place the cursor after it
        field.cursor_position = 0
        await pilot.press("ctrl+d")
        await pilot.pause(0.1)
        assert field.value == ".5"
        await pilot.press("ctrl+o")
        await pilot.pause(0.2)
        assert app.screen.query_one("#field-lr").value == default


def test_elapsed_counts_training_time_only():
    state = RunState()
    state.apply(RunStart(time=100.0, preset="p", family="mlp"))
    state.apply(Status(time=100.0, status="running"))
    state.apply(Status(time=110.0, status="paused"))
    assert state.elapsed == pytest.approx(10.0)  # the clock stops while paused
    state.apply(Status(time=150.0, status="running"))
    state.apply(Status(time=160.0, status="completed"))
    assert state.elapsed == pytest.approx(20.0)  # 60 s, 40 of them paused


async def test_edit_opens_the_form_with_the_lr_in_use(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = TuidlApp(preset="xor-mlp")
    async with app.run_test(size=SIZE) as pilot:
        first = float(app.screen.query_one("#field-lr").value)
        screen = await start(app, pilot, 400)
        assert await wait(pilot, lambda: screen.state.step > 5)
        await pilot.press("right_square_bracket")
        assert await wait(pilot, lambda: screen.state.metrics.get("lr") == 2 * first, 20)
        header = screen.query_one(RunHeader).render().plain
        assert f"lr {2 * first:.3g}" in header
        await pilot.press("s")
        assert await wait(pilot, lambda: screen.state.finished, 20)
        await pilot.press("e")
        await pilot.pause(0.3)
        assert float(app.screen.query_one("#field-lr").value) == 2 * first


async def test_an_exploding_run_goes_back_pauses_and_continues_at_a_lower_lr(tmp_path,
                                                                             monkeypatch):
    """The README's promise in the app: exploding diverges at step 4, before any evaluation;
    the run goes back to its start (its first checkpoint), pauses and says so; `[` lowers
    the lr and space continues to finite losses past the step that diverged."""
    import math
    monkeypatch.chdir(tmp_path)
    app = TuidlApp(preset="exploding")
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(app, pilot, 20)
        assert await wait(pilot, lambda: screen.state.status == "paused", 30)
        assert screen.state.message.startswith("diverged: ")
        assert "back at step 0, the last finite checkpoint" in screen.state.message
        assert app.screen.check_action("lr", (0.5,))  # offered: the run is paused, not over
        for _ in range(6):
            await pilot.press("left_square_bracket")
        await pilot.press("space")

        def finite_past_the_blow_up():
            loss = screen.state.step_series.get("loss")
            return loss is not None and any(x > 8 and math.isfinite(y)
                                             for x, y in zip(loss.x, loss.y))
        assert await wait(pilot, finite_past_the_blow_up, 30)
        assert screen.state.status in ("running", "completed")  # 20 epochs go fast
        assert screen.state.metrics["lr"] == pytest.approx(3e-4 / 64)
        await pilot.press("s")
        assert await wait(pilot, lambda: screen.state.finished, 30)


async def test_a_start_says_starting_from_its_first_frame(tmp_path, monkeypatch):
    """The key is taken at once: the training screen's first state is "starting" with what
    the process does, never a dead "waiting"."""
    monkeypatch.chdir(tmp_path)
    app = TuidlApp(preset="xor-mlp")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        app.screen.query_one("#field-epochs").value = "400"
        await pilot.press("ctrl+r")
        screen = app.screen
        assert isinstance(screen, TrainingScreen)
        assert screen.state.status in ("starting", "running")
        header = screen.query_one(RunHeader).render().plain
        assert "waiting" not in header
        assert await wait(pilot, lambda: screen.state.step > 0, 30)
        assert screen.state.message == ""  # "starting: …" is gone once it trains


async def test_any_key_closes_help_and_only_that_one_is_taken():
    from tuidl.ui.screens.help import HelpScreen
    app = TuidlApp(source=FileFollower(FIXTURES / "xor-mlp"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        training = app.screen
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("down")  # scrolls, stays open
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("space")
        assert app.screen is training
        await pilot.press("v")  # the next key is the training screen's again
        await pilot.pause(0.2)
        assert training.solo is not None


async def test_help_then_esc_back_to_back_leaves_help_closed():
    """A terminal delivers `?` and Esc one after the other, before help is drawn: Esc must
    still reach help and close it, and the next key belongs to the training screen."""
    from textual import events
    app = TuidlApp(source=FileFollower(FIXTURES / "xor-mlp"))
    async with app.run_test(size=SIZE) as pilot:
        training = app.screen
        assert await wait(pilot, lambda: training.state.finished and training.drawn >= 0, 10)
        await pilot.pause(0.1)
        for key, char in (("question_mark", "?"), ("escape", None), ("v", "v")):
            app.post_message(events.Key(key, char))
        assert await wait(pilot, lambda: training.solo is not None, 5)
        assert app.screen is training


def test_header_and_device_panel_show_one_throughput_and_none_while_paused():
    from tuidl.events import Scalars, System
    from tuidl.ui.widgets.device_panel import DevicePanel
    state = RunState()
    state.apply(RunStart(time=100.0, preset="p", family="mlp"))
    state.apply(Status(time=100.0, status="running"))
    state.apply(Scalars(time=101.0, step=10, values={"loss": 1.0, "samples_per_s": 12345.0}))
    state.apply(System(time=101.0, step=10, device="cpu", cpu_percent=90.0, rss_mb=300.0,
                       step_ms=2.5))
    header, panel = RunHeader(), DevicePanel()
    for status, shown in (("running", True), ("paused", False), ("completed", True)):
        state.apply(Status(time=102.0, step=10, status=status))
        header.state = panel.state = state
        texts = (header.render().plain, panel.render().plain)
        assert all(("12,345 samples/s" in t) == shown for t in texts), (status, texts)
        assert ("ms/step" in texts[1]) == shown


async def test_plus_trains_a_finished_run_on_in_its_own_directory(tmp_path, monkeypatch):
    """A short preset ends before its keys can be tried: `+` trains it on, on the same
    screen and run directory, for as many epochs again."""
    from textual.widgets._footer import FooterKey
    monkeypatch.chdir(tmp_path)
    app = TuidlApp(preset="xor-mlp")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start(app, pilot, 5)
        assert await wait(pilot, lambda: screen.state.status == "completed", 60)
        await pilot.pause(0.2)
        footer = [k.description for k in app.screen.query(FooterKey) if k.region.width]
        assert footer[0] == "more" and "pause" not in footer, footer
        first_steps, run_dir = screen.state.step, screen.state.run_dir
        await pilot.press("plus")
        assert await wait(pilot, lambda: screen.state.epoch == 10
                          and screen.state.status == "completed", 60)
        assert app.screen is screen and screen.state.run_dir == run_dir
        assert screen.state.step == 2 * first_steps
    lines = (Path(run_dir) / "events.jsonl").read_text().splitlines()
    assert sum('"type": "run_start"' in line for line in lines) == 2


async def test_a_runs_data_warning_is_shown_once_as_text(tmp_path):
    """run_start's warnings (a feature constant in the training rows …) come up as a toast,
    its text as text: a CSV header is the user's, markup and escapes included."""
    from tuidl.sinks.jsonl import JsonlSink
    warning = "1 feature(s) constant in the training rows ([red]px\x1b[2J): centred"
    sink = JsonlSink(tmp_path / "events.jsonl")
    sink(RunStart(preset="p", family="mlp", warnings=[warning]))
    sink(Status(status="running"))
    sink.close()
    app = TuidlApp(source=FileFollower(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        shown = [str(n.message) for n in app._notifications]
    assert len(shown) == 1 and shown[0].startswith("warning: 1 feature(s) constant in the "
                                                   "training rows ([red]px"), shown
    assert "\x1b" not in shown[0]
