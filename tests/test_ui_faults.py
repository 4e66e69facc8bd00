"""The app under terminal and process faults: resizes through the minimum size, a training
child killed from outside, the app itself killed or hung up on, a run that pauses itself with
a long message."""
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tuidl.events import Status
from tuidl.ui.app import MIN_H, MIN_W, TooSmall, TuidlApp
from tuidl.ui.bridge import EventSource, FileFollower
from tuidl.ui.screens.compare import CompareScreen
from tuidl.ui.screens.form import FormScreen
from tuidl.ui.screens.help import HelpScreen
from tuidl.ui.screens.picker import PickerScreen
from tuidl.ui.screens.side_layout import WIDE
from tuidl.ui.screens.training import TrainingScreen

from pilot_tools import SIZE, start
from pilot_tools import wait as _wait

FIXTURES = Path(__file__).parent / "fixtures"
RESIZES = [(20, 8), (400, 100), (20, 8), (79, 24), (100, 30)]
DIVERGED = ("diverged: the loss went NaN/inf at step 1234 (first non-finite layer: "
            "encoder.fc2); lower the learning rate, clip gradients (grad_clip), normalise the "
            "inputs; back at step 1200, the last finite checkpoint: change lr ([ ]) and resume")


def screen_lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def gone(pid: int) -> bool:
    """The process has exited (a zombie nobody reaped yet counts as exited)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return True
    return state in ("Z", "X")


def summary_status(run_dir: Path) -> str | None:
    try:
        return json.loads((run_dir / "summary.json").read_text())["status"]
    except (FileNotFoundError, json.JSONDecodeError, KeyError):
        return None


APPS = {
    "picker": (lambda: TuidlApp(), PickerScreen),
    "training": (lambda: TuidlApp(source=FileFollower(FIXTURES / "xor-mlp")), TrainingScreen),
    "compare": (lambda: TuidlApp(compare=[str(FIXTURES / "compare")]), CompareScreen),
}


@pytest.mark.parametrize("name", list(APPS))
async def test_too_small_notice_follows_every_resize(name):
    make, screen_type = APPS[name]
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.1)
        assert isinstance(app.screen, screen_type)
        for w, h in RESIZES:
            await pilot.resize_terminal(w, h)
            await pilot.pause(0.1)
            small = w < MIN_W or h < MIN_H
            assert isinstance(app.screen, TooSmall) == small, (w, h)
            if small:
                notice = str(app.screen.query_one("#too-small").render())
                assert f"this one is {w}×{h}" in notice
            else:
                assert isinstance(app.screen, screen_type), (w, h)
                assert app.screen.size == (w, h)
            if screen_type is TrainingScreen:  # the layout follows the width, even under it
                training = app.screen_stack[1]
                assert training.has_class("-wide") == (w >= WIDE), (w, h)
        await pilot.press("question_mark" if name != "compare" else "l")  # still answers keys
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen if name != "compare" else CompareScreen)


async def test_a_killed_training_child_fails_the_run_and_the_app_lives_on(tmp_path):
    app = TuidlApp(preset="mlp-spiral", out_root=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(app, pilot, 400)
        assert await _wait(pilot, lambda: screen.state.step > 20)
        os.kill(screen.source.pid, signal.SIGKILL)  # as the out-of-memory killer does
        assert await _wait(pilot, lambda: screen.state.status == "failed", 10)
        assert screen.state.message == "the training process exited (code -9)"
        await pilot.pause(0.3)
        message = str(screen.query_one("#message").render())
        assert message == "failed: the training process exited (code -9)"
        assert screen.query_one("#message").has_class("-error")
        assert any("failed" in line for line in screen_lines(app)[:1])  # the header too
        await pilot.press("question_mark")  # the app still answers keys
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("escape")  # nothing runs any more: back to the form
        assert isinstance(app.screen, FormScreen)


ORPHAN_PARENT = """
import sys, time
from tuidl.runner import prepare
from tuidl.ui.bridge import LiveRun
run = LiveRun(prepare("mlp-spiral", ["epochs=2000"]), out_root=sys.argv[1])
print(run.pid, flush=True)
while True:
    run.poll()
    time.sleep(0.05)
