"""The click group: global options, lazy command loading, help sections, error handling.

Imported only when a command goes through click; `credit_management.cli.main` answers the two
commands Claude Code runs on every update (`statusline`, `hook claude`) without it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from credit_management.cli.context import (
    ALIASES,
    COMMANDS,
    EPILOG,
    EVERYDAY_ORDER,
    SETUP_COMMANDS,
    SOCKET_ENV,
    TOOL_COMMANDS,
    CliContext,
)
from credit_management.errors import CreditError
from credit_management.store.paths import resolve_paths

_HERE = Path(__file__).resolve().parent
_PACKAGE = "credit_management.cli"


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
        module = importlib.import_module(f"{_PACKAGE}.{module_name}")
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
