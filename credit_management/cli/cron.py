"""`credit-monitor cron install|remove|show`: run the monitor from cron."""

from __future__ import annotations

import click

from credit_management.cli.context import CliContext
from credit_management.cli.render import echo_json, json_option
from credit_management.service import cron as crontab
from credit_management.store.config import load_settings


@click.group(short_help="Install, remove or show the crontab entry for `run`.")
def cron() -> None:
    """Manage the crontab entry that runs `credit-monitor run` every check interval.

    \b
    Examples:
      credit-monitor cron install
      credit-monitor cron show --json
    """


@cron.command()
@json_option
@click.pass_obj
def install(obj: CliContext, as_json: bool) -> None:
    """Add the entry (or update it); running it twice changes nothing."""
    settings = load_settings(obj.paths)
    line, changed = crontab.install(obj.paths, obj.socket, settings.check_interval_minutes)
    if as_json:
        echo_json({"result": "installed" if changed else "unchanged", "entry": line})
        return
    click.echo(("installed: " if changed else "already installed: ") + line)


@cron.command()
@json_option
def remove(as_json: bool) -> None:
    """Remove the entry, leaving the rest of the crontab as it was."""
    removed = crontab.remove()
    if as_json:
        echo_json({"result": "removed" if removed else "absent"})
        return
    click.echo("removed" if removed else "no credit-monitor entry installed")


@cron.command()
@json_option
def show(as_json: bool) -> None:
    """Print the installed entry."""
    line = crontab.show()
    if as_json:
        echo_json({"installed": bool(line), "entry": line or None})
        return
    click.echo(line if line else "no credit-monitor entry installed")
