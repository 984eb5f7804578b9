"""What an agent's pane says *now* about credits: a limit, a warning, or nothing.

`classify(text, now, host_tz)` reads a pane capture and returns a `models.Signal`. It finds
banners only where agents render them (at the start of a row, after a TUI glyph or an error
prefix, in the exact shapes of `patterns.py`), so prose, diffs, grep output, docs and the
user's own prompt never count. Only the current state counts: a banner with real agent output
below it (an answer, a tool call, a spinner) has been worked past and is ignored; the input
box, footers, hints and menus below a banner are not output. Pure: no I/O, no clock reads.

Also here: `text_since` (read only what came after a resume), `has_reply`,
`limit_menu_open` and `at_shell_prompt`, the other questions the monitor asks of a pane.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from credit_management.detect import patterns as P
from credit_management.detect.banners import HINTS, Hit, find_hits, forget_lines
from credit_management.detect.resets import (
    format_until,
    get_zone,
    next_midnight,
    resolve_reset,
    unknown_zone,
)
from credit_management.detect.screen import (
    SPINNER_GLYPHS,
    Role,
    Row,
    clean,
    continues,
    forget_rows,
    rows_of,
)
from credit_management.models import Kind, Signal

PRECEDENCE = (
    Kind.EXHAUSTED,
    Kind.BILLING,
    Kind.AUTH,
    Kind.AUTO_RESUME,
    Kind.WARNING,
    Kind.FALLBACK,
    Kind.RATE_LIMIT,
    Kind.OVERLOADED,
)
_TRANSIENT = (Kind.RATE_LIMIT, Kind.OVERLOADED)
PACIFIC = get_zone("America/Los_Angeles") or UTC  # tzdata is a dependency: always found
NAMES = {
    "claude": "Claude",
    "codex": "Codex",
    "gemini": "Gemini",
    "aider": "Aider",
    "anthropic": "Anthropic",
    "openai": "OpenAI",
    "google": "Google",
}


def forget_cached() -> None:
    """Empty the caches of rows and lines already read (benchmarks and tests of cold reads)."""
    forget_rows()
    forget_lines()


# --- the public questions ---------------------------------------------------------------------


def classify(text: str, now: datetime, host_tz: tzinfo) -> Signal:
    """The current credit state a pane capture shows (see the module docstring)."""
    # The first-pass filter is per row (`Row.hot`: one anchored match where a row starts), so a
    # pane costs the same whatever words it holds; the banner parser reads only rows that pass.
    rows = rows_of(text)
    hits, covered = find_hits(rows)
    if not hits:
        return Signal(Kind.NONE)
    last_work, last_real_work = _last_work(rows, covered, start=hits[0].first)
    current = [
        hit for hit in hits if hit.first > (last_real_work if hit.kind in _TRANSIENT else last_work)
    ]
    if not current and hits[-1].kind in (Kind.WARNING, Kind.FALLBACK):
        # A warning or a fallback describes how the agent goes on working: the work below it
        # does not end it; only a later banner does.
        current = [hits[-1]]
    if not current:
        stale = hits[-1]
        return Signal(
            Kind.NONE,
            evidence=stale.evidence,
            message="an old banner; the agent has worked past it",
        )
    best = _choose(current)
    agent = best.agent or _fingerprint(rows)
    return _signal(best, agent, now, host_tz)


def text_since(text: str, mark: str | None) -> str:
    """The part of a capture below the last occurrence of `mark` (whole text if absent).

    The mark is matched ignoring escapes, spacing and wrapping, preferably where a row starts
    (the echo of a message the monitor typed); the rows after the one it ends on are returned.
    """
    if not mark:
        return text
    needle = _squash(mark)
    if not needle:
        return text
    lines = text.split("\n")
    cleaned = [_squash(line) for line in _clean_lines(lines)]
    flat = "".join(cleaned)
    owner: list[int] = []
    starts: set[int] = set()
    for index, piece in enumerate(cleaned):
        starts.add(len(owner))
        owner.extend([index] * len(piece))
    best = -1
    position = flat.rfind(needle)
    while position >= 0:
        if best < 0:
            best = position
        if position in starts or _after_prompt(flat, position, starts):
            best = position
            break
        position = flat.rfind(needle, 0, position + len(needle) - 1)
    if best < 0:
        return text
    last_row = owner[best + len(needle) - 1]
    return "\n".join(lines[last_row + 1 :])


def has_reply(text: str, mark: str | None = None) -> bool:
    """Whether the agent answered: output other than the echo of `mark` and a spinner."""
    rows = rows_of(text)
    echo = _squash(mark or "")
    footer = _footer_start(rows)
    _hits, banners = find_hits(rows)
    for row in rows[:footer]:
        if (
            row.role is not Role.TEXT
            or row.index in banners
            or (echo and _squash(row.text) in echo)
        ):
            continue
        if _spinner(row):
            continue
        return True
    return False


def limit_menu_open(text: str) -> bool:
    """Whether a limit menu (Claude's "Stop and wait for limit to reset", Gemini's quota
    dialog) waits for a choice at the bottom of the pane."""
    rows = rows_of(text)
    _hits, covered = find_hits(rows)
    last_work, _ = _last_work(rows, covered)
    return any(
        P.LIMIT_MENU.match(row.body) for row in rows[last_work + 1 :] if row.kind is not Role.BLANK
    )


def at_shell_prompt(text: str) -> bool:
    """Whether the pane ends at a shell prompt (the agent exited), not at an agent's input."""
    rows = [row for row in rows_of(text) if row.kind is not Role.BLANK]
    if not rows:
        return False
    tail = rows[-1]
    if tail.raw != tail.raw.lstrip() or tail.raw[:1] in "│┃║╰":
        return False  # the agent's boxed or indented input, not a shell
    if any(P.AGENT_EXIT.search(row.raw) for row in rows[-6:]):
        return True
    return bool(P.SHELL_PROMPT.match(tail.raw))


