"""What the command line says and how it ends: the consoles (quiet when their pipe closes),
the one `error:` line with exit code 2, the --out check, and the process's last steps.

Cheap to import (rich only): `tuidl --help` loads it.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import typer
from rich.console import Console

from tuidl.text import visible


class _Console(Console):
    """A console whose pipe may close (`tuidl run … | head`): it goes quiet, where rich's own
    would exit with code 1 in the middle of a run."""

    def on_broken_pipe(self) -> None:
        self.quiet = True


out = _Console()
err = _Console(stderr=True)


def fail(message: str) -> None:
    say_error(message)
    raise typer.Exit(2)


WORKER_ERRORS = "TUIDL_WORKER_ERRORS"  # set by `--nproc`: where its workers leave their error


def say_error(message: str) -> None:
    """`error: <message>` on stderr, one line whatever the message holds. A worker of
    `--nproc N` leaves it in a file instead: its launcher says the first rank's (N workers
    reading the same bad file would print the same line N times)."""
    line = visible(" ".join(str(message).splitlines()))
    folder, rank = os.environ.get(WORKER_ERRORS), os.environ.get("RANK")
    if folder and rank and rank.isdigit():
        try:
            Path(folder, rank).write_text(line, encoding="utf-8")
            return
        except OSError:
            pass
    try:
        err.print(f"error: {line}", highlight=False, markup=False, soft_wrap=True)
    except (OSError, ValueError):  # no stderr to say it on: the exit code still does
        pass


def check_out_dir(out_dir: str) -> None:
    """--out must be a folder tuidl can create run directories in, or one it can create.

    Checked before anything loads, so a bad --out costs nothing and leaves nothing behind: the
    nearest existing folder on the way is tried with a throwaway directory, which catches
    read-only disks and /proc-like trees that permission bits alone do not show.
    """
    shown = out_dir if out_dir.isprintable() and out_dir.strip() else repr(out_dir)
    if not out_dir.strip() or "\0" in out_dir:
        fail(f"--out {shown}: not a usable folder name; give a folder for the run directories")
    path = Path(out_dir)
    probe = path
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        where = "is" if probe == path else f"is under {probe}, which is"
        fail(f"--out {shown}: {where} not a directory; give a folder for the run directories")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".tuidl-check-", dir=probe))
    except OSError as e:
        where = "in it" if probe == path else f"in {probe}"
        fail(f"--out {shown}: cannot create folders {where} ({e.strerror or e}); give a "
             "writable folder")


def quiet_broken_streams() -> None:
    """A stdout or stderr that went away (an SSH drop, `| head`) is pointed at /dev/null, so
    the interpreter's last flush cannot turn the run's exit code into 120 with a warning."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
            except (OSError, ValueError):
                pass


def quick_exit_collection() -> None:
    """The work is done and its files are closed: let the interpreter's shutdown skip walking
    every object torch created for reference cycles (0.7 s of each `tuidl run` here). Objects
    are still released as usual; only cyclic garbage is left to the process's end."""
    import gc
    gc.freeze()


def ignore_interrupts() -> None:
    """From here to the exit, Ctrl+C does nothing (the main thread only can say so)."""
    import signal
    import threading
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def complete_preset(incomplete: str) -> list[str]:
    """Shell completion (`tuidl --install-completion`): the built-in presets that start with
    what was typed (a path is left to the shell)."""
    from tuidl.catalog import builtin_names
    return [n for n in builtin_names() if n.startswith(incomplete)]


def complete_lesson(incomplete: str) -> list[str]:
    from tuidl.lesson import lesson_names
    return [n for n in lesson_names() if n.startswith(incomplete)]
