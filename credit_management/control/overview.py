"""Read-only views of the team: each agent's health, and when each limit resets.

Used by `health`/`check_agent_health`, `estimate-reset`/`estimate_reset_time` and the dashboard.
Also whether the monitor is alive (`sweep_liveness`: the last sweep and whether it is stale),
and relative times rendered at the moment they are shown (`relative_message`). A plain shell
window is not an agent here unless the config names it or it has shown an agent's signal.
Nothing here changes the state file or sends anything.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from credit_management.credit_monitor import SHELLS, Supervisor
from credit_management.detect.resets import format_until, next_cycle_reset
from credit_management.lifecycle import structured
from credit_management.models import AgentRecord, Signal, Status, iso, parse_iso, target_order
from credit_management.records import Record
from credit_management.store.config import Settings
from credit_management.store.liveness import STALE_INTERVALS, last_sweep
from credit_management.store.paths import Paths
from credit_management.store.state import State
from credit_management.tmux.gateway import PaneInfo

NEEDS_PERSON = (Status.NEEDS_ATTENTION, Status.MISSING, Status.CRASHED)


@dataclass(frozen=True, repr=False)
class AgentHealth(Record):
    """One agent as a person checking on it wants to see it."""

    target: str
    window_name: str | None
    pane_id: str | None
    window: bool
    process: str | None
    alive: bool
    status: Status
    signal: Signal
    scheduled_resume: datetime | None
    seconds_until_resume: float | None
    queue_stalled: bool = False  # held messages unmoved for several resumes in a row
    queued: int = 0  # messages held for it
    unreachable: str | None = None  # why nothing can be typed into it (a shell in front)

    @property
    def needs_person(self) -> bool:
        return self.status in NEEDS_PERSON or not self.window or not self.alive

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "window_name": self.window_name,
            "pane_id": self.pane_id,
            "window": self.window,
            "process": self.process,
            "alive": self.alive,
            "status": self.status.value,
            "signal": self.signal.to_dict(),
            "scheduled_resume": iso(self.scheduled_resume),
            "seconds_until_resume": self.seconds_until_resume,
            "needs_person": self.needs_person,
            "queued": self.queued,
            "queue_stalled": self.queue_stalled,
            "unreachable": self.unreachable,
        }


def agent_health(supervisor: Supervisor) -> list[AgentHealth]:
    """Every watched window and every recorded agent, looked at once (one capture call)."""
    now = supervisor.clock.now()
    panes = supervisor.discover()
    texts = supervisor.tmux.capture_panes([pane.pane_id for pane in panes.values()])
    state = supervisor.store.load()
    result = []
    for target in sorted(set(panes) | set(state.agents), key=target_order):
        record = state.agents.get(target) or AgentRecord()
        pane = panes.get(target)
        if not is_agent(target, pane, state.agents.get(target), supervisor.settings):
            continue
        text = texts.get(pane.pane_id, "") if pane else ""
        present = pane is not None and pane.pane_id in texts
        resume = parse_iso(record.scheduled_resume)
        result.append(
            AgentHealth(
                target=target,
                window_name=pane.window_name if pane else record.window_name,
                pane_id=pane.pane_id if pane else record.pane_id,
                window=present,
                process=pane.current_command if pane else None,
                alive=present and pane is not None and supervisor.is_alive(pane, record, text),
                status=record.status,
                signal=_shown_signal(supervisor, record, text, present, now),
                scheduled_resume=resume,
                seconds_until_resume=(resume - now).total_seconds() if resume else None,
                queue_stalled=record.queue_stalled,
                unreachable=record.unreachable,
                queued=len(record.queued),
            )
        )
    return result


def named_in_config(target: str, window_name: str | None, settings: Settings) -> bool:
    """Whether the config names this window itself (a `watch` pattern without wildcards, or
    the orchestrator), not just matches it with "*"."""
    names = {target}
    if window_name:
        names.add(f"{target.split(':', 1)[0]}:{window_name}")
    explicit = [p for p in settings.watch if not any(c in p for c in "*?[")]
    if settings.orchestrator:
        explicit.append(settings.orchestrator)
    return any(fnmatch.fnmatchcase(name, p) for p in explicit for name in names)


def shown_agent_signal(record: AgentRecord | None) -> bool:
    """Whether a record shows an agent ever ran there: a signal, a provider, a lifecycle
    status other than active, or an agent's process seen in front."""
    if record is None:
        return False
    return bool(
        record.last_signal
        or record.provider
        or record.status is not Status.ACTIVE
        or record.queued
        or (record.command is not None and record.command not in SHELLS)
    )


def is_agent(
    target: str, pane: PaneInfo | None, record: AgentRecord | None, settings: Settings
) -> bool:
    """False for a plain shell window (a shell in front, no agent's signal ever, not named in
    the config): it is listed by neither `health` nor `estimate-reset`."""
    command = pane.current_command if pane is not None else (record.command if record else None)
    if command not in SHELLS:
        return True
    window = pane.window_name if pane is not None else (record.window_name if record else None)
    return shown_agent_signal(record) or named_in_config(target, window, settings)