"""


def test_an_orphaned_training_child_stops_cleanly(tmp_path):
    """The app is SIGKILLed mid-run: its training child notices, writes its summary as
    'stopped' and exits instead of training on as an orphan."""
    out = tmp_path / "runs"
    with open(tmp_path / "parent.err", "w") as err:
        parent = subprocess.Popen([sys.executable, "-c", ORPHAN_PARENT, str(out)],
                                  stdout=subprocess.PIPE, stderr=err, text=True)
    try:
        child = int(parent.stdout.readline())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # training, not just starting
            events = list(out.glob("*/events.jsonl"))
            if events and '"type": "scalars"' in events[0].read_text():
                break
            time.sleep(0.05)
        else:
            pytest.fail("the run did not start: " + (tmp_path / "parent.err").read_text())
        run_dir = events[0].parent
        parent.kill()
        parent.wait()
        t0 = time.monotonic()
        while time.monotonic() - t0 < 10 and not (gone(child) and summary_status(run_dir)):
            time.sleep(0.1)
        assert summary_status(run_dir) == "stopped"
        assert gone(child), "the training child outlived the app"
        print(f"child stopped {time.monotonic() - t0:.1f} s after its parent was killed")
    finally:
        parent.kill()
        parent.wait()
        if "child" in locals() and not gone(child):
            os.kill(child, signal.SIGKILL)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
async def test_sigterm_and_sighup_stop_the_live_run_then_exit(tmp_path, signum):
    before = signal.getsignal(signum)  # SIG_DFL, or SIG_IGN under nohup
    app = TuidlApp(preset="mlp-spiral", out_root=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await start(app, pilot, 400)
        assert await _wait(pilot, lambda: screen.state.step > 20)
        run, run_dir = screen.source, Path(screen.state.run_dir)
        assert signum in app.stop_signals  # else the signal would end the test process
        os.kill(os.getpid(), signum)
        deadline = time.monotonic() + 15
        while app.return_code is None and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert app.return_code == 128 + signum
    assert summary_status(run_dir) == "stopped"
    assert not run.alive
    assert signal.getsignal(signum) == before  # the app gave the signal back


HANG_UP_APP = """
import sys
from tuidl.ui.app import TuidlApp
TuidlApp(preset="mlp-spiral", out_root=sys.argv[1]).run()
"""


def _read_for(fd: int, seconds: float) -> None:
    """Drain what the app draws (a full pty would block it) for `seconds`."""
    import select
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 0.05)[0]:
            try:
                os.read(fd, 1 << 16)
            except OSError:
                return


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a Linux pseudo-terminal")
def test_a_hang_up_stops_the_run_and_the_app_exits(tmp_path):
    """The SSH session drops mid-run: the terminal hangs up (SIGHUP, then SIGCONT, to the app
    and its child). The run stops cleanly and both processes exit; none lingers."""
    import fcntl
    import pty
    import struct
    import termios
    out = tmp_path / "runs"
    pid, fd = pty.fork()
    if pid == 0:  # the app, on the pseudo-terminal as its controlling terminal
        try:
            os.execv(sys.executable, [sys.executable, "-c", HANG_UP_APP, str(out)])
        finally:
            os._exit(127)
    try:
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not out.exists() and not gone(pid):
            _read_for(fd, 0.5)
            os.write(fd, b"\x12")  # ctrl+r on the form: start (again, until it starts)
        events = []
        while time.monotonic() < deadline:
            events = list(out.glob("*/events.jsonl"))
            if events and '"type": "scalars"' in events[0].read_text():
                break
            _read_for(fd, 0.1)
        assert events, "the run did not start"
        run_dir = events[0].parent
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        os.close(fd)  # hang up
        fd = -1
        t0, status = time.monotonic(), None
        while time.monotonic() - t0 < 15 and status is None:
            reaped, code = os.waitpid(pid, os.WNOHANG)
            status = os.waitstatus_to_exitcode(code) if reaped else None
            time.sleep(0.05)
        assert status == 128 + signal.SIGHUP, "the app outlived its terminal"
        pid = -1
        print(f"app exited {time.monotonic() - t0:.1f} s after the hang-up")
        assert summary_status(run_dir) == "stopped"
        time.sleep(0.5)
        assert all(gone(int(c)) for c in children), "a child of the app outlived it"
    finally:
        if fd >= 0:
            os.close(fd)
        if pid > 0:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


class Recorded(EventSource):
    """A recorded run's events, then whatever the test adds."""

    def __init__(self, name: str):
        self.pending = FileFollower(FIXTURES / name).poll()

    def add(self, event) -> None:
        self.pending.append(event)

    def poll(self):
        out, self.pending = self.pending, []
        return out


