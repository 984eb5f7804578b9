"""Finding limit banners in a pane's rows: where one may start, how far it runs, what it says.

A banner starts only where agents render one: on a row that opens with a TUI glyph or stands
alone, never inside a message's prose, a tool's output or the user's prompt. From there its
logical line (rejoined across wrapped rows) is read: error prefixes first ("API Error: 429",
a litellm exception), then a provider's error body if one follows, then the banner shapes of
`patterns.py`. Only rows that pass the first-pass filter are read, and each logical line at
most twice unless it holds a banner. A banner owns the notice printed under it (its advice,
hints, a line naming the reset, a chooser, the box drawn around it), so none of that reads as
agent work. Whether a banner is still current is `signals.py`'s question, not this one's.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import lru_cache

from credit_management.detect import patterns as P
from credit_management.detect import payloads
from credit_management.detect.resets import parse_duration
from credit_management.detect.screen import (
    MAX_JOIN,
    ROW_CACHE,
    WRAP_PROOF_GLYPHS,
    Role,
    Row,
    continues,
    glued_breaks,
    join,
    lead_ins,
)
from credit_management.models import Kind
from credit_management.records import Record

MAX_JSON_ROWS = 80  # a pretty-printed error body may span this many rows
MAX_LINE = 8_000  # and a logical line this many characters
MAX_BANNER = 1_500  # a line without a body: no banner and its hints are longer
WRAP_REACH = 120  # a banner's fixed words (75 at most) and its error prefixes fit in this
LINE_CACHE = 4_096  # logical lines whose reading is remembered between captures
CACHED_LINE = 2_000  # longer ones are read afresh each time
MAX_MESSAGE = 2_000  # an error's message is read this far
MAX_AMBIGUOUS = 4  # wrap breaks read both ways (2**4 readings at most)
AGENTS = ("claude", "codex", "gemini", "aider")
_VENDORS = {"anthropic": "anthropic", "openai": "openai", "azure": "openai", "gemini": "google",
            "azureopenai": "openai", "bedrock": "anthropic", "openrouter": "openai",
            "vertexai": "google", "vertex_ai": "google", "google": "google"}  # fmt: skip
# Glyphs of list items: under a message they are its bullets, never a banner.
_LISTY = frozenset("*·•-")
PROSE_HEADS = frozenset("⏺●•")
# Glyphs whose consecutive rows form one notice (Gemini's "⚡" quota lines).
_NOTICE = frozenset("⚡ℹ✕⚠■")
_GLYPH_AGENT = {"⎿": "claude", "⏺": "claude", "■": "codex", "✦": "gemini", "✕": "gemini"}


@dataclass(frozen=True, repr=False)
class Hit(Record):
    """One banner found in the capture (not yet known to be current)."""

    kind: Kind
    first: int
    last: int
    evidence: str
    what: str
    shape: str
    agent: str | None = None  # the agent that printed it, when the line says
    vendor: str | None = None  # the API behind it, when the line says
    scope: str | None = None
    model: str | None = None
    to: str | None = None
    pct: str | None = None
    reset_phrase: str | None = None
    delay: timedelta | None = None
    reset_now: bool = False


def find_hits(rows: list[Row], first_pass: bool = True) -> tuple[list[Hit], set[int]]:
    """Every banner in the rows, top to bottom, and the rows they (and their notices) cover.

    The parser reads only rows that pass the first-pass filter (`first_pass=False` reads every
    row a banner may start on: what the filter leaves out must change nothing).
    """
    hits: list[Hit] = []
    covered: set[int] = set()
    owners: list[tuple[int, int, str]] = []  # (indent, body_col, glyph) of enclosing heads
    skip_to = released = -1
    leads = any(row.lead for row in rows)
    for row in rows:
        candidate = _candidate(row, owners)
        if row.index <= skip_to or not (candidate or row.index == released):
            if "% of your" in row.text and row.index > skip_to:
                hits.extend(_footer_gauge(row))
            continue
        if first_pass and not (
            row.hot or row.index == released or _opens_wrapped(rows, row, leads)
        ):
            if "% of your" in row.text:
                hits.extend(_footer_gauge(row))
            continue  # the first-pass filter: nothing the parser reads starts here
        block = _block(rows, row)
        found = _match_block(block)
        if found is None:
            if "% of your" in row.text:
                hits.extend(_footer_gauge(row))
            continue
        new_hits, last = found
        tail, reset = _notice_tail(rows, row, max(last, _notice_end(rows, last, row.glyph)))
        for hit in new_hits:
            hit = _with_headers(replace(hit, first=row.index, last=last), rows)
            if reset and hit.kind in _TAKES_RESET and not (hit.reset_phrase or hit.delay):
                hit = replace(hit, reset_phrase=reset)  # "Resets by 4:00 AM Friday Apr 24"
            hits.append(hit)
        covered.update(range(row.index, max(block[-1].index, tail) + 1))
        skip_to = last
        # Rows after an error body or a banner in the same block may hold their own notice.
        released = last + 1 if last < block[-1].index else -1
    return hits, covered


_TAKES_RESET = (Kind.EXHAUSTED, Kind.WARNING)
# Shapes that are a notice's hint or chooser: a stop when alone, but any banner says more.
HINTS = frozenset(
    {"claude-upgrade-hint", "please-run-login", "claude-limit-menu", "claude-spend-menu"}
)
MAX_TAIL = 24  # rows of advice, hints and menu a notice may have under it


def _notice_tail(rows: list[Row], head: Row, last: int) -> tuple[int, str | None]:
    """The rows under a banner that belong to its notice, and the reset one of them names.

    A notice drawn in a box owns the box to its bottom edge. Otherwise its advice and hints
    follow it directly (no blank row between): "Please wait and try again later", "/model to
    switch models.", a line of its own saying when it resets, a chooser and its options, key
    hints. None of that is agent output, so none of it makes the banner old.
    """
    end, reset = last, None
    boxed = head.raw.lstrip()[:1] in _BOX
    for row in rows[last + 1 : last + 1 + MAX_TAIL]:
        if boxed:
            if row.kind is Role.RULE or row.raw.lstrip()[:1] not in _BOX:
                end = row.index if row.kind is Role.RULE else end
                break
        elif row.kind in (Role.BLANK, Role.RULE) or not _advice(row):
            break
        end = row.index
        said = P.RESET_LINE.match(row.text) if reset is None and row.text else None
        reset = said.group("reset") if said else reset
    return end, reset


_BOX = frozenset("│┃║")


def _advice(row: Row) -> bool:
    """A row a notice prints under itself: advice, a hint, a reset, a chooser's option."""
    if row.kind is Role.PROMPT:
        return bool(P.MENU_OPTION.match(row.text) or P.LIMIT_MENU.match(row.text))
    return bool(
        P.RESET_LINE.match(row.text)
        or P.ADVICE.match(row.body)
        or P.MENU_OPTION.match(row.text)
        or row.role is Role.CHROME
    )


