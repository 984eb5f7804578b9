"""One look at the agents' panes for a sweep: every capture in one tmux process, and what each
screen says, parsed only when it changed since the last sweep.

A capture is the screen and what scrolled off it since the last sweep's capture (tmux's count of
history lines grew by that much); one whose top rows may belong to a banner is taken again with
the whole history, so the banner's head is read too. An unchanged screen that
read as nothing last time reads as nothing now (that answer depends on the text alone), so a
quiet team costs a digest per pane and no parsing, and the detector is not even imported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from credit_management.models import Kind, Signal
from credit_management.records import Record
from credit_management.store.screens import Reading, ScreenCache, digest
from credit_management.tmux.gateway import PaneInfo, Tmux

# Each sweep captures the screen and the history lines that scrolled off it since the last
# capture, at least CAPTURE_ROWS rows in all and at most MAX_HISTORY lines of history; when
# that cannot be told (a pane not captured before, a full history that drops its oldest lines)
# CAPTURE_HISTORY lines. What was read at the last capture need not be read again.
CAPTURE_HISTORY = 20
CAPTURE_ROWS = 60
MAX_HISTORY = 1000
TOP_ROWS = 3
_QUIET = Signal(Kind.NONE)


@dataclass(repr=False)
class Look(Record):
    """The captures by pane id, and what the panes that were read show, by target."""

    texts: dict[str, str] = field(default_factory=dict)
    signals: dict[str, Signal] = field(default_factory=dict)
    parsed: int = 0  # screens parsed this sweep (the rest were unchanged and quiet)


def look(
    tmux: Tmux,
    panes: Mapping[str, PaneInfo],
    marks: Mapping[str, str | None],
    cache: ScreenCache,
    now: datetime,
    host_tz: tzinfo,
    captured: Mapping[str, str] | None = None,
) -> Look:
    """Capture every pane of `panes` (by target); read those in `marks` (target -> the agent's
    resume mark): stopped agents are captured but never read. `captured` holds captures taken
    with the listing (`Tmux.list_and_capture`, the lines `cache.captured` asked for): only the
    panes it lacks, or for which it reaches back too little (more scrolled off the screen than
    the last sweep needed, or the pane got shorter), are captured here."""
    lines = {p.pane_id: history_lines(p, cache.history.get(p.pane_id)) for p in panes.values()}
    cache.capturing = lines
    cache.history_now = {p.pane_id: p.history_size for p in panes.values()}
    # A capture taken with the listing serves when it reaches at least as far back as needed.
    texts = {
        pane_id: text
        for pane_id, text in (captured or {}).items()
        if pane_id in lines and cache.captured.get(pane_id, -1) >= lines[pane_id]
    }
    missing = [pane_id for pane_id in lines if pane_id not in texts]
    if missing:
        texts.update(tmux.capture_panes(missing, lines=lines))
    keys: dict[str, str] = {}
    hot: dict[str, bool] = {}
    for target, mark in marks.items():
        pane_id = panes[target].pane_id
        text = texts.get(pane_id)
        if text is None:
            continue
        keys[target] = key = digest(text, mark)
        seen = cache.known(pane_id, key)
        hot[target] = seen.hot if seen is not None else opens_hot(text)
    cut = [panes[target].pane_id for target, is_hot in hot.items() if is_hot]
    if cut:
        texts.update(tmux.capture_panes(cut))
    result = Look(texts=texts)
    for target, key in keys.items():
        pane_id = panes[target].pane_id
        seen = cache.known(pane_id, key)
        if seen is not None and seen.quiet and not hot[target]:
            signal = _QUIET
        else:
            signal = read_signal(texts.get(pane_id, ""), marks[target], now, host_tz)
            result.parsed += 1
        result.signals[target] = signal
        quiet = None if hot[target] else signal == _QUIET
        cache.keep(pane_id, Reading(key, hot[target], quiet))
    return result


def history_lines(pane: PaneInfo, before: int | None) -> int:
    """How much history a sweep captures above a pane's screen: the lines that scrolled off it
    since the last capture (`before` is the pane's history_size then), bounded as above."""
    full = pane.history_limit > 0 and pane.history_size >= pane.history_limit
    if before is None or full:
        scrolled = CAPTURE_HISTORY
    elif pane.history_size >= before:
        scrolled = pane.history_size - before
    else:  # the history was cleared since: what it holds now is all new
        scrolled = pane.history_size
    return min(max(scrolled, CAPTURE_ROWS - pane.height, 0), MAX_HISTORY)


def read_signal(text: str, mark: str | None, now: datetime, host_tz: tzinfo) -> Signal:
    """What a capture shows now, reading only what came after the agent's last resume."""
    from credit_management.detect.signals import classify, text_since

    return classify(text_since(text, mark), now, host_tz)


def opens_hot(text: str) -> bool:
    """Whether one of the first rows of a capture may begin or continue a banner (only those
    rows are read here: the rest waits for `classify`)."""
    from credit_management.detect.screen import Role, rows_of

    head: list[str] = []
    for line in text.split("\n"):
        if line.strip():
            head.append(line)
            if len(head) == TOP_ROWS:
                break
    return any(row.hot for row in rows_of("\n".join(head)) if row.kind is not Role.BLANK)
