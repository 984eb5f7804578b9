"""The event log `logs/credit_events.log`: one JSON object per line for every change.

Appends are whole lines (one `os.write` on an `O_APPEND` descriptor, so concurrent writers never
interleave), the file rotates by size (`credit_events.log.1`, `.2`, ...) under a lock, and
reading skips a line that is torn or not JSON instead of failing. Nothing here decides anything.

The log is also the state file's journal: `state.snapshot` (the whole state) and
`state.changed` (what one save changed) lines let `store.rebuild` recreate a lost state file.
They are read back only by `read_journal`; `read` leaves them out.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from credit_management.errors import StateError
from credit_management.models import iso
from credit_management.store.locks import file_lock

# Every event name the tool writes; hooks match these with fnmatch patterns.
EVENT_NAMES: tuple[str, ...] = (
    "credit.exhausted",
    "credit.warning",
    "credit.resume_soon",
    "credit.resolved",
    "agent.paused",
    "agent.resumed",
    "agent.resume_requested",
    "agent.resume_failed",
    "agent.missing",
    "agent.crashed",
    "agent.found",
    "agent.needs_attention",
    "agent.auto_resume",
    "agent.model_switch",
    "agent.nudged",
    "hook.failed",
    "message.queued",
    "message.delivered",
    "message.unconfirmed",
    "message.requeued",
    "message.dropped",
    "queue.stalled",
    "orchestrator.unreachable",
    "schedule.added",
    "schedule.delivered",
    "schedule.cancelled",
    "state.corrupt",
    "signal.disagreement",
    "statusline.error",
    "hook.error",
)
# The journal's own lines: not events a person or a hook wants, so `read` skips them.
JOURNAL_EVENTS = frozenset({"state.snapshot", "state.changed"})
# Logging must never stall the monitor: after this long the line is written without the lock
# (it is still whole; only rotation is skipped).
_LOCK_WAIT_SECONDS = 5.0


class EventLog:
    """Append-only JSON-lines log with size-based rotation."""

    def __init__(self, path: Path, max_bytes: int = 5_000_000, backups: int = 3) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = max(backups, 0)

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    def rotated(self, index: int) -> Path:
        """The path of the `index`-th rotated file (1 is the newest)."""
        return self.path.with_name(f"{self.path.name}.{index}")

    def append(
        self, event: str, *, now: datetime, target: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Write one event line whole and return the record written."""
        record: dict[str, Any] = {"time": iso(now), "event": event, "target": target}
        for key, value in fields.items():
            if key not in record:
                record[key] = value
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        data = line.encode("utf-8")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock() as locked:
                if locked:
                    self._rotate_if_needed(len(data))
                self._write_line(data)
        except OSError as error:
            raise StateError(f"cannot write event log {self.path}: {error.strerror}") from error
        return record

    def read(self, target: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        """Events oldest-first (rotated files included), optionally for one target, last N."""
        events: list[dict[str, Any]] = []
        for record in self._records()[0]:
            if record["event"] in JOURNAL_EVENTS:
                continue
            if target is not None and record.get("target") != target:
                continue
            events.append(record)
        if limit is not None:
            events = events[-limit:] if limit > 0 else []
        return events

    def read_journal(self) -> tuple[list[dict[str, Any]], int]:
        """Every record oldest-first, journal lines included, and how many lines could not be
        read (torn, not JSON, not an event): those are skipped, never fatal."""
        return self._records()

    def _records(self) -> tuple[list[dict[str, Any]], int]:
        files = [self.rotated(index) for index in range(self.backups, 0, -1)] + [self.path]
        records: list[dict[str, Any]] = []
        skipped = 0
        for path in files:
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue
            except OSError as error:
                raise StateError(f"cannot read event log {path}: {error.strerror}") from error
            for line in raw.decode("utf-8", "replace").splitlines():
                record = _parse_line(line)
                if record is None:
                    skipped += bool(line.strip())
                    continue
                records.append(record)
        return records, skipped

    def _write_line(self, data: bytes) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            size = os.fstat(fd).st_size
            # A writer that died mid-line (disk full) leaves no newline: start on a fresh line
            # so only the torn line is lost, not this one too.
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data
            written = os.write(fd, data)
            # A short write only happens when the disk is full; finish the line anyway.
            while written < len(data):
                written += os.write(fd, data[written:])
        finally:
            os.close(fd)

    def _rotate_if_needed(self, incoming: int) -> None:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size == 0 or size + incoming <= self.max_bytes:
            return
        if self.backups == 0:
            os.truncate(self.path, 0)
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.rotated(self.backups))
        for index in range(self.backups - 1, 0, -1):
            with contextlib.suppress(FileNotFoundError):
                os.replace(self.rotated(index), self.rotated(index + 1))
        os.replace(self.path, self.rotated(1))

    @contextlib.contextmanager
    def _lock(self) -> Iterator[bool]:
        with file_lock(self.lock_path, _LOCK_WAIT_SECONDS) as lock:
            yield lock.locked


def _parse_line(line: str) -> dict[str, Any] | None:
    line = line.strip()
    if not line:
        return None
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, RecursionError):  # torn, or nested beyond reason
        return None
    if not isinstance(record, dict) or not isinstance(record.get("event"), str):
        return None
    return record
