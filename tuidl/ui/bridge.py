"""Between the engine and the UI: a live run in a child process, or a followed file.

The engine only puts events on a queue (no Textual calls at all); the screen drains it on a
timer at a bounded rate and folds the events into its RunState. So the UI never redraws per
step and the engine never waits for the UI.
"""
from __future__ import annotations

import collections
import os
import queue
import signal
import threading
import time
from pathlib import Path

from tuidl.events import Event
from tuidl.sinks.jsonl import MAX_LINE, parse_event
from tuidl.rundir import EVENTS


class EventSource:
    def poll(self) -> list[Event]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class LiveRun(EventSource):
    """Train `prepared` (see tuidl.runner.prepare) in a child process; `control` steers it.

    A separate process keeps rendering and training from competing for one interpreter lock.
    Events come back through a multiprocessing queue (a few per `log_every` steps); the run
    also writes its run directory as `tuidl run` does. The child stops the run cleanly (its
    summary says 'stopped') when this process goes away or sends it SIGTERM or SIGHUP.
    """

    def __init__(self, prepared, out_root: str = "runs", warm: Warm | None = None,
                 run_dir: str | None = None, name: str | None = None):
        """`run_dir`: resume that run (`prepared` from its config, with more epochs); `name`:
        what a new run directory is named after (default: the preset)."""
        self.prepared = prepared
        # kept: the queues must outlive the child's start (it rebuilds them from their names)
        self.warm = warm if warm is not None and warm.process.is_alive() else Warm()
        self.queue, self.control, self.process = (self.warm.queue, self.warm.control,
                                                  self.warm.process)
        # a warm child starts at once, a cold one later
        self.warm.jobs.put((prepared, out_root, run_dir, name))
        # A reader thread takes events off the queue as they come. A child killed halfway
        # through writing one (the out-of-memory killer's SIGKILL; large events are not one
        # atomic pipe write) leaves a message that can never be read whole: only this daemon
        # thread waits on it, never the app. The run directory's events.jsonl holds the rest.
        self.received: collections.deque[Event] = collections.deque()
        self.drained = False  # after a clean exit: the reader has had the last events
        threading.Thread(target=self._read, name="tuidl-events", daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                self.received.append(self.queue.get())
            except (EOFError, OSError, ValueError):  # the queue was closed
                return

    def poll(self) -> list[Event]:
        if self.process.exitcode == 0 and not self.drained:
            self.drained = True
            # a clean exit wrote every event whole: let the reader take the last ones, so
            # a caller that saw the exit code gets everything the child sent
            deadline = time.monotonic() + 2.0
            while not self.queue.empty() and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(0.01)  # the one the reader has taken and not yet appended
        out = []
        while self.received:
            out.append(self.received.popleft())
        return out

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def exitcode(self) -> int | None:
        """None while the child runs; then its exit code (-N: killed by signal N)."""
        return self.process.exitcode

    def close(self, timeout: float = 10.0) -> None:
        """Stop the run and wait for the child to write its summary and exit. The queue is
        drained meanwhile: a child whose last events do not fit the pipe cannot exit."""
        self.control.request_stop()
        deadline = time.monotonic() + timeout
        while self.process.is_alive() and time.monotonic() < deadline:
            self.poll()
            self.process.join(0.05)
        if self.process.is_alive():  # it ignores the stop (stuck in a long step): end it
            self.process.kill()
            self.process.join(timeout)


class Warm:
    """A training process started ahead of its run: it imports torch and the engine while
    the user is still on the form, then waits for the one job it is sent
    (`jobs`: the prepared config, the runs folder, the run directory to resume, if any, and
    the name of a new one; or None to end). A LiveRun that takes
    it only hands over the job, so a start costs no interpreter start and no torch import."""

    def __init__(self):
        from tuidl.engine.control import Control
        ctx = spawn_context()
        self.queue = ctx.Queue()
        self.jobs = ctx.Queue()
        self.control = Control(ctx)
        # a divergence goes back to the last finite checkpoint and pauses, for the user to
        # change the learning rate and resume, instead of ending the run
        self.control.pause_on_divergence = True
        self.process = ctx.Process(target=_train_in_child, name="tuidl-engine", daemon=True,
                                   args=(self.jobs, self.queue, self.control))
        self.process.start()

    def close(self) -> None:
        """Not needed after all: the child has no run and nothing to save, so it is ended at
        once (it may still be importing torch)."""
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2.0)


