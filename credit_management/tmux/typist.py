"""Typing a message into an agent's pane so that it is really submitted.

Text goes literally, then after a pause sized to the message Enter goes on its own (text and
Enter together are taken as a paste and never submitted), then the pane is checked: the
message counts as taken when the row where the typing showed (the input box, or the prompt
line of a shell) no longer shows it, on two captures in a row (a TUI erasing and redrawing its
input box must not pass for a submit). A pane that merely changed, say because a busy agent
printed more output above its input box, does not count. Enter is retried a bounded number of
times when the agent swallowed it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from credit_management.clock import Clock
from credit_management.records import Record
from credit_management.tmux.gateway import Tmux, check_message

ENTER_RETRIES = 3  # Enter presses in all, the first included
SETTLE_SECONDS = 1.0  # wait after the first Enter; the n-th press waits n times this
PAUSE_SECONDS = 0.3  # between the text and Enter, at least (an agent's paste window)
QUIET_SECONDS = 1.0  # at most this long waiting for output in flight before typing
POLL_SECONDS = 0.1
TAIL_CHARS = 6  # how much of the message's end identifies the row it was typed into


@dataclass(frozen=True, repr=False)
class Delivery(Record):
    """How a send went: whether the agent took it and how many Enters that needed."""

    delivered: bool
    enter_presses: int
    detail: str


def enter_pause(text: str, least: float = PAUSE_SECONDS) -> float:
    """Seconds to wait between the text and Enter: `least`, and up to 1.7 s more for longer
    messages, which take longer to land."""
    return least + min(len(text) / 4000.0, 1.7)


def _squash(text: str) -> str:
    return "".join(text.split())


def _row(lines: list[str], distance: int) -> str:
    return lines[-1 - distance] if distance < len(lines) else ""


@dataclass(frozen=True, repr=False)
class InputRow(Record):
    """Where typing showed in a capture: a row counted up from the last non-blank row.

    `row` is None when typing changed nothing visible (a program that does not echo); then any
    change of the pane is the only sign left that Enter was taken.
    """

    typed: str
    row: int | None

    @classmethod
    def between(cls, before: str, typed: str, text: str = "") -> InputRow:
        """The row typing changed: the bottom-most changed row that shows the end of `text`,
        else (the agent shows a paste as a placeholder, say) the bottom-most changed row."""
        old, new = before.split("\n"), typed.split("\n")
        lines = [line for line in text.split("\n") if line.strip()]
        tail = _squash(lines[-1])[-TAIL_CHARS:] if lines else ""
        changed = [
            distance
            for distance in range(max(len(old), len(new)))
            if _row(old, distance) != _row(new, distance)
        ]
        for distance in changed:
            if tail and tail in _squash(_row(new, distance)):
                return cls(typed, distance)
        return cls(typed, changed[0] if changed else None)

    def taken(self, after: str) -> bool:
        """True when `after` no longer shows the typed input where it was."""
        if self.row is None:
            return after != self.typed
        old, new = self.typed.split("\n"), after.split("\n")
        if _row(old, self.row) != _row(new, self.row):
            return True
        # A line-mode program (`cat`, a REPL) typed into on the last line may print the line
        # back when it gets it: the typed line then sits one row higher, under the same text.
        # A TUI's input box is never the last line (its border and footer are below it).
        return self.row == 0 and len(new) > len(old) and _row(new, 1) == _row(old, 0)


def _capture(tmux: Tmux, pane_id: str) -> str | None:
    return tmux.capture_panes([pane_id]).get(pane_id)


def _settled(
    tmux: Tmux, pane_id: str, clock: Clock, first: str | None, limit: float, poll: float
) -> str | None:
    """The pane once two captures in a row agree (at most `limit` seconds of polling); None
    when the pane vanished. Counted in polls, so a frozen or fake clock cannot make it spin."""
    last = first
    for _ in range(max(1, math.ceil(limit / poll))):
        if last is None:
            return None
        clock.sleep(poll)
        again = _capture(tmux, pane_id)
        if again == last:
            return again
        last = again
    return last


def _typed(tmux: Tmux, pane_id: str, clock: Clock, pause: float, poll: float) -> str | None:
    """The pane after typing: watched from the first poll, returned once `pause` has passed
    and two captures in a row agree (or after twice the pause); None when it vanished."""
    needed = max(1, round(pause / poll))  # polls spanning the pause, to the nearest
    last: str | None = None
    for count in range(1, 2 * needed + 1):
        clock.sleep(poll)
        again = _capture(tmux, pane_id)
        if again is None or (count >= needed and again == last):
            return again
        last = again
    return last


def _wait_taken(
    tmux: Tmux, pane_id: str, probe: InputRow, clock: Clock, timeout: float, poll: float
) -> bool | None:
    """Poll until the typed input has left its row for good: True, False at the timeout, None
    when the pane vanished."""
    seen = False
    for attempt in range(max(1, math.ceil(timeout / poll)) + 2):
        if attempt:
            clock.sleep(poll)
        after = _capture(tmux, pane_id)
        if after is None:
            return None
        if probe.taken(after):
            if seen:
                return True
            seen = True
        else:
            seen = False
    return False


def deliver(
    tmux: Tmux,
    pane_id: str,
    text: str,
    clock: Clock,
    *,
    retries: int = ENTER_RETRIES,
    settle: float = SETTLE_SECONDS,
    pause: float = PAUSE_SECONDS,
    poll: float = POLL_SECONDS,
    on_before: Callable[[str], None] | None = None,
    on_typed: Callable[[InputRow], None] | None = None,
    quiet: str | None = None,
) -> Delivery:
    """Type `text`, press Enter alone, and confirm the agent took it; retry Enter if not.

    `quiet` is a capture of the pane the caller has just seen stop changing; without it the
    pane is watched until it does before anything is typed. `pause` is the least wait between
    the text and Enter (see `enter_pause`).
    Control characters other than newline and tab raise InputError before anything is typed.
    `on_before(capture)` runs just before the text is typed and `on_typed(probe)` just before
    the first Enter, so a caller can record how far it got (and pick up after a crash).
    """
    check_message(text.replace("\r\n", "\n"))
    # Output still being drawn (an answer to the previous message) must not be mistaken for
    # the typing, so start from a quiet pane (the caller's, when it just watched it settle).
    if quiet is None:
        quiet = _settled(tmux, pane_id, clock, tmux.capture_pane(pane_id), QUIET_SECONDS, poll)
    before = quiet
    if before is None:
        return Delivery(False, 0, "the pane closed before anything was typed")
    if on_before is not None:
        on_before(before)
    tmux.send_text(pane_id, text)
    typed = _typed(tmux, pane_id, clock, enter_pause(text, pause), poll)
    if typed is None:
        return Delivery(False, 0, "the pane closed before Enter was pressed")
    probe = InputRow.between(before, typed, text)
    if on_typed is not None:
        on_typed(probe)
    return submit(tmux, pane_id, probe, clock, retries=retries, settle=settle, poll=poll)


def submit(
    tmux: Tmux,
    pane_id: str,
    probe: InputRow,
    clock: Clock,
    *,
    retries: int = ENTER_RETRIES,
    settle: float = SETTLE_SECONDS,
    poll: float = POLL_SECONDS,
) -> Delivery:
    """Press Enter until the typed input leaves its row (`probe`), a bounded number of times."""
    presses = max(retries, 1)
    for press in range(1, presses + 1):
        tmux.send_enter(pane_id)
        taken = _wait_taken(tmux, pane_id, probe, clock, settle * press, poll)
        if taken is None:
            return Delivery(False, press, "the pane closed")
        if taken:
            return Delivery(True, press, "submitted")
    return Delivery(
        False,
        presses,
        f"the agent did not take it after {presses} Enter presses "
        "(the text may still be in its input box)",
    )


def shows_typed(before: str, now: str, text: str) -> InputRow | None:
    """After a crash between typing and Enter: the row where `text` sits unsubmitted in `now`
    (compared with the pane `before` the typing), or None when it does not show there."""
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return None
    probe = InputRow.between(before, now, text)
    if probe.row is None:
        return None
    tail = _squash(lines[-1])[-TAIL_CHARS:]
    return probe if tail in _squash(_row(now.split("\n"), probe.row)) else None
