"""Resume marks for a screen whose stop a person has dismissed (`resume --force`).

A resume mark is a few rows of a pane that `signals.text_since` finds again later: only what
the agent prints below them is read. After a verified resume the test message is the mark;
after a forced one there is no such message, so the mark is cut from the screen itself, just
below the stop that is on it now. Pure: no I/O, no clock reads.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from credit_management.detect.signals import classify, text_since

STALE_MARK_ROWS = 60  # how far up from the bottom the stop being dismissed is looked for


def _stops(text: str, now: datetime, host_tz: tzinfo) -> bool:
    return classify(text, now, host_tz).kind.stops_agent


def stale_mark(text: str, now: datetime, host_tz: tzinfo) -> str | None:
    """The rows that end the stop on screen (its banner, any hint under it, and the agent's
    last output above it), so that only what comes below them counts; None when the capture
    shows no stop or no such rows can be found again.

    The row of output above the banner is part of the mark so that the same banner printed
    again later, under other output, is read as new rather than as this one.
    """
    if not _stops(text, now, host_tz):
        return None
    lines = text.rstrip("\n").split("\n")
    end = None  # the lowest row below which the screen shows no stop
    for index in range(len(lines) - 1, max(-1, len(lines) - 1 - STALE_MARK_ROWS), -1):
        if not lines[index].strip():
            continue
        if _stops("\n".join(lines[index + 1 :]), now, host_tz):
            break
        end = index
    if end is None:
        return None
    start = end
    while start > max(0, end - STALE_MARK_ROWS):
        start -= 1
        row = lines[start].strip()
        if row and not _stops(row, now, host_tz):
            break
    rows = [line.strip() for line in lines[start : end + 1] if line.strip()]
    for first in range(len(rows)):
        mark = "\n".join(rows[first:])
        after = text_since(text, mark)
        if after != text and not _stops(after, now, host_tz):
            return mark
    return None
