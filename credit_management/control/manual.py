"""What the manual commands do: pause, resume, and the status and history views.

The click commands under `cli/` only parse options and print; the state changes, events and
hooks of a manual pause or resume happen here, so they are as usable from Python as from the
shell. Targets arrive already resolved against tmux (a `PaneInfo`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from credit_management.control.times import parse_user_time
from credit_management.errors import CreditError, InputError
from credit_management.models import AgentRecord, Status, parse_iso, target_order
from credit_management.records import Record
from credit_management.store.journal import EventLog
from credit_management.store.state import State
from credit_management.tmux.foreground import refusal

if TYPE_CHECKING:
    from credit_management.credit_monitor import Supervisor
    from credit_management.tmux.gateway import PaneInfo


@dataclass(frozen=True, repr=False)
class Change(Record):
    """What a manual command did to one agent."""

    target: str
    previous: Status
    record: AgentRecord
    event: str | None
    note: str


def parse_until(text: str, now: datetime, zone_name: str) -> datetime:
    """`--until`: an instant strictly in the future; without an offset, read in `zone_name`."""
    return parse_user_time(text, now, _zone(zone_name))


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"the state file's timezone {name!r} is unknown; give --until with an offset"
        ) from None


def pause_agent(
    supervisor: Supervisor,
    pane: PaneInfo,
    *,
    reason: str | None = None,
    until: str | None = None,
) -> Change:
    """Mark the agent `paused` (never lifted automatically unless `until` says when)."""
    now = supervisor.clock.now()
    target = pane.target
    why = reason.strip() if reason and reason.strip() else None
    state = supervisor.store.load()
    paused_until = parse_until(until, now, state.timezone) if until else None
    previous = state.agents[target].status if target in state.agents else Status.ACTIVE
    _identify(supervisor, pane)
    record = supervisor.pause(target, why, paused_until)
    note = f"paused until {record.paused_until}" if paused_until else "paused until resumed"
    return Change(target, previous, record, "agent.paused", note)


def resume_agent(
    supervisor: Supervisor,
    pane: PaneInfo,
    *,
    force: bool = False,
    sending: Callable[[], None] | None = None,
) -> Change:
    """`--force`: active at once. Otherwise a verified resume: test message, then the answer
    (`sending` is called once the test message is about to go, after every check passed)."""
    target = pane.target
    _identify(supervisor, pane)
    previous = supervisor.store.load().agent(target).status
    if force:
        record = supervisor.force_resume(target)
        held = len(record.queued)
        note = "marked active" + (f"; {held} held message(s) not delivered yet" if held else "")
        return Change(target, previous, record, "agent.resumed", note)
    if previous is Status.ACTIVE:
        return Change(
            target,
            previous,
            supervisor.store.load().agent(target),
            None,
            "already active; nothing to do (use --force to record a manual resume)",
        )
    problem = refusal(pane)
    if problem is not None:  # the resume would type nothing and say only "not back yet"
        raise InputError(f"{problem}: no test message typed (--force marks it active)")
    if sending is not None:
        sending()
    resumed = supervisor.resume(target)
    record = supervisor.store.load().agent(target)
    if not resumed and record.status is Status.RESUMING and record.resume_sent_at:
        # Another run (a sweep, a second `resume`, the dashboard) sent the test message and
        # is waiting for the answer; this one sent nothing.
        note = (
            f"a resume is already under way since {record.resume_sent_at} "
            "(test message sent; waiting for the answer)"
        )
        return Change(target, previous, record, None, note)
    if record.status is Status.ACTIVE:
        note = "answered the test message; active again"
        event = "agent.resumed"
    else:
        note = f"not back yet: {record.reason}"
        if record.scheduled_resume:
            note += f"; next try {record.scheduled_resume}"
        event = "agent.resume_failed"
    return Change(target, previous, record, event, note)


def _identify(supervisor: Supervisor, pane: PaneInfo) -> None:
    """Remember which window and pane the target names, for status and the dashboard."""
    with supervisor.store.transaction() as state:
        record = state.agent(pane.target)
        record.window_name = pane.window_name
        record.pane_id = pane.pane_id


# --- status ---------------------------------------------------------------------------------


def next_resume(record: AgentRecord) -> str | None:
    """When the agent is due back: its scheduled resume, or the end of a timed pause."""
    if record.status == Status.PAUSED:
        return record.paused_until
    if record.status in (Status.ACTIVE, Status.MISSING, Status.CRASHED):
        return None
    return record.scheduled_resume


def agent_view(target: str, record: AgentRecord, now: datetime) -> dict[str, Any]:
    """One agent for `status --json`: the stored record plus times relative to `now`."""
    view: dict[str, Any] = {"target": target}
    view.update(record.to_dict())
    # Held messages that have not moved for several verified resumes in a row.
    view["queue_stalled"] = record.queue_stalled
    due = next_resume(record)
    due_at = _instant(due)
    since = _instant(record.since)
    view["next_resume"] = due
    view["time_until_resume_seconds"] = (
        round((due_at - now).total_seconds()) if due_at is not None else None
    )
    view["seconds_in_status"] = round((now - since).total_seconds()) if since is not None else None
    return view


def status_report(state: State, now: datetime) -> dict[str, dict[str, Any]]:
    """Every agent's view, sorted by target."""
    return {
        target: agent_view(target, state.agents[target], now)
        for target in sorted(state.agents, key=target_order)
    }


def _instant(text: str | None) -> datetime | None:
    try:
        return parse_iso(text)
    except ValueError:
        return None


def history_events(
    log: EventLog,
    target: str | None,
    limit: int | None,
    resolve: Callable[[str], str] | None = None,
) -> tuple[str | None, list[dict[str, Any]]]:
    """Events for `target` (all when None), oldest first, the last `limit` of them.

    A target given by window name or pane id is looked up with `resolve` (tmux) when the
    log has nothing under the text as typed; if tmux cannot resolve it, the text is used.
    """
    if target is None:
        return None, log.read(limit=limit)
    events = log.read(target=target, limit=limit)
    if events or resolve is None:
        return target, events
    try:
        resolved = resolve(target)
    except CreditError:
        return target, events
    return resolved, log.read(target=resolved, limit=limit)
