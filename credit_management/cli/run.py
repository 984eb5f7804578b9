"""`credit-monitor run`: one sweep and the due resumes, for cron."""

from __future__ import annotations

import click

from credit_management.cli._common import build_supervisor, echo_json
from credit_management.cli.context import CliContext
from credit_management.credit_monitor import SweepReport
from credit_management.errors import LockBusy
from credit_management.service.cron import rotate_log
from credit_management.store.state import StateCorrupt, run_lock


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
    rotate_log(obj.paths)  # cron appends this run's output to logs/cron.log
    supervisor = build_supervisor(obj)
    try:
        with run_lock(obj.paths):
            try:
                report = supervisor.sweep()
            except StateCorrupt as corrupt:
                healed = supervisor.heal()
                if healed is None:
                    raise
                click.echo(f"warning: {corrupt.reason}: {healed.summary()}", err=True)
                report = supervisor.sweep()
    except LockBusy as busy:
        if as_json:  # still one JSON object: the report's fields, empty, and why
            echo_json({"skipped": str(busy), **SweepReport().__dict__})
            return
        click.echo(f"skipped: {busy}")
        return
    if as_json:
        echo_json(report.__dict__)
        return
    click.echo(
        f"swept {report.agents} agent(s): {len(report.changes)} change(s), "
        f"{len(report.resumed)} resumed, {report.delivered} message(s) delivered"
    )
    for change in report.changes:
        click.echo(f"  {change}")
    for error in report.errors:
        click.echo(f"warning: {error}", err=True)
