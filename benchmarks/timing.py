"""Timing code where it runs: the seconds spent inside the functions a Stopwatch wraps, summed
(the in-place share of diagnostics_overhead.py and monitor_overhead.py)."""
from __future__ import annotations

import time


class Stopwatch:
    def __init__(self) -> None:
        self.spent = 0.0

    def wrap(self, fn):
        """`fn`, its time added to `spent` at every call."""
        def wrapper(*a, **kw):
            t0 = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.spent += time.perf_counter() - t0
        return wrapper
