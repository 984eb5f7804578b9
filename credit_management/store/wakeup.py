"""The watcher's wake-up channel: a FIFO in the data folder, `data/wakeup.fifo`.

A process that changes the state (a pause, a resume, a send, a schedule, the dashboard) calls
`notify`, which writes one byte if a watcher is listening and does nothing otherwise. The
watcher holds a `Waker`: it sleeps in `select` until its deadline or a byte arrives, so a
change that moves the earliest due time is seen at once, with no polling.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import stat
from pathlib import Path

from credit_management.store.paths import Paths

FIFO_NAME = "wakeup.fifo"


def fifo_path(paths: Paths) -> Path:
    """Where the wake-up FIFO of this home lives."""
    return paths.data_dir / FIFO_NAME


def notify(paths: Paths) -> bool:
    """Wake the watcher of this home, if one is listening; True when a byte went out.

    Never blocks and never raises: no FIFO, no reader or a full pipe all mean there is
    nobody to wake or the watcher is already woken.
    """
    path = fifo_path(paths)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False  # ENXIO: no watcher; ENOENT: never created
    try:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return False
        os.write(fd, b"!")
        return True
    except OSError:
        return False  # EAGAIN: the pipe is full, so the watcher has wake-ups waiting
    finally:
        os.close(fd)


class Waker:
    """The listening end, held by one watcher for as long as it runs (a context manager)."""

    def __init__(self, paths: Paths) -> None:
        self.path = fifo_path(paths)
        self._read_fd = -1
        self._keep_fd = -1
        # A pipe of our own, for `interrupt` (a signal handler or another thread).
        self._pipe_r, self._pipe_w = os.pipe()
        for fd in (self._pipe_r, self._pipe_w):
            os.set_blocking(fd, False)

    def __enter__(self) -> Waker:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> bool:
        """Create the FIFO when needed and start listening on it. False when the folder takes
        no FIFO (some network file systems): the watcher then wakes only at its deadlines."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.mkfifo(self.path, 0o600)
            except FileExistsError:
                if not stat.S_ISFIFO(os.lstat(self.path).st_mode):
                    # Something else took the name: put a FIFO in its place.
                    os.unlink(self.path)
                    os.mkfifo(self.path, 0o600)
            self._read_fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            # Our own writer keeps the FIFO from reading as closed (EOF) after every notifier
            # has gone, which would make select return at once for ever.
            self._keep_fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            for fd in (self._read_fd, self._keep_fd):
                if fd >= 0:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._read_fd = self._keep_fd = -1
            return False
        return True

    def close(self) -> None:
        for fd in (self._read_fd, self._keep_fd, self._pipe_r, self._pipe_w):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._read_fd = self._keep_fd = self._pipe_r = self._pipe_w = -1

    def interrupt(self) -> None:
        """End the current (or next) wait now; safe from a signal handler."""
        with contextlib.suppress(OSError):
            os.write(self._pipe_w, b"!")

    def drain(self) -> int:
        """Forget the wake-ups received so far; returns how many there were."""
        count = 0
        for fd in (self._read_fd, self._pipe_r):
            if fd < 0:
                continue
            while True:
                try:
                    chunk = os.read(fd, 4096)
                except BlockingIOError:
                    break
                except OSError as error:
                    if error.errno == errno.EINTR:
                        continue
                    break
                if not chunk:
                    break
                count += len(chunk)
        return count

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds; True when woken early (the wake-ups are drained)."""
        fds = [fd for fd in (self._read_fd, self._pipe_r) if fd >= 0]
        ready, _, _ = select.select(fds, [], [], max(0.0, timeout))
        if not ready:
            return False
        self.drain()
        return True
