"""The one file-lock helper: an exclusive `flock` on a lock file, waited for up to a bound.

Every cross-process lock of the package (the state file, the event journal's rotation, the
run lock, the per-pane typist lock) is one of these, so the poll-and-time-out loop exists
once. The wait is measured on the monotonic clock, never the (mockable) wall clock.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from credit_management.errors import StateError
from credit_management.records import Record

POLL_SECONDS = 0.01
TYPISTS_DIR = "typists"  # under the data folder: one lock file per pane typed into


@dataclass(frozen=True, repr=False)
class FileLock(Record):
    """An open lock file: `locked` says whether this process holds it; `fd` stays open."""

    path: Path
    fd: int
    locked: bool

    def read_owner(self) -> str | None:
        """The pid the holder wrote into the file, when it wrote one."""
        try:
            text = os.pread(self.fd, 32, 0).decode("ascii", "replace").strip()
        except OSError:
            return None
        return text if text.isdigit() else None

    def write_owner(self) -> None:
        """Record this process as the holder (for "locked by pid N" messages)."""
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, f"{os.getpid()}\n".encode(), 0)


@contextlib.contextmanager
def file_lock(path: Path, wait: float) -> Iterator[FileLock]:
    """Open `path` and try to lock it for up to `wait` seconds (0: one try).

    Yields a `FileLock` whether or not the lock was won; the caller decides what a lost race
    means (an error, a skipped run, a best-effort write). Released and closed on exit.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        deadline = time.monotonic() + max(wait, 0.0)
        locked = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                locked = True
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    break
                time.sleep(POLL_SECONDS)
        lock = FileLock(path, fd, locked)
        try:
            yield lock
        finally:
            if locked:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def typist_lock_path(data_dir: Path, pane_id: str) -> Path:
    """The lock file of one pane: every process that types into it takes this lock first."""
    name = "".join(char if char.isalnum() else "_" for char in pane_id.lstrip("%"))
    return data_dir / TYPISTS_DIR / f"pane-{name}.lock"


@contextlib.contextmanager
def typist_lock(data_dir: Path, pane_id: str, wait: float) -> Iterator[FileLock]:
    """The per-pane typist lock, held for a whole type-Enter-verify step, so two processes
    (a `send` and the watcher) never type into one input box at once. Yields as `file_lock`
    does; the winner is recorded as the holder."""
    path = typist_lock_path(data_dir, pane_id)
    with contextlib.ExitStack() as stack:
        try:
            lock = stack.enter_context(file_lock(path, wait))
        except OSError as error:
            raise StateError(f"cannot lock {path}: {error.strerror}") from error
        if lock.locked:
            lock.write_owner()
        yield lock
