"""`credit-monitor state check|rebuild`: is the state file readable, and rebuilding it from the
journal (the event log) by hand."""

from __future__ import annotations

import sys

import click

from credit_management.cli._common import build_supervisor, echo_json
from credit_management.cli.context import CliContext
from credit_management.clock import SystemClock
from credit_management.store.journal import EventLog
from credit_management.store.rebuild import check as check_state
from credit_management.store.state import StateStore


@click.group()
def state() -> None:
    """Check the state file, or rebuild it from the journal when it is unreadable.

    \b
    Examples:
      credit-monitor state check
      credit-monitor state rebuild
    """


@state.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def check(obj: CliContext, as_json: bool) -> None:
    """Read the state file and the journal; exits 1 when the state file is unreadable."""
    store = StateStore(obj.paths, SystemClock())
    found = check_state(store)
    records, skipped = EventLog(obj.paths.events_log).read_journal()
    journaled = sum(record["event"] in ("state.snapshot", "state.changed") for record in records)
    if as_json:
        echo_json(
            {
                "state_file": str(store.path),
                "ok": found.ok,
                "exists": found.exists,
                "reason": found.reason,
                "backup": str(found.backup) if found.backup else None,
                "agents": found.agents,
                "journal_records": journaled,
                "unreadable_lines": skipped,
            }
        )
    elif found.ok:
        what = f"{found.agents} agent(s)" if found.exists else "not created yet"
        click.echo(f"state file {store.path}: ok ({what})")
    else:
        click.echo(
            f"state file {store.path}: unreadable ({found.reason}); copy kept as "
            f"{found.backup}; `credit-monitor state rebuild` repairs it"
        )
    if not as_json:
        unread = f", {skipped} unreadable line(s) skipped" if skipped else ""
        click.echo(f"journal {obj.paths.events_log}: {journaled} state record(s){unread}")
    if not found.ok:
        sys.exit(1)


@state.command()
@click.option("--force", is_flag=True, help="Rebuild even when the state file reads fine.")
@click.pass_obj
def rebuild(obj: CliContext, force: bool) -> None:
    """Rebuild the state file from the journal; the file replaced is kept aside.

    Logs `state.corrupt`, fires its hooks and tells the orchestrator, as `watch` does. The
    next sweep adds what the panes show now.
    """
    supervisor = build_supervisor(obj)
    result = supervisor.heal(force=force)
    if result is None:
        click.echo(f"state file {obj.paths.state_file} reads fine; --force rebuilds it anyway")
        return
    if result.backup:
        click.echo(f"kept the old file as {result.backup}")
    click.echo(result.summary())
    for problem in result.skipped_records:
        click.echo(f"left out: {problem}", err=True)
