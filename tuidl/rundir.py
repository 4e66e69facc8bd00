"""Run directories: the unit a user keeps, compares and resumes. Everything that creates,
locks, cleans or writes one is here (`RunDir`); the sinks only consume events.

    runs/<YYYYmmdd-HHMMSS>-<preset>[-N]/
        config.toml      the fully resolved config (a preset file `tuidl run` accepts again)
        events.jsonl     the event stream, appended and flushed event by event
        summary.json     the final summary (the same object `tuidl run --json` prints)
        checkpoint.pt    the engine's state (tensors and plain values), replaced atomically
        error.log        the traceback of a failed run or export
        .lock            held (flock) by the process writing the run; gone with that process

Files are replaced atomically and durably: written to `<name>.tmp`, fsynced, renamed over the
old one, and the folder fsynced. A temp file left by a killed process is removed when the run
resumes. Files are never opened through a symbolic link (O_NOFOLLOW), and a run directory
holding one is refused before anything is written: a planted `.lock` or `events.jsonl` link
would have tuidl truncate or append to whatever it points at.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import time
from pathlib import Path

from tuidl.config import TuidlError

try:
    import fcntl
except ImportError:  # not POSIX: runs are not locked
    fcntl = None

CONFIG, EVENTS, SUMMARY, CHECKPOINT = "config.toml", "events.jsonl", "summary.json", "checkpoint.pt"
ERROR_LOG, METRICS = "error.log", "metrics.csv"


def _step_of(line: bytes) -> int:
    """The step of an events.jsonl line (-1 for a line that says none)."""
    try:
        step = json.loads(line).get("step", -1)
    except (ValueError, AttributeError, RecursionError):
        return -1
    return step if isinstance(step, int) else -1


def _csv_step(row: str) -> int:
    """The step of a metrics.csv row: its second column."""
    parts = row.split(",", 2)
    try:
        return int(parts[1])
    except (IndexError, ValueError):
        return -1


def make_run_dir(root: str | os.PathLike, preset: str) -> Path:
    """A new, unique directory; mkdir without exist_ok makes it safe against concurrent runs."""
    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
        if not os.access(root, os.W_OK):
            raise PermissionError(13, "not writable")
    except OSError as e:
        raise TuidlError(f"{root}: cannot hold run directories ({e.strerror or e}); pick "
                         "another folder with --out") from None
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", preset).strip("-") or "run"
    base = f"{time.strftime('%Y%m%d-%H%M%S')}-{slug}"
    for n in range(1, 10_000):
        path = root / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
        except OSError as e:
            raise TuidlError(f"{root}: cannot create a run directory ({e.strerror}); pick "
                             "another folder with --out") from None
    raise RuntimeError(f"could not create a unique run directory under {root}")


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def replace_durably(tmp: Path, path: Path) -> None:
    """Rename a fully written, fsynced temp file over `path`, then fsync the folder."""
    os.replace(tmp, path)
    fsync_dir(path.parent)


NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
MODES = {"w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC, "a": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
         "a+": os.O_RDWR | os.O_CREAT | os.O_APPEND, "rb+": os.O_RDWR}


def open_file(path: Path, mode: str, **kw):
    """`open(path, mode)` that refuses a symbolic link at `path` (a TuidlError)."""
    try:
        fd = os.open(path, MODES[mode] | NOFOLLOW, 0o644)
    except OSError:
        if Path(path).is_symlink():
            raise TuidlError(f"{path}: a symbolic link; tuidl writes no file of a run "
                             "directory through a link (replace it with a plain file)") from None
        raise
    return os.fdopen(fd, mode, **kw)


def refuse_links(path: Path) -> None:
    """A run directory holding symbolic links is refused: its files are tuidl's own."""
    links = sorted(p.name for p in path.iterdir() if p.is_symlink())
    if links:
        raise TuidlError(f"{path}: holds symbolic links ({', '.join(links[:3])}); a run "
                         "directory's files are never written through links: replace them "
                         "with plain files or start a new run")


