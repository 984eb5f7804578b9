"""The per-agent queue and the scheduled notes, as pure operations on a `State`.

Why an agent holds its messages (`Hold`), adding, listing and dropping held messages and
notes. Each function runs inside the caller's state transaction and does no I/O.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, tzinfo

from credit_management.errors import InputError
from credit_management.messaging.text import clock_text, parse_instant, span_text
from credit_management.models import (
    AgentRecord,
    QueuedMessage,
    ScheduledNote,
    Status,
    iso,
)
from credit_management.records import Record
from credit_management.store.state import State

QUEUE_PREFIX = "q"
SCHEDULE_PREFIX = "s"
SENT_PREFIX = "m"


class PauseConflict(InputError):
    """A note would come due while its agent is known to be stopped for longer."""


# --- why an agent holds its messages -----------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Hold(Record):
    """Why an agent's messages are held, and until when it is expected back (if known)."""

    status: Status
    until: datetime | None
    reason: str | None


def hold_of(record: AgentRecord | None) -> Hold | None:
    """The hold on an agent's messages, or None when a message can go to it now."""
    if record is None or not record.status.holds_messages:
        return None
    if record.status is Status.PAUSED:
        until = parse_instant(record.paused_until)
    elif record.status is Status.RESUMING:
        until = None
    else:
        until = parse_instant(record.scheduled_resume)
    return Hold(record.status, until, record.reason)


def describe_hold(hold: Hold, now: datetime, zone: tzinfo) -> str:
    """ "exhausted until 15:05, in 2h3m", "paused until resumed by hand", ..."""
    status = hold.status
    if status is Status.RESUMING:
        return "resuming: the monitor is checking that it answers"
    if status is Status.NEEDS_ATTENTION:
        text = "needs attention" + (f": {hold.reason}" if hold.reason else "")
        if hold.until is not None:
            text += f"; next check {_when(hold.until, now, zone)}"
        return text
    label = {
        Status.EXHAUSTED: "exhausted",
        Status.PAUSED: "paused",
        Status.WAITING_SELF: "waiting to continue on its own",
    }.get(status, status.value)
    if hold.until is None:
        return f"{label} until resumed by hand" if status is Status.PAUSED else label
    return f"{label} until {_when(hold.until, now, zone)}"


def _when(moment: datetime, now: datetime, zone: tzinfo) -> str:
    if moment <= now:
        return f"{clock_text(moment, now, zone)}, due now"
    return f"{clock_text(moment, now, zone)}, in {span_text(moment - now)}"


def pause_conflict(
    target: str, record: AgentRecord | None, due: datetime, now: datetime, zone: tzinfo
) -> str | None:
    """Why a note due at `due` would really arrive later, or None when it arrives on time.

    An agent being verified (`resuming`) is about to take messages again, so it counts as on
    time; so does one expected back before the note is due.
    """
    hold = hold_of(record)
    if hold is None or hold.status is Status.RESUMING:
        return None
    if hold.until is not None and hold.until <= due:
        return None
    what = {
        Status.EXHAUSTED: "out of usage",
        Status.PAUSED: "by hand",
        Status.WAITING_SELF: "waiting to continue on its own",
        Status.NEEDS_ATTENTION: "needs a person",
    }.get(hold.status, hold.status.value)
    if hold.until is not None:
        until = clock_text(hold.until, now, zone)
    elif hold.status is Status.PAUSED:
        until = "resumed by hand"
    else:
        until = "a person deals with it"
    return (
        f"{target} is paused ({what}) until {until}; the note will arrive then, "
        f"not in {span_text(due - now)}"
    )


# --- the queue and the schedules (pure, inside a transaction) -------------------------------


@dataclass(frozen=True, repr=False)
class Held(Record):
    """One queued message and the agent it waits for."""

    target: str
    message: QueuedMessage


def _taken_ids(state: State) -> set[str]:
    ids = {note.id for note in state.schedules}
    for record in state.agents.values():
        ids.update(message.id for message in record.queued)
    return ids


def new_id(state: State, prefix: str) -> str:
    """A short id ("q-3fa2c1") unused by any queued message or schedule in `state`."""
    taken = _taken_ids(state)
    size = 3
    while True:
        for _ in range(16):
            candidate = f"{prefix}-{secrets.token_hex(size)}"
            if candidate not in taken:
                return candidate
        size += 1  # only reachable with thousands of ids: lengthen rather than loop forever


def enqueue(
    state: State,
    target: str,
    text: str,
    source: str = "send",
    *,
    now: datetime,
    due_at: str | None = None,
) -> QueuedMessage:
    """Append a message to `target`'s queue (after the ones already waiting)."""
    message = QueuedMessage(
        id=new_id(state, QUEUE_PREFIX),
        text=text,
        created_at=iso(now) or "",
        source=source,
        due_at=due_at,
    )
    state.agent(target).queued.append(message)
    return message


def queued(state: State, target: str | None = None) -> list[Held]:
    """What waits, by target, each target's messages in delivery order."""
    return [
        Held(name, message)
        for name in sorted(state.agents)
        if target is None or name == target
        for message in state.agents[name].queued
    ]


def drop_queued(state: State, message_id: str) -> Held:
    """Remove one queued message by id; InputError when no queue holds it."""
    wanted = message_id.strip()
    for name, record in state.agents.items():
        for message in record.queued:
            if message.id == wanted:
                record.queued = [m for m in record.queued if m.id != wanted]
                return Held(name, message)
    raise InputError(f"no queued message with id {message_id!r} (see `credit-monitor queue`)")


def add_schedule(
    state: State, target: str, text: str, due: datetime, *, now: datetime
) -> ScheduledNote:
    """Store a note for `target`, due at `due`."""
    note = ScheduledNote(
        id=new_id(state, SCHEDULE_PREFIX),
        target=target,
        text=text,
        due_at=iso(due) or "",
        created_at=iso(now) or "",
    )
    state.schedules.append(note)
    return note


def schedules(state: State, target: str | None = None) -> list[ScheduledNote]:
    """Notes not yet due, soonest first."""
    notes = [note for note in state.schedules if target is None or note.target == target]
    return sorted(notes, key=lambda note: (parse_instant(note.due_at) is None, note.due_at))


def held_notes(state: State, target: str | None = None) -> list[Held]:
    """Scheduled notes that came due and wait in a stopped agent's queue."""
    return [held for held in queued(state, target) if held.message.source == "schedule"]


@dataclass(frozen=True, repr=False)
class Cancelled(Record):
    """A cancelled note; `was_held` when it had come due and was waiting in a queue."""

    note: ScheduledNote
    was_held: bool


def cancel_schedule(state: State, note_id: str) -> Cancelled:
    """Remove a scheduled note by id, also once it came due and waits in a queue."""
    wanted = note_id.strip()
    for note in state.schedules:
        if note.id == wanted:
            state.schedules = [n for n in state.schedules if n.id != wanted]
            return Cancelled(note, was_held=False)
    for held in held_notes(state):
        if held.message.id == wanted:
            drop_queued(state, wanted)
            message = held.message
            note = ScheduledNote(
                message.id, held.target, message.text, message.due_at or "", message.created_at
            )
            return Cancelled(note, was_held=True)
    raise InputError(f"no scheduled note with id {note_id!r} (see `credit-monitor schedule list`)")