def _footer_gauge(row: Row) -> list[Hit]:
    """A usage gauge drawn at the right of a footer row (no banner starts that row)."""
    gauge = P.FOOTER_GAUGE.search(row.text)
    if gauge is None:
        return []
    found = _read_line(row.text[gauge.end() :], "")
    return [replace(hit, first=row.index, last=row.index) for hit in (found.hits if found else ())]


def _candidate(row: Row, owners: list[tuple[int, int, str]]) -> bool:
    """Whether a banner may start on this row; keeps the stack of enclosing heads up to date.

    A head (a row with a glyph, or the user's prompt) owns the rows indented under it, even
    across blank rows: those are its prose, its tool output or the user's text, not banners.
    """
    if row.kind is Role.BLANK:
        return False
    if row.kind is Role.RULE:
        owners.clear()
        return False
    if row.kind is Role.PROMPT:
        owners.clear()
        owners.append((row.indent, row.body_col, ">"))
        return row.hot  # a limit chooser's option under the cursor ("❯ 1. Stop and wait…")
    if row.glyph:
        while owners and owners[-1][0] >= row.indent:
            owners.pop()
        listy = row.glyph in _LISTY and bool(owners)
        # The first output row under a tool call is what the tool printed (`cat` of a log).
        tool_output = bool(owners) and owners[-1][2] == "tool" and row.glyph in P.TOOL_OUTPUT_GLYPHS
        if tool_output:
            owners[-1] = (owners[-1][0], owners[-1][1], "tool-answered")
        tool = row.glyph in PROSE_HEADS and bool(P.TOOL_CALL.match(row.body))
        owners.append((row.indent, row.body_col, "tool" if tool else row.glyph))
        return not (listy or tool_output)
    while owners and owners[-1][1] > row.indent:
        owners.pop()
    quoted = P.QUOTED_ROW.match(row.body) and not P.LOG_STAMP.match(row.body)
    return not owners and not P.LIST_ITEM.match(row.body) and not quoted


