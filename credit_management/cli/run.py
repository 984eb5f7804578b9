"""`credit-monitor run`: one sweep and the due resumes, for cron (the work is in `once`)."""

from __future__ import annotations

import click

from credit_management.cli.context import CliContext
from credit_management.cli.once import run_once


@click.command(short_help="One sweep and the due resumes (for cron).")
@click.option("--json", "as_json", is_flag=True, help="Print the sweep's report as JSON.")
@click.pass_obj
def run(obj: CliContext, as_json: bool) -> None:
    """One sweep over every agent pane, then the resumes and messages that are due.

    Takes the run lock: a second run while one is under way exits at once (status 0), saying so.
    An unreadable state file is rebuilt from the journal first (the bad file is kept aside).

    \b
    Examples:
      credit-monitor run
      credit-monitor cron install     # runs it every check interval
    """
    run_once(obj, as_json, click.echo)
