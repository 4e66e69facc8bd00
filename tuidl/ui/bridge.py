"""Between the engine and the UI: a live run in a child process, or a followed file.

The engine only puts events on a queue (no Textual calls at all); the screen drains it on a
timer at a bounded rate and folds the events into its RunState. So the UI never redraws per
step and the engine never waits for the UI.
"""
from __future__ import annotations

import json
import os
import queue
from pathlib import Path

from tuidl.events import Event, event_from_dict
from tuidl.sinks.rundir import EVENTS


class EventSource:
    def poll(self) -> list[Event]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class LiveRun(EventSource):
    """Train `prepared` (see tuidl.runner.prepare) in a child process; `control` steers it.

    A separate process keeps rendering and training from competing for one interpreter lock.
    Events come back through a multiprocessing queue (a few per `log_every` steps); the run
    also writes its run directory as `tuidl run` does.
    """

    def __init__(self, prepared, out_root: str = "runs"):
        from tuidl.engine.control import Control
        ctx = spawn_context()
        self.prepared = prepared
        self.queue = ctx.Queue()
        self.control = Control(ctx)
        self.process = ctx.Process(target=_train_in_child, name="tuidl-engine", daemon=True,
                                   args=(prepared, out_root, self.queue, self.control))
        self.process.start()

    def poll(self) -> list[Event]:
        out = []
        while True:
            try:
                out.append(self.queue.get_nowait())
            except queue.Empty:
                return out

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def close(self, timeout: float = 10.0) -> None:
        self.control.request_stop()
        self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()


def spawn_context():
    """The 'spawn' context, with its resource tracker started while stdio are real files:
    inside a running Textual app they are not, and the tracker could not start then."""
    import multiprocessing as mp
    from multiprocessing import resource_tracker
    resource_tracker.ensure_running()
    return mp.get_context("spawn")


def _train_in_child(prepared, out_root: str, events, control) -> None:
    # The terminal belongs to the app: nothing the child prints may reach it.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    from tuidl.config import TuidlError
    from tuidl.events import Status
    from tuidl.runner import execute
    try:
        execute(prepared, out_root=out_root, sinks=[events.put], control=control)
    except TuidlError as e:
        events.put(Status(status="failed", message=str(e)))
    except Exception as e:  # never let the app die with the run
        events.put(Status(status="failed", message=f"{type(e).__name__}: {e}"))
    finally:
        events.close()
        events.join_thread()


class FileFollower(EventSource):
    """Read a run directory's events.jsonl, and whatever is appended to it later."""

    def __init__(self, run_dir: str | Path):
        self.path = Path(run_dir) / EVENTS
        self.offset = 0
        self.buffer = ""

    def poll(self) -> list[Event]:
        if not self.path.is_file():
            return []
        with open(self.path, encoding="utf-8") as f:
            f.seek(self.offset)
            chunk = f.read()
            self.offset = f.tell()
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split("\n")
        return [event_from_dict(json.loads(line)) for line in lines if line.strip()]