def _opens_wrapped(rows: list[Row], head: Row, leads: bool = True) -> bool:
    """Whether a logical line whose head row alone does not pass the first-pass filter passes
    it once its next rows are joined on: a lead-in before an exception on a later row (`leads`:
    some row of the pane holds one), or the first words of a banner cut by the row's end (only
    a short head row can cut them: every shape's fixed words fit in `WRAP_REACH` characters).

    The rows below are joined on whether or not they continue the line (telling costs more
    than this test): reading more than the parser will only lets more lines through to it.
    """
    following = rows[head.index + 1 : head.index + MAX_JOIN]
    if leads:
        size = len(head.body)
        for row in following:
            if size >= 400 or row.kind is not Role.TEXT:
                break
            if row.lead:
                return True
            size += len(row.text) + 1
    if len(head.body) >= WRAP_REACH:
        return False
    # Glued with nothing between (a break may have split a word), read with every blank
    # optional (or it may have swallowed one): one reading for both.
    parts, size, previous = [head.body], len(head.body), head
    for row in following:
        if size >= WRAP_REACH or row.kind is not Role.TEXT or row.glyph in WRAP_PROOF_GLYPHS:
            break  # (a row with such a glyph never carries a line on)
        if not previous.full and (row.glyph or row.indent < head.indent):
            break  # nor does a row the terminal did not wrap to, unless indented under it
        parts.append(row.text)
        size += len(row.text) + 1
        previous = row
    return len(parts) > 1 and _opens_joined("".join(parts))


@lru_cache(maxsize=ROW_CACHE)
def _opens_joined(text: str) -> bool:
    """`patterns.opens`, remembered: a pane's wrapped rows come back on every look at it."""
    return P.opens(text)


def _block(rows: list[Row], head: Row) -> list[Row]:
    """The head row and the rows that continue its logical line (bounded in rows and size)."""
    block = [head]
    ahead = rows[head.index : head.index + 3]
    body = any("{" in row.text for row in ahead)
    limit, most = (MAX_JSON_ROWS, MAX_LINE) if body else (MAX_JOIN, MAX_BANNER)
    size = len(head.text)
    for row in rows[head.index + 1 : head.index + limit]:
        size += len(row.text) + 1
        if size > most or not continues(block[-1], row, head):
            break
        block.append(row)
    return block


def _notice_end(rows: list[Row], last: int, glyph: str) -> int:
    """Where a banner's notice ends: further rows of the same notice glyph belong to it."""
    if glyph not in _NOTICE:
        return last
    end = last
    for row in rows[last + 1 :]:
        if row.kind is Role.BLANK or (row.glyph != glyph and row.indent == 0):
            break
        end = row.index
    return end


@dataclass(frozen=True, repr=False)
class _Found(Record):
    hits: tuple[Hit, ...]  # a banner, or an error body and the notice printed after it
    end: int  # where in the logical line what was read ends


def _match_block(block: list[Row]) -> tuple[tuple[Hit, ...], int] | None:
    """Match the block's logical line. Where a row filled the pane to its last column the
    terminal may have split a word ("3:4" + "5pm") or cut at a blank it then trimmed, so such
    breaks are read both ways and the reading that says most is kept. A line that is no banner
    read one way or the other (every break flipped) costs two readings, never more: only a
    real banner is read the other ways (a few breaks at most)."""
    # The last breaks are tried both ways: a banner's reset time comes at its end.
    ambiguous = [position for position in range(1, len(block)) if block[position - 1].exact]
    ambiguous = ambiguous[-MAX_AMBIGUOUS:] if len(block) <= MAX_JOIN else []
    default = glued_breaks(block)
    best = _reading(block, default)
    if best is None and ambiguous:
        best = _reading(block, default ^ set(ambiguous))
    if best is None:
        return None
    if best[0].hits[0].shape not in P.SHAPE_NAMES:
        ambiguous = []  # an error read from its prefixes or body: the breaks change nothing
    for choice in range(1, (1 << len(ambiguous)) - 1):
        flips = {position for bit, position in enumerate(ambiguous) if choice >> bit & 1}
        other = _reading(block, default ^ flips)
        if other is not None and _detail(other[0].hits[0]) > _detail(best[0].hits[0]):
            best = other
    if ambiguous:  # every break flipped (when the default reading was the one kept)
        other = _reading(block, default ^ set(ambiguous))
        if other is not None and _detail(other[0].hits[0]) > _detail(best[0].hits[0]):
            best = other
    found, text, starts = best
    if 0 < found.end < len(text):
        last = block[bisect.bisect_right(starts, found.end - 1) - 1].index
    else:
        last = block[-1].index
    return found.hits, last


