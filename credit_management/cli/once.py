"""`credit-monitor run` as cron starts it: one sweep and the due resumes, without click.

`fast` sends `run` and `run --json` here so that a cron run pays only for the sweep; the click
command in `cli.run` (help, other spellings) calls the same function. Output and exit status
are the same either way: the report, warnings on stderr, `Error: ...` and 1 on a library error.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from credit_management.cli.context import CliContext
from credit_management.clock import SystemClock
from credit_management.credit_monitor import Supervisor, SweepReport
from credit_management.errors import LockBusy
from credit_management.service.cron import rotate_log
from credit_management.store.config import load_settings
from credit_management.store.state import StateCorrupt, run_lock
from credit_management.tmux.gateway import Tmux

Echo = Callable[..., None]


def _print(text: str, err: bool = False) -> None:
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n")
    stream.flush()


def json_text(data: Any) -> str:
    """Pretty JSON, the same for every `--json`."""
    return json.dumps(data, indent=2, ensure_ascii=False, default=str)


def run_once(obj: CliContext, as_json: bool, echo: Echo = _print) -> None:
    """One sweep over every agent pane, then the resumes and messages that are due; takes the
    run lock (a second run exits at once, status 0) and rebuilds an unreadable state first.
    Library errors (`CreditError`) propagate to the caller, which prints them."""
    rotate_log(obj.paths)  # cron appends this run's output to logs/cron.log
    settings = load_settings(obj.paths)
    for warning in settings.warnings:  # unknown keys: worth a look, not worth stopping for
        echo(f"warning: {warning}", err=True)
    supervisor = Supervisor(obj.paths, settings, Tmux(obj.socket), SystemClock())
    try:
        with run_lock(obj.paths):
            try:
                report = supervisor.sweep()
            except StateCorrupt as corrupt:
                healed = supervisor.heal()
                if healed is None:
                    raise
                echo(f"warning: {corrupt.reason}: {healed.summary()}", err=True)
                report = supervisor.sweep()
    except LockBusy as busy:
        if as_json:  # still one JSON object: the report's fields, empty, and why
            echo(json_text({"skipped": str(busy), **SweepReport().__dict__}))
            return
        echo(f"skipped: {busy}")
        return
    if as_json:
        echo(json_text(report.__dict__))
        return
    echo(
        f"swept {report.agents} agent(s): {len(report.changes)} change(s), "
        f"{len(report.resumed)} resumed, {report.delivered} message(s) delivered"
    )
    for change in report.changes:
        echo(f"  {change}")
    for error in report.errors:
        echo(f"warning: {error}", err=True)
