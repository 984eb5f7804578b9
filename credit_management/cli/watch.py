"""`credit-monitor watch`: the daemon that sweeps on an interval until stopped."""

from __future__ import annotations

import math
import signal
import threading
from datetime import datetime
from types import FrameType

import click

from credit_management.cli import CliContext
from credit_management.cli._common import build_supervisor
from credit_management.credit_monitor import SweepReport


@click.command()
@click.option("--interval", type=click.FloatRange(min=0.1), help="Seconds between sweeps.")
@click.option("--duration", type=click.FloatRange(min=0), help="Stop after this many seconds.")
@click.option("--resume-margin", type=click.FloatRange(min=0), help="Seconds after a reset.")
@click.option("--orchestrator", help="Target told about stops and resumes.")
@click.pass_obj
def watch(
    obj: CliContext,
    interval: float | None,
    duration: float | None,
    resume_margin: float | None,
    orchestrator: str | None,
) -> None:
    """Sweep continuously (default: every CLAUDE_CREDIT_CHECK_INTERVAL minutes).

    Stops cleanly on SIGTERM or Ctrl-C, and after --duration seconds when given. Without a
    tmux server at the start it exits 1; a server lost later is reported and waited for.
    """
    for name, value in (("--interval", interval), ("--duration", duration)):
        # FloatRange lets "nan" and "inf" through: nan makes every wait return at once (a
        # sweep loop with no pause) and inf overflows the wait.
        if value is not None and not math.isfinite(value):
            raise click.BadParameter(f"{value!r} is not a finite number", param_hint=name)
    overrides: dict[str, object] = {
        "resume_margin_seconds": resume_margin,
        "orchestrator": orchestrator,
    }
    supervisor = build_supervisor(obj, overrides)
    if orchestrator:
        supervisor.tmux.resolve_target(orchestrator)
    every = interval if interval is not None else supervisor.settings.check_interval_minutes * 60
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"watching every {every:g}s (state: {obj.paths.state_file}); Ctrl-C stops")
    try:
        supervisor.watch(
            every,
            duration,
            stop,
            on_sweep=_report,
            on_skip=lambda busy: click.echo(f"skipped a sweep: {busy}"),
            on_error=lambda error: click.echo(f"{_stamp()} warning: {error}", err=True),
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("watch stopped")


def _stamp() -> str:
    return datetime.now().strftime("%H:%M:%S")


def _report(report: SweepReport) -> None:
    stamp = _stamp()
    for change in report.changes:
        click.echo(f"{stamp} {change}")
    for target in report.resumed:
        click.echo(f"{stamp} {target}: resumed")
    for error in report.errors:
        click.echo(f"{stamp} warning: {error}", err=True)