def spawn_context():
    """The 'spawn' context, with its resource tracker started while stdio are real files:
    inside a running Textual app they are not, and the tracker could not start then."""
    import multiprocessing as mp
    from multiprocessing import resource_tracker
    resource_tracker.ensure_running()
    return mp.get_context("spawn")


PARENT_CHECK_S = 0.5


def _stop_when_orphaned(parent: int, events, control) -> None:
    """The app died (SIGKILL, a crash): nobody reads the queue any more, so stop the run (the
    engine writes its summary as 'stopped') and do not wait at exit for the queue to drain."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    events.cancel_join_thread()
    control.request_stop()


def _stop_on_signals(control) -> None:
    """SIGTERM, or SIGHUP when the terminal goes away (it reaches the whole process group):
    stop the run cleanly; a second one ends the child at once. (While the engine trains,
    tuidl.engine.signals handles them the same way.) The handler takes no lock: the relay's
    thread asks for the stop."""
    from tuidl.engine.signals import Relay, stop_request
    relay = Relay(stop_request(control))

    def stop(signum, frame):
        signal.signal(signum, signal.SIG_DFL)
        relay.send(signum)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)


def _train_in_child(jobs, events, control) -> None:
    # The terminal belongs to the app: nothing the child prints may reach it.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    import multiprocessing as mp
    parent = mp.parent_process()  # its pid, not os.getppid(): the app may be gone already
    threading.Thread(target=_stop_when_orphaned, name="tuidl-orphan-watch", daemon=True,
                     args=(parent.pid if parent else os.getppid(), events, control)).start()
    _stop_on_signals(control)
    from tuidl.config import TuidlError
    from tuidl.events import Status
    from tuidl.runner import execute, warm_up
    warm_up()  # the heavy imports, before the job comes
    job = None
    while job is None and not control.stop.is_set():  # an orphan stops waiting too
        try:
            job = jobs.get(timeout=PARENT_CHECK_S)
        except queue.Empty:
            continue
        if job is None:  # not needed after all
            break
    if job is None:
        events.close()
        events.join_thread()
        return
    prepared, out_root, run_dir, name = job
    try:
        execute(prepared, out_root=out_root, run_dir=run_dir, sinks=[events.put],
                control=control, name=name)
    except TuidlError as e:
        events.put(Status(status="failed", message=str(e)))
    except Exception as e:  # never let the app die with the run
        events.put(Status(status="failed", message=f"{type(e).__name__}: {e}"))
    finally:
        events.close()
        events.join_thread()
        import gc
        gc.freeze()  # a quick exit: shutdown skips the cycle search over torch's objects


class FileFollower(EventSource):
    """Read a run directory's events.jsonl, and whatever is appended to it later.

    Bytes that are not UTF-8 are replaced, a line that is not a well-formed event, or is longer
    than MAX_LINE, is skipped and counted (`skipped`), and a file cut shorter than what was
    read (rewritten) is read again from its start (`restarts` counts it; the screen then
    starts a fresh state)."""

    def __init__(self, run_dir: str | Path):
        self.path = Path(run_dir) / EVENTS
        self.offset = 0
        self.buffer = b""
        self.skipped = 0
        self.restarts = 0
        self.dropping = False  # inside a line longer than MAX_LINE

    def poll(self) -> list[Event]:
        try:
            size = self.path.stat().st_size
            if size < self.offset:  # truncated and rewritten: start over
                self.offset, self.buffer, self.dropping = 0, b"", False
                self.restarts += 1
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                chunk = f.read(MAX_READ)
        except OSError:  # not there (yet), or gone
            return []
        self.offset += len(chunk)
        self.buffer += chunk
        *lines, self.buffer = self.buffer.split(b"\n")
        if self.dropping and lines:  # the end of a line too long to keep
            lines[0], self.dropping = b"", False
            self.skipped += 1
        if len(self.buffer) > MAX_LINE:  # no event is this long: drop it as it comes
            self.buffer, self.dropping = b"", True
        events = []
        for line in lines:
            if not line.strip():
                continue
            if len(line) > MAX_LINE:
                self.skipped += 1
                continue
            event = parse_event(line.decode("utf-8", errors="replace"))
            if event is None:  # a line a killed writer tore, or a foreign one
                self.skipped += 1
            else:
                events.append(event)
        return events


MAX_READ = 64 << 20  # bytes read per poll: a huge file is taken in bounded bites
