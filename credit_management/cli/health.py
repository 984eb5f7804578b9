"""`credit-monitor health` (alias `check_agent_health`): is every agent there and working?"""

from __future__ import annotations

import sys

import click

from credit_management.cli._common import build_supervisor
from credit_management.cli.context import CliContext
from credit_management.cli.render import (
    Times,
    colour_status_column,
    echo_json,
    json_option,
    signal_text,
    table,
    utc_option,
)
from credit_management.control.overview import AgentHealth, agent_health, sweep_liveness


@click.command(short_help="Is every agent there and working? (exit 1 if not)")
@json_option
@utc_option
@click.pass_obj
def health(obj: CliContext, as_json: bool, utc: bool) -> None:
    """Each agent's window, process, what its pane shows and when it comes back.

    Exits 1 when any agent needs a person (window gone, process dead, crashed, needs
    attention) or when the last sweep is older than three intervals (no watcher or cron is
    running), so it fits a cron job or a CI check.

    \b
    Examples:
      credit-monitor health
      credit-monitor health --json | jq '.needs_person'
    """
    supervisor = build_supervisor(obj)
    rows = agent_health(supervisor)
    needy = [row.target for row in rows if row.needs_person]
    alive = sweep_liveness(obj.paths, supervisor.clock.now(), supervisor.sweep_interval)
    if as_json:
        echo_json(
            {
                "agents": [row.to_dict() for row in rows],
                "needs_person": needy,
                "last_sweep": alive.to_dict()["last_sweep"],
                "sweep": alive.to_dict(),
            }
        )
    elif not rows:
        click.echo("no agent windows found")
        click.echo(alive.text())
    else:
        times = Times.for_display(supervisor.clock.now(), utc)
        click.echo(health_table(rows, times))
        for row in rows:
            if row.unreachable:
                click.echo(f"{row.target}: nothing is typed into it: {row.unreachable}")
            elif row.queue_stalled:
                click.echo(
                    f"{row.target}: queue stalled: {row.queued} held message(s) have not moved "
                    'for 3 resumes in a row (resume_message = "" leaves the cycle to them)'
                )
        click.echo(alive.text())
        if needy:
            click.echo(f"needs a person: {', '.join(needy)}")
    if needy or alive.stale:
        sys.exit(1)


def health_table(rows: list[AgentHealth], times: Times) -> str:
    """One aligned row per agent, the zone named in the BACK header."""
    headers = ("TARGET", "NAME", "STATUS", "WINDOW", "PROCESS", times.header("BACK"), "SIGNAL")
    lines = []
    for row in rows:
        process = (row.process or "-") if row.alive else "dead"
        signal = row.signal.to_dict()
        back = times.at_relative(row.scheduled_resume) if row.scheduled_resume else "-"
        lines.append(
            (
                row.target,
                row.window_name or "-",
                row.status.value,
                "yes" if row.window else "GONE",
                process,
                back,
                signal_text(signal),
            )
        )
    return table(headers, lines, colour_status_column(2))
