"""An engine trained in a thread of the test, steered through its Control (importable:
pytest puts tests/ on sys.path)."""
import threading
import time

from tuidl.runner import execute, prepare


class Steered:
    """`execute(prepare(preset, sets))` in a daemon thread; `seen` holds its events as they
    come, `summary` its summary once it ends. `on_event(event)` runs in the engine's thread."""

    def __init__(self, tmp_path, preset, sets, control, on_event=lambda e: None):
        self.seen, self.summary = [], None

        def sink(event):
            self.seen.append(event)
            on_event(event)

        def train():
            self.summary = execute(prepare(preset, sets), out_root=str(tmp_path), sinks=[sink],
                                   control=control)
        self.thread = threading.Thread(target=train, daemon=True)
        self.thread.start()

    def wait_for(self, predicate, timeout=60.0):
        """The first event for which `predicate(event)` holds, waiting while the run lives."""
        deadline = time.monotonic() + timeout
        while True:
            if found := next((e for e in self.seen if predicate(e)), None):
                return found
            assert time.monotonic() < deadline and self.thread.is_alive()
            time.sleep(0.01)