def _reading(block: list[Row], glued: set[int]) -> tuple[_Found, str, list[int]] | None:
    """One reading of a wrapped block: its text, where each row starts in it, what it says."""
    text, starts = join(block, glued)
    found = _read_line(text, block[0].glyph) if len(text) <= CACHED_LINE else None
    if found is None and len(text) > CACHED_LINE:
        found = _match_line(text, block[0].glyph)
    return (found, text, starts) if found is not None else None


def _detail(hit: Hit) -> tuple[int, int]:
    """How much a reading of a wrapped banner says: named parts, then the longest reset."""
    named = (hit.reset_phrase, hit.delay, hit.scope, hit.model, hit.to, hit.pct)
    return sum(value is not None for value in named), len(hit.reset_phrase or "")


def forget_lines() -> None:
    _read_line.cache_clear()
    _opens_joined.cache_clear()


@lru_cache(maxsize=LINE_CACHE)
def _read_line(line: str, glyph: str) -> _Found | None:
    """`_match_line`, remembered: the same banner is read again on every look at its pane."""
    return _match_line(line, glyph)


def _match_line(line: str, glyph: str, depth: int = 0) -> _Found | None:
    """A banner or an error body at the beginning of a logical line, or None."""
    context = _Prefixes.read(line)
    start = context.end
    symbols = P.LEADING_SYMBOLS.match(line, start)
    if symbols and symbols.end() > start and not P.JSON_START.match(line, start):
        start = symbols.end()
    rest = line[start:]
    agent = context.agent or _GLYPH_AGENT.get(glyph)
    if P.JSON_START.match(rest):
        found = _match_body(line, start, agent, context, depth)
        if found is not None:
            return found
        message = P.JSON_MESSAGE.search(rest, 0, 600) if depth < 2 else None
        inner = _match_line(message.group("message"), "", depth + 1) if message else None
        if inner is not None:  # a body cut short: its message alone
            return _Found(
                tuple(replace(hit, evidence=_evidence(line)) for hit in inner.hits), len(line)
            )
    flat = rest.replace("\n", " ")  # a soft wrap is just the space it replaced
    first = P.shape_gate(flat)  # one try for every shape at once
    for shape in P.SHAPES[first:] if first is not None else ():
        match = shape.regex.match(flat) if shape.loose.match(flat) else None
        if match is not None:
            # The evidence is the banner to the end of the row where it ends (not the hints
            # printed under it); the whole logical line is still read.
            stop = line.find("\n", start + match.end())
            said = line if stop < 0 else line[:stop]
            banner = _from_shape(shape, match, said, agent, context, flat[match.end() :])
            # Rows of the same logical line after the one the banner ends on are read again:
            # a second notice may start there ("…resets 8:40pm" then "You've hit your limit").
            return _Found((banner,), start + match.end())
    hit = _from_prefixes(context, rest, line, agent)
    if hit is not None:
        return _Found((hit,), len(line))
    if depth == 0 and ("rror" in line or "xception" in line or "{" in line):
        # an exception or a body after a few words of lead-in on the same row
        for offset in itertools.islice(lead_ins(line), 3):
            while offset < len(line) and line[offset].isspace():
                offset += 1
            inner = _match_line(line[offset:], "", depth + 1)
            if inner is not None:
                hits = tuple(replace(hit, evidence=_evidence(line)) for hit in inner.hits)
                return _Found(hits, offset + inner.end)
    return None


def _match_body(
    line: str, start: int, agent: str | None, context: _Prefixes, depth: int
) -> _Found | None:
    """A provider's error body (JSON or a repr of it) at `start`, and what follows it."""
    parsed = payloads.extract(line, start)
    if parsed is None:
        return None
    body, end = parsed
    finding = payloads.read(body, context.status)
    if finding is None:
        said = payloads.text_of(body)  # an agent's JSON output carrying a banner's text
        inner = _match_line(said, "", depth + 1) if said and depth < 2 else None
        if inner is None:
            return None
        return _Found(
            tuple(replace(hit, evidence=_evidence(said or "")) for hit in inner.hits), end
        )
    hits = (_from_finding(finding, line[:end], agent, context),)
    after = end
    while after < len(line) and (line[after].isspace() or line[after] in "]}).,;"):
        after += 1
    if after < len(line) and depth == 0:
        tail = _match_line(line[after:], "", depth + 1)
        if tail is not None:
            return _Found(hits + tail.hits, after + tail.end)
    return _Found(hits, after)


