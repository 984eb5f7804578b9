"""Read-only views of the team: each agent's health, and when each limit resets.

Used by `health`/`check_agent_health`, `estimate-reset`/`estimate_reset_time` and the dashboard.
Nothing here changes the state file or sends anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from credit_management.credit_monitor import Supervisor
from credit_management.detect.resets import next_cycle_reset
from credit_management.models import AgentRecord, Signal, Status, iso, parse_iso
from credit_management.store.state import State

NEEDS_PERSON = (Status.NEEDS_ATTENTION, Status.MISSING, Status.CRASHED)


@dataclass(frozen=True)
class AgentHealth:
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
        }


def agent_health(supervisor: Supervisor) -> list[AgentHealth]:
    """Every watched window and every recorded agent, looked at once (one capture call)."""
    now = supervisor.clock.now()
    panes = supervisor.discover()
    texts = supervisor.tmux.capture_panes([pane.pane_id for pane in panes.values()])
    state = supervisor.store.load()
    result = []
    for target in sorted(set(panes) | set(state.agents)):
        record = state.agents.get(target) or AgentRecord()
        pane = panes.get(target)
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
            )
        )
    return result


def _shown_signal(
    supervisor: Supervisor, record: AgentRecord, text: str, present: bool, now: datetime
) -> Signal:
    """What the pane says; for a stopped agent, the banner as read when it stopped (its old
    banner re-read after the printed time would claim a reset a day later)."""
    if record.status in (Status.EXHAUSTED, Status.PAUSED, Status.RESUMING) and record.last_signal:
        return Signal.from_dict(record.last_signal)
    return supervisor.current_signal(record, text, now) if present else Signal.none()


@dataclass(frozen=True)
class ResetEstimate:
    """When an agent's limit resets, and how sure that is (`basis`)."""

    target: str
    status: Status
    reset_at: datetime | None
    scheduled_resume: datetime | None
    estimate: datetime | None
    basis: str  # "printed", "cycle", "paused", "retry", "none"

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
    chosen = targets if targets is not None else sorted(state.agents)
    cycle = next_cycle_reset(now, state.reset_times, state.timezone, cycle_hours, now)
    result = []
    for target in chosen:
        record = state.agents.get(target) or AgentRecord()
        reset_at = parse_iso(record.reset_at)
        scheduled = parse_iso(record.scheduled_resume)
        if record.status in (Status.EXHAUSTED, Status.WAITING_SELF, Status.RESUMING):
            estimate, basis = reset_at or scheduled, "printed" if reset_at else "retry"
        elif record.status is Status.PAUSED:
            estimate, basis = parse_iso(record.paused_until), "paused"
        elif record.status is Status.NEEDS_ATTENTION:
            estimate, basis = scheduled, "retry" if scheduled else "none"
        else:
            estimate, basis = cycle, "cycle"
        result.append(ResetEstimate(target, record.status, reset_at, scheduled, estimate, basis))
    return result
