"""`credit-monitor statusline`: the statusLine command of Claude Code.

Reads Claude's JSON on stdin, records it as a usage sample for `$TMUX_PANE`, and prints one
short line (`5h 42% ↻14:20 · 7d 15% · $1.37`), or the output of the statusLine command it wraps
(`--wrap`, set by `integrate`), run with the same stdin. It never fails the status line: bad
input prints a short line, exits 0 and goes to the event log.
"""

from __future__ import annotations

import json

import click

from credit_management.cli import CliContext
from credit_management.cli._samples import log_problem, now_seconds, read_stdin, record
from credit_management.sources.claude_statusline import sample_from_payload, status_text

WRAPPED_TIMEOUT = 10.0
DEDUPE_SECONDS = 60.0


def _wrapped(command: str, data: bytes) -> str | None:
    """The wrapped statusLine command's output, run as Claude runs it (through `sh -c`)."""
    import subprocess  # only when wrapping: the plain status line stays fast

    try:
        done = subprocess.run(
            ["/bin/sh", "-c", command],
            input=data,
            capture_output=True,
            timeout=WRAPPED_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("utf-8", "replace").rstrip("\n")


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
    """Record Claude Code's statusline JSON (stdin) for this pane and print a short line."""
    data = b""
    line = "credit-monitor: no usage data"
    try:
        data = read_stdin()
        sample = sample_from_payload(json.loads(data), now_seconds())
        record(obj.paths, obj.socket, sample, DEDUPE_SECONDS)
        line = status_text(sample)
    except Exception as error:  # never fail the status line
        line = "credit-monitor: unreadable statusline input"
        log_problem(obj.paths, "statusline.error", f"{type(error).__name__}: {error}")
    if wrapped:
        output = _wrapped(wrapped, data)
        if output is not None:
            line = output
    click.echo(line)
