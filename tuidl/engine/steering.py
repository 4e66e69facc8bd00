"""What a front end asks of a running engine, answered between two steps: pause, single
steps, lr changes, exports, stop; and, under a front end that asked for it, going back to the
last finite checkpoint after a divergence. A part of `Engine` (tuidl.engine.loop), kept apart
so the loop itself stays one screen of training.

Cost: one unlocked read of the control's change counter per step while nothing is asked.
"""
from __future__ import annotations

import time
from pathlib import Path

from tuidl.engine.checkpoint import load_checkpoint
from tuidl.engine.distributed import any_
from tuidl.events import Exported, Scalars, Status


class Steering:
    """Mixed into Engine: uses its control, task, lr schedules, step, paused flag and run
    directory."""

    def _back_to_checkpoint(self, message: str) -> bool:
        """Under a front end that pauses on divergence: reload the last finite checkpoint and
        pause there, saying why. False when there is none (the run ends as diverged)."""
        c = self.control
        if not (getattr(c, "pause_on_divergence", False) and self.checkpoint_path
                and Path(self.checkpoint_path).is_file()) or c.stop.is_set():
            return False
        self.load_state_dict(load_checkpoint(self.checkpoint_path, self.task.device),
                             self.checkpoint_path)
        c.pause()
        self.paused = True
        self._emit(Status, status="paused", message=f"diverged: {message}; back at step "
                   f"{self.step}, the last finite checkpoint: change lr ([ ]) and resume")
        return True

    def _wait_if_paused(self) -> bool:
        c = self.control
        if self.world.active:  # headless: no pause; a stop on any rank is agreed at log steps
            return self.step % self.settings.log_every != 0 or not any_(
                c.stop.is_set(), self.world, self.task.device)
        changes = c.changes
        if changes == self.seen_changes and not self.paused:
            return True  # nothing was asked since the last look: one read per step
        self.seen_changes = changes  # read before the flags: a later request shows next step
        self._take_requests()
        if not c.resume.is_set() and not c.stop.is_set():
            if not self.paused:
                self.paused = True
                self._emit(Scalars, values=self._lrs())  # what the next step uses, not the
                self._emit(Status, status="paused")  # last log's (steps may have gone since)
            t0 = time.perf_counter()
            try:
                while not c.resume.is_set() and not c.stop.is_set():
                    self._take_requests()  # an lr change before a single step applies to it
                    if c.take_single_step():
                        return True
                    c.wake.wait(0.05)
                    c.wake.clear()
            finally:
                self.waited += time.perf_counter() - t0  # throughput counts training time
        if self.paused and not c.stop.is_set():
            self.paused = False
            self._emit(Status, status="running")
        return not c.stop.is_set()

    def _take_requests(self) -> None:
        """A front end's lr changes and export request, applied before the next step. An
        lr change moves the base of the lr schedules (tuidl.engine.schedule): the lr in use
        changes with it and the schedule goes on from there."""
        c = self.control
        lr = c.take_lr()
        if lr is not None:
            self.schedule.set_base(lr)
        factor = c.take_lr_factor()
        if factor is not None:
            self.schedule.scale(factor)
        if c.take_export():
            self._export()

    def _export(self) -> None:
        """A front end asked for the exports now: the task writes them into the run directory."""
        if not self.run_dir:
            return
        path = Path(self.run_dir)
        try:
            self.task.export(path)
        except Exception as e:  # the run goes on; the front end shows why
            self._emit(Exported, error=f"export failed: {e}")
            return
        self._emit(Exported, files=sorted(p.name for p in path.iterdir() if p.is_file()))
