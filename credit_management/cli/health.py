"""`credit-monitor health` (alias `check_agent_health`): is every agent there and working?"""

from __future__ import annotations

import sys

import click

from credit_management.cli import CliContext
from credit_management.cli._common import build_supervisor, echo_json, until_text
from credit_management.control.overview import agent_health


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def health(obj: CliContext, as_json: bool) -> None:
    """Each agent's window, process, what its pane shows and the time until its reset.

    Exits 1 when any agent needs a person (missing, crashed, needs attention).
    """
    supervisor = build_supervisor(obj)
    rows = agent_health(supervisor)
    needy = [row.target for row in rows if row.needs_person]
    if as_json:
        echo_json({"agents": [row.to_dict() for row in rows], "needs_person": needy})
    elif not rows:
        click.echo("no agent windows found")
    else:
        click.echo(f"{'TARGET':<20} {'STATUS':<16} {'WINDOW':<7} {'PROCESS':<10} SIGNAL / RESET")
        for row in rows:
            process = (row.process or "-") if row.alive else "dead"
            signal = row.signal.message or row.signal.kind.value
            click.echo(
                f"{row.target:<20} {row.status.value:<16} {'yes' if row.window else 'GONE':<7} "
                f"{process:<10} {signal}; resume {until_text(row.seconds_until_resume)}"
            )
        if needy:
            click.echo(f"needs a person: {', '.join(needy)}")
    if needy:
        sys.exit(1)
