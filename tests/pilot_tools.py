"""Shared by the pilot tests (importable: pytest puts tests/ on sys.path)."""
import time

SIZE = (100, 30)


async def wait(pilot, predicate, timeout=60.0) -> bool:
    """Let the app run until `predicate()` holds (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await pilot.pause(0.05)
    return False


async def start(app, pilot, epochs: int):
    """From the form: set the epochs, start the run, return the training screen."""
    app.screen.query_one("#field-epochs").value = str(epochs)
    await pilot.press("ctrl+r")
    return app.screen