# --- what is current --------------------------------------------------------------------------


def _last_work(rows: list[Row], covered: set[int], start: int = 0) -> tuple[int, int]:
    """The index of the last row of agent output, and of the last one that is more than a
    spinner (-1 when there is none). A spinner after a limit means the agent works again; after
    a transient error it is the retry itself."""
    footer = _footer_start(rows)
    last = last_real = -1
    chrome: Row | None = None  # a hint row whose wrapped continuation rows are hints too
    previous: Row | None = None
    for row in rows[start:footer]:
        if row.kind is Role.BLANK:
            chrome = None
            continue
        if row.role is Role.CHROME:
            chrome = row
        elif chrome is not None and previous is not None and continues(previous, row, chrome):
            pass
        else:
            chrome = None
            if row.index not in covered and row.role is Role.TEXT:
                last = row.index
                if not _spinner(row):
                    last_real = row.index
        previous = row
    return last, last_real


# Rows an agent writes its answer on: an ellipsis there is prose ("Refactoring the parser…"),
# not a spinner's "Thinking…".
_ANSWER_GLYPHS = frozenset("⏺●⎿")


def _spinner(row: Row) -> bool:
    if row.glyph in SPINNER_GLYPHS:
        return True
    return row.glyph not in _ANSWER_GLYPHS and bool(P.SPINNER.search(row.body))


def _footer_start(rows: list[Row]) -> int:
    """Where the input box's own footer starts: rows below the last prompt, if they are few
    and none is agent output. Returns len(rows) when there is no such footer."""
    for row in reversed(rows):
        if row.kind is not Role.PROMPT:
            continue
        below = [other for other in rows[row.index + 1 :] if other.role is Role.TEXT]
        if len(below) <= 6 and not any(other.glyph in "⏺●•✦⎿■✕" and other.glyph for other in below):
            return row.index + 1
        break
    return len(rows)


def _footer_like(row: Row) -> bool:
    return row.role is Role.CHROME or row.glyph in SPINNER_GLYPHS


def _choose(current: list[Hit]) -> Hit:
    """The hit that describes the state now. An agent that will continue by itself supersedes
    the limit it waits out, and a fallback the limit printed above it; otherwise the most
    serious kind wins, and among equals the one that names a reset, then the lowest. A hint or
    a chooser ("/upgrade to increase…", "1. Stop and wait for limit to reset") yields to any
    banner: the banner says more."""
    candidates = [hit for hit in current if hit.shape not in HINTS] or list(current)
    for position, hit in enumerate(current):
        if hit.kind is Kind.AUTO_RESUME:  # the same stop, which the agent will end by itself
            candidates = [other for other in candidates if other.kind is not Kind.EXHAUSTED]
        elif hit.kind is Kind.FALLBACK:
            candidates = [
                other for other in candidates
                if not (other.kind is Kind.EXHAUSTED and current.index(other) < position)
            ]  # fmt: skip
    return min(
        reversed(candidates),
        key=lambda hit: (
            PRECEDENCE.index(hit.kind),
            not (hit.reset_phrase or hit.delay or hit.reset_now),
        ),
    )


def _fingerprint(rows: list[Row]) -> str | None:
    text = "\n".join(row.raw for row in rows)
    counts = {agent: len(pattern.findall(text)) for agent, pattern in P.FINGERPRINTS.items()}
    agent, count = max(counts.items(), key=lambda item: item[1])
    return agent if count else None


