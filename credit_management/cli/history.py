"""`credit-monitor history [TARGET]`: read the event log back, as a table in local time, with
filters (`--since`, `--event`) and `--follow` to keep printing new events as they come."""

from __future__ import annotations

import fnmatch
import json
import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from credit_management.cli.context import CliContext
from credit_management.cli.render import (
    Times,
    as_instant,
    echo_json,
    echo_json_line,
    json_option,
    one_line,
    table,
    utc_option,
)
from credit_management.clock import SystemClock, host_zone
from credit_management.control.manual import history_events
from credit_management.store.journal import JOURNAL_EVENTS, EventLog

FOLLOW_POLL_SECONDS = 0.5
FOLLOW_BACKLOG = 10  # like `tail -f`: the last few events first
_SPAN = re.compile(r"(?:(\d+(?:\.\d+)?)\s*([wdhms]))", re.IGNORECASE)
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


@click.command(short_help="The event log, in local time; -f follows it.")
@click.argument("target", required=False)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the last N events.")
@click.option(
    "--since",
    metavar="WHEN",
    help="Only events after WHEN: a span back from now (90m, 2h, 1d) or a time (14:00, "
    "2026-11-21T09:00; local unless it has an offset).",
)
@click.option(
    "--event",
    "patterns",
    multiple=True,
    metavar="PATTERN",
    help="Only events whose name matches (credit.*, agent.resumed); may repeat.",
)
@click.option("--follow", "-f", is_flag=True, help="Keep printing new events (Ctrl-C stops).")
@json_option
@utc_option
@click.pass_obj
def history(
    obj: CliContext,
    target: str | None,
    limit: int | None,
    since: str | None,
    patterns: tuple[str, ...],
    follow: bool,
    as_json: bool,
    utc: bool,
) -> None:
    """Show recorded events, oldest first (all agents, or one TARGET).

    With --json: one object, {"events": [...]}; with --json --follow, one event per line.

    \b
    Examples:
      credit-monitor history main:backend --since 2h
      credit-monitor history --event 'credit.*' --event agent.resumed
      credit-monitor history -f
    """
    log = EventLog(obj.paths.events_log)
    now = SystemClock().now()
    start = parse_since(since, now) if since else None

    def resolve(text: str) -> str:
        from credit_management.tmux.gateway import (
            Tmux,  # only when the text needs tmux to mean anything
        )

        return Tmux(obj.socket).resolve_target(text).target

    if target is not None:  # a typo must not read as "no events": say what a target looks like
        from credit_management.tmux.gateway import check_target

        check_target(target)
    backlog = limit if limit is not None else (FOLLOW_BACKLOG if follow else None)
    mark = _end_of(log.path)  # what --follow has seen: nothing appended after is missed
    shown, events = history_events(log, target, None, resolve)
    events = [event for event in events if _wanted(event, patterns, start)]
    if backlog is not None:
        events = events[-backlog:]
    times = Times.for_display(now, utc)
    if follow:
        _follow(log.path, mark, events, shown, patterns, start, times, as_json)
        return
    if as_json:
        echo_json({"events": events})
        return
    if not events:
        where = f" for {shown}" if shown else ""
        click.echo(f"no events{where} in {log.path}")
        return
    click.echo(event_table(events, times))


def event_table(events: list[dict[str, Any]], times: Times) -> str:
    """TIME (zone), EVENT, TARGET, DETAIL: one aligned row per event."""
    headers = (times.header("TIME"), "EVENT", "TARGET", "DETAIL")
    rows = [
        (
            times.stamp(event.get("time")),
            str(event.get("event", "?")),
            str(event.get("target") or "-"),
            detail(event),
        )
        for event in events
    ]
    return table(headers, rows)


def detail(event: dict[str, Any]) -> str:
    """What happened, in a few words: the change, why, and a preview of any message."""
    parts = []
    if event.get("from") or event.get("to"):
        parts.append(f"{event.get('from') or '?'} -> {event.get('to') or '?'}")
    # The reason says why in a few words; the message is the fallback for events without one.
    if event.get("reason"):
        parts.append(str(event["reason"]))
    elif event.get("message"):
        parts.append(str(event["message"]))
    text = event.get("preview") or event.get("text")
    if text:
        parts.append(f'"{one_line(text, 50)}"')
    if event.get("error"):
        parts.append(f"error: {event['error']}")
    if event.get("hook"):
        parts.append(f"hook: {event['hook']}")
    return "; ".join(one_line(part, 80) for part in parts)


