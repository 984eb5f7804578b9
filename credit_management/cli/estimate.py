"""`credit-monitor estimate-reset` (alias `estimate_reset_time`): when each limit resets."""

from __future__ import annotations

import click

from credit_management.cli._common import build_supervisor
from credit_management.cli.context import CliContext
from credit_management.cli.render import (
    Times,
    colour_status_column,
    echo_json,
    json_option,
    span,
    table,
    utc_option,
)
from credit_management.control.overview import estimate_resets
from credit_management.errors import TargetError, TmuxError

BASIS_TEXT = {
    "exact": "exact, from the agent's usage data",
    "printed": "as the agent printed it",
    "cycle": "next reset of the cycle, if it ran out now",
    "paused": "paused until",
    "retry": "next resume attempt",
    "none": "no reset known",
}


@click.command(short_help="When each agent's limit resets.")
@click.argument("target", required=False)
@json_option
@utc_option
@click.pass_obj
def estimate_reset(obj: CliContext, target: str | None, as_json: bool, utc: bool) -> None:
    """When each agent's limit resets (printed by the agent, else from the reset cycle).

    \b
    Examples:
      credit-monitor estimate-reset
      credit-monitor estimate-reset main:backend --json
    """
    supervisor = build_supervisor(obj)
    state = supervisor.store.load()
    targets = None
    if target is not None:
        try:
            targets = [supervisor.tmux.resolve_target(target).target]
        except (TargetError, TmuxError):
            # A window that closed (or a server that is gone) still has its recorded reset.
            if target not in state.agents:
                raise
            targets = [target]
    now = supervisor.clock.now()
    rows = estimate_resets(state, now, supervisor.settings.cycle_hours, targets)
    if as_json:
        echo_json({"now": now.isoformat(), "agents": [row.to_dict(now) for row in rows]})
        return
    if not rows:
        click.echo("no agents recorded yet")
        return
    times = Times.for_display(now, utc)
    headers = ("TARGET", "STATUS", times.header("RESETS"), "IN", "BASIS")
    lines = []
    for row in rows:
        data = row.to_dict(now)
        left = data["seconds_until"]
        lines.append(
            (
                row.target,
                row.status.value,
                times.at(row.estimate),
                "-" if left is None else ("due" if left <= 0 else span(left)),
                BASIS_TEXT[row.basis],
            )
        )
    click.echo(table(headers, lines, colour_status_column(1)))
