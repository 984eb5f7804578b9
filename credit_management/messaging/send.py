"""Send now or hold: the I/O side of messaging (state file, event log, tmux).

`send_or_queue` types a message into an agent that can take it, or holds it in the agent's
queue; `schedule_note` keeps a note for later. Nothing here prints.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from credit_management.clock import Clock
from credit_management.errors import CreditError, InputError
from credit_management.messaging.queue import (
    SENT_PREFIX,
    Cancelled,
    Held,
    Hold,
    PauseConflict,
    add_schedule,
    cancel_schedule,
    drop_queued,
    enqueue,
    hold_of,
    pause_conflict,
)
from credit_management.messaging.text import check_text, parse_when, preview
from credit_management.models import (
    QueuedMessage,
    ScheduledNote,
    iso,
)
from credit_management.store.journal import EventLog
from credit_management.store.state import State, StateStore
from credit_management.tmux.gateway import PaneInfo, Tmux
from credit_management.tmux.typist import deliver

# --- the effects -------------------------------------------------------------------------------


Outcome = Literal["delivered", "unconfirmed", "queued"]


@dataclass(frozen=True)
class SendResult:
    """What `send_or_queue` did with one message."""

    outcome: Outcome
    target: str  # session:window_index, the key of the agent in the state file
    pane: PaneInfo
    id: str
    hold: Hold | None = None  # why it was queued (or, with `now`, why it would have been)
    enter_presses: int = 0
    detail: str = ""
    # Queued: its place in the queue. Sent: older messages still waiting for this agent.
    still_queued: int = 0


def _own_or_resolve(tmux: Tmux, target: str | None) -> PaneInfo:
    if target is not None:
        return tmux.resolve_target(target)
    own = tmux.own_pane_id()
    if own is None:
        raise InputError(
            "no TARGET given and this is not running in a pane of that tmux server "
            "($TMUX_PANE); give TARGET as session:window"
        )
    return tmux.resolve_target(own)


def send_or_queue(
    store: StateStore,
    log: EventLog,
    tmux: Tmux,
    clock: Clock,
    target: str,
    text: str,
    *,
    now: bool = False,
    source: str = "send",
) -> SendResult:
    """Type `text` into the agent at `target`, or queue it while the agent cannot take it.

    The text is checked before anything else and the target resolved strictly, so a bad
    message or target sends nothing anywhere. `now=True` sends even to a stopped agent.
    """
    text = check_text(text)
    pane = tmux.resolve_target(target)
    key = pane.target
    moment = clock.now()
    queued_message: QueuedMessage | None = None
    with store.transaction() as state:
        record = state.agents.get(key)
        hold = hold_of(record)
        pending = len(record.queued) if record is not None else 0
        if hold is not None and not now:
            queued_message = enqueue(state, key, text, source, now=moment)
    if queued_message is not None:
        assert hold is not None
        log.append(
            "message.queued",
            now=moment,
            target=key,
            id=queued_message.id,
            source=source,
            status=hold.status.value,
            until=iso(hold.until),
            position=pending + 1,
            preview=preview(text),
        )
        return SendResult(
            "queued", key, pane, queued_message.id, hold=hold, still_queued=pending + 1
        )
    message_id = f"{SENT_PREFIX}-{secrets.token_hex(3)}"
    result = deliver(tmux, pane.pane_id, text, clock)
    outcome: Outcome = "delivered" if result.delivered else "unconfirmed"
    log.append(
        f"message.{outcome}",
        now=clock.now(),
        target=key,
        id=message_id,
        source=source,
        pane_id=pane.pane_id,
        enter_presses=result.enter_presses,
        forced=hold is not None,
        preview=preview(text),
    )
    return SendResult(
        outcome,
        key,
        pane,
        message_id,
        hold=hold,
        enter_presses=result.enter_presses,
        detail=result.detail,
        still_queued=pending,
    )


@dataclass(frozen=True)
class Scheduled:
    """A stored note, and the warning when it lands inside a known pause of its agent."""

    note: ScheduledNote
    due: datetime
    conflict: str | None


def schedule_note(
    store: StateStore,
    log: EventLog,
    tmux: Tmux,
    clock: Clock,
    when: str,
    text: str,
    target: str | None,
    *,
    zone: tzinfo,
    refuse_in_pause: bool = False,
) -> Scheduled:
    """Store a note for `target` (default: the pane this runs in) due after `when`.

    When the agent is known to be stopped past the due time, `refuse_in_pause` raises
    PauseConflict saying when the note would really arrive; otherwise it is stored and the
    same sentence comes back as `conflict`.
    """
    delay = parse_when(when)
    text = check_text(text)
    pane = _own_or_resolve(tmux, target)
    key = pane.target
    moment = clock.now()
    due = moment + delay
    with store.transaction() as state:
        conflict = pause_conflict(key, state.agents.get(key), due, moment, zone)
        if conflict is not None and refuse_in_pause:
            raise PauseConflict(conflict)
        note = add_schedule(state, key, text, due, now=moment)
    log.append(
        "schedule.added",
        now=moment,
        target=key,
        id=note.id,
        due_at=note.due_at,
        conflict=conflict,
        preview=preview(text),
    )
    return Scheduled(note, due, conflict)


def resolve_listing_target(tmux: Tmux, state: State, target: str) -> str:
    """The state key for a TARGET given to a listing: resolved through tmux when it can be,
    else taken as typed when the state file knows it (the window may be gone)."""
    try:
        return tmux.resolve_target(target).target
    except CreditError:
        if target in state.agents or any(note.target == target for note in state.schedules):
            return target
        raise


def drop_message(store: StateStore, log: EventLog, clock: Clock, message_id: str) -> Held:
    """`queue drop ID`: remove a queued message and log it."""
    with store.transaction() as state:
        held = drop_queued(state, message_id)
    log.append(
        "message.dropped",
        now=clock.now(),
        target=held.target,
        id=held.message.id,
        source=held.message.source,
        preview=preview(held.message.text),
    )
    return held


def cancel_note(store: StateStore, log: EventLog, clock: Clock, note_id: str) -> Cancelled:
    """`schedule cancel ID`: remove a note (pending or held) and log it."""
    with store.transaction() as state:
        cancelled = cancel_schedule(state, note_id)
    log.append(
        "schedule.cancelled",
        now=clock.now(),
        target=cancelled.note.target,
        id=cancelled.note.id,
        was_held=cancelled.was_held,
        preview=preview(cancelled.note.text),
    )
    return cancelled