async def test_a_self_paused_run_shows_its_long_message_at_80x24():
    """The engine pauses a diverging run after rolling it back, with why and what to change:
    the message line shows all of it over the footer, in the warning colour, and the panels
    keep their place; resuming clears it."""
    source = Recorded("xor-mlp")
    app = TuidlApp(source=source)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        screen = app.screen
        panels_before = screen.query_one("#panels").region
        source.add(Status(step=1234, epoch=12, status="paused", message=DIVERGED))
        assert await _wait(pilot, lambda: screen.state.status == "paused", 5)
        await pilot.pause(0.2)
        msg = screen.query_one("#message")
        assert msg.has_class("-warning") and not msg.has_class("-error")
        lines = screen_lines(app)
        assert len(lines) == 24 and all(len(line) == 80 for line in lines)
        assert "paused" in lines[0] and "xor-mlp" in lines[0]  # the header stays one line
        shown = " ".join(lines[msg.region.y:msg.region.bottom]).split()
        assert " ".join(shown) == f"paused: {DIVERGED}"  # every word of it, wrapped
        footer = screen.query_one("Footer").region
        assert msg.region.bottom <= footer.y == 23
        panels = screen.query_one("#panels").region
        assert panels.y == 1 and panels.bottom == msg.region.y
        assert panels.height >= panels_before.height - 4 >= 15

        source.add(Status(step=1234, epoch=12, status="paused", message=DIVERGED * 3))
        await pilot.pause(0.3)
        assert msg.region.height == 4 and screen.query_one("#panels").region == panels

        source.add(Status(step=1235, epoch=12, status="running"))
        assert await _wait(pilot, lambda: screen.state.status == "running", 5)
        await pilot.pause(0.2)
        assert str(msg.render()) == "" and not msg.has_class("-warning")
        assert screen.query_one("#panels").region == panels_before


async def test_a_live_run_that_diverges_pauses_at_its_checkpoint_and_goes_on(tmp_path):
    """In the app: blow the learning rate up with ] (presses between two logs compound), the
    run goes back to its last finite checkpoint and pauses saying why; [ brings lr down and
    space resumes it."""
    app = TuidlApp(preset="mlp-spiral", out_root=str(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#field-optimizer").value = "sgd"
        app.screen.query_one("#field-activation").value = "linear"  # nothing saturates
        app.screen.query_one("#field-lr").value = "0.1"
        screen = await start(app, pilot, 400)
        assert await _wait(pilot, lambda: screen.state.epoch >= 3)  # a checkpoint exists
        for _ in range(24):  # lr x 2^24
            await pilot.press("right_square_bracket")
        ok = await _wait(pilot, lambda: screen.state.status == "paused", 30)
        assert ok, (screen.lr_asked, screen.state.status, screen.state.message,
                    screen.state.metrics.get("lr"))
        assert re.search(r"diverged: the (loss|evaluation metrics) went NaN/inf at step \d+",
                         screen.state.message)  # whichever reads the NaN first
        assert "the last finite checkpoint" in screen.state.message
        for _ in range(24):  # that checkpoint may hold a blown-up lr already: bring it down
            await pilot.press("left_square_bracket")
        await pilot.press("space")
        assert await _wait(pilot, lambda: screen.state.status == "running", 10)
        assert await _wait(pilot, lambda: screen.state.epoch >= 8, 30)  # it trains on
        assert math.isfinite(screen.state.metrics["val_loss"])
        await pilot.press("s")
        assert await _wait(pilot, lambda: screen.state.status == "stopped", 30)