# --- the signal -------------------------------------------------------------------------------


def _signal(hit: Hit, agent: str | None, now: datetime, host_tz: tzinfo) -> Signal:
    # The agent that printed it when known, else the API whose error it is.
    provider = agent or hit.vendor or _vendor_named(hit.evidence)
    reset_at = _reset_at(hit, now, host_tz)
    note = _zone_note(hit, host_tz)
    if reset_at is None and _pacific_day(hit, provider):
        reset_at = next_midnight(now, PACIFIC).astimezone(host_tz)
        note = " (Google's daily quotas reset at midnight Pacific time)"
    return Signal(
        kind=hit.kind,
        provider=provider,
        reset_at=reset_at,
        evidence=hit.evidence,
        message=_message(hit, provider, reset_at, now) + note,
        scope=hit.scope,
        model=hit.model,
    )


def _pacific_day(hit: Hit, provider: str | None) -> bool:
    """A Gemini daily quota that printed no reset: Google resets requests-per-day quotas at
    midnight Pacific time, so that is when it lifts."""
    return (
        hit.kind is Kind.EXHAUSTED
        and hit.scope == "daily"
        and (provider in ("gemini", "google") or hit.vendor == "google")
    )


def _zone_note(hit: Hit, host_tz: tzinfo) -> str:
    """Say so when the printed zone is unknown and the reset was read in the host's zone."""
    name = unknown_zone(hit.reset_phrase) if hit.reset_phrase else None
    if name is None:
        return ""
    return f" (zone {name} unknown: read in the host zone, {getattr(host_tz, 'key', host_tz)})"


def _vendor_named(evidence: str) -> str | None:
    return next((vendor for pattern, vendor in P.MODEL_VENDOR if pattern.search(evidence)), None)


def _reset_at(hit: Hit, now: datetime, host_tz: tzinfo) -> datetime | None:
    if hit.reset_now:
        return now.astimezone(host_tz)
    if hit.reset_phrase:
        return resolve_reset(hit.reset_phrase, now, host_tz)
    if hit.delay is not None:
        return (now + hit.delay).astimezone(host_tz)
    return None


def _message(hit: Hit, provider: str | None, reset_at: datetime | None, now: datetime) -> str:
    who = NAMES.get(hit.vendor or "", "") if hit.kind in (Kind.BILLING, Kind.AUTH) else ""
    who = who or NAMES.get(provider or "", "") or "Agent"
    named = hit.scope is not None and hit.scope.replace("-", " ") in hit.what.replace("-", " ")
    limit = f"{hit.scope} {hit.what}" if hit.scope and not named else hit.what
    if hit.model and hit.kind is not Kind.FALLBACK and hit.model.lower() not in limit.lower():
        limit += f" for {hit.model}"
    until = format_until(reset_at - now) if reset_at is not None else None
    if hit.kind is Kind.EXHAUSTED:
        when = (
            f"resets in {until}"
            if until and until != "now"
            else ("resets now" if until else "no reset time shown")
        )
        return f"{who} {limit}; {when}"
    if hit.kind in (Kind.BILLING, Kind.AUTH):
        return f"{who} {hit.what}; needs a person"
    if hit.kind is Kind.AUTO_RESUME:
        return f"{who} {limit}; continues by itself" + (f" in {until}" if until else "")
    if hit.kind is Kind.WARNING:
        used = f" {hit.pct}% used" if hit.pct else " approaching"
        return f"{who} {limit}{used}; still working" + (f", resets in {until}" if until else "")
    if hit.kind is Kind.FALLBACK:
        to = f"now using {hit.to}" if hit.to else "carrying on"
        return f"{who} {(hit.model + ' ') if hit.model else ''}{hit.what}; {to}"
    if hit.kind is Kind.RATE_LIMIT:
        return f"{who} {limit}; retry" + (f" in {until}" if until else "ing shortly")
    return f"{who} {hit.what}; transient"


# --- marks ------------------------------------------------------------------------------------


def _clean_lines(lines: list[str]) -> list[str]:
    cleaned = clean("\n".join(lines))
    offset = len(lines) - len(cleaned)
    return [""] * offset + cleaned


def _squash(text: str) -> str:
    return P.BLANKS.sub("", text)


def _after_prompt(flat: str, position: int, starts: set[int]) -> bool:
    """Whether `position` directly follows a prompt marker at the start of a row."""
    return position - 1 in starts and flat[position - 1] in _PROMPT_MARKS


_PROMPT_MARKS = frozenset(">›❯▌$")
