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

import signal
import threading
from contextlib import contextmanager
from typing import Iterator

from tuidl.engine.control import Control

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, name))


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
    raised = []

    def handler(signum, frame):
        if control.stop.is_set() and signum == signal.SIGINT and repeats_interrupt:
            if control.interruptible and not raised:
                raised.append(signum)
                raise KeyboardInterrupt  # a second Ctrl+C: stop now
            return
        control.stop_signal = signum
        control.request_stop()

    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
