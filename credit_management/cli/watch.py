"""`credit-monitor watch`: the daemon that sweeps on an interval until stopped."""

from __future__ import annotations

import math
import signal
import threading
from types import FrameType

import click

from credit_management.cli._common import Duration, build_supervisor
from credit_management.cli.context import CliContext
from credit_management.cli.render import utc_option
from credit_management.cli.watch_output import choose_output


@click.command(short_help="Sweep on an interval; a live table on a terminal.")
@click.option(
    "--interval",
    type=Duration(0.1, maximum=86400),
    help="Time between sweeps (90s, 5m; seconds; at most 1d).",
)
@click.option("--duration", type=Duration(), help="Stop after this long (1h; seconds).")
@click.option("--resume-margin", type=Duration(), help="Wait after a reset (2m; seconds).")
@click.option("--orchestrator", help="Target told about stops and resumes.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per sweep (JSON Lines).")
@utc_option
@click.pass_obj
def watch(
    obj: CliContext,
    interval: float | None,
    duration: float | None,
    resume_margin: float | None,
    orchestrator: str | None,
    as_json: bool = False,
    utc: bool = False,
) -> None:
    """Sweep continuously (default: every CLAUDE_CREDIT_CHECK_INTERVAL minutes).

    On a terminal it draws a live table (status in colour, usage bars, a ticking "resets in"
    countdown, the next sweep and the next due event); piped or redirected it prints a line per
    change; --json prints one JSON object per sweep (JSON Lines). Stops cleanly on SIGTERM or
    Ctrl-C, and after --duration seconds when given. Without a tmux server at the start it
    exits 1; a server lost later is reported and waited for.

    \b
    Examples:
      credit-monitor watch
      credit-monitor watch --interval 1m --json >> sweeps.jsonl
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
        supervisor.wake()  # end the wait now, not at the next due time

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    output = choose_output(supervisor, every, as_json, utc)
    try:
        with output:
            supervisor.watch(
                every,
                duration,
                stop,
                on_sweep=output.sweep,
                on_skip=output.skip,
                on_error=output.error,
            )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    output.stopped()
