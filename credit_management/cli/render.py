"""How the interactive commands show things: wall times in the local zone (or UTC), spans,
statuses in colour, aligned tables, and the shared `--utc` / `--json` options.

A time reads "14:20" today, "Thu 09:00" within a week, "Dec 12 09:00" further off; the zone
is named once, in the header of the first time column. Plain text and click only: the live
`watch` view (`live.py`) is the one place that draws with rich.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, TypeVar

import click

from credit_management.records import Record

F = TypeVar("F", bound=Callable[..., Any])

# Status -> colour, for the tables and the live view alike.
STATUS_COLOURS: dict[str, str] = {
    "active": "green",
    "exhausted": "red",
    "resuming": "yellow",
    "paused": "blue",
    "waiting_self": "cyan",
    "needs_attention": "magenta",
    "missing": "bright_black",
    "crashed": "bright_red",
}


def utc_option(function: F) -> F:
    """`--utc`: show times in UTC instead of the local zone."""
    return click.option("--utc", is_flag=True, help="Show times in UTC, not the local zone.")(
        function
    )


def json_option(function: F) -> F:
    """`--json`: one JSON object on stdout (see the README's table of shapes)."""
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")(function)


def echo_json(document: dict[str, Any]) -> None:
    """Print one JSON object, the same way for every `--json`."""
    if not isinstance(document, dict):
        raise TypeError("every --json prints one object")
    click.echo(json.dumps(document, indent=2, ensure_ascii=False, default=str))


def echo_json_line(document: dict[str, Any]) -> None:
    """One JSON object on one line (JSON Lines, for `watch --json`)."""
    click.echo(json.dumps(document, ensure_ascii=False, default=str, separators=(",", ":")))


def zone_label(zone: tzinfo, now: datetime) -> str:
    """The zone's IANA name when it has one, else its abbreviation or offset."""
    key = getattr(zone, "key", None)
    if isinstance(key, str) and key:
        return key
    if zone is UTC:
        return "UTC"
    return now.astimezone(zone).tzname() or now.astimezone(zone).strftime("UTC%z")


@dataclass(frozen=True, repr=False)
class Times(Record):
    """Renders instants for people: in one zone, relative to one `now`."""

    now: datetime
    zone: tzinfo

    @classmethod
    def for_display(cls, now: datetime, utc: bool = False) -> Times:
        """Local times, or UTC with `--utc`."""
        if utc:
            return cls(now, UTC)
        from credit_management.clock import host_zone

        return cls(now, host_zone(None))

    @property
    def label(self) -> str:
        return zone_label(self.zone, self.now)

    def header(self, name: str) -> str:
        """A column header that names the zone: "SINCE (Europe/Lisbon)"."""
        return f"{name} ({self.label})"

    def at(self, moment: datetime | str | None) -> str:
        """ "14:20" today, "Thu 09:00" within six days, "Dec 12 09:00" or "2027-01-03 09:00"."""
        instant = as_instant(moment)
        if instant is None:
            return "-"
        local = instant.astimezone(self.zone)
        today = self.now.astimezone(self.zone).date()
        days = abs((local.date() - today).days)
        if days == 0:
            return f"{local:%H:%M}"
        if days < 7:
            return f"{local:%a %H:%M}"
        if local.year == today.year:
            return f"{local:%b} {local.day} {local:%H:%M}"
        return f"{local:%Y-%m-%d %H:%M}"

    def stamp(self, moment: datetime | str | None) -> str:
        """A full stamp for logs: "Thu 14:20:05" (seconds kept, day named when not today)."""
        instant = as_instant(moment)
        if instant is None:
            return "-"
        local = instant.astimezone(self.zone)
        if local.date() == self.now.astimezone(self.zone).date():
            return f"{local:%H:%M:%S}"
        return f"{local:%a %b} {local.day} {local:%H:%M:%S}"

    def relative(self, moment: datetime | str | None) -> str:
        """ "in 2h5m", "3m ago", "now", or "" when unknown."""
        instant = as_instant(moment)
        if instant is None:
            return ""
        return relative_text((instant - self.now).total_seconds())

    def at_relative(self, moment: datetime | str | None) -> str:
        """ "14:20 (in 2h5m)"."""
        shown = self.at(moment)
        relative = self.relative(moment)
        return f"{shown} ({relative})" if relative else shown


def as_instant(moment: datetime | str | None) -> datetime | None:
    """An aware datetime from a datetime or an ISO 8601 string; None when absent or bad."""
    if moment is None or moment == "":
        return None
    if isinstance(moment, datetime):
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    try:
        parsed = datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def span(seconds: float) -> str:
    """A short span: "45s", "15m", "1h30m", "2d3h"."""
    seconds = abs(seconds)
    if seconds < 60:
        return f"{int(seconds)}s"
    minutes = round(seconds / 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d{hours}h" if hours else f"{days}d"
    return "".join(f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m")) if n)


def relative_text(seconds: float | None) -> str:
    """ "in 2h5m", "3m ago", "now"; "" for None."""
    if seconds is None:
        return ""
    if abs(seconds) < 1:
        return "now"
    return f"in {span(seconds)}" if seconds > 0 else f"{span(seconds)} ago"


def countdown(seconds: float) -> str:
    """A ticking countdown: "1:02:05", "4:05", "0:09"; "due" at zero or below."""
    if seconds <= 0:
        return "due"
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}:{minutes:02d}:{secs:02d}"
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    colour: Callable[[int, str, str], str] | None = None,
) -> str:
    """Aligned columns under `headers`; the last column is free text (not padded).

    `colour(column, raw, padded)` may wrap a padded cell in style codes; widths come from
    the raw text, so colour never breaks the alignment.
    """
    matrix = [list(headers), *[list(row) for row in rows]]
    columns = len(headers)
    widths = [max(len(row[i]) for row in matrix) for i in range(columns)]
    lines = []
    for index, row in enumerate(matrix):
        cells = []
        for column, cell in enumerate(row):
            last = column == columns - 1
            padded = cell if last else cell.ljust(widths[column])
            if index == 0:
                padded = click.style(padded, bold=True)
            elif colour is not None:
                padded = colour(column, cell, padded)
            cells.append(padded)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def colour_status_column(column_index: int) -> Callable[[int, str, str], str]:
    """A `colour` for `table` that paints the status column."""

    def paint(column: int, raw: str, padded: str) -> str:
        if column == column_index:
            return click.style(padded, fg=STATUS_COLOURS.get(raw.strip()))
        return padded

    return paint


def one_line(text: object, limit: int = 60) -> str:
    """Text flattened to one line of at most `limit` characters ("…" when cut)."""
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def signal_text(signal: object, limit: int = 60) -> str:
    """A recorded signal as "kind: message" on one line; "-" when there is none."""
    if not isinstance(signal, dict) or not signal.get("kind") or signal.get("kind") == "none":
        return "-"
    message = signal.get("message") or signal.get("evidence") or ""
    text = f"{signal['kind']}: {message}" if message else str(signal["kind"])
    return one_line(text, limit)
