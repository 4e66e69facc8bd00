"""Append events to `events.jsonl`, one JSON object per line, flushed as they come.

A reader (`tuidl watch`) can follow the file while the run writes it; a crash loses at most the
line being written.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from tuidl.events import Event, event_from_dict


class JsonlSink:
    def __init__(self, path: Path):
        self.file = open(path, "a", encoding="utf-8")

    def __call__(self, event: Event) -> None:
        self.file.write(json.dumps(event.to_dict(), allow_nan=True) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


def read_events(path: Path) -> Iterator[Event]:
    """Every complete event in the file (a partly written last line is skipped)."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.endswith("\n"):
                yield event_from_dict(json.loads(line))
