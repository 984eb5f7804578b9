"""`credit-monitor history [TARGET]`: read the event log back."""

from __future__ import annotations

import json
from typing import Any

import click

from credit_management.cli import CliContext
from credit_management.control.manual import history_events
from credit_management.store.journal import EventLog


@click.command()
@click.argument("target", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of events.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the last N events.")
@click.pass_obj
def history(obj: CliContext, target: str | None, as_json: bool, limit: int | None) -> None:
    """Show recorded events, oldest first (all agents, or one TARGET)."""
    log = EventLog(obj.paths.events_log)

    def resolve(text: str) -> str:
        from credit_management.tmux.gateway import (
            Tmux,  # only when the text needs tmux to mean anything
        )

        return Tmux(obj.socket).resolve_target(text).target

    shown, events = history_events(log, target, limit, resolve)
    if as_json:
        click.echo(json.dumps(events, indent=2, ensure_ascii=False))
        return
    if not events:
        where = f" for {shown}" if shown else ""
        click.echo(f"no events{where} in {log.path}")
        return
    for event in events:
        click.echo(_line(event))


def _line(event: dict[str, Any]) -> str:
    parts = [str(event.get("time", "?")), str(event.get("event", "?"))]
    if event.get("target"):
        parts.append(str(event["target"]))
    if event.get("from") or event.get("to"):
        parts.append(f"{event.get('from') or '?'} -> {event.get('to') or '?'}")
    # The reason says why in a few words; the message is the fallback for events without one.
    if event.get("reason"):
        parts.append(str(event["reason"]))
    elif event.get("message"):
        parts.append(str(event["message"]))
    if event.get("error"):
        parts.append(f"error: {event['error']}")
    if event.get("hook"):
        parts.append(f"hook: {event['hook']}")
    return "  ".join(parts)