def _from_prefixes(context: _Prefixes, rest: str, line: str, agent: str | None) -> Hit | None:
    """No banner shape matched: what the error prefixes alone say."""
    if context.inner is not None:  # "API Error (…) · Retrying in 5 seconds…"
        inner = _match_line(context.inner, "", 1) if context.inner.strip() else None
        kinds = [hit.kind for hit in inner.hits] if inner else []
        kind = next((k for k in kinds if k in (Kind.RATE_LIMIT, Kind.OVERLOADED)), None)
        if kind is None and P.RETRYING.search(rest):
            kind = Kind.RATE_LIMIT if "429" in context.inner else Kind.OVERLOADED
        if kind is not None:
            return Hit(
                kind, 0, 0, _evidence(line), "API error, retrying", "api-error-retrying", agent
            )
    if context.status is not None and context.api:
        finding = payloads.read({"error": rest[:MAX_MESSAGE].strip() or "error"}, context.status)
        if finding is not None:
            return _from_finding(finding, line, agent, context)
    if context.exception:
        return _from_exception(context, line, agent)
    return None


def _with_headers(hit: Hit, rows: list[Row]) -> Hit:
    """An error body printed by `curl -i` has its wait in the response headers above it."""
    if hit.shape != "api-body" or hit.delay is not None or hit.reset_phrase:
        return hit
    for row in reversed(rows[max(0, hit.first - 25) : hit.first]):
        if row.kind is Role.PROMPT:
            break
        header = P.RETRY_HEADER.match(row.text)
        if header and header.group("seconds"):
            return replace(hit, delay=timedelta(seconds=float(header.group("seconds"))))
        if header:
            return replace(hit, reset_phrase=header.group("stamp"))
    return hit


@dataclass(repr=False)
class _Prefixes(Record):
    """The error prefixes in front of a message and what they reveal."""

    end: int = 0
    status: int | None = None
    agent: str | None = None
    vendor: str | None = None
    exception: str | None = None
    inner: str | None = None
    api: bool = False  # an API error line (not just "Error:"): a bare status means something

    @classmethod
    def read(cls, line: str) -> _Prefixes:
        found = cls()
        for _ in range(5):
            match = P.ERROR_PREFIX.match(line, found.end)
            if match is None or match.end() == found.end:
                break
            found.end = match.end()
            groups = match.groupdict()
            for name in ("status", "code", "got", "gstatus", "http", "bare"):
                if groups.get(name):
                    found.status = int(groups[name])
            text = match.group(0)
            if text.startswith("[API Error"):
                found.agent, found.api = found.agent or "gemini", True
            elif groups.get("stream"):
                found.agent = found.agent or "codex"
            elif text.startswith("got status") or groups.get("bare"):
                found.api = True
            elif text.startswith("API Error"):
                found.agent, found.api = found.agent or "claude", True
                found.inner = groups.get("inner")
            elif groups.get("exc"):
                found.agent, found.exception = "aider", groups["exc"]
                found.vendor = _VENDORS.get((groups.get("vendor") or "").lower())
                found.api = True
            elif groups.get("vexc"):
                found.vendor, found.api = _VENDORS.get(groups["vexc"].lower()), True
            elif groups.get("sdk_exc"):
                found.exception, found.api = groups["sdk_exc"], True
                found.vendor = "openai" if text.startswith("openai") else "anthropic"
            elif groups.get("gexc"):
                found.exception, found.vendor, found.api = groups["gexc"], "google", True
            elif groups.get("anyexc"):
                found.exception, found.api = groups["anyexc"], True
                module = (groups.get("module") or "").lower()
                found.vendor = found.vendor or next(
                    (
                        vendor
                        for name, vendor in _VENDORS.items()
                        if module.startswith(("@" + name, name))
                    ),
                    None,
                )
            elif groups.get("code") or groups.get("http"):
                found.api = True
        return found


