"""A click group whose first argument may be data rather than a subcommand name, and the
output helpers of the messaging commands (kept free of the monitor's imports so that `send`
starts fast).

`credit-monitor queue main:1` lists and `queue drop ID` drops; `credit-monitor schedule 15
"note"` adds and `schedule list` lists. Arguments that do not start with a subcommand name go
to the group's default subcommand; no arguments at all go to `empty_command`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click


class DefaultGroup(click.Group):
    """Routes `group ARGS...` to `default_command` unless ARGS starts with a subcommand."""

    def __init__(
        self,
        *args: Any,
        default_command: str,
        empty_command: str | None = None,
        usage: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.default_command = default_command
        self.empty_command = empty_command or default_command
        self.usage = usage

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args:
            args = [self.empty_command]
        elif args[0] not in self.commands and args[0] not in ctx.help_option_names:
            # Only options, such as `queue --json`, read as the empty form with those options.
            only_options = all(arg.startswith("-") and arg != "--" for arg in args)
            args = [self.empty_command if only_options else self.default_command, *args]
        return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        if self.usage is not None:
            return [self.usage]
        return super().collect_usage_pieces(ctx)


def table(rows: Sequence[Sequence[str]]) -> str:
    """Rows as aligned columns; the last column is left unpadded (free text)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def echo_json(data: Any) -> None:
    """Pretty JSON on stdout, as every `--json` prints it."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
