"""Send now or hold: the I/O side of messaging (state file, event log, tmux).

`send_or_queue` puts a message in the agent's queue and, when the agent can take it, delivers
the queue in order up to it (`delivery.Courier`); `schedule_note` keeps a note for later.
Nothing here prints.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Literal

from credit_management.clock import Clock, host_zone
from credit_management.errors import CreditError, InputError
from credit_management.messaging.delivery import Courier, NotAnAgent
from credit_management.messaging.queue import (
    SENT_PREFIX,
    Cancelled,
    Held,
    Hold,
    PauseConflict,
    add_schedule,
    cancel_schedule,
    describe_hold,
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
from credit_management.records import Record
from credit_management.store.journal import EventLog
from credit_management.store.state import State, StateStore
from credit_management.tmux.foreground import refusal
from credit_management.tmux.gateway import PaneInfo, Tmux

# --- the effects -------------------------------------------------------------------------------


Outcome = Literal["delivered", "unconfirmed", "queued", "requeued"]


@dataclass(frozen=True, repr=False)
class SendResult(Record):
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
    reason: str | None = None  # queued or requeued: why it waits
    until: datetime | None = None  # queued or requeued: when the agent is expected back
    sent_before: int = 0  # older held messages this send delivered first


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
    force: bool = False,
    courier: Courier | None = None,
) -> SendResult:
    """Deliver `text` to the agent at `target` after the messages already waiting for it, or
    queue it while the agent cannot take it.

    The text is checked before anything else and the target resolved strictly, so a bad
    message or target sends nothing anywhere; a pane running a shell, an editor or a pager
    raises NotAnAgent unless `force`. The message joins the agent's queue and, when the agent
    can take messages, this call drains the queue in order up to it, each message under the
    pane's typist lock, looked at before and watched after. `now=True` types it at once even
    to a stopped agent, ahead of anything held.
    """
    text = check_text(text)
    pane = tmux.resolve_target(target)
    problem = refusal(pane)
    if problem is not None and not force:
        raise NotAnAgent(f"{problem}: nothing typed (--force types anyway)")
    courier = courier or Courier(store, log, tmux, clock, host_zone(None))
    key = pane.target
    moment = clock.now()
    with store.transaction() as state:
        record = state.agents.get(key)
        hold = hold_of(record)
        ahead = len(record.queued) if record is not None else 0
        message = None if now else enqueue(state, key, text, source, now=moment)
    if message is None:
        return _send_now(courier, key, pane, text, source, hold, ahead, force)
    if hold is not None:
        why = describe_hold(hold, moment, courier.host_tz)
        return _queued(log, moment, key, pane, message, hold, ahead + 1, why, hold.until, 0)
    drained = courier.drain(key, pane, last=message.id, force=force)
    mine = next((t for t in drained.typed if t.message.id == message.id), None)
    sent_before = sum(1 for t in drained.typed if t.message.id != message.id)
    if mine is None:
        position = _position(store, key, message.id)
        if position is None:  # another process (the watcher) delivered it meanwhile
            return _delivered_elsewhere(log, key, pane, message, sent_before)
        reason = drained.reason or "waiting for its turn"
        return _queued(
            log, clock.now(), key, pane, message, None, position, reason, drained.until,
            sent_before,
        )  # fmt: skip
    return SendResult(
        mine.outcome,
        key,
        pane,
        message.id,
        enter_presses=mine.enter_presses,
        detail=mine.detail,
        still_queued=drained.waiting,
        reason=drained.reason if mine.outcome == "requeued" else None,
        until=mine.signal.reset_at if mine.signal is not None else None,
        sent_before=sent_before,
    )


def _position(store: StateStore, key: str, message_id: str) -> int | None:
    record = store.load().agents.get(key)
    ids = [m.id for m in record.queued] if record is not None else []
    return ids.index(message_id) + 1 if message_id in ids else None


def _queued(
    log: EventLog,
    moment: datetime,
    key: str,
    pane: PaneInfo,
    message: QueuedMessage,
    hold: Hold | None,
    position: int,
    reason: str,
    until: datetime | None,
    sent_before: int,
) -> SendResult:
    log.append(
        "message.queued",
        now=moment,
        target=key,
        id=message.id,
        source=message.source,
        status=hold.status.value if hold is not None else "active",
        until=iso(until),
        reason=reason,
        position=position,
        preview=preview(message.text),
        text=message.text,
    )
    return SendResult(
        "queued", key, pane, message.id, hold=hold, still_queued=position, reason=reason,
        until=until, sent_before=sent_before,
    )  # fmt: skip


def _delivered_elsewhere(
    log: EventLog, key: str, pane: PaneInfo, message: QueuedMessage, sent_before: int
) -> SendResult:
    """The fate of a message another process typed, as its journal line tells it."""
    for event in reversed(log.read(target=key)):
        if event.get("id") == message.id and str(event.get("event", "")).startswith("message."):
            outcome = str(event["event"]).removeprefix("message.")
            if outcome in ("delivered", "unconfirmed", "requeued"):
                presses = event.get("enter_presses")
                return SendResult(
                    outcome,  # type: ignore[arg-type]
                    key,
                    pane,
                    message.id,
                    enter_presses=presses if isinstance(presses, int) else 0,
                    detail="typed by another credit-monitor process",
                    sent_before=sent_before,
                )
    return SendResult(
        "unconfirmed", key, pane, message.id, detail="it left the queue (dropped?)",
        sent_before=sent_before,
    )  # fmt: skip


def _send_now(
    courier: Courier,
    key: str,
    pane: PaneInfo,
    text: str,
    source: str,
    hold: Hold | None,
    pending: int,
    force: bool,
) -> SendResult:
    """`--now`: typed at once, ahead of anything held, under the pane's typist lock."""
    message = QueuedMessage(
        f"{SENT_PREFIX}-{secrets.token_hex(3)}", text, iso(courier.clock.now()) or "", source
    )
    typed = courier.type_now(key, pane, message, force=force)
    return SendResult(
        typed.outcome,
        key,
        pane,
        message.id,
        hold=hold,
        enter_presses=typed.enter_presses,
        detail=typed.detail,
        still_queued=pending,
        reason=typed.detail if typed.outcome == "requeued" else None,
        until=typed.signal.reset_at if typed.signal is not None else None,
    )


@dataclass(frozen=True, repr=False)
class Scheduled(Record):
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
