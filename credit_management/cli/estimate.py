"""`credit-monitor estimate-reset` (alias `estimate_reset_time`): when each limit resets."""

from __future__ import annotations

import click

from credit_management.cli import CliContext
from credit_management.cli._common import build_supervisor, echo_json, until_text
from credit_management.control.overview import estimate_resets
from credit_management.errors import TargetError, TmuxError

BASIS_TEXT = {
    "printed": "as the agent printed it",
    "cycle": "next reset of the cycle, if it ran out now",
    "paused": "paused until",
    "retry": "next resume attempt",
    "none": "no reset known",
}


@click.command()
@click.argument("target", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def estimate_reset(obj: CliContext, target: str | None, as_json: bool) -> None:
    """When each agent's limit resets (printed by the agent, else from the reset cycle)."""
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
    for row in rows:
        data = row.to_dict(now)
        when = data["estimate"] or "-"
        click.echo(
            f"{row.target:<20} {row.status.value:<16} {when} "
            f"({until_text(data['seconds_until'])}; {BASIS_TEXT[row.basis]})"
        )
