"""The `credit-monitor` command group: global options, lazy command loading and error handling.

Each command lives in its own module under `credit_management.cli` and stays thin: parse
options, call the library, print. Library errors (`CreditError`) become one line and exit 1.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from credit_management.errors import CreditError
from credit_management.store.paths import Paths, resolve_paths

_HERE = Path(__file__).resolve().parent
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


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (cron runs stay fast)."""

    def _target(self, name: str) -> str | None:
        return COMMANDS.get(ALIASES.get(name, name))

    def _available(self, name: str) -> bool:
        target = self._target(name)
        if target is None:
            return False
        module = target.split(":", 1)[0]
        # A file test, not importlib.util.find_spec: cron's `run` should not pay for that import.
        return (_HERE / f"{module}.py").is_file()

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Everyday commands first (in the order people reach for them), then set-up, tools."""
        return [name for name in _ordered(COMMANDS) if self._available(name)]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands under three headings, then the original scripts' names."""
        commands = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                commands.append((name, command))
        if not commands:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in commands)
        sections: dict[str, list[tuple[str, str]]] = {}
        for name, command in commands:
            sections.setdefault(_section(name), []).append(
                (name, command.get_short_help_str(limit))
            )
        for heading in ("Everyday commands", "Set-up", "Tools"):
            if sections.get(heading):
                with formatter.section(heading):
                    formatter.write_dl(sections[heading])
        aliases = [(alias, f"= {name}") for alias, name in ALIASES.items() if name in COMMANDS]
        if aliases:
            with formatter.section("Names of the original scripts (aliases)"):
                formatter.write_dl(aliases)

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


def _section(name: str) -> str:
    if name in TOOL_COMMANDS:
        return "Tools"
    if name in SETUP_COMMANDS:
        return "Set-up"
    return "Everyday commands"


def _ordered(names: Sequence[str] | dict[str, str]) -> list[str]:
    """Everyday commands in EVERYDAY_ORDER (unknown ones after, by name), set-up, then tools."""
    known = (*EVERYDAY_ORDER, *SETUP_COMMANDS, *TOOL_COMMANDS)
    rank = {name: index for index, name in enumerate(known)}
    groups = {"Everyday commands": 0, "Set-up": 1, "Tools": 2}
    return sorted(names, key=lambda name: (groups[_section(name)], rank.get(name, len(rank)), name))


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EPILOG,
)
@click.option(
    "--home",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder holding data/, logs/ and config.toml (else $CREDIT_MANAGEMENT_HOME, else the "
    "checkout, else ~/.local/state/credit-monitor with ~/.config/credit-monitor/config.toml).",
)
@click.option(
    "--socket",
    default=None,
    help=f"tmux socket name, as for `tmux -L` (else ${SOCKET_ENV}, else the default server).",
)
@click.version_option(None, "-V", "--version", package_name="credit_management")
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
