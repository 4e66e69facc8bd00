"""Append events to `events.jsonl`, one JSON object per line, flushed as they come.

A reader (`tuidl watch`) can follow the file while the run writes it; a crash loses at most the
line being written. A resumed run first cuts such a torn last line off, so what it appends
starts on a line of its own; readers skip any line that does not parse.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from tuidl.events import Event, event_from_dict
from tuidl.rundir import open_file

MAX_LINE = 4 << 20  # bytes: the longest event a reader takes (the engine's are ~100 kB at most)


def cut_torn_tail(path: Path) -> None:
    """Truncate a file to its last complete line (a killed writer may leave half a line)."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    with open_file(path, "rb+") as f:
        f.seek(-1, 2)
        if f.read(1) == b"\n":
            return
        size = f.seek(0, 2)
        block = 1 << 16
        end = size
        while end > 0:
            start = max(0, end - block)
            f.seek(start)
            chunk = f.read(end - start)
            i = chunk.rfind(b"\n")
            if i >= 0:
                f.truncate(start + i + 1)
                return
            end = start
        f.truncate(0)


class JsonlSink:
    def __init__(self, path: Path):
        cut_torn_tail(path)
        self.file = open_file(path, "a", encoding="utf-8")

    def __call__(self, event: Event) -> None:
        self.file.write(json.dumps(event.to_dict(), allow_nan=True) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def parse_event(line: str) -> Event | None:
    """One line as an event; None for a torn, foreign or malformed line (readers skip it):
    not JSON, nested too deep, an unknown type, a field of the wrong type."""
    try:
        data = json.loads(line)
        return event_from_dict(data) if isinstance(data, dict) else None
    except (ValueError, KeyError, TypeError, RecursionError):
        return None


def read_events(path: Path) -> Iterator[Event]:
    """Every complete event in the file (a partly written, unreadable or over-long line is
    skipped; memory stays bounded by MAX_LINE whatever the file holds)."""
    with open(path, "rb") as f:
        while line := f.readline(MAX_LINE + 1):
            if len(line) > MAX_LINE:  # skip the rest of it
                while not line.endswith(b"\n") and (line := f.readline(MAX_LINE + 1)):
                    pass
                continue
            if line.endswith(b"\n") and (event := parse_event(
                    line.decode("utf-8", errors="replace"))) is not None:
                yield event
