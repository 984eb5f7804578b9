"""`credit-monitor integrate claude [--settings PATH] [--dry-run] [--remove]`: set Claude Code up
to publish its usage to the monitor (statusLine and hooks in its user settings).

Codex needs no set-up: its rollout files are read as they are.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

import click

from credit_management.cli.context import CliContext
from credit_management.service.claude_settings import integrate as add_entries
from credit_management.service.claude_settings import remove, settings_path


def program_words(home: Path) -> str:
    """How Claude should call this credit-monitor, pinned to this home folder."""
    beside = Path(sys.executable).parent / "credit-monitor"
    if beside.is_file() and os.access(beside, os.X_OK):
        words = [str(beside)]
    elif (found := shutil.which("credit-monitor")) is not None:
        words = [found]
    else:
        words = [sys.executable, "-m", "credit_management"]
    return shlex.join([*words, "--home", str(home)])


@click.command(short_help="Add the statusLine and hooks to Claude Code's settings.")
@click.argument("agent", type=click.Choice(["claude"]))
@click.option(
    "--settings",
    "settings_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Settings file (default: $CLAUDE_CONFIG_DIR/settings.json, else ~/.claude/...).",
)
@click.option("--dry-run", is_flag=True, help="Show the new file; change nothing.")
@click.option("--remove", "undo", is_flag=True, help="Take the monitor's entries out again.")
@click.pass_obj
def integrate(
    obj: CliContext, agent: str, settings_file: str | None, dry_run: bool, undo: bool
) -> None:
    """Make Claude Code publish its usage: statusLine and StopFailure/Stop/SessionStart hooks.

    Keeps what is there: an existing statusLine is wrapped (it still shows), existing hooks
    stay, a second run changes nothing, and --remove puts the file back as it was.

    \b
    Examples:
      credit-monitor integrate claude
      credit-monitor integrate claude --dry-run
      credit-monitor integrate claude --remove
    """
    path = settings_path(settings_file, dict(os.environ))
    if undo:
        outcome = remove(path, dry_run)
    else:
        outcome = add_entries(path, program_words(obj.paths.home), dry_run)
    if dry_run and outcome.changed:
        click.echo(outcome.text, nl=False)
    verb = "would change" if dry_run else ("changed" if outcome.changed else "unchanged")
    click.echo(f"{path}: {verb}", err=dry_run)
    for note in outcome.notes:
        click.echo(f"  {note}", err=dry_run)
    if outcome.backup is not None and not dry_run:
        click.echo(f"  backup: {outcome.backup}")
