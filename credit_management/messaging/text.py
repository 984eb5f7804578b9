"""Message text and times as people write and read them: checks, previews, WHEN, spans.

Pure helpers shared by the queue, `send`, `schedule` and the views.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, tzinfo

from credit_management.detect.resets import format_until
from credit_management.errors import InputError
from credit_management.models import (
    parse_iso,
)
from credit_management.tmux.gateway import check_message

PREVIEW_CHARS = 60
# A schedule further away than this is almost certainly a typo (minutes meant as seconds...).
MAX_WHEN = timedelta(days=365)

_UNITS: dict[str, float] = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
_NUMBER = r"\d+(?:\.\d+)?|\.\d+"
_BARE_MINUTES = re.compile(rf"(?:{_NUMBER})")
_PART = re.compile(rf"\s*({_NUMBER})\s*([a-z]+)\s*")


# --- text and times -------------------------------------------------------------------------


def check_text(text: str) -> str:
    """The message as it will be typed: CRLF read as a newline; empty or control chars refused."""
    normalized = text.replace("\r\n", "\n")
    if not normalized.strip():
        raise InputError("message is empty")
    check_message(normalized)
    return normalized


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """One line of at most `limit` characters: newlines shown as "⏎", long text cut with "…"."""
    flat = " ⏎ ".join(part.strip() for part in text.strip().split("\n"))
    flat = flat.replace("\t", " ")
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def parse_when(text: str) -> timedelta:
    """WHEN of `schedule`: minutes ("15", "0.5") or a duration ("90s", "15m", "1h30m", "2h").

    Units may be spelled out ("2 hours", "1 hour 30 minutes") and days are allowed ("1d").
    Anything else, zero, or more than a year raises InputError saying what is accepted.
    """
    raw = text.strip().lower()
    usage = f"invalid WHEN {text!r}: use minutes (15, 0.5) or a duration (90s, 15m, 1h30m, 2h)"
    if not raw:
        raise InputError(usage)
    seconds: float
    if _BARE_MINUTES.fullmatch(raw):
        seconds = float(raw) * 60
    else:
        seconds, pos = 0.0, 0
        while pos < len(raw):
            found = _PART.match(raw, pos)
            if found is None or found.group(2) not in _UNITS:
                raise InputError(usage)
            seconds += float(found.group(1)) * _UNITS[found.group(2)]
            pos = found.end()
    if not math.isfinite(seconds) or seconds <= 0:
        raise InputError(f"invalid WHEN {text!r}: it must be more than 0")
    if seconds > MAX_WHEN.total_seconds():
        raise InputError(f"invalid WHEN {text!r}: more than {MAX_WHEN.days} days away")
    return timedelta(seconds=seconds)


def clock_text(moment: datetime, now: datetime, zone: tzinfo) -> str:
    """A wall time in `zone` as people read it: "15:05" today, "Nov 22 15:05" otherwise."""
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return f"{local:%H:%M}"
    return f"{local:%b} {local.day} {local:%H:%M}"


def span_text(delta: timedelta) -> str:
    """A short span: "45s" (a part second counts as one), "15m", "1h30m", "2d3h"."""
    seconds = delta.total_seconds()
    if 0 < seconds < 60:
        return f"{math.ceil(seconds)}s"
    return format_until(delta)


def parse_instant(text: str | None) -> datetime | None:
    """An instant from the state file, or None when absent or unreadable."""
    try:
        return parse_iso(text)
    except ValueError:
        return None