@dataclass(frozen=True, repr=False)
class SweepLiveness(Record):
    """Whether a monitor is sweeping: the last sweep, its age, and whether it is stale (older
    than three intervals: no watcher and no cron running)."""

    last: datetime | None
    age_seconds: float | None
    stale: bool
    interval_seconds: float
    by: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "last_sweep": iso(self.last),
            "age_seconds": self.age_seconds,
            "stale": self.stale,
            "interval_seconds": self.interval_seconds,
            "by": self.by,
        }

    def text(self) -> str:
        """ "last sweep 2m ago (watch)", with a warning when it is stale."""
        if self.last is None or self.age_seconds is None:
            return "last sweep: never (no watcher or cron run has swept yet)"
        age = self.age_seconds
        when = f"{format_until(timedelta(seconds=age))} ago" if age >= 1 else "just now"
        line = f"last sweep {when}" + (f" ({self.by})" if self.by else "")
        if self.stale:
            line += (
                f"; WARNING: older than {STALE_INTERVALS} intervals "
                f"({format_until(timedelta(seconds=STALE_INTERVALS * self.interval_seconds))}): "
                "no watcher or cron is running (credit-monitor service install)"
            )
        return line


def sweep_liveness(paths: Paths, now: datetime, interval_seconds: float) -> SweepLiveness:
    """The last sweep as recorded by the monitor, judged at `now`."""
    found = last_sweep(paths)
    if found is None:
        return SweepLiveness(None, None, False, interval_seconds, None)
    interval = found.interval_seconds or interval_seconds
    return SweepLiveness(
        last=found.time,
        age_seconds=round(found.age_seconds(now), 1),
        stale=found.stale(now, interval),
        interval_seconds=interval,
        by=found.by or None,
    )


_RELATIVE = re.compile(r"\b(resets|retry|retrying|resumes|continues by itself) in [0-9dhms]+\b")


def relative_message(message: str, reset_at: datetime | None, now: datetime) -> str:
    """A stored message with its "resets in 2m" said again as of `now` (a phrase frozen when
    it was written turns false as time passes): "resets in 40s", or "reset 3m ago"."""
    if reset_at is None or not message:
        return message
    left = (reset_at - now).total_seconds()

    def again(match: re.Match[str]) -> str:
        verb = match.group(1)
        if left > 0:
            return f"{verb} in {format_until(timedelta(seconds=left))}"
        past = {
            "resets": "reset",
            "resumes": "resumed",
            "retry": "retry was due",
            "retrying": "retry was due",
            "continues by itself": "continued by itself",
        }[verb]
        return f"{past} {format_until(timedelta(seconds=-left))} ago"

    return _RELATIVE.sub(again, message)


def refresh_view(view: dict[str, Any], now: datetime) -> dict[str, Any]:
    """An agent's status view with the stored "resets in …" phrases said again as of `now`
    (the view's `reason` and its last signal's `message`)."""
    signal = view.get("last_signal")

    def instant(text: object) -> datetime | None:
        try:
            return parse_iso(text) if isinstance(text, str) else None
        except ValueError:
            return None

    if isinstance(signal, dict) and isinstance(signal.get("message"), str):
        reset = instant(signal.get("reset_at"))
        signal = {**signal, "message": relative_message(signal["message"], reset, now)}
        view["last_signal"] = signal
    if isinstance(view.get("reason"), str):
        reset = instant(view.get("reset_at")) or (
            instant(signal.get("reset_at")) if isinstance(signal, dict) else None
        )
        view["reason"] = relative_message(view["reason"], reset, now)
    return view


def _shown_signal(
    supervisor: Supervisor, record: AgentRecord, text: str, present: bool, now: datetime
) -> Signal:
    """What the pane says; for a stopped agent, the banner as read when it stopped (its old
    banner re-read after the printed time would claim a reset a day later)."""
    if record.status in (Status.EXHAUSTED, Status.PAUSED, Status.RESUMING) and record.last_signal:
        return Signal.from_dict(record.last_signal)
    return supervisor.current_signal(record, text, now) if present else Signal.none()


@dataclass(frozen=True, repr=False)
class ResetEstimate(Record):
    """When an agent's limit resets, and how sure that is (`basis`)."""

    target: str
    status: Status
    reset_at: datetime | None
    scheduled_resume: datetime | None
    estimate: datetime | None
    basis: str  # "exact" (the agent's usage data), "printed", "cycle", "paused", "retry", "none"

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "target": self.target,
            "status": self.status.value,
            "reset_at": iso(self.reset_at),
            "scheduled_resume": iso(self.scheduled_resume),
            "estimate": iso(self.estimate),
            "basis": self.basis,
            "seconds_until": (self.estimate - now).total_seconds() if self.estimate else None,
        }


def estimate_resets(
    state: State, now: datetime, cycle_hours: float, targets: list[str] | None = None
) -> list[ResetEstimate]:
    """Printed resets where known; for agents still working, the next reset of the cycle."""
    chosen = (
        targets
        if targets is not None
        else sorted(
            t for t, r in state.agents.items() if r.command not in SHELLS or shown_agent_signal(r)
        )
    )
    cycle = next_cycle_reset(now, state.reset_times, state.timezone, cycle_hours, now)
    result = []
    for target in chosen:
        record = state.agents.get(target) or AgentRecord()
        reset_at = parse_iso(record.reset_at)
        scheduled = parse_iso(record.scheduled_resume)
        estimate: datetime | None
        exact = structured.exact_reset(record, now)  # from the agent's own usage data
        if exact is not None and record.status in (Status.ACTIVE, Status.EXHAUSTED):
            estimate, basis = exact, "exact"
        elif record.status in (Status.EXHAUSTED, Status.WAITING_SELF, Status.RESUMING):
            estimate, basis = reset_at or scheduled, "printed" if reset_at else "retry"
        elif record.status is Status.PAUSED:
            estimate, basis = parse_iso(record.paused_until), "paused"
        elif record.status is Status.NEEDS_ATTENTION:
            estimate, basis = scheduled, "retry" if scheduled else "none"
        else:
            estimate, basis = cycle, "cycle"
        result.append(ResetEstimate(target, record.status, reset_at, scheduled, estimate, basis))
    return result
