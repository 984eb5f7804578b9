"""`credit-monitor classify`: say what a pane capture (or any agent output) shows now.

Reads FILE or stdin, classifies it with `signals.classify` at `--now` in the agent host's
`--tz`, and prints one or two readable lines, or one JSON object with `--json`. Any bytes are
accepted (undecodable ones are replaced); only the end of a huge input is read.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, tzinfo
from typing import BinaryIO

import click

from credit_management.clock import SystemClock, host_zone
from credit_management.detect import signals
from credit_management.detect.resets import localize
from credit_management.errors import InputError
from credit_management.models import Kind, Signal

# Only the end of a capture matters (signals reads its last rows); this keeps a runaway
# input from costing more than a few milliseconds to take in.
TAIL_BYTES = 2_000_000


@click.command()
@click.argument("file", default="-", type=click.Path(dir_okay=False, allow_dash=True, exists=True))
@click.option("--now", "now_text", metavar="ISO8601", help="Moment of capture (default: now).")
@click.option("--tz", "zone_name", metavar="ZONE", help="Agent host's IANA zone (default: local).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def classify(file: str, now_text: str | None, zone_name: str | None, as_json: bool) -> None:
    """Classify a pane capture from FILE (or stdin, "-"): limit, warning or nothing.

    \b
    Examples:
      tmux capture-pane -p -J -t main:1 | credit-monitor classify
      credit-monitor classify capture.txt --tz Europe/Lisbon --json
    """
    zone = _zone(zone_name)
    now = _now(now_text, zone)
    text = _read(file).decode("utf-8", errors="replace")
    result = signals.classify(text, now, zone)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        click.echo(_describe(result))


def _zone(name: str | None) -> tzinfo:
    try:
        return host_zone(name)
    except InputError as error:  # the command group prints it as one "Error: ..." line
        raise InputError(f"--tz: {error}") from None


def _now(text: str | None, zone: tzinfo) -> datetime:
    if text is None:
        return SystemClock().now()  # a malformed CREDIT_MONITOR_NOW is a ConfigError
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InputError(
            f"--now: {text!r} is not an ISO 8601 instant (e.g. 2026-11-21T14:30:00-07:00)"
        ) from None
    if moment.tzinfo is None:  # a wall time on the agent's host
        return localize(moment, zone)
    return moment


def _read(file: str) -> bytes:
    try:
        if file == "-":
            return _tail(sys.stdin.buffer)
        with open(file, "rb") as stream:
            stream.seek(0, 2)
            size = stream.tell()
            stream.seek(max(0, size - TAIL_BYTES))
            return stream.read()
    except OSError as error:
        raise click.ClickException(f"cannot read {file}: {error.strerror or error}") from None


def _tail(stream: BinaryIO) -> bytes:
    kept = b""
    while chunk := stream.read(1 << 20):
        kept = (kept + chunk)[-TAIL_BYTES:]
    return kept


def _describe(result: Signal) -> str:
    if result.kind is Kind.NONE:
        if result.evidence:
            return f"none: {result.message}\n  old banner: {result.evidence}"
        return "none: nothing about credits or limits"
    head = f"{result.kind.value}"
    if result.provider:
        head += f" ({result.provider})"
    lines = [f"{head}: {result.message}"]
    details = []
    if result.reset_at is not None:
        details.append(f"reset at {result.reset_at.isoformat()}")
    details.append(f"evidence: {result.evidence}")
    lines.append("  " + " · ".join(details))
    return "\n".join(lines)
