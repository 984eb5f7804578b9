"""When the last sweep ran: `data/last_sweep.json`, a small record apart from the state.

Every sweep (of `watch`, `run` or the dashboard) overwrites it atomically; `status`, `health`
and the dashboard read it to say "last sweep 3m ago" and to warn when no monitor has swept for
three intervals. Writing it never touches the state file, so it costs no state rewrite.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from credit_management.models import iso, parse_iso
from credit_management.records import Record
from credit_management.store.paths import Paths

FILE_NAME = "last_sweep.json"
STALE_INTERVALS = 3  # a sweep older than this many intervals means no monitor is running


@dataclass(frozen=True, repr=False)
class Liveness(Record):
    """The last sweep: when it ran, by which process, and the interval it promised."""

    time: datetime
    pid: int
    interval_seconds: float
    by: str  # "watch", "run", ...

    def age_seconds(self, now: datetime) -> float:
        return (now - self.time).total_seconds()

    def stale(self, now: datetime, interval_seconds: float | None = None) -> bool:
        """Older than three intervals (the recorded one, else the one given)."""
        interval = self.interval_seconds or interval_seconds or 300.0
        return self.age_seconds(now) > STALE_INTERVALS * interval

    def to_dict(self) -> dict[str, Any]:
        return {
            "time": iso(self.time),
            "pid": self.pid,
            "interval_seconds": self.interval_seconds,
            "by": self.by,
        }


def record_sweep(paths: Paths, now: datetime, interval_seconds: float, by: str) -> None:
    """Write the record atomically; a failure is swallowed (liveness must not stop a sweep)."""
    data = Liveness(now, os.getpid(), interval_seconds, by).to_dict()
    folder = paths.data_dir
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        # One temp name per process and thread (no tempfile module on a quiet sweep's path).
        temp = folder / f".last_sweep.{os.getpid()}.{threading.get_ident()}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle)
                handle.write("\n")
            os.replace(temp, folder / FILE_NAME)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def last_sweep(paths: Paths) -> Liveness | None:
    """The last sweep's record; None before the first sweep or when it cannot be read."""
    try:
        data = json.loads((paths.data_dir / FILE_NAME).read_text(encoding="utf-8"))
        moment = parse_iso(data["time"])
        if moment is None:
            return None
        return Liveness(
            time=moment,
            pid=int(data.get("pid", 0)),
            interval_seconds=float(data.get("interval_seconds") or 0.0),
            by=str(data.get("by", "")),
        )
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
