"""What the statusline and hook commands share: the instant, the pane a payload belongs to,
and recording a sample for it without ever failing the agent that called.

Kept light (no clock module unless the clock is shifted, no journal unless something went
wrong): Claude Code runs these commands on every update.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

from credit_management.store.paths import Paths
from credit_management.store.samples import SampleStore, server_key, socket_path

STDIN_LIMIT = 4 * 1024 * 1024


def now_seconds() -> float:
    """Epoch seconds, shifted or frozen like every other clock of the tool."""
    if os.environ.get("CREDIT_MONITOR_NOW") or os.environ.get("CREDIT_MONITOR_CLOCK_OFFSET"):
        from credit_management.clock import SystemClock

        return SystemClock().now().timestamp()
    return time.time()


def read_stdin() -> bytes:
    return sys.stdin.buffer.read(STDIN_LIMIT)


def pane_of(socket: str | None) -> tuple[str, str] | None:
    """(server key, pane id) from $TMUX_PANE and $TMUX (else the configured socket)."""
    pane = os.environ.get("TMUX_PANE", "")
    if not pane.startswith("%") or not pane[1:].isdigit():
        return None
    tmux = os.environ.get("TMUX")
    path = socket_path(None, {"TMUX": tmux}) if tmux else socket_path(socket)
    return server_key(path), pane


def record(
    paths: Paths, socket: str | None, sample: dict[str, Any], dedupe_seconds: float = 0.0
) -> bool:
    """Append `sample` for the calling pane; False when no pane is known or it repeats the
    last sample of its kind within `dedupe_seconds`."""
    where = pane_of(socket)
    if where is None:
        return False
    store = SampleStore.under(paths.data_dir)
    if dedupe_seconds > 0:
        last = store.last(*where, str(sample.get("kind")))
        if last is not None and _same(last, sample, dedupe_seconds):
            return False
    store.append(*where, sample)
    return True


def _same(last: dict[str, Any], sample: dict[str, Any], within: float) -> bool:
    try:
        age = float(sample["t"]) - float(last["t"])
    except (KeyError, TypeError, ValueError):
        return False
    strip = {key: value for key, value in sample.items() if key != "t"}
    return 0 <= age < within and strip == {k: v for k, v in last.items() if k != "t"}


def log_problem(paths: Paths, event: str, message: str) -> None:
    """The problem goes to the event log; a failure to log it is swallowed too."""
    try:
        from datetime import UTC, datetime

        from credit_management.store.journal import EventLog

        now = datetime.fromtimestamp(now_seconds(), UTC)
        EventLog(paths.events_log).append(
            event, now=now, pane_id=os.environ.get("TMUX_PANE"), message=message
        )
    except Exception:
        pass
