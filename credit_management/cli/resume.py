"""`credit-monitor resume TARGET` (alias `resume_agent`): bring an agent back now."""

from __future__ import annotations

import click

from credit_management.cli import CliContext
from credit_management.cli._common import build_supervisor
from credit_management.control.manual import resume_agent
from credit_management.tmux.gateway import Tmux


@click.command()
@click.argument("target")
@click.option("--force", is_flag=True, help="Mark the agent active at once, without a check.")
@click.pass_obj
def resume(obj: CliContext, target: str, force: bool) -> None:
    """Resume TARGET (session:window, session:window.pane or %N).

    Without --force this is a verified resume: the test message goes to the agent and it is
    marked active only when it answers without a new limit (waits up to the verification
    timeout). --force marks it active at once.
    """
    pane = Tmux(obj.socket).resolve_target(target)
    if not force:
        click.echo(f"{pane.target}: sending the test message and waiting for an answer...")
    change = resume_agent(build_supervisor(obj), pane, force=force)
    name = f" ({pane.window_name})" if pane.window_name else ""
    arrow = f"{change.previous.value} -> {change.record.status.value}"
    click.echo(f"{change.target}{name}: {arrow}; {change.note}")
