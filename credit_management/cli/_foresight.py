"""A note for `send` and `schedule` when the target is predicted to run out of usage first
(from the burn rate of its own usage data)."""

from __future__ import annotations

from datetime import datetime, timedelta

from credit_management.cli.render import Times, span
from credit_management.models import parse_iso
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore


def runs_out_first(paths: Paths, target: str, now: datetime, by: datetime | None) -> str | None:
    """ "note: main:1 is predicted to run out of usage in 25m ..." when it runs out after
    `now` and before `by` (None: any time), else None."""
    try:
        record = StateStore(paths).load().agents.get(target)
        predicted = parse_iso(record.predicted_exhaustion) if record is not None else None
    except Exception:  # a note is never worth failing the command for
        return None
    if predicted is None or predicted <= now or (by is not None and predicted >= by):
        return None
    when = span((predicted - now) / timedelta(seconds=1))
    at = Times.for_display(now).at(predicted)
    return f"note: {target} is predicted to run out of usage in {when} (at {at})"
