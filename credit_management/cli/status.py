"""`credit-monitor status` (alias `check_credit_status`): every agent and when it comes back."""

from __future__ import annotations

from typing import Any

import click

from credit_management.cli.context import CliContext
from credit_management.cli.render import (
    Times,
    colour_status_column,
    echo_json,
    json_option,
    one_line,
    signal_text,
    table,
    utc_option,
)
from credit_management.clock import SystemClock
from credit_management.control.manual import status_report
from credit_management.control.overview import refresh_view, sweep_liveness
from credit_management.errors import CreditError
from credit_management.store.config import load_settings
from credit_management.store.state import StateStore


@click.command(short_help="Every agent: status, since when, when it comes back.")
@json_option
@utc_option
@click.pass_obj
def status(obj: CliContext, as_json: bool, utc: bool) -> None:
    """Show every agent: status, since when, when it comes back and the last signal.

    \b
    Examples:
      credit-monitor status
      credit-monitor status --utc
      credit-monitor status --json | jq '.agents[] | select(.status != "active")'
    """
    paths = obj.paths
    clock = SystemClock()
    store = StateStore(paths, clock)
    state = store.load()
    now = clock.now()
    agents = [refresh_view(view, now) for view in status_report(state, now).values()]
    try:
        interval = load_settings(paths).check_interval_minutes * 60
    except CreditError:  # a bad config.toml must not hide the state
        interval = 300.0
    alive = sweep_liveness(paths, now, interval)
    if as_json:
        document = {
            "agents": agents,
            "last_sweep": alive.to_dict()["last_sweep"],
            "sweep": alive.to_dict(),
            "now": now.isoformat(),
            "home": str(paths.home),
            "home_source": paths.source,
            "state_file": str(paths.state_file),
            "timezone": state.timezone,
            "reset_times": state.reset_times,
        }
        echo_json(document)
        return
    times = Times.for_display(now, utc)
    exists = "" if paths.state_file.exists() else " (not created yet)"
    click.echo(f"home: {paths.home} (from {paths.source})")
    click.echo(f"state file: {paths.state_file}{exists}")
    click.echo(f"reset times: {', '.join(state.reset_times) or '-'} ({state.timezone})")
    click.echo(alive.text())
    if not agents:
        click.echo("no agents recorded yet")
        return
    click.echo()
    click.echo(status_table(agents, times))


def status_table(agents: list[dict[str, Any]], times: Times) -> str:
    """One aligned row per agent; the zone named once, in the SINCE header."""
    headers = ("TARGET", "NAME", "STATUS", times.header("SINCE"), "BACK", "LAST SIGNAL")
    rows = [
        (
            str(view["target"]),
            str(view.get("window_name") or "-"),
            str(view["status"]),
            times.at_relative(view.get("since")),
            _back(view, times),
            _signal(view),
        )
        for view in agents
    ]
    return table(headers, rows, colour_status_column(2))


def _back(view: dict[str, Any], times: Times) -> str:
    if view.get("next_resume"):
        left = view.get("time_until_resume_seconds")
        if isinstance(left, int) and left <= 0:
            return f"{times.at(view['next_resume'])} (due now)"
        return times.at_relative(view["next_resume"])
    if view["status"] == "paused":
        return "when resumed by hand"
    return "-"


def _signal(view: dict[str, Any]) -> str:
    """The last signal; the reason only when it says something the signal does not."""
    shown = signal_text(view.get("last_signal"))
    reason = str(view.get("reason") or "")
    if reason and reason not in shown:
        shown = reason if shown == "-" else f"{shown} ({one_line(reason, 40)})"
    return shown + _queue_note(view)


def _queue_note(view: dict[str, Any]) -> str:
    """What keeps held messages from moving: a shell in front, or a stalled queue."""
    if view.get("unreachable"):
        return f"; not typed into: {one_line(str(view['unreachable']), 50)}"
    if view.get("queue_stalled"):
        return f"; queue stalled ({len(view.get('queued') or [])} held)"
    return ""
