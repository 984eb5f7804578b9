"""A pane capture as rows: escapes, control characters and box borders removed, each row tagged.

`signals.py` reads limits from these rows. This module owns turning raw terminal text into
them: only the last rows matter (a 10 MB capture costs as much as 400 rows), ANSI and OSC
escapes go (a cursor moved right leaves its blanks), carriage-return overwrites keep their
last text, and each row knows its glyph, indent and role (blank, rule, prompt, furniture,
text) and whether it passes the first-pass filter (`hot`: one anchored match where the row
starts, so a row costs the same whatever words it holds). It also rejoins a logical line that
a narrow pane wrapped over several rows, whether the break fell between words or inside one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from functools import cached_property, lru_cache

from credit_management.detect import patterns as P
from credit_management.detect.lazy import lazy
from credit_management.records import Record

MAX_CHARS = 400_000  # read at most this much of the end of a capture
MAX_ROWS = 400  # and at most this many rows of it
MAX_JOIN = 16  # a wrapped banner spans at most this many rows
ROW_CACHE = 8_192  # distinct rows remembered between captures
CACHED_ROW = 1_000  # longer rows are not remembered (they are rare, and would cost memory)
MAX_ROW = 4_000  # longer rows are cut: no banner is that long
MIN_WRAP_WIDTH = 20  # narrower "panes" are snippets, not terminals that wrapped a row

SPINNER_GLYPHS = frozenset("✻✶✳✢✽*·")
_BORDERS = frozenset("│┃║▕▏")
_RULE_STARTS = frozenset("─━═╌╍┄┅┈┉▔▁-=_~╭┌╔╰└╚")
_PROMPT_STARTS = frozenset(">›❯▌$%~/(")
# Glyphs that open a new message even right after a row that filled the pane.
WRAP_PROOF_GLYPHS = frozenset("⏺●⎿■✕✦•›❯▌⚠⚡ℹ✻✶✳✢✽🖐")
_OSC = lazy(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
_FORWARD = lazy(r"\x1b\[(\d{0,4})C")
_CSI = lazy(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]")
_ESC = lazy(r"\x1b[ -/]*[0-~]?")  # other escapes, incl. charset choices "ESC ( B"
_CONTROL = lazy(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2060\ufeff\ufe0f]")


class Role(Enum):
    BLANK = "blank"
    RULE = "rule"  # horizontal lines and box tops/bottoms
    PROMPT = "prompt"  # what the user typed (or is typing)
    CHROME = "chrome"  # footers, hints, menus, spinners' summaries: not agent output
    TEXT = "text"


@dataclass(frozen=True, repr=False)
class Row(Record):
    """One row of the capture. `kind` is known at once; whether a text row is furniture
    (`role` CHROME) is worked out only when asked, since most rows never are."""

    index: int
    raw: str  # escapes and controls removed, right-trimmed
    text: str  # borders and leading blanks removed
    body: str  # and the glyph too
    glyph: str  # the leading TUI glyph, "" when none
    indent: int  # column where the glyph (or the text) starts
    body_col: int  # column where the body starts
    kind: Role  # BLANK, RULE, PROMPT or TEXT
    full: bool  # (nearly) filled the pane's width: the terminal may have wrapped it
    exact: bool  # filled it to the last column: the wrap may have split a word
    hot: bool = False  # may begin a banner, an error or a body (the first-pass filter)
    lead: bool = False  # holds an exception or a body a line's lead-in words may lead to

    @cached_property
    def role(self) -> Role:
        if self.kind is Role.TEXT and (
            is_chrome(self.body)
            or (self.glyph in SPINNER_GLYPHS and P.TURN_SUMMARY.match(self.body))
        ):
            return Role.CHROME
        return self.kind


def clean(text: str) -> list[str]:
    """The last rows of a capture as plain text (no escapes, no control characters)."""
    if len(text) > MAX_CHARS:
        text = text[-MAX_CHARS:]
    text = text.replace("\r\n", "\n")
    lines = text.split("\n")[-MAX_ROWS:]
    out: list[str] = []
    for line in lines:
        if "\x1b" in line or "\x9b" in line:
            if "C" in line:  # a cursor moved right over blanks: they were blanks on screen
                line = _FORWARD.sub(lambda found: " " * min(int(found.group(1) or 1), 400), line)
            line = _ESC.sub("", _CSI.sub("", _OSC.sub("", line)))
        if "\r" in line:  # a carriage return overwrote the row: its last text is what shows
            parts = [part for part in line.split("\r") if part.strip()]
            line = parts[-1] if parts else ""
        if "\t" in line:
            line = line.expandtabs(8)
        out.append(_CONTROL.sub("", line[: MAX_ROW * 4]).replace("\u00a0", " ").rstrip()[:MAX_ROW])
    return out


def rows_of(text: str) -> list[Row]:
    """Tag every row of the capture's tail with its glyph, indent and role."""
    lines = clean(text)
    width = max((len(line) for line in lines), default=0)
    return [
        Row(index, *(_row_fields(line, width) if len(line) <= CACHED_ROW else _fields(line, width)))
        for index, line in enumerate(lines)
    ]


_Fields = tuple[str, str, str, str, int, int, Role, bool, bool, bool, bool]


@lru_cache(maxsize=ROW_CACHE)
def _row_fields(line: str, width: int) -> _Fields:
    """Everything about a row but its position: panes repeat most rows from one look to the
    next, so this is worked out once per distinct row."""
    return _fields(line, width)


def _fields(line: str, width: int) -> _Fields:
    row = _row(0, line, width)
    return (row.raw, row.text, row.body, row.glyph, row.indent, row.body_col, row.kind,
            row.full, row.exact, row.hot, row.lead)  # fmt: skip


