"""Control: requests from a front end to a running engine (pause, single step, stop, lr,
export).

Built on threading primitives by default; pass a multiprocessing context to steer an engine
in a child process (the TUI trains in one, so rendering never competes with training for the
GIL). The engine checks it once per step: one read of a counter that every request bumps
(after it has set its flags), and the flags themselves only when the counter moved, or while
paused. So an undisturbed step costs one unlocked read of shared memory.
"""
from __future__ import annotations

import math
import threading
from types import SimpleNamespace


class Control:
    def __init__(self, ctx=None):
        make_event = ctx.Event if ctx else threading.Event
        self.stop = make_event()
        self.resume = make_event()
        self.resume.set()
        self.wake = make_event()
        self.export = make_event()
        self._signal = ctx.Value("i", 0) if ctx else SimpleNamespace(value=0)
        self.pause_on_divergence = False  # a front end: go back to the last checkpoint, pause
        self.interruptible = False  # in the engine's process: it is inside its training loop
        self._steps = ctx.Value("i", 0) if ctx else SimpleNamespace(value=0)
        self._lr = ctx.Value("d", math.nan) if ctx else SimpleNamespace(value=math.nan)
        self._lr_factor = ctx.Value("d", math.nan) if ctx else SimpleNamespace(value=math.nan)
        # bumped by every request; read without a lock (a torn or stale read only delays
        # the engine's look at the flags by one step)
        self._changes = ctx.RawValue("I", 0) if ctx else SimpleNamespace(value=0)

    def _changed(self) -> None:
        self._changes.value = (self._changes.value + 1) & 0xFFFFFFFF

    # -- front end side -----------------------------------------------------------------------
    def pause(self) -> None:
        self.resume.clear()
        self._changed()

    def unpause(self) -> None:
        self.resume.set()
        self.wake.set()
        self._changed()

    def step_once(self) -> None:
        """While paused: let exactly one more training step run."""
        self._steps.value += 1
        self.wake.set()
        self._changed()

    def set_lr(self, lr: float) -> None:
        """Every learning rate to `lr` from the next step."""
        self._lr.value = lr
        self._changed()

    def scale_lr(self, factor: float) -> None:
        """Every learning rate times `factor` from the value in use, at the next step; presses
        that come before the engine looks multiply together (] ] ] = x8)."""
        pending = self._lr_factor.value
        self._lr_factor.value = factor if math.isnan(pending) else pending * factor
        self._changed()

    def request_export(self) -> None:
        """Write the exports (weights, vectors, samples) now, without stopping."""
        self.export.set()
        self.wake.set()
        self._changed()

    def request_stop(self) -> None:
        self.stop.set()
        self.resume.set()
        self.wake.set()
        self._changed()

    @property
    def stop_signal(self) -> int:
        """The signal that asked for the stop (0: none), in whichever process received it."""
        return self._signal.value

    @stop_signal.setter
    def stop_signal(self, signum: int) -> None:
        self._signal.value = signum

    @property
    def paused(self) -> bool:
        return not self.resume.is_set()

    # -- engine side --------------------------------------------------------------------------
    @property
    def changes(self) -> int:
        """A number that moves whenever the front end asks for anything."""
        return self._changes.value

    def take_lr(self) -> float | None:
        return _take(self._lr)

    def take_lr_factor(self) -> float | None:
        return _take(self._lr_factor)

    def take_export(self) -> bool:
        if self.export.is_set():
            self.export.clear()
            return True
        return False

    def take_single_step(self) -> bool:
        if self._steps.value > 0:
            self._steps.value -= 1
            return True
        return False


def _take(cell) -> float | None:
    """A request's value (NaN: none), consumed."""
    value = cell.value
    if math.isnan(value):
        return None
    cell.value = math.nan
    return value
