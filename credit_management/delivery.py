"""Typing a message into an agent's pane so that it is really submitted.

Text goes literally, then after a pause sized to the message Enter goes on its own (text and
Enter together are taken as a paste and never submitted), then the pane is checked: the
message counts as taken when the row where the typing showed (the input box, or the prompt
line of a shell) changes. A pane that merely changed, say because a busy agent printed more
output above its input box, does not count. Enter is retried a bounded number of times when
the agent swallowed it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from credit_management.clock import Clock
from credit_management.tmux import Tmux, check_message

ENTER_RETRIES = 3  # Enter presses in all, the first included
SETTLE_SECONDS = 1.0  # wait after the first Enter; the n-th press waits n times this
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Delivery:
    """How a send went: whether the agent took it and how many Enters that needed."""

    delivered: bool
    enter_presses: int
    detail: str


def enter_pause(text: str) -> float:
    """Seconds to wait between the text and Enter: longer messages take longer to land."""
    return min(0.3 + len(text) / 4000.0, 2.0)


@dataclass(frozen=True)
class InputRow:
    """Where typing showed in a capture: a row counted from the last non-blank row.

    `row` is None when typing changed nothing visible (a program that does not echo); then any
    change of the pane is the only sign left that Enter was taken.
    """

    typed: str
    row: int | None

    @classmethod
    def between(cls, before: str, typed: str) -> InputRow:
        """The bottom-most row that typing changed."""
        old, new = before.split("\n"), typed.split("\n")
        for distance in range(max(len(old), len(new))):
            was = old[-1 - distance] if distance < len(old) else ""
            now = new[-1 - distance] if distance < len(new) else ""
            if was != now:
                return cls(typed, distance)
        return cls(typed, None)

    def taken(self, after: str) -> bool:
        """True when `after` no longer shows the typed input where it was."""
        if self.row is None:
            return after != self.typed
        old, new = self.typed.split("\n"), after.split("\n")
        was = old[-1 - self.row] if self.row < len(old) else ""
        now = new[-1 - self.row] if self.row < len(new) else ""
        return was != now


def _capture(tmux: Tmux, pane_id: str) -> str | None:
    return tmux.capture_panes([pane_id]).get(pane_id)


def _settled(tmux: Tmux, pane_id: str, clock: Clock, pause: float, poll: float) -> str | None:
    """The pane after the pause, once two captures in a row agree (bounded by the pause)."""
    clock.sleep(pause)
    last = _capture(tmux, pane_id)
    for _ in range(max(1, math.ceil(pause / poll))):
        if last is None:
            return None
        clock.sleep(poll)
        again = _capture(tmux, pane_id)
        if again == last:
            return again
        last = again
    return last


def _wait_taken(
    tmux: Tmux, pane_id: str, probe: InputRow, clock: Clock, timeout: float, poll: float
) -> bool | None:
    """Poll until the typed input is gone from its row: True, False at the timeout, None when
    the pane vanished. Counted in polls, so a frozen or fake clock cannot make it spin."""
    for attempt in range(max(1, math.ceil(timeout / poll)) + 1):
        if attempt:
            clock.sleep(poll)
        after = _capture(tmux, pane_id)
        if after is None:
            return None
        if probe.taken(after):
            return True
    return False


def deliver(
    tmux: Tmux,
    pane_id: str,
    text: str,
    clock: Clock,
    *,
    retries: int = ENTER_RETRIES,
    settle: float = SETTLE_SECONDS,
    poll: float = POLL_SECONDS,
) -> Delivery:
    """Type `text`, press Enter alone, and confirm the agent took it; retry Enter if not.

    Control characters other than newline and tab raise InputError before anything is typed.
    """
    check_message(text.replace("\r\n", "\n"))
    before = tmux.capture_pane(pane_id)
    tmux.send_text(pane_id, text)
    typed = _settled(tmux, pane_id, clock, enter_pause(text), poll)
    if typed is None:
        return Delivery(False, 0, "the pane closed before Enter was pressed")
    probe = InputRow.between(before, typed)
    for press in range(1, max(retries, 1) + 1):
        tmux.send_enter(pane_id)
        taken = _wait_taken(tmux, pane_id, probe, clock, settle * press, poll)
        if taken is None:
            return Delivery(False, press, "the pane closed")
        if taken:
            return Delivery(True, press, "submitted")
    return Delivery(
        False,
        max(retries, 1),
        f"the agent did not take it after {max(retries, 1)} Enter presses "
        "(the text may still be in its input box)",
    )