def write_atomic(path: Path, text: str, durable: bool = True) -> None:
    """Replace `path` with `text` all at once; `durable` also survives a power loss (fsync),
    worth its milliseconds for what a resume needs, not for a table rewritten every eval."""
    tmp = path.with_name(path.name + ".tmp")
    if tmp.is_symlink():
        tmp.unlink()
    try:
        with open_file(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        if durable:
            replace_durably(tmp, path)
        else:
            os.replace(tmp, path)
    except BaseException:  # a full disk: no torn temp file, the old file stands
        tmp.unlink(missing_ok=True)
        raise


class RunLock:
    """An exclusive flock on RUN_DIR/.lock for as long as this process writes the run."""

    def __init__(self, path: Path):
        self.file = open_file(path / ".lock", "a+", encoding="utf-8")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.file.seek(0)
            owner = self.file.read().strip() or "?"
            self.file.close()
            raise TuidlError(f"{path}: another tuidl process (pid {owner}) is writing this run; "
                             "wait for it to end or stop it first") from None
        self.file.seek(0)
        self.file.truncate()
        self.file.write(str(os.getpid()))
        self.file.flush()

    def release(self) -> None:
        if not self.file.closed:
            fcntl.flock(self.file, fcntl.LOCK_UN)
            self.file.close()


class _NoLock:
    def release(self) -> None:
        pass


def lock_run_dir(path: Path) -> RunLock | _NoLock:
    if not path.is_dir():
        raise TuidlError(f"{path}: no such run directory")
    return RunLock(path) if fcntl is not None else _NoLock()


def remove_stale_temps(path: Path) -> None:
    """Temp files of writes that a killed process never finished (the real files are intact)."""
    for tmp in path.glob("*.tmp"):
        tmp.unlink(missing_ok=True)


def write_summary(run_dir: Path, summary: dict) -> None:
    write_atomic(run_dir / SUMMARY, json.dumps(summary, indent=2) + "\n")


class RunDir:
    """One run directory: its files, its lock and its durable writes."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        self.config, self.events = self.path / CONFIG, self.path / EVENTS
        self.summary, self.checkpoint = self.path / SUMMARY, self.path / CHECKPOINT
        self._lock: RunLock | _NoLock | None = None

    def __str__(self) -> str:
        return str(self.path)

    @classmethod
    def create(cls, root: str | os.PathLike, name: str, config_text: str) -> RunDir:
        """A new, unique directory under `root` holding the resolved config, locked. A disk
        that takes the folder but not its first file (full, over quota) leaves nothing."""
        run = cls(make_run_dir(root, name))
        try:
            run.lock()
            write_atomic(run.config, config_text)
        except OSError as e:
            run.release()
            with contextlib.suppress(OSError):
                for leftover in run.path.iterdir():
                    leftover.unlink()
                run.path.rmdir()
            raise TuidlError(f"{root}: cannot create a run directory ({e.strerror or e}); "
                             "free some space or pick another folder with --out") from None
        return run

    @classmethod
    def resume(cls, path: str | os.PathLike) -> RunDir:
        """An existing run, locked (a live writer is refused), its stale temp files gone; one
        holding symbolic links is refused, one that cannot be written (a read-only disk) too."""
        run = cls(path)
        if run.path.is_dir():
            refuse_links(run.path)
        try:
            run.lock()
            remove_stale_temps(run.path)
        except OSError as e:
            run.release()
            raise TuidlError(f"{run.path}: cannot write in this run directory ({e.strerror or e})"
                             "; copy it to a writable disk and resume the copy") from None
        return run

    def lock(self) -> None:
        if self._lock is None:
            self._lock = lock_run_dir(self.path)

    def release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def write_summary(self, summary: dict) -> None:
        write_summary(self.path, summary)

    def write_config(self, text: str) -> None:
        """The config a resumed run goes on with (more epochs, another device), so that
        config.toml keeps repeating the run; untouched when nothing changed."""
        if not self.config.is_file() or self.config.read_text(encoding="utf-8") != text:
            write_atomic(self.config, text)

    def cut_to(self, step: int) -> None:
        """Forget what the run recorded after `step`, the checkpoint a resume goes on from
        (a stop or a kill after later evaluations): they are done again, and events.jsonl and
        metrics.csv would hold them twice."""
        if self.events.is_file():
            kept, cut = 0, False
            with open_file(self.events, "rb+") as f:
                for line in f:
                    if _step_of(line) > step:
                        cut = True
                        break
                    kept += len(line)
                if cut:
                    f.truncate(kept)
        table = self.path / METRICS
        if table.is_file():
            lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
            rows = lines[:1] + [r for r in lines[1:] if _csv_step(r) <= step]
            if len(rows) != len(lines):
                write_atomic(table, "".join(rows))

    def write_error(self, text: str) -> None:
        write_atomic(self.path / ERROR_LOG, text)
