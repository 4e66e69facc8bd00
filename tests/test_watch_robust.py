"""`tuidl watch` on a run directory whatever its events.jsonl holds: malformed lines (not
UTF-8, nested too deep, wrong field types, a ragged confusion matrix, a NaN time, a view whose
data is nonsense) are skipped and counted, the app stays up and shows the rest; a file cut
shorter and rewritten is read again from its start."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pilot_tools import wait
from tuidl.sinks.jsonl import MAX_LINE, parse_event, read_events
from tuidl.ui.app import TuidlApp
from tuidl.ui.bridge import FileFollower

FIXTURES = Path(__file__).parent / "fixtures"
BAD = [
    b"\xff\xfe not utf-8 \x80\n",
    b"[" * 100_000 + b"\n",
    b'{"type": "scalars", "step": 3, "values": "abc"}\n',
    b'{"type": "scalars", "step": 3, "values": {"loss": "x"}}\n',
    b'{"type": "confusion", "labels": ["a"], "matrix": [[1, 2], [3]]}\n',
    b'{"type": "status", "time": NaN, "status": "running"}\n',
    b'{"type": "grad_stats", "layers": ["a", "b"], "norm": [1.0]}\n',
    b'{"type": "run_start", "config": [], "layers": "fc1"}\n',
    b'{"type": "eval", "step": -4, "metrics": {}}\n',
    b'{"type": "nope"}\n',
    b"42\n",
    b'{"type": "summary", "metrics": null}\n',
]
VIEW = b'{"type": "task_view", "epoch": 9, "kind": "decision_boundary", "data": {"prob": "x"}}\n'


@pytest.mark.parametrize("line", BAD, ids=lambda b: repr(b[:24]))
def test_a_malformed_line_is_no_event(line):
    assert parse_event(line.decode("utf-8", errors="replace")) is None


def _mixed(tmp_path) -> Path:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    good = (FIXTURES / "digits" / "events.jsonl").read_bytes().splitlines(keepends=True)
    mixed = good[:5] + BAD + good[5:-2] + [VIEW] + good[-2:]
    (run_dir / "events.jsonl").write_bytes(b"".join(mixed))
    return run_dir


def test_the_follower_skips_and_counts_what_it_cannot_read(tmp_path):
    follower = FileFollower(_mixed(tmp_path))
    events = follower.poll()
    good = (FIXTURES / "digits" / "events.jsonl").read_text().count("\n")
    assert len(events) == good + 1 and follower.skipped == len(BAD)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_watch_stays_up_on_a_malformed_file_and_says_what_it_skipped(tmp_path, size):
    app, said = TuidlApp(watch=str(_mixed(tmp_path))), []
    notify = app.notify
    app.notify = lambda message, **kw: (said.append(message), notify(message, **kw))
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        assert await wait(pilot, lambda: screen.state.finished, 20)
        await pilot.pause(0.6)
        await pilot.press("v")
        await pilot.pause(0.3)
        assert app.is_running and screen.state.status == "completed"
        assert screen.skipped == len(BAD)
    assert f"{len(BAD)} unreadable line(s) of events.jsonl skipped" in said


async def test_a_rewritten_shorter_file_is_read_again(tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(FIXTURES / "digits", run_dir)
    app = TuidlApp(watch=str(run_dir))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert await wait(pilot, lambda: screen.state.finished, 20)
        lines = (FIXTURES / "xor-mlp" / "events.jsonl").read_text().splitlines(keepends=True)
        (run_dir / "events.jsonl").write_text("".join(lines[:3]))  # another run, shorter
        assert await wait(pilot, lambda: screen.state.preset == "xor-mlp", 10)
        assert not screen.state.finished and screen.state.confusion is None


def _long_line() -> bytes:
    """A confusion event longer than any reader keeps (an old run of a 5000-class ID column
    wrote 75 MB lines)."""
    row = "[" + ", ".join(["7"] * 1000) + "]"
    body = ", ".join([row] * (MAX_LINE // len(row) + 10))
    return b'{"type": "confusion", "labels": [], "matrix": [' + body.encode() + b"]}\n"


def test_an_over_long_line_is_skipped_in_bounded_memory(tmp_path):
    """Arriving in parts, the follower drops the line as it comes and counts it once; the
    events before and after it are read, by the follower and by read_events."""
    good = (FIXTURES / "digits" / "events.jsonl").read_bytes().splitlines(keepends=True)
    path = tmp_path / "events.jsonl"
    long = _long_line()
    follower, got, held = FileFollower(tmp_path), [], 0
    path.write_bytes(b"".join(good[:5]) + long[:len(long) // 2])
    for part in (long[len(long) // 2:], b"".join(good[5:])):
        got += follower.poll()
        held = max(held, len(follower.buffer))
        with open(path, "ab") as f:
            f.write(part)
    got += follower.poll()
    assert held <= MAX_LINE and follower.skipped == 1 and len(got) == len(good)
    assert len(list(read_events(path))) == len(good)


def test_an_old_file_s_big_confusion_is_read_summarised():
    """A file written before confusion matrices were summarised: a 300-class matrix is read as
    the 23 classes with most errors and "(other)", every count kept."""
    n = 300
    matrix = [[(5 if i == j else (i * j) % 3) for j in range(n)] for i in range(n)]
    line = json.dumps({"type": "confusion", "labels": [f"c{i}" for i in range(n)],
                       "matrix": matrix})
    event = parse_event(line)
    assert event.classes == n and len(event.labels) == 24 and event.labels[-1] == "(other)"
    assert sum(map(sum, event.matrix)) == sum(map(sum, matrix))
    worst = max(range(n), key=lambda i: sum(matrix[i]) + sum(r[i] for r in matrix) - 10)
    assert f"c{worst}" in event.labels
