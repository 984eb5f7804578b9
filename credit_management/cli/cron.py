"""`credit-monitor cron install|remove|show`: run the monitor from cron."""

from __future__ import annotations

import click

from credit_management.cli import CliContext
from credit_management.service import cron as crontab
from credit_management.store.config import load_settings


@click.group()
def cron() -> None:
    """Manage the crontab entry that runs `credit-monitor run` every check interval."""


@cron.command()
@click.pass_obj
def install(obj: CliContext) -> None:
    """Add the entry (or update it); running it twice changes nothing."""
    settings = load_settings(obj.paths)
    line, changed = crontab.install(obj.paths, obj.socket, settings.check_interval_minutes)
    click.echo(("installed: " if changed else "already installed: ") + line)


@cron.command()
def remove() -> None:
    """Remove the entry, leaving the rest of the crontab as it was."""
    click.echo("removed" if crontab.remove() else "no credit-monitor entry installed")


@cron.command()
def show() -> None:
    """Print the installed entry."""
    line = crontab.show()
    click.echo(line if line else "no credit-monitor entry installed")
