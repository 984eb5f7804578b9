"""Usage samples per pane: what the statusline and hook commands recorded, kept on disk.

One append-only JSON-lines file per pane (`data/samples/<server>-<pane>.jsonl`), written with a
single `os.write` on an `O_APPEND` descriptor: writers never wait for the run lock or each
other, and a line is never torn. When a file passes `max_bytes` it becomes `.1` (the one before
is dropped), under a lock taken only if free, so disk use per pane stays under twice the bound
and a writer never blocks. A writer that opened the file before a rotation still lands its line
in `.1`, which is read too. `<server>` is the tmux socket's path as a file name, so pane `%3`
of two servers never mixes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from credit_management.jsonl import read_records

MAX_BYTES = 256 * 1024
STALE_DAYS = 14  # files of panes not written for this long are removed by `prune`


def socket_path(socket: str | None, environ: dict[str, str] | None = None) -> str:
    """The path of a tmux server's socket from a `-L` name, a `-S` path, or $TMUX."""
    env = os.environ if environ is None else environ
    if socket and "/" in socket:
        return socket
    if not socket and env.get("TMUX"):
        return env["TMUX"].split(",", 1)[0]
    folder = env.get("TMUX_TMPDIR") or "/tmp"
    return os.path.join(folder, f"tmux-{os.getuid()}", socket or "default")


def server_key(path: str) -> str:
    """A stable file-name part for one tmux server: its socket's path (symlinks resolved)
    with every character but letters and digits turned into `-`, its tail when long."""
    real = os.path.realpath(path)
    slug = "".join(char if char.isalnum() else "-" for char in real).strip("-")
    return slug[-80:] or "default"


class SampleStore:
    """The samples folder: append a sample for a pane, read a pane's samples back."""

    def __init__(self, folder: Path, max_bytes: int = MAX_BYTES) -> None:
        self.folder = folder
        self.max_bytes = max_bytes

    @classmethod
    def under(cls, data_dir: Path) -> SampleStore:
        return cls(data_dir / "samples")

    def file_for(self, server: str, pane_id: str) -> Path:
        pane = pane_id.lstrip("%")
        if not pane.isdigit():
            raise ValueError(f"not a tmux pane id: {pane_id!r}")
        return self.folder / f"{server}-{pane}.jsonl"

    def append(self, server: str, pane_id: str, sample: dict[str, Any]) -> Path:
        """Add one sample (one line, one write); rotate when the file grew past the bound."""
        path = self.file_for(server, pane_id)
        line = (json.dumps(sample, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except FileNotFoundError:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if size > self.max_bytes:
            self._rotate(path)
        return path

    def last(self, server: str, pane_id: str, kind: str) -> dict[str, Any] | None:
        """The newest sample of `kind` in the current file's tail (cheap: the last 8 KiB)."""
        path = self.file_for(server, pane_id)
        found = [record for record in read_records(path, 8192) if record.get("kind") == kind]
        return found[-1] if found else None

    def read(self, server: str, pane_id: str) -> list[dict[str, Any]]:
        """Every sample kept for the pane, oldest first (torn or foreign lines skipped)."""
        path = self.file_for(server, pane_id)
        records = read_records(path.with_name(path.name + ".1")) + read_records(path)
        records.sort(key=lambda record: float(record.get("t") or 0))
        return records

    def pane_ids(self, server: str) -> set[str]:
        """The panes of `server` that have a samples file (ids as tmux prints them, `%3`)."""
        prefix = f"{server}-"
        try:
            names = [entry.name for entry in os.scandir(self.folder)]
        except OSError:
            return set()
        return {
            f"%{name[len(prefix) : -len('.jsonl')]}"
            for name in names
            if name.startswith(prefix) and name.endswith(".jsonl")
        }

    def prune(self, now: float | None = None) -> int:
        """Remove the files of panes silent for `STALE_DAYS`; returns how many went."""
        cutoff = (time.time() if now is None else now) - STALE_DAYS * 86400
        removed = 0
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return 0
        for entry in entries:
            with contextlib.suppress(OSError):
                if ".jsonl" in entry.name and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
        return removed

    def _rotate(self, path: Path) -> None:
        lock_path = path.with_name(path.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
        except OSError:
            return
        try:
            # Blocking, and only for the writers that found the file over its bound: each of
            # them waits for the rotation under way, so the file outgrows the bound by at most
            # one line per concurrent writer (a writer that went on would keep appending to
            # the file about to be rotated).
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:
                return
            with contextlib.suppress(OSError):
                if os.stat(path).st_size > self.max_bytes:
                    os.replace(path, path.with_name(path.name + ".1"))
        finally:
            os.close(fd)


def pane_reader(store: SampleStore, socket: str | None) -> Callable[[str], list[dict[str, Any]]]:
    """`store.read` bound to one tmux server (by its `-L` name or `-S` path)."""
    server = server_key(socket_path(socket))
    return lambda pane_id: store.read(server, pane_id)