def _from_shape(
    shape: P.Shape,
    found: re.Match[str],
    line: str,
    agent: str | None,
    context: _Prefixes,
    after: str = "",
) -> Hit:
    groups = {key: value for key, value in found.groupdict().items() if value}
    provider = shape.provider if shape.provider in AGENTS else agent
    vendor = shape.provider if shape.provider not in AGENTS else None
    kind, what = shape.kind, shape.what
    delay = parse_duration(groups["delay"]) if "delay" in groups else None
    scope, model = _scope_model(groups.get("scope"), groups.get("model"))
    long_wait = delay is not None and delay > payloads.SHORT_WAIT
    if shape.name == "gemini-exhausted-capacity" and delay is not None and not long_wait:
        kind, what = Kind.RATE_LIMIT, "rate limit"  # "reset after 39s": the CLI retries
    elif shape.name == "gemini-daily-quota" and groups.get("to"):
        kind = Kind.FALLBACK  # "You will be switched to the gemini-2.5-flash model"
    elif shape.name == "rate-limit-reached" and long_wait:
        kind = Kind.EXHAUSTED  # "try again in 86400 seconds" is a stop, whatever it is called
    elif shape.name in _QUOTA_WORDS:
        # The more specific reading wins: a 429 body that asks to retry in 44s, names a
        # per-minute quota or "limit: 0" says more than "check your plan and billing details".
        words = (groups.get("quota") or "") + " " + after
        kind, quota_scope, quota_delay = payloads.quota_words(words, _QUOTA_WORDS[shape.name])
        scope, delay = scope or quota_scope, delay or quota_delay
    pct = groups.get("pct")
    if pct is None and "left" in groups:  # "less than 25% … left": over 75% used
        pct = str(100 - int(groups["left"]))
    if scope and scope.startswith("org's-"):  # "your org's monthly usage limit"
        scope = scope.split("-")[1]
    return Hit(
        kind, 0, 0, _evidence(line), what, shape.name, provider, vendor or context.vendor,
        scope, model, groups.get("to") or groups.get("to2") or groups.get("to3"), pct,
        groups.get("reset") or groups.get("epoch"), delay, shape.name == "claude-reset-press-enter",
    )  # fmt: skip


# Shapes whose words say more than their kind: the kind when the words say nothing more.
_QUOTA_WORDS = {"google-quota": Kind.RATE_LIMIT, "openai-insufficient-quota": Kind.BILLING}


def _from_finding(
    finding: payloads.Finding, line: str, agent: str | None, context: _Prefixes
) -> Hit:
    return Hit(
        finding.kind, 0, 0, _evidence(line), finding.what, "api-body", agent,
        finding.vendor or context.vendor, finding.scope, finding.model,
        reset_phrase=finding.reset_phrase, delay=finding.delay,
    )  # fmt: skip


def _from_exception(context: _Prefixes, line: str, agent: str | None) -> Hit | None:
    name = (context.exception or "").lower()
    for needle, kind, what in _EXCEPTIONS:
        if needle in name:
            return Hit(kind, 0, 0, _evidence(line), what, "exception", agent, context.vendor)
    return None


# An exception's class name when nothing else in its line is readable.
_EXCEPTIONS = (
    ("ratelimit", Kind.RATE_LIMIT, "rate limit"),
    ("authentication", Kind.AUTH, "API key rejected"),
    ("permissiondenied", Kind.AUTH, "API key rejected"),
    ("budget", Kind.BILLING, "budget exceeded"),
    ("internalserver", Kind.OVERLOADED, "server error"),
    ("serviceunavailable", Kind.OVERLOADED, "servers busy"),
    ("resourceexhausted", Kind.RATE_LIMIT, "quota"),
)


def _scope_model(scope: str | None, model: str | None) -> tuple[str | None, str | None]:
    """ "Opus weekly" is the weekly limit of the Opus model; "5h" is "5-hour"; "usage" says
    nothing."""
    if scope is None:
        return None, model
    words = scope.lower().split()
    if words[0] in _MODELS or (len(words) > 1 and words[-1] == "weekly"):
        model = model or words[0].capitalize()
        return ("weekly" if words[-1] == "weekly" else words[0]), model
    if len(words) == 1 and words[0] in _SCOPES:
        return _SCOPES[words[0]], model
    return "-".join(words), model


_MODELS = ("opus", "sonnet", "haiku")
_SCOPES = {"5h": "5-hour", "five-hour": "5-hour", "usage": None, "org": "monthly",
           "organization": "monthly"}  # fmt: skip


def _evidence(line: str) -> str:
    return P.BLANKS.sub(" ", line).strip()[:500]
