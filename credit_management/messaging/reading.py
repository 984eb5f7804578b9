"""Reading an agent's pane around a delivery: may a message go now, and did the agent take it.

`look` is the look before typing (a limit, a limit menu or a transient error with a retry time
ahead means wait); `answer` reads the pane after Enter (the stop and nothing else below the
message's echo means the agent turned it down). Pure: the caller captures the pane and passes
the time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Any, Literal

from credit_management.detect.banners import find_hits
from credit_management.detect.screen import SPINNER_GLYPHS, Role, rows_of
from credit_management.detect.signals import classify, has_reply, limit_menu_open, text_since
from credit_management.messaging.text import clock_text, parse_instant
from credit_management.models import Kind, Signal
from credit_management.records import Record

TRANSIENT = (Kind.RATE_LIMIT, Kind.OVERLOADED)


@dataclass(frozen=True, repr=False)
class Look(Record):
    """The pane before typing: whether a message may go now, else why not and until when."""

    ready: bool
    reason: str | None = None
    until: datetime | None = None
    signal: Signal | None = None


def transient_until(signal: Signal, now: datetime) -> datetime | None:
    """The retry instant of a transient error still in the future, else None."""
    if signal.kind in TRANSIENT and signal.reset_at is not None and signal.reset_at > now:
        return signal.reset_at
    return None


def stop_reason(signal: Signal, now: datetime, zone: tzinfo) -> str:
    what = {
        Kind.EXHAUSTED: "a usage limit is on screen",
        Kind.BILLING: "a billing error is on screen",
        Kind.AUTH: "a login or API key error is on screen",
        Kind.AUTO_RESUME: "the agent waits to continue on its own",
    }.get(signal.kind, f"a {signal.kind.value.replace('_', ' ')} error is on screen")
    if signal.reset_at is not None and signal.reset_at > now:
        verb = "asks to retry at" if signal.kind in TRANSIENT else "resets"
        what += f"; it {verb} {clock_text(signal.reset_at, now, zone)}"
    return what


def look(
    text: str, mark: str | None, now: datetime, zone: tzinfo, stall: dict[str, Any] | None = None
) -> Look:
    """Whether a message may be typed into a pane showing `text` (only what came after `mark`,
    the agent's last resume, is read): not while a limit, a refusal menu or a transient error
    with a retry instant in the future shows, confirmed by the monitor or not.

    "Retry in 33s" read again is always 33 s away: when the monitor first saw the same error
    (the agent's `stall` record) its retry instant was fixed, and once that is past the agent,
    idle at its prompt, may take the message.
    """
    after = text_since(text, mark)
    signal = classify(after, now, zone)
    if limit_menu_open(after):
        return Look(False, "a limit menu is open", signal.reset_at, signal)
    if signal.kind.stops_agent:
        return Look(False, stop_reason(signal, now, zone), signal.reset_at, signal)
    retry = transient_until(signal, now)
    if retry is not None:
        first = _first_retry(stall, signal)
        if first is not None and first <= now:
            return Look(True, signal=signal)
        until = first or retry
        return Look(False, stop_reason(replace(signal, reset_at=until), now, zone), until, signal)
    return Look(True, signal=signal)


def _first_retry(stall: dict[str, Any] | None, signal: Signal) -> datetime | None:
    """The retry instant fixed when this same transient error was first seen, if tracked."""
    error = signal.evidence or signal.message or signal.kind.value
    if not stall or stall.get("error") != error:
        return None
    return parse_instant(stall.get("retry_at"))


def _squash(text: str) -> str:
    return "".join(text.split())


def refused(after: str, text: str) -> bool:
    """Whether the rows below the echo of `text` show the stop and nothing else before it
    (blank rows, spinners and the echo's own wrapped rows aside)."""
    rows = rows_of(after)
    _hits, banner_rows = find_hits(rows)
    echo = _squash(text)
    for row in rows:
        if row.index in banner_rows:
            return True
        if row.role is not Role.TEXT or row.glyph in SPINNER_GLYPHS:
            continue
        if echo and _squash(row.text) in echo:
            continue
        return False
    return True  # a stop with no banner row of its own: a limit menu in the box's place


def after_echo(captured: str, text: str) -> tuple[str, bool]:
    """What the pane shows below the echo of `text`, and whether the echo was found."""
    after = text_since(captured, text)
    return after, after != captured


Verdict = Literal["refused", "accepted", "replied", "pending"]


@dataclass(frozen=True, repr=False)
class Answer(Record):
    """One look at the pane after Enter: `refused` (a stop and nothing else), `accepted` (a
    stop after some work: taken), `replied` (an answer, maybe still being written) or
    `pending` (nothing yet); `after` is what shows below the message's echo."""

    verdict: Verdict
    signal: Signal
    after: str


def answer(captured: str, text: str, before: str, now: datetime, zone: tzinfo) -> Answer:
    """What a capture taken after Enter says about the message `text`; `before` is the pane
    as it was before the typing (a banner already there is not an answer)."""
    after, found = after_echo(captured, text)
    signal = classify(after, now, zone)
    if not found and signal.evidence and _squash(signal.evidence) in _squash(before):
        signal = Signal(Kind.NONE)
    menu = found and limit_menu_open(after)
    if signal.kind.stops_agent or transient_until(signal, now) is not None or menu:
        # Refused only when nothing but the stop follows the message: an answer (or any work)
        # above it means the message was taken, and typing it again after the reset would
        # deliver it twice. With no echo to go by (a paste shown as a placeholder), a new stop
        # within seconds of Enter is the answer to it.
        turned_down = refused(after, text) if found else True
        return Answer("refused" if turned_down else "accepted", signal, after)
    replied = has_reply(after, text) if found else captured != before
    return Answer("replied" if replied else "pending", signal, after)