def parse_since(text: str, now: datetime) -> datetime:
    """A span back from `now` ("90m", "2h", "1d12h") or a local or ISO 8601 time."""
    raw = text.strip()
    if raw and _SPAN.sub("", raw).strip() == "" and _SPAN.search(raw):
        seconds = sum(float(n) * _UNITS[unit.lower()] for n, unit in _SPAN.findall(raw))
        return now - timedelta(seconds=seconds)
    zone = host_zone(None)
    try:
        if re.fullmatch(r"\d{1,2}:\d{2}", raw):
            hour, minute = (int(part) for part in raw.split(":"))
            local = now.astimezone(zone).replace(hour=hour, minute=minute, second=0, microsecond=0)
            # A time later than now means yesterday's: "since 23:00" asked at 01:00.
            return local - timedelta(days=1) if local > now else local
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None:
        raise click.BadParameter(
            f"{text!r}: use a span (90m, 2h, 1d) or a time (14:00, 2026-11-21T09:00)",
            param_hint="--since",
        )
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _wanted(event: dict[str, Any], patterns: tuple[str, ...], start: datetime | None) -> bool:
    name = str(event.get("event", ""))
    if patterns and not any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
        return False
    if start is not None:
        moment = as_instant(event.get("time"))
        if moment is None or moment < start:
            return False
    return True


def _follow(
    path: Path,
    mark: tuple[int, tuple[int, int]],
    backlog: list[dict[str, Any]],
    target: str | None,
    patterns: tuple[str, ...],
    start: datetime | None,
    times: Times,
    as_json: bool,
) -> None:
    """Print the backlog, then each new event as it is appended, until Ctrl-C."""

    def show(event: dict[str, Any]) -> None:
        if as_json:
            echo_json_line(event)
        else:
            now = datetime.now(UTC)
            stamp = Times(now, times.zone).stamp(event.get("time"))
            name, who = str(event.get("event", "?")), str(event.get("target") or "-")
            click.echo(f"{stamp}  {name:<22}  {who:<14}  {detail(event)}".rstrip())
        sys.stdout.flush()  # a pipe (`| grep`) sees each event as it comes

    if not as_json:
        click.echo(f"following {path} (times in {times.label}); Ctrl-C stops")
    for event in backlog:
        show(event)
    try:
        for event in tail_events(path, mark):
            if event["event"] in JOURNAL_EVENTS:
                continue  # the state journal's own records, hidden as `history` hides them
            if target is not None and event.get("target") != target:
                continue
            if _wanted(event, patterns, start):
                show(event)
    except KeyboardInterrupt:
        return


def tail_events(
    path: Path, mark: tuple[int, tuple[int, int]] | None = None, poll: float = FOLLOW_POLL_SECONDS
) -> Iterator[dict[str, Any]]:
    """Events appended to `path` after `mark` (default: from now on), like `tail -F`: survives
    rotation and a file that does not exist yet; a torn or non-JSON line is skipped."""
    position, identity = mark if mark is not None else _end_of(path)
    pending = b""
    while True:
        try:
            stat = path.stat()
        except FileNotFoundError:
            time.sleep(poll)
            continue
        if (stat.st_dev, stat.st_ino) != identity or stat.st_size < position:
            position, identity, pending = 0, (stat.st_dev, stat.st_ino), b""  # rotated
        if stat.st_size > position:
            with path.open("rb") as handle:
                handle.seek(position)
                chunk = handle.read()
            position += len(chunk)
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                event = _decode(line)
                if event is not None:
                    yield event
            continue
        time.sleep(poll)


def _end_of(path: Path) -> tuple[int, tuple[int, int]]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return 0, (0, 0)
    return stat.st_size, (stat.st_dev, stat.st_ino)


def _decode(line: bytes) -> dict[str, Any] | None:
    try:
        record = json.loads(line.decode("utf-8", "replace"))
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) and isinstance(record.get("event"), str) else None
