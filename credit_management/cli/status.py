"""`credit-monitor status` (alias `check_credit_status`): every agent and when it comes back."""

from __future__ import annotations

import json
from typing import Any

import click

from credit_management.cli import CliContext
from credit_management.cli._common import until_text
from credit_management.clock import SystemClock
from credit_management.control.manual import status_report
from credit_management.store.state import StateStore


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def status(obj: CliContext, as_json: bool) -> None:
    """Show every agent: status, since when, next resume and the last signal."""
    paths = obj.paths
    clock = SystemClock()
    store = StateStore(paths, clock)
    state = store.load()
    now = clock.now()
    agents = status_report(state, now)
    if as_json:
        document = {
            "home": str(paths.home),
            "home_source": paths.source,
            "state_file": str(paths.state_file),
            "timezone": state.timezone,
            "reset_times": state.reset_times,
            "now": now.isoformat(),
            "agents": agents,
        }
        click.echo(json.dumps(document, indent=2, ensure_ascii=False))
        return
    click.echo(f"home: {paths.home} (from {paths.source})")
    exists = "" if paths.state_file.exists() else " (not created yet)"
    click.echo(f"state file: {paths.state_file}{exists}")
    click.echo(f"reset times: {', '.join(state.reset_times) or '-'} ({state.timezone})")
    if not agents:
        click.echo("no agents recorded yet")
        return
    for view in agents.values():
        click.echo(_describe(view))


def _describe(view: dict[str, Any]) -> str:
    parts = [f"{view['target']}"]
    if view.get("window_name"):
        parts[0] += f" ({view['window_name']})"
    parts.append(str(view["status"]))
    if view.get("since"):
        held = view.get("seconds_in_status")
        ago = f" ({until_text(-held)})" if isinstance(held, int) else ""
        parts.append(f"since {view['since']}{ago}")
    if view.get("next_resume"):
        left = view.get("time_until_resume_seconds")
        when = ""
        if isinstance(left, int):
            when = f" ({until_text(left)})" if left > 0 else " (due now)"
        parts.append(f"next resume {view['next_resume']}{when}")
    elif view["status"] == "paused":
        parts.append("until resumed by hand")
    if view.get("reason"):
        parts.append(f"reason: {view['reason']}")
    signal = view.get("last_signal")
    if isinstance(signal, dict) and signal.get("kind"):
        message = signal.get("message") or signal.get("evidence") or ""
        parts.append(f"last signal: {signal['kind']}" + (f" - {message}" if message else ""))
    return "  ".join(parts)
