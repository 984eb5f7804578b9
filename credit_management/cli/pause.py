"""`credit-monitor pause TARGET` (alias `pause_agent`): hold an agent until resumed by hand."""

from __future__ import annotations

import click

from credit_management.cli._common import build_supervisor
from credit_management.cli.context import CliContext
from credit_management.cli.render import echo_json, json_option
from credit_management.control.manual import Change, pause_agent
from credit_management.tmux.gateway import Tmux


@click.command(short_help="Hold an agent until resumed by hand (or --until).")
@click.argument("target")
@click.option("--reason", default=None, help="Why the agent is paused (kept in its history).")
@click.option(
    "--until",
    default=None,
    metavar="ISO8601",
    help="Resume (verified) at this time; without an offset, in the state file's timezone.",
)
@json_option
@click.pass_obj
def pause(
    obj: CliContext, target: str, reason: str | None, until: str | None, as_json: bool
) -> None:
    """Pause TARGET (session:window, session:window.pane or %N).

    A paused agent gets no work and is never resumed automatically, unless --until says when.

    \b
    Examples:
      credit-monitor pause main:backend --reason "reviewing its branch"
      credit-monitor pause %3 --until 2026-11-22T09:00
    """
    pane = Tmux(obj.socket).resolve_target(target)
    change = pause_agent(build_supervisor(obj), pane, reason=reason, until=until)
    if as_json:
        echo_json(change_document("paused", change, pane.window_name))
        return
    name = f" ({pane.window_name})" if pane.window_name else ""
    click.echo(f"{change.target}{name}: {change.previous.value} -> paused; {change.note}")


def change_document(result: str, change: Change, window_name: str | None) -> dict[str, object]:
    """`pause --json` and `resume --json`: what happened to the agent, as one object."""
    record = change.record
    return {
        "result": result,
        "target": change.target,
        "window_name": window_name,
        "previous": change.previous.value,
        "status": record.status.value,
        "since": record.since,
        "paused_until": record.paused_until,
        "scheduled_resume": record.scheduled_resume,
        "event": change.event,
        "note": change.note,
    }
