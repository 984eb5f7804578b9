"""`credit-monitor resume TARGET` (alias `resume_agent`): bring an agent back now."""

from __future__ import annotations

import click

from credit_management.cli._common import build_supervisor
from credit_management.cli.context import CliContext
from credit_management.cli.pause import change_document
from credit_management.cli.render import echo_json, json_option
from credit_management.control.manual import resume_agent
from credit_management.tmux.gateway import Tmux


@click.command(short_help="Bring an agent back now (verified, or --force).")
@click.argument("target")
@click.option("--force", is_flag=True, help="Mark the agent active at once, without a check.")
@json_option
@click.pass_obj
def resume(obj: CliContext, target: str, force: bool, as_json: bool) -> None:
    """Resume TARGET (session:window, session:window.pane or %N).

    Without --force this is a verified resume: the test message goes to the agent and it is
    marked active only when it answers without a new limit (waits up to the verification
    timeout). --force marks it active at once.

    \b
    Examples:
      credit-monitor resume main:backend
      credit-monitor resume %3 --force --json
    """
    pane = Tmux(obj.socket).resolve_target(target)

    def sending() -> None:
        if not as_json:
            click.echo(f"{pane.target}: sending the test message and waiting for an answer...")

    change = resume_agent(build_supervisor(obj), pane, force=force, sending=sending)
    if as_json:
        result = "resumed" if change.record.status.value == "active" else "not_resumed"
        echo_json(change_document(result, change, pane.window_name))
        return
    name = f" ({pane.window_name})" if pane.window_name else ""
    arrow = f"{change.previous.value} -> {change.record.status.value}"
    click.echo(f"{change.target}{name}: {arrow}; {change.note}")
