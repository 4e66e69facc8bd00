"""Signals that end a run cleanly: SIGINT (Ctrl+C), SIGTERM (kill, a scheduler) and SIGHUP
(the SSH session dropped).

The first one asks the engine to stop at the next step boundary, so it writes a checkpoint at
that exact position, flushes its events and writes `summary.json` with status "stopped"; the
run resumes with `tuidl run --resume RUN_DIR`. A second Ctrl+C raises KeyboardInterrupt at once
(the run ends at its last checkpoint, which stays intact); later ones are ignored while the run
writes its last files. Handlers can only be installed from the main thread; from
another thread this does nothing.
"""
from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

from tuidl.engine.control import Control

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, name))


class Relay:
    """Runs `act(signum)` on a thread of its own for each signal handed to `send`.

    A Python signal handler runs in the main thread between two bytecodes, possibly while that
    thread holds an Event's lock (inside `set`, `wait`, `is_set` of a multiprocessing Event),
    or inside an earlier handler: an `Event.set()` there can wait for ever on a lock its own
    thread holds. So a handler takes no lock: it writes the signal's number to a pipe, and
    this thread does what takes locks."""

    def __init__(self, act: Callable[[int], None]):
        self._r, self._w = os.pipe()
        self._thread = threading.Thread(target=self._loop, args=(act,), name="tuidl-signals",
                                        daemon=True)
        self._thread.start()

    def send(self, signum: int) -> None:
        """From a signal handler: async-signal-safe, takes no Python lock."""
        os.write(self._w, bytes([signum]))  # signal numbers: 1 to 64

    def _loop(self, act: Callable[[int], None]) -> None:
        while data := os.read(self._r, 64):
            for signum in data:
                if signum == 0:  # close(): every signal sent before it has been acted on
                    return
                act(signum)

    def close(self) -> None:
        os.write(self._w, b"\0")
        self._thread.join(timeout=5)
        os.close(self._w)
        os.close(self._r)


def stop_request(control: Control) -> Callable[[int], None]:
    """What a stop signal asks of `control`, for a Relay's thread: stop, naming the signal."""
    def act(signum: int) -> None:
        control.stop_signal = signum
        control.request_stop()
    return act


@contextmanager
def stop_on_signals(control: Control, repeats_interrupt: bool = True) -> Iterator[None]:
    """`repeats_interrupt=False` (a distributed worker): a second signal changes nothing, as
    torch's launcher forwards the one the terminal already sent; it ends the workers itself
    if they do not stop. KeyboardInterrupt is raised once at most, and only while the engine
    trains (`control.interruptible`): the engine then ends the run at its last checkpoint,
    and nothing may cut short the last files it and the runner write."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    seen: list[int] = []  # list.append: atomic even when one handler interrupts another
    raised: list[int] = []
    relay = Relay(stop_request(control))

    def handler(signum, frame):
        if seen:
            if (signum == signal.SIGINT and repeats_interrupt and control.interruptible
                    and not raised):
                raised.append(signum)
                raise KeyboardInterrupt  # a second Ctrl+C: stop now
            return
        seen.append(signum)
        relay.send(signum)

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        relay.close()  # a signal that came during the last files still asks for the stop


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
