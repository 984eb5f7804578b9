"""`credit-monitor statusline`: the statusLine command of Claude Code.

Reads Claude's JSON on stdin, records it as a usage sample for `$TMUX_PANE`, and prints one
short line (`5h 42% ↻14:20 · 7d 15% · $1.37`), or the output of the statusLine command it wraps
(`--wrap`, set by `integrate`), run with the same stdin. It never fails the status line: bad
input prints a short line, exits 0 and goes to the event log.
"""

from __future__ import annotations

import click

from credit_management.cli.context import CliContext
from credit_management.cli.fast import statusline_text


@click.command(short_help="The Claude Code statusLine command (records usage).")
@click.option(
    "--wrap",
    "wrapped",
    default=None,
    metavar="COMMAND",
    help="A statusLine command to run with the same input; its output is shown instead.",
)
@click.pass_obj
def statusline(obj: CliContext, wrapped: str | None) -> None:
    """Record Claude Code's statusline JSON (stdin) for this pane and print a short line.

    `credit-monitor integrate claude` sets this up; Claude Code then runs it on every update.
    (The usual forms are answered before click loads; this command serves `--help` and friends.)
    """
    click.echo(statusline_text(obj, wrapped))