def forget_rows() -> None:
    _row_fields.cache_clear()


def _row(index: int, line: str, width: int) -> Row:
    left = P.BORDER_LEFT.match(line) if _BORDERS.intersection(line[:8]) else None
    bordered = left is not None and line[-1:] in _BORDERS
    inner = line
    if left is not None and (bordered or not P.RULE.match(line)):
        inner = line[left.end() :]
        if bordered:
            inner = P.BORDER_RIGHT.sub("", inner).rstrip()
    stripped = inner.lstrip()
    indent = len(inner) - len(stripped)
    # tmux trims the blank a wrap left at the end of a row, so one column short still counts.
    full = not bordered and width >= MIN_WRAP_WIDTH and len(line) >= width - 1
    exact = full and len(line) >= width
    if not stripped:
        return Row(index, line, "", "", "", indent, indent, Role.BLANK, False, False)
    if stripped[0] in _RULE_STARTS and P.RULE.match(stripped):
        return Row(index, line, stripped, "", "", indent, indent, Role.RULE, False, False)
    glyph = ""
    body = stripped
    first = stripped[0]
    found = None if first.isalnum() and first not in "xXiℹ" else P.GLYPH.match(stripped)
    if found and len(stripped) > found.end():
        glyph = found.group("glyph")
        body = stripped[found.end() :]
    body_col = indent + (len(stripped) - len(body))
    prompt = P.PROMPT.match(stripped) if _may_be_prompt(stripped) else None
    if prompt:
        role, glyph, body = Role.PROMPT, "", stripped[prompt.end() :].lstrip()
        body_col = indent + len(stripped) - len(body) if body else indent + prompt.end()
    else:
        role = Role.TEXT
    hot = lead = False
    if role is Role.TEXT:
        lead = lead_in(" " + body)
        hot = lead or P.opens(body)
    elif role is Role.PROMPT:
        hot = bool(P.LIMIT_MENU.match(body))
    return Row(index, line, stripped, body, glyph, indent, body_col, role, full, exact, hot, lead)


def lead_in(text: str) -> bool:
    """Whether an exception name or an error body follows some words of lead-in in the first
    400 characters of a logical line (see `lead_ins`)."""
    return next(lead_ins(text), None) is not None


def lead_ins(line: str) -> Iterator[int]:
    """Where a provider's body or exception starts after some words of lead-in in the first
    400 characters of a line ("Attempt 1 failed with status 429. Retrying with backoff...
    _GaxiosError: [{"), in order."""
    end = min(len(line), 400)
    starts: list[int] = []
    head = line[:end]
    if "Error" in head or "Exception" in head:
        for found in P.LEAD_IN.finditer(line, 1, end):
            start = found.start()
            while start > 0 and not line[start - 1].isspace():
                start -= 1
            if start > 0 and P.LEAD_IN_NAME.fullmatch(line, start, found.end()):
                starts.append(start)
    if "{" in head:
        starts.extend(found.end() for found in P.LEAD_IN_BODY.finditer(line, 1, end))
    return iter(sorted(starts))


def _may_be_prompt(text: str) -> bool:
    return text[0] in _PROMPT_STARTS or ">" in text[:14] or "@" in text[:40]


def is_chrome(body: str) -> bool:
    """Footers, key hints, menus and turn summaries: screen furniture, not agent output."""
    low = body.lower()
    return (
        any(word in low for word in P.CHROME_WORDS)
        or bool(P.CHROME_START.match(body))
        or bool(P.MENU_OPTION.match(body))
    )


def join(rows: list[Row], glued: set[int] | None = None) -> tuple[str, list[int]]:
    """Join a head row's body with its continuation rows into one logical line.

    `glued` holds the positions (in `rows`) of breaks that split a word: nothing is inserted
    there. By default those are the breaks after a row that filled the pane to its last
    column, between two non-blank characters. Every other break stands for the blank the
    wrap swallowed (a newline, so that patterns can tell). Returns the text and, for every
    row, the offset in it where the row's part starts (its newline included).
    """
    if glued is None:
        glued = glued_breaks(rows)
    parts: list[str] = []
    starts: list[int] = []
    size = 0
    for position, row in enumerate(rows):
        starts.append(size)
        piece = row.body if position == 0 else row.text
        if position > 0 and position not in glued:
            parts.append("\n")
            size += 1
        parts.append(piece)
        size += len(piece)
    return "".join(parts), starts


def glued_breaks(rows: list[Row]) -> set[int]:
    """Breaks that most likely split a word: after a row filled to the pane's last column,
    with no blank starting the next row."""
    return {
        position
        for position in range(1, len(rows))
        if rows[position - 1].exact and not rows[position].raw[:1].isspace()
    }


def continues(previous: Row, row: Row, head: Row) -> bool:
    """Whether `row` carries on the logical line that `head` started (and `previous` ended)."""
    if row.kind in (Role.BLANK, Role.RULE, Role.PROMPT):
        return False
    # A row level with a glyph, after a finished "[API Error: …]", is a new line (Gemini).
    if head.glyph and row.indent <= head.indent and previous.raw.endswith("]"):
        return False
    if previous.full and not (row.glyph in WRAP_PROOF_GLYPHS or row.role is Role.CHROME):
        return True  # the terminal wrapped it: the next row continues, whatever it looks like
    if row.glyph or P.LIST_ITEM.match(row.body):
        return False
    # Claude Code indents a glyph's wrapped text under the text, Codex under the glyph.
    return row.indent >= head.indent
