"""Nudging an agent that stopped on a transient error and sat idle: the pure decision.

An agent whose newest output is a transient error (a rate limit, an overload, "capacity …
retry in 33s") usually retries by itself. When it does not, and its screen stays the same for
`stall` after the retry instant, it gets `message` (default "continue"), at most `max_nudges`
times per error. A screen that changes (a spinner, new output) is an agent at work and resets
the wait; a paused or stopped agent is never nudged. What is tracked lives in the agent's
record as `stall`, so cron runs (one process per sweep) see it too.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from credit_management.models import Kind, Signal, Status, iso, parse_iso
from credit_management.records import Record

TRANSIENT = (Kind.RATE_LIMIT, Kind.OVERLOADED)


@dataclass(frozen=True, repr=False)
class NudgeConfig(Record):
    """The nudge knobs, resolved from settings."""

    enabled: bool = True
    stall: timedelta = timedelta(seconds=30)
    message: str = "continue"
    max_nudges: int = 2


@dataclass(frozen=True, repr=False)
class NudgeDecision(Record):
    """The agent's new `stall` record, and whether to type the nudge now."""

    stall: dict[str, Any] | None
    nudge: bool = False


def screen_key(text: str) -> str:
    """A short fingerprint of what a pane shows (trailing blanks ignored)."""
    body = "\n".join(line.rstrip() for line in text.rstrip().split("\n")).encode("utf-8", "replace")
    # Two checksums from zlib, loaded anyway: hashlib would load OpenSSL on every run.
    return f"{zlib.crc32(body):08x}{zlib.adler32(body):08x}"


def decide(
    stall: dict[str, Any] | None,
    status: Status,
    signal: Signal,
    screen: str,
    now: datetime,
    cfg: NudgeConfig,
) -> NudgeDecision:
    """What one sweep's look at an agent means for nudging it."""
    if not cfg.enabled or status is not Status.ACTIVE or signal.kind not in TRANSIENT:
        return NudgeDecision(None)
    error = signal.evidence or signal.message or signal.kind.value
    if stall is None or stall.get("error") != error:
        # A new error: its retry instant is fixed now (a re-read would push it on each sweep).
        retry = signal.reset_at if signal.reset_at is not None else now
        fresh = {
            "error": error,
            "retry_at": iso(max(retry, now)),
            "screen": screen,
            "changed_at": iso(now),
            "nudges": 0,
        }
        return NudgeDecision(fresh)
    tracked = dict(stall)
    if tracked.get("screen") != screen:
        tracked["screen"] = screen
        tracked["changed_at"] = iso(now)
        return NudgeDecision(tracked)
    due = due_at(tracked, cfg)
    if due is None or now < due:
        return NudgeDecision(tracked)
    tracked["nudges"] = int(tracked.get("nudges", 0)) + 1
    tracked["changed_at"] = iso(now)  # a second nudge needs another whole stall after this one
    tracked["nudged_at"] = iso(now)
    return NudgeDecision(tracked, nudge=True)


def due_at(stall: dict[str, Any] | None, cfg: NudgeConfig) -> datetime | None:
    """When the tracked error's next nudge is due if the screen stays still; None when no
    nudge is left (or nothing is tracked)."""
    if stall is None or not cfg.enabled or int(stall.get("nudges", 0)) >= cfg.max_nudges:
        return None
    try:
        changed = parse_iso(stall.get("changed_at"))
        retry = parse_iso(stall.get("retry_at"))
    except ValueError:
        return None
    moments = [moment for moment in (changed, retry) if moment is not None]
    return max(moments) + cfg.stall if moments else None
