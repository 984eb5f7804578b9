"""Messages for agents that must not be lost: the per-agent queue, scheduled notes, and the
choice between sending a message now and holding it.

A message for an agent that cannot take it (exhausted, paused, resuming, waiting on its own
auto-continue, needing a person) is queued in the state file; the monitor delivers an agent's
queue in order once it is verified active. Scheduled notes live in `State.schedules` until due,
when the monitor moves them into the same queue. The helpers that take a `State` are pure and
run inside the caller's transaction; `send_or_queue`, `schedule_note` and friends do the I/O
(state file, event log, tmux). Nothing here prints.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from credit_management.clock import Clock
from credit_management.delivery import deliver
from credit_management.errors import CreditError, InputError
from credit_management.events import EventLog
from credit_management.models import (
    AgentRecord,
    QueuedMessage,
    ScheduledNote,
    Status,
    iso,
    parse_iso,
)
from credit_management.resets import format_until
from credit_management.state import State, StateStore
from credit_management.tmux import PaneInfo, Tmux, check_message

QUEUE_PREFIX = "q"
SCHEDULE_PREFIX = "s"
SENT_PREFIX = "m"
PREVIEW_CHARS = 60
# A schedule further away than this is almost certainly a typo (minutes meant as seconds...).
MAX_WHEN = timedelta(days=365)

_UNITS: dict[str, float] = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
_NUMBER = r"\d+(?:\.\d+)?|\.\d+"
_BARE_MINUTES = re.compile(rf"(?:{_NUMBER})")
_PART = re.compile(rf"\s*({_NUMBER})\s*([a-z]+)\s*")


class PauseConflict(InputError):
    """A note would come due while its agent is known to be stopped for longer."""


# --- text and times -------------------------------------------------------------------------


def check_text(text: str) -> str:
    """The message as it will be typed: CRLF read as a newline; empty or control chars refused."""
    normalized = text.replace("\r\n", "\n")
    if not normalized.strip():
        raise InputError("message is empty")
    check_message(normalized)
    return normalized


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """One line of at most `limit` characters: newlines shown as "⏎", long text cut with "…"."""
    flat = " ⏎ ".join(part.strip() for part in text.strip().split("\n"))
    flat = flat.replace("\t", " ")
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def parse_when(text: str) -> timedelta:
    """WHEN of `schedule`: minutes ("15", "0.5") or a duration ("90s", "15m", "1h30m", "2h").

    Units may be spelled out ("2 hours", "1 hour 30 minutes") and days are allowed ("1d").
    Anything else, zero, or more than a year raises InputError saying what is accepted.
    """
    raw = text.strip().lower()
    usage = f"invalid WHEN {text!r}: use minutes (15, 0.5) or a duration (90s, 15m, 1h30m, 2h)"
    if not raw:
        raise InputError(usage)
    seconds: float
    if _BARE_MINUTES.fullmatch(raw):
        seconds = float(raw) * 60
    else:
        seconds, pos = 0.0, 0
        while pos < len(raw):
            found = _PART.match(raw, pos)
            if found is None or found.group(2) not in _UNITS:
                raise InputError(usage)
            seconds += float(found.group(1)) * _UNITS[found.group(2)]
            pos = found.end()
    if not math.isfinite(seconds) or seconds <= 0:
        raise InputError(f"invalid WHEN {text!r}: it must be more than 0")
    if seconds > MAX_WHEN.total_seconds():
        raise InputError(f"invalid WHEN {text!r}: more than {MAX_WHEN.days} days away")
    return timedelta(seconds=seconds)


def clock_text(moment: datetime, now: datetime, zone: tzinfo) -> str:
    """A wall time in `zone` as people read it: "15:05" today, "Nov 22 15:05" otherwise."""
    local = moment.astimezone(zone)
    if local.date() == now.astimezone(zone).date():
        return f"{local:%H:%M}"
    return f"{local:%b} {local.day} {local:%H:%M}"


def span_text(delta: timedelta) -> str:
    """A short span: "45s" (a part second counts as one), "15m", "1h30m", "2d3h"."""
    seconds = delta.total_seconds()
    if 0 < seconds < 60:
        return f"{math.ceil(seconds)}s"
    return format_until(delta)


def parse_instant(text: str | None) -> datetime | None:
    """An instant from the state file, or None when absent or unreadable."""
    try:
        return parse_iso(text)
    except ValueError:
        return None


# --- why an agent holds its messages -----------------------------------------------------------


@dataclass(frozen=True)
class Hold:
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


@dataclass(frozen=True)
class Held:
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


@dataclass(frozen=True)
class Cancelled:
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
