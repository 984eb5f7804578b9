"""The `credit-monitor` command group: global options, lazy command loading and error handling.

Each command lives in its own module under `credit_management.cli` and stays thin: parse
options, call the library, print. Library errors (`CreditError`) become one line and exit 1.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click

from credit_management.errors import CreditError
from credit_management.store.paths import Paths, resolve_paths

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
    "send": "send:send",
    "queue": "queue:queue",
    "schedule": "schedule:schedule",
    "web": "web:web",
    "simulate": "simulate:simulate",
    "demo": "demo:demo",
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


@dataclass
class CliContext:
    """What every command receives: where files live and which tmux server to talk to."""

    paths: Paths
    socket: str | None


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (cron runs stay fast)."""

    def _target(self, name: str) -> str | None:
        return COMMANDS.get(ALIASES.get(name, name))

    def _available(self, name: str) -> bool:
        target = self._target(name)
        if target is None:
            return False
        module = target.split(":", 1)[0]
        return importlib.util.find_spec(f"{__name__}.{module}") is not None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._available(name))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if not self._available(cmd_name):
            return None
        target = self._target(cmd_name)
        assert target is not None
        module_name, attribute = target.split(":", 1)
        module = importlib.import_module(f"{__name__}.{module_name}")
        command = getattr(module, attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CreditError as error:
            raise click.ClickException(str(error)) from error


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder holding data/ and logs/ (else $CREDIT_MANAGEMENT_HOME, else the checkout).",
)
@click.option(
    "--socket",
    default=None,
    help=f"tmux socket name, as for `tmux -L` (else ${SOCKET_ENV}, else the default server).",
)
@click.version_option(package_name="credit_management")
@click.pass_context
def cli(ctx: click.Context, home: str | None, socket: str | None) -> None:
    """Supervise AI coding agents in tmux through their usage limits."""
    ctx.obj = CliContext(paths=resolve_paths(home), socket=socket or os.environ.get(SOCKET_ENV))


def main(argv: Sequence[str] | None = None, prog_name: str = "credit-monitor") -> None:
    """Console entry point: never shows a traceback unless CREDIT_MONITOR_DEBUG is set."""
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name=prog_name)
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
