"""`credit-monitor hook claude`: the command for Claude Code hooks (StopFailure, Stop,
SessionStart).

Records the payload as a sample for `$TMUX_PANE` and exits 0 at once, printing nothing (a
SessionStart hook's output would become part of Claude's context). Never waits for the run
lock; a bad payload goes to the event log.
"""

from __future__ import annotations

import click

from credit_management.cli.context import CliContext
from credit_management.cli.fast import record_hook


@click.command(short_help="The Claude Code hook command (records StopFailure and friends).")
@click.argument("agent", type=click.Choice(["claude"]))
@click.pass_obj
def hook(obj: CliContext, agent: str) -> None:
    """Record a Claude Code hook payload (stdin) for this pane; always exits 0."""
    record_hook(obj)
