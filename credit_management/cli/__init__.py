"""The `credit-monitor` command line: the entry point, the command table and shared context.

Each command lives in its own module under `credit_management.cli` and stays thin: parse
options, call the library, print. The click group is in `group` and loads a command's module
only when it runs; `main` first offers the arguments to `fast`, which answers Claude Code's
per-update commands without importing click. Library errors become one line and exit 1.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from credit_management.store.paths import Paths

SOCKET_ENV = "CREDIT_MONITOR_TMUX_SOCKET"
DEBUG_ENV = "CREDIT_MONITOR_DEBUG"

# name -> "module:attribute"; aliases keep the names of the scripts people already use.
COMMANDS: dict[str, str] = {
    "classify": "classify:classify",
    "status": "status:status",
    "history": "history:history",
    "config": "config_cmd:config",
    "pause": "pause:pause",
    "resume": "resume:resume",
    "run": "run:run",
    "watch": "watch:watch",
    "health": "health:health",
    "estimate-reset": "estimate:estimate_reset",
    "cron": "cron:cron",
    "service": "service:service",
    "state": "state:state",
    "send": "send:send",
    "queue": "queue:queue",
    "schedule": "schedule:schedule",
    "web": "web:web",
    "simulate": "simulate:simulate",
    "demo": "demo:demo",
    "statusline": "statusline:statusline",
    "hook": "hook:hook",
    "integrate": "integrate:integrate",
    "usage": "usage:usage",
    "completion": "completion:completion",
}
ALIASES: dict[str, str] = {
    "check_credit_status": "status",
    "pause_agent": "pause",
    "resume_agent": "resume",
    "check_agent_health": "health",
    "estimate_reset_time": "estimate-reset",
    "send_message": "send",
    "schedule_credit_aware": "schedule",
}


# How `--help` groups the commands; a command not named here is listed with the everyday ones.
SETUP_COMMANDS = ("config", "cron", "service", "integrate", "hook", "statusline", "completion")
TOOL_COMMANDS = ("simulate", "demo", "classify")
EVERYDAY_ORDER = (
    "status",
    "watch",
    "health",
    "usage",
    "history",
    "queue",
    "send",
    "schedule",
    "pause",
    "resume",
    "estimate-reset",
    "run",
    "web",
    "state",
)
EPILOG = """\b
Quick start (agents already running in tmux):
  credit-monitor status          what every agent is doing
  credit-monitor watch           sweep every few minutes, live table
  credit-monitor cron install    or let cron run `credit-monitor run`
"""


@dataclass
class CliContext:
    """What every command receives: where files live and which tmux server to talk to."""

    paths: Paths
    socket: str | None


def main(argv: Sequence[str] | None = None, prog_name: str = "credit-monitor") -> None:
    """Console entry point: never shows a traceback unless CREDIT_MONITOR_DEBUG is set."""
    args = list(sys.argv[1:] if argv is None else argv)
    from credit_management.cli import fast

    if fast.handled(args):
        return
    import click

    from credit_management.cli.group import cli

    try:
        cli.main(args=args, prog_name=prog_name)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as error:  # the last line of defence: one line, not a traceback
        if os.environ.get(DEBUG_ENV):
            raise
        click.echo(f"Error: unexpected {type(error).__name__}: {error}", err=True)
        sys.exit(1)


def watch_main() -> None:
    """`credit_monitor`: runs the watcher, like the original `credit_monitor.py` script."""
    main(["watch", *sys.argv[1:]], prog_name="credit_monitor")


def __getattr__(name: str) -> Any:
    """`cli` (the click group) and `LazyGroup` load click only when asked for."""
    if name in ("cli", "LazyGroup"):
        from credit_management.cli import group

        return getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
