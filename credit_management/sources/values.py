"""Plain values in the agents' records: instants (epoch seconds, milliseconds or ISO 8601) and
percentages, read leniently (a bad value is None, never an exception). Imports nothing heavy:
the statusline command uses it on every call.
"""

from __future__ import annotations

from datetime import UTC, datetime


def epoch_or_iso(value: object) -> datetime | None:
    """An instant given as epoch seconds (or milliseconds) or as an ISO 8601 string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000.0
        if not 0 < seconds < 1e10:
            return None
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if text.replace(".", "", 1).isdigit():
            return epoch_or_iso(float(text))
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return None


def percent(value: object) -> float | None:
    """A finite, non-negative percentage, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if number != number or number < 0 or number > 10_000:
        return None
    return number
