"""What `watch` prints after each sweep, in its three forms: the live rich view on a terminal,
plain lines of changes when the output is a pipe or a log file, and one JSON object per sweep
(`--json`, JSON Lines) for log shippers.

Each form takes the watch loop's callbacks (`sweep`, `skip`, `error`); the loop itself knows
nothing about any of them.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

import click

from credit_management.cli.render import Times, echo_json_line
from credit_management.credit_monitor import Supervisor, SweepReport
from credit_management.errors import LockBusy, TmuxError
from credit_management.models import Status, target_order
from credit_management.store.state import State


class PlainOutput:
    """A line per change, stamped with the local time: for pipes, files and journald."""

    def __init__(self, supervisor: Supervisor, every: float, utc: bool = False) -> None:
        self.supervisor = supervisor
        self.every = every
        self.utc = utc

    def __enter__(self) -> PlainOutput:
        state_file = self.supervisor.paths.state_file
        click.echo(f"watching every {self.every:g}s (state: {state_file}); Ctrl-C stops")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Put away what `__enter__` set up (the plain lines set up nothing)."""
        return None

    def _stamp(self) -> str:
        now = self.supervisor.clock.now()
        return Times.for_display(now, self.utc).stamp(now)

    def sweep(self, report: SweepReport) -> None:
        stamp = self._stamp()
        for change in report.changes:
            click.echo(f"{stamp} {change}")
        for target in report.resumed:
            click.echo(f"{stamp} {target}: resumed")
        for error in report.errors:
            click.echo(f"{stamp} warning: {error}", err=True)

    def skip(self, busy: LockBusy) -> None:
        click.echo(f"skipped a sweep: {busy}")

    def error(self, error: TmuxError) -> None:
        click.echo(f"{self._stamp()} warning: {error}", err=True)

    def stopped(self) -> None:
        click.echo("watch stopped")


class JsonOutput(PlainOutput):
    """One JSON object per sweep on its own line; warnings stay on stderr."""

    def __enter__(self) -> JsonOutput:
        return self

    def sweep(self, report: SweepReport) -> None:
        now = self.supervisor.clock.now()
        state = self.supervisor.store.load()
        echo_json_line(sweep_document(report, state, now, self.every))

    def skip(self, busy: LockBusy) -> None:
        now = self.supervisor.clock.now()
        echo_json_line(
            {
                "time": now.isoformat(),
                "outcome": "skipped",
                "reason": str(busy),
                "next_sweep": (now + timedelta(seconds=self.every)).isoformat(),
            }
        )

    def error(self, error: TmuxError) -> None:
        now = self.supervisor.clock.now()
        echo_json_line({"time": now.isoformat(), "outcome": "error", "error": str(error)})

    def stopped(self) -> None:
        return None


class LiveOutput(PlainOutput):
    """The rich live table, redrawn every second so the countdowns tick."""

    def __init__(self, supervisor: Supervisor, every: float, utc: bool = False) -> None:
        super().__init__(supervisor, every, utc)
        from credit_management.cli.live import WatchView, live

        title = f"credit-monitor watch · every {every:g}s · {supervisor.paths.state_file}"
        self.view = WatchView(supervisor.clock.now, every, utc, title)
        self.view.state = supervisor.store.load()
        self.display = live(self.view)

    def __enter__(self) -> LiveOutput:
        self.display.start()
        return self

    def close(self) -> None:
        self.display.stop()

    def sweep(self, report: SweepReport) -> None:
        changes = [*report.changes, *(f"{target}: resumed" for target in report.resumed)]
        changes += [f"warning: {error}" for error in report.errors]
        self.view.update(self.supervisor.store.load(), changes, self.supervisor.clock.now())

    def skip(self, busy: LockBusy) -> None:
        self.view.note(f"skipped a sweep: {busy}")

    def error(self, error: TmuxError) -> None:
        self.view.note(f"warning: {error}")


def choose_output(supervisor: Supervisor, every: float, as_json: bool, utc: bool) -> PlainOutput:
    """JSON Lines when asked, the live view on a terminal, plain lines otherwise."""
    if as_json:
        return JsonOutput(supervisor, every, utc)
    if sys.stdout.isatty():
        return LiveOutput(supervisor, every, utc)
    return PlainOutput(supervisor, every, utc)


def sweep_document(
    report: SweepReport, state: State, now: datetime, every: float
) -> dict[str, Any]:
    """One sweep as `watch --json` prints it: what changed and where every agent stands."""
    agents = []
    for target in sorted(state.agents, key=target_order):
        record = state.agents[target]
        due = record.paused_until if record.status is Status.PAUSED else record.scheduled_resume
        if record.status in (Status.ACTIVE, Status.MISSING, Status.CRASHED):
            due = None
        agents.append(
            {
                "target": target,
                "window_name": record.window_name,
                "provider": record.provider,
                "status": record.status.value,
                "since": record.since,
                "next_resume": due,
                "last_signal": record.last_signal,
            }
        )
    return {
        "time": now.isoformat(),
        "outcome": "swept",
        "agents": agents,
        "changes": list(report.changes),
        "resumed": list(report.resumed),
        "delivered": report.delivered,
        "errors": list(report.errors),
        "next_sweep": (now + timedelta(seconds=every)).isoformat(),
    }
