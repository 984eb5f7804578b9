"""`credit-monitor pause TARGET` (alias `pause_agent`): hold an agent until resumed by hand."""

from __future__ import annotations

import click

from credit_management.cli import CliContext
from credit_management.cli._common import build_supervisor
from credit_management.control.manual import pause_agent
from credit_management.tmux.gateway import Tmux


@click.command()
@click.argument("target")
@click.option("--reason", default=None, help="Why the agent is paused (kept in its history).")
@click.option(
    "--until",
    default=None,
    metavar="ISO8601",
    help="Resume (verified) at this time; without an offset, in the state file's timezone.",
)
@click.pass_obj
def pause(obj: CliContext, target: str, reason: str | None, until: str | None) -> None:
    """Pause TARGET (session:window, session:window.pane or %N).

    A paused agent gets no work and is never resumed automatically, unless --until says when.
    """
    pane = Tmux(obj.socket).resolve_target(target)
    change = pause_agent(build_supervisor(obj), pane, reason=reason, until=until)
    name = f" ({pane.window_name})" if pane.window_name else ""
    click.echo(f"{change.target}{name}: {change.previous.value} -> paused; {change.note}")
