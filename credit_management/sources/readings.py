"""What the structured sources read for one pane: usage windows, cost and a verdict.

`Window` is one usage window (`five_hour`, `seven_day`) as an agent published it; `Reading`
gathers a pane's windows, session cost, where they came from, and the `Signal` a failure record
carried (with the instant it was written). Plain values; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from credit_management.models import Signal, iso
from credit_management.records import Record
from credit_management.sources.values import epoch_or_iso, percent

FIVE_HOUR = "five_hour"
SEVEN_DAY = "seven_day"
WINDOWS: tuple[str, ...] = (FIVE_HOUR, SEVEN_DAY)
__all__ = ["FIVE_HOUR", "SEVEN_DAY", "Point", "Reading", "Window", "epoch_or_iso", "percent"]
SOURCES: tuple[str, ...] = (
    "claude-statusline",
    "claude-hook",
    "claude-transcript",
    "codex-rollout",
)


@dataclass(frozen=True, repr=False)
class Window(Record):
    """One usage window: how much is used (0-100, may exceed 100) and when it resets."""

    name: str
    used_percent: float
    resets_at: datetime | None
    source: str
    seen_at: datetime

    @property
    def full(self) -> bool:
        return self.used_percent >= 100.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "used_percent": round(self.used_percent, 2),
            "resets_at": iso(self.resets_at),
            "source": self.source,
            "seen_at": iso(self.seen_at),
        }


@dataclass(frozen=True, repr=False)
class Point(Record):
    """One sample of a window's use, for the burn rate."""

    at: datetime
    used_percent: float
    resets_at: datetime | None


@dataclass(repr=False)
class Reading(Record):
    """Everything the structured sources said about one pane."""

    provider: str | None = None
    windows: dict[str, Window] = field(default_factory=dict)
    # Samples of each window over time (oldest first), for the burn rate.
    history: dict[str, list[Point]] = field(default_factory=dict)
    cost_usd: float | None = None
    cost_source: str | None = None
    session_id: str | None = None
    transcript_path: str | None = None
    cwd: str | None = None
    # A failure record's verdict (a limit, a transient error, ...) and when it was written.
    signal: Signal | None = None
    signal_at: datetime | None = None
    signal_source: str | None = None
    seen_at: datetime | None = None  # the newest record of any kind

    def touch(self, moment: datetime) -> None:
        if self.seen_at is None or moment > self.seen_at:
            self.seen_at = moment

    def full_windows(self, now: datetime) -> list[Window]:
        """Windows at 100% whose reset is still ahead."""
        return [
            window
            for window in self.windows.values()
            if window.full and window.resets_at is not None and window.resets_at > now
        ]
