"""The regular expressions of limit detection, as one table of named shapes per agent family.

`signals.py` holds the logic; this module holds only *what the agents print*: the banners of
Claude Code, Codex, Gemini CLI and Aider, the prefixes their error lines carry, the phrases of
raw API error bodies, and the screen furniture (prompts, footers, menus) that is not agent
output. Every banner shape is matched from the start of a logical line (after the glyph and
error prefixes), never searched for inside prose. Wordings change between releases, so each
family is a group of small alternatives rather than one exact string. Expressions compile on
first use (`lazy`); the first-pass filter (`opens`: `OPENER` and `SHAPE_STARTS`) is every
error prefix and every shape's beginning, tried at once where a row starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from credit_management.detect.lazy import ByFirstChar, Lazy, lazy
from credit_management.models import Kind
from credit_management.records import Record

_I = re.IGNORECASE

# --- building blocks --------------------------------------------------------------------------

APOS = r"['’`]"
SEP = r"\s*[·∙•]\s*"  # Claude Code's separators: U+00B7, U+2219 (older builds), U+2022
# Before "resets" also a dash, an en or em dash or a bar (pasted, re-rendered, third-party UIs).
RSEP = r"\s*(?:[·∙•|–—]|\s-)\s*"
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?"
_CLOCK = (
    r"(?:\d{1,2}(?::\d{2}){1,2}(?:\s?[ap]\.?\s?m\b\.?)?|\d{1,2}\s?[ap]\.?\s?m\b\.?|noon|midnight)"
)
_DATE = (
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH})"
    r"(?:,?\s+\d{4})?|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}"
)
# "(America/New_York)", "(Etc/GMT+5)", "(UTC)", " PST", " GMT+2", " UTC".
_ZONE = (
    r"(?:\s*\([A-Za-z][\w+\-]*(?:/[\w+\-]+)*\)"
    r"|\s+(?:UTC|GMT)(?:\s?[+-]\s?\d{1,2}(?::?\d{2})?)?(?![\w])"
    r"|\s+(?-i:[A-Z]{2,5})(?![\w]))"
)
_DATETIME = (
    rf"(?:(?:{_WEEKDAY},?\s+)?(?:(?:{_DATE})(?:,?\s+(?:at\s+)?{_CLOCK})?"
    rf"|{_CLOCK}(?:,?\s+(?:on\s+)?(?:{_WEEKDAY},?\s+)?(?:{_DATE}))?))(?:{_ZONE})?"
)
_UNIT = (
    r"(?:milliseconds?|msecs?|ms|weeks?|wks?|w|days?|d|hours?|hrs?|h|minutes?|mins?|m"
    r"|seconds?|secs?|s)(?![a-zA-Z])"
)
DURATION = rf"\d+(?:\.\d+)?\s?{_UNIT}(?:[\s,]*(?:and\s+)?\d+(?:\.\d+)?\s?{_UNIT}){{0,6}}"
_EPOCH = r"\d{10}(?:\d{3})?(?!\d)"
# The extent of a reset phrase: what `resets.resolve_reset` is given. Durations keep their
# "in"/"after" so that they read as relative.
TIME = rf"(?:(?:in|after)\s+{DURATION}|{_DATETIME}|{_EPOCH})"
# What may follow a complete banner: the end of a sentence, the end, a separator, a new
# sentence, a slash command.
END = (
    r"(?=[.!](?:\s|$)"
    r"|\s*[.!]?\s*(?:$|\n|[·∙•|\])]|/[a-z]|\(|(?-i:[A-Z])|(?:esc|or|type|press)\b))"
)


_EMPTY = Lazy("")


@dataclass(frozen=True, repr=False)
class Shape(Record):
    """One banner shape: matched with `re.match` at the start of a logical line.

    Named groups the logic reads: reset (a phrase for resolve_reset), delay (a duration),
    epoch, scope, model, pct, to (the model an agent falls back to).
    """

    name: str
    provider: str | None  # the agent that renders it; None = decided by the screen
    kind: Kind
    regex: Lazy
    what: str  # the human summary used in Signal.message, e.g. "session limit"
    # Lowercase words one of which every match contains (what the shape is about).
    needles: tuple[str, ...] = ()
    # The shape with any reset phrase as "some text": a quick test that compiles fast.
    loose: Lazy = _EMPTY


# Which limit: Claude names it before "limit" ("session", "Opus weekly", "usage credit"...).
_SCOPE = (
    r"(?P<scope>5-hour|five-hour|5h|session|daily|monthly|(?:[a-z][\w.-]*\s+)?weekly|opus"
    r"|sonnet|haiku|usage\s+credit|extra\s+usage|org(?:anization)?(?:\s+monthly)?|spend|usage)"
)
# After "You've hit your", any name of up to three words ending in "limit" is a limit.
_ANY_SCOPE = r"(?P<scope>[\w.'’-]+(?:\s[\w.-]+){0,2}?)"

# Each table row: (name, kind, what, pattern). `what` names the limit in Signal.message.
_Row = tuple[str, Kind, str, str]


def _table(provider: str | None, needles: tuple[str, ...], rows: list[_Row]) -> tuple[Shape, ...]:
    return tuple(
        Shape(name, provider, kind, lazy(pattern, _I), what, needles, lazy(_loosen(pattern), _I))
        for name, kind, what, pattern in rows
    )


def _loosen(pattern: str) -> str:
    """A shape with its reset phrases and durations as "any text": it matches wherever the
    shape does (and a little more), and compiles many times faster."""
    return pattern.replace(TIME, r"\S.*?").replace(DURATION, r"\d.*?")


def _lowered(pattern: str) -> str:
    """The pattern for lowercased text: every character lowercased but those escaped."""
    out: list[str] = []
    escaped = False
    for char in pattern:
        out.append(char if escaped else char.lower())
        escaped = not escaped and char == "\\"
    return "".join(out).replace("(?p<", "(?P<")  # group names keep their syntax


def _spaces_optional(pattern: str) -> str:
    """The pattern with every blank it requires made optional ("\\s+" becomes "\\s*", a lone
    "\\s" or " " may be absent): it matches the same text with blanks removed anywhere."""
    pattern = pattern.replace("\\s+", "\\s*")
    return re.sub(r"(?<!\\)(\\s| )(?![*+?{])", r"\1?", pattern)


def _unnamed(pattern: str) -> str:
    """The pattern with its named groups made plain, so that many can share one expression."""
    return re.sub(r"[(][?]P<[a-z0-9_]+>", "(?:", pattern)


_EX, _BILL, _AUTH, _AUTO = Kind.EXHAUSTED, Kind.BILLING, Kind.AUTH, Kind.AUTO_RESUME
_WARN, _FALL, _RATE, _BUSY = Kind.WARNING, Kind.FALLBACK, Kind.RATE_LIMIT, Kind.OVERLOADED
# A banner that names no reset ends here (a separator, the end, a hint, a new sentence).
_NO_RESET = r"(?=\s*(?:[·∙•.]|$|/|(?-i:[A-Z])))"

# --- Claude Code (provider "claude") ----------------------------------------------------------
# fmt: off
CLAUDE = _table("claude", ("limit", "credits", "extra usage"), [
    # 1.0.x raw form: the reset is an epoch after a pipe.
    ("claude-epoch", _EX, "usage limit",
     rf"Claude AI usage limit reached\s*\|\s*(?P<epoch>{_EPOCH})"),
    # 2.1.234+: the agent waits and continues by itself ("... · esc to cancel").
    ("claude-auto-continue", _AUTO, "usage limit",
     rf"(?:Usage|Session|Weekly)?\s*limit reached[^·∙•]{{0,60}}?{SEP}continuing "
     rf"(?:automatically at\s+(?P<reset>{TIME})|shortly)"),
    # After a machine slept through the reset, it waits for Enter: resumable now.
    ("claude-reset-press-enter", _EX, "usage limit (reset)",
     rf"Your usage limit has reset{SEP}press enter to continue"),
    # "Claude usage limit reached. Your limit will reset at 3pm (America/New_York)."; plans
    # named in it too ("Claude Max usage limit reached").
    ("claude-will-reset", _EX, "usage limit",
     r"Claude (?:AI |Max |Pro |Team |Enterprise )?usage limit reached"
     rf"(?:[.!]?\s*Your (?:limit|credits) will reset\s+(?:at\s+)?(?P<reset>{TIME}))?{END}"),
    # "Claude Opus 4 limit reached, now using Sonnet 4".
    ("claude-model-fallback", _FALL, "limit reached",
     r"(?:Claude\s+)?(?P<model>Opus(?:\s[\d.]+)?|Sonnet(?:\s[\d.]+)?)\s+(?:weekly\s+)?"
     r"limit reached(?:,|\s*[·∙•])\s*now using\s+(?P<to>[\w.]+(?:\s[\d.]+)?)"),
    # "You're now using extra usage · Your session limit resets 7pm (America/Chicago)".
    # …and "You're now using usage credits · Your weekly limit resets Monday" (newer builds).
    ("claude-extra-usage-fallback", _FALL, "plan limit reached",
     r"(?:You{APOS}re\s+)?now using (?:extra usage|usage credits|your usage allocation)"
     rf"(?: for [\w.-]+(?: [\d.]+)?)?(?:{SEP}.*?resets\s+(?P<reset>{TIME}))?"
     .replace("{APOS}", APOS)),
    # "Session limit reached · now using extra usage": the agent goes on, paid.
    ("claude-limit-extra-usage", _FALL, "plan limit reached",
     rf"(?:{_SCOPE}\s+)?limit reached{SEP}(?:you{APOS}re\s+)?now using extra usage"),
    # "5-hour limit reached ∙ resets 3am", "Opus weekly limit reached · resets Oct 9, 9pm".
    ("claude-limit-reached", _EX, "limit",
     rf"{_SCOPE}\s+limit reached(?:{RSEP}resets\s+(?P<reset>{TIME})|{_NO_RESET})"),
    # A spend cap with nothing to wait for: a person raises it ("· raise it at claude.ai/...").
    ("claude-spend-limit", _BILL, "monthly spend limit reached",
     rf"\**You{APOS}ve hit your (?:org{APOS}s )?(?P<scope>monthly spend) limit"
     rf"(?!{SEP}(?:your )?(?:\w+ )?(?:limit )?resets)"),
    # Team and API plans whose usage a person must allow (Claude Code's rate-limit messages).
    ("claude-org-out-of-usage", _BILL, "out of usage",
     r"(?:Your (?:org|organization) is out of usage|Your seat type doesn{APOS}t include "
     r"(?:extra usage|usage credits|usage)|This service is disabled for your org"
     r"|Your usage allocation has been disabled by your admin"
     r"|Your group{APOS}s usage limit is set to \$0)".replace("{APOS}", APOS)),
    # "You've hit your session limit · resets 5:20am (America/Denver)", "You've hit your limit".
    ("claude-hit-your-limit", _EX, "limit",
     rf"You{APOS}ve hit your (?:{_ANY_SCOPE}\s+)?limit(?:{RSEP}(?:your (?:\w+ )?limit )?"
     rf"resets\s+(?P<reset>{TIME})|{_NO_RESET})"),
    # "You've reached your Fable limit. Run /usage-credits to continue or switch models".
    ("claude-reached-your-limit", _EX, "limit",
     rf"You{APOS}ve reached your (?:{_ANY_SCOPE}\s+)?limit(?:{RSEP}resets\s+(?P<reset>{TIME})"
     rf"|{_NO_RESET}|\.)"),
    # "You're out of extra usage · resets 3am (Asia/Makassar)"; without a reset it is billing.
    ("claude-out-of-extra", _EX, "extra usage",
     rf"You{APOS}re out of (?P<scope>extra usage|usage credits){SEP}resets\s+(?P<reset>{TIME})"),
    # Bare "Usage limit reached" with Claude's separators ("· /low-priority to continue ...").
    ("claude-usage-limit-reached", _EX, "usage limit",
     rf"Usage limit reached(?:{RSEP}resets\s+(?P<reset>{TIME})|{_NO_RESET})"),
    # The seed's own signals: "credits will reset at <time>", the /upgrade hint, the menu.
    ("claude-credits-will-reset", _EX, "credits",
     rf"(?:Your\s+)?credits will reset at\s+(?P<reset>{TIME}){END}"),
    ("claude-upgrade-hint", _EX, "usage limit",
     r"/upgrade to increase your usage limits?\b"),
    ("claude-limit-menu", _EX, "usage limit",
     r"(?:[❯›>]\s*)?1\.\s*Stop and wait for limit to reset"),
    # The spend-limit chooser: "Adjust monthly spend limit: … / Wait for limit to reset".
    ("claude-spend-menu", _EX, "usage limit (spend limit reached)",
     r"(?:[❯›>]\s*)?(?:\d\.\s*)?Adjust monthly spend limit\b"),
    # Warnings: the agent is still working.
    ("claude-approaching", _WARN, "limit",
     rf"(?:Approaching|You{APOS}re close to) (?:your\s+)?(?:{_SCOPE}\s+)?(?:usage\s+)?limit"
     rf"(?:{RSEP}resets(?:\s+at)?\s+(?P<reset>{TIME}))?{END}"),
    ("claude-used-percent", _WARN, "limit",
     rf"You{APOS}ve used (?P<pct>\d{{1,3}})% of your (?:{_SCOPE}\s+)?limit"
     rf"(?:{RSEP}resets\s+(?P<reset>{TIME}))?{END}"),
])

# --- Codex CLI (provider "codex"), after its "■"/"🖐" error glyph ----------------------------
# What follows "You've hit your usage limit." depends on the plan (codex-rs/core/src/error.rs).
_CODEX_TAIL = (
    r"(?:Upgrade to (?:Pro|Plus)|[Vv]isit https?://|To get more access|[Tt]ry again"
    r"|or try again|send a request to your admin)"
)
CODEX = _table("codex", ("usage limit", "spend cap", "quota exceeded", "upgrade to plus",
                         "heads up", "retry limit", "connecting", "at capacity", "access token",
                         "status 401", "rate limits", "out of credits", "cloudflare"), [
    ("codex-usage-limit", _EX, "usage limit",
     rf"You{APOS}ve hit your usage limit\.\s*(?={_CODEX_TAIL})"
     rf"(?:.*?[Tt]ry again\s+(?:at\s+)?(?P<reset>{TIME}))?"),
    ("codex-spend-cap", _BILL, "spend cap reached",
     r"You(?:'ve| have)? hit your spend cap"),
    ("codex-quota-exceeded", _BILL, "quota exceeded",
     r"Quota exceeded\. Check your plan and billing details"),
    ("codex-usage-not-included", _BILL, "plan has no Codex usage",
     r"To use Codex with your ChatGPT plan, upgrade to Plus"),
    # "Heads up, you've used over 75% of your 5h limit", newer "you have less than 25% of your
    # weekly limit left".
    ("codex-heads-up", _WARN, "limit",
     rf"Heads up, you(?:{APOS}ve used over (?P<pct>\d{{1,3}})%| have less than "
     r"(?P<left>\d{1,3})%) of your (?P<scope>[\w-]+)(?: [\w-]+)? limit"),
    # The model-switch popup drawn when a limit nears ("Approaching rate limits / Switch to…").
    ("codex-approaching", _WARN, "rate limits",
     r"Approaching rate limits\b"),
    ("codex-retry-limit", _RATE, "rate limit",
     r"(?:stream error:\s*)?exceeded retry limit, last status: 429"),
    ("codex-retry-limit-auth", _AUTH, "unauthorized (401)",
     r"(?:stream error:\s*)?exceeded retry limit, last status: 40[13]\b"),
    # A workspace member's cap: only the owner (or the window's reset) lifts it.
    ("codex-workspace-credits", _BILL, "workspace out of credits",
     rf"(?:You{APOS}ve reached your workspace credit limit\.?\s*)?Your workspace is out of credits"
     r"\.?(?:\s*Usage limit reached\.?)?"),
    ("codex-owner-increase", _EX, "usage limit",
     r"Usage limit reached\.?\s*Request a limit increase from your owner"),
    ("codex-cloudflare", _AUTH, "access blocked",
     r"Access blocked by Cloudflare"),
    ("codex-reconnecting", _BUSY, "connection retrying",
     r"Re-?connecting\.\.\.\s*\d+/\d+"),
    ("codex-at-capacity", _BUSY, "model at capacity",
     r"Selected model is at capacity"),
    ("codex-refresh-token", _AUTH, "login expired",
     r"Your access token could not be refreshed"),
    ("codex-unauthorized", _AUTH, "unauthorized (401)",
     r"unexpected status 401\b"),
])

# --- Gemini CLI (provider "gemini") -----------------------------------------------------------
GEMINI = _table("gemini", ("exhausted", "usage limit", "quota", "switch", "congestion",
                           "capacity", "validation"), [
    # TerminalQuotaError, rendered as "✕ [API Error: You have exhausted ...]".
    ("gemini-exhausted-capacity", _EX, "quota",
     r"You have exhausted your (?:capacity|(?P<scope>daily) quota) on this model\.?"
     rf"(?:\s*Your quota will reset after\s+(?P<delay>{DURATION}))?"),
    # The quota dialog: "Usage limit reached for all Pro models. Access resets at 3:45 PM PST."
    ("gemini-usage-limit", _EX, "usage limit",
     r"Usage limit reached for (?P<model>all Pro models|[\w.:-]+?)\.?"
     rf"(?:\s*Access resets at\s+(?P<reset>{TIME}))?{END}"),
    # "…quota limit. You will be switched to the gemini-2.5-flash model": a fallback.
    ("gemini-daily-quota", _EX, "quota",
     r"You have reached your (?P<scope>daily) (?:(?P<model>[\w.:-]+) )?quota limit"
     r"(?:\.?\s*You will be switched to (?:the )?(?P<to>[\w.:-]+))?"),
    ("gemini-switching", _FALL, "quota reached",
     r"(?:Automatically switching from (?P<model>[\w.:-]+) to (?P<to>[\w.:-]+)"
     r"|(?:Possible quota limitations in place or slow response times detected\.\s*)?"
     r"Switching to the (?P<to2>[\w.:-]+) model for the rest of this session"
     r"|Switched to fallback model(?: (?P<to3>[\w.:-]+?))?\.?(?:\s|$))"),
    ("gemini-congestion", _BUSY, "servers busy",
     r"Pardon Our Congestion!"),
    # googleQuotaErrors.ts: "No capacity available for model X on the server" (503).
    ("gemini-no-capacity", _BUSY, "model at capacity",
     r"No capacity available for model (?P<model>[\w.:-]+)"),
    # A model without a free tier: a paid key or plan is needed, no reset helps.
    ("gemini-no-free-tier", _BILL, "no free quota tier",
     rf"(?P<model>Gemini[\w .-]{{0,40}}?) doesn{APOS}t have a free quota tier"),
    ("gemini-validation", _AUTH, "account verification needed",
     r"Validation required to continue"),
])

# --- Aider (provider "aider"): the hint it prints under a litellm exception -------------------
AIDER = _table("aider", ("the api provider", "openrouter", "permission"), [
    ("aider-rate-limited", _RATE, "rate limit",
     r"The API provider has rate limited you\."),
    ("aider-auth", _AUTH, "API key rejected",
     r"The API provider is not able to authenticate you\."),
    ("aider-overloaded", _BUSY, "servers busy",
     r"The API provider(?:'s| ?s) servers are down or overloaded\."),
    ("aider-openrouter", _BUSY, "servers busy or rate limiting",
     r"(?:OpenRouter or the upstream API provider|The OpenRouter API provider) is down"
     r"(?:, overloaded or rate limiting| or overloaded)"),
    ("aider-timeout", _BUSY, "provider timed out",
     r"The API provider timed out without returning a response"),
    ("aider-permission", _AUTH, "API key rejected",
     r"Permission was denied\. Check your API key"),
])

# --- what any agent may print from its provider (the screen decides who printed it) ----------
GENERIC = (
    _table("anthropic", ("credit balance", "api usage limits"), [
        ("anthropic-credit-low", _BILL, "credit balance too low",
         r"(?:Your )?credit balance is too low(?: to access the Anthropic API)?"),
        ("anthropic-api-usage-limits", _EX, "API spend limit",
         r"You have reached your specified (?:workspace )?API usage limits\.?"
         rf"(?:\s*You will regain access on\s+(?P<reset>{TIME}))?"),
    ])
    + _table("claude", ("out of extra usage", "out of usage credits", "temporarily limiting",
                        "request rejected", "529 overloaded"), [
        ("claude-out-of-extra-no-reset", _BILL, "out of extra usage",
         rf"You{APOS}re out of (?P<scope>extra usage|usage credits)(?!{RSEP}resets)"),
        ("server-limiting", _RATE, "servers limiting requests",
         r"Server is temporarily limiting requests"),
        ("request-rejected-429", _RATE, "rate limit",
         r"Request rejected \(429\)"),
        ("repeated-529", _BUSY, "servers overloaded",
         r"Repeated 529 Overloaded errors"),
    ])
    + _table(None, ("high demand",), [
        # Codex's 5xx ("We're currently experiencing high demand, which may cause temporary
        # errors.") and gemini-cli's capacity dialog ("We are currently experiencing high demand
        # for all Pro models.").
        ("high-demand", _BUSY, "servers busy",
         rf"We(?:{APOS}re| are) currently experiencing high demand"
         r"(?: for (?P<model>all Pro models|[\w:-]+(?:\.[\w:-]+)*))?(?=[\s,.]|$)"),
    ])
    + _table(None, ("exceeded your current quota", "insufficient", "credit limit", "balance",
                    "billing hard limit", "out of credits", "out of funds", "spend", "rate limit",
                    "overloaded", "api key", "logged in", "login", "oauth token", "bearer",
                    "organization"), [
        ("openai-insufficient-quota", _BILL, "quota exceeded",
         r"You exceeded your current quota, please check your plan and billing details"),
        ("billing-insufficient", _BILL, "out of credits",
         r"(?:insufficient[_ ](?:quota|credits?|funds|balance)|credit limit exceeded"
         r"|(?:account |credit )?balance (?:is )?too low|billing hard limit has been reached"
         r"|(?:your )?(?:org(?:anization)?|workspace|team) (?:is |has run )?out of "
         r"(?:credits|funds)"
         rf"|You(?:{APOS}re| are) out of (?:credits|usage)\b|Add (?:funds|credits) to continue\b"
         r"|spend(?:ing)? (?:cap|limit) (?:reached|exceeded)"
         r"|credit balance (?:is )?too low)"),
        # "Rate limit reached for gpt-4o …", Azure's "Rate limit is exceeded. Try again in 30
        # seconds.", with Codex's own retry counter after it ("; retrying 1/5 in 2.1s…").
        ("rate-limit-reached", _RATE, "rate limit",
         r"Rate limit (?:is )?(?:reached|exceeded)(?: for (?P<model>[\w.:-]+))?"
         rf"(?:[^;\n]{{0,200}}?(?:try again|retry) (?:in|after)\s+(?P<delay>{DURATION}))?"),
        # gemini-cli's quota errors when no body is shown (googleQuotaErrors.ts): the words
        # decide (a per-day quota, "limit: 0" or a long wait stop; a short wait is throttling).
        ("google-quota", _RATE, "quota",
         r"(?:Resource (?:has been )?exhausted|Quota exceeded for metric|Too many requests"
         r"|(?-i:QUOTA_EXCEEDED|QUOTA_EXHAUSTED|RATE_LIMIT_EXCEEDED|RESOURCE_EXHAUSTED))"
         r"(?=[\s.:(]|$)(?P<quota>.{0,600})"),
        ("overloaded", _BUSY, "servers overloaded",
         r"(?:Overloaded(?=\s*$|\s*[·∙•(\]}.])"
         r"|The (?:model|engine|server) is (?:currently )?overloaded)"),
        ("login-needed", _AUTH, "login or API key problem",
         r"(?:Invalid API key|Missing API key|API key is invalid|Not logged in|Login expired"
         r"|(?:Your )?session (?:has )?expired|Session expired or is unauthorized"
         r"|OAuth token (?:revoked|has expired)|Invalid bearer token|API key not valid"
         r"|Incorrect API key provided|Failed to login|This organization has been disabled"
         rf"|Your organization has disabled)(?:.*?(?:{SEP}|\.\s*)(?:Please )?run /login)?"),
        ("please-run-login", _AUTH, "login needed",
         r"(?:Please )?run /login"),
    ])
)
# fmt: on

SHAPES: tuple[Shape, ...] = CODEX + CLAUDE + GEMINI + AIDER + GENERIC
SHAPE_NAMES = frozenset(shape.name for shape in SHAPES)
# Every shape as one loose expression (reset phrases and durations reduced to "some text"),
# each alternative named after its place in SHAPES ("s12"): matched where a logical line starts
# (`shape_gate`, through `SHAPE_STARTS` or, for text whose lower case changes length, as one
# case-insensitive expression), it says the first shape that may match; from there each
# shape's loose form, then its own expression, reads the line.
_GATE = "|".join(
    f"(?P<s{index}>{_unnamed(shape.loose.source)})" for index, shape in enumerate(SHAPES)
)


# --- where a banner may start ----------------------------------------------------------------

# TUI glyphs that open a row ("⏺", "⎿", "■", "✕", "⚠", "⚡", "🖐"...): one or two symbols and a
# blank. Gemini's fallback rendering uses the letters "x" and "i".
_SYMBOL = r"[^\w\s\"'`(\[{<>/\\.,;:?@#$%&=+\-|~^]"
GLYPH = lazy(rf"^(?P<glyph>(?:{_SYMBOL}|ℹ){{1,2}}|[xXi](?= \S))\s+")
# A symbol glued to the text it introduces ("🚦Pardon Our Congestion!").
LEADING_SYMBOLS = lazy(rf"^{_SYMBOL}+\s*")
# Rows the user typed: Claude Code and Gemini ">", Codex "›" and "▌", menus "❯", Aider "code> ".
PROMPT = lazy(
    r"^(?:[>›❯▌$%]|\w{2,12}>|(?:\([\w.-]+\)\s)?(?:[\w.-]+@[\w.-]+[: ]?)?[~/][^\s]*\s?[$%#]"
    r"|[\w.-]+@[\w.-]+\s?[$%#])(?=\s|$)"
)
# Markdown list markers and numbered items: never the start of a banner.
LIST_ITEM = lazy(r"^(?:[-*+]\s|\d{1,3}[.)]\s)")
# Box borders to remove from both ends of a row (not ASCII "|": markdown tables keep theirs).
BORDER_LEFT = lazy(r"^\s*[│┃║▕▏]\s?")
BORDER_RIGHT = lazy(r"\s?[│┃║▕▏]\s*$")
RULE = lazy(r"^\s*(?:[─━═╌╍┄┅┈┉▔▁\-=_~]{3,}|[╭┌╔╰└╚].*[╮┐╗╯┘╝]|[╭┌╔╰└╚][─━═].*)\s*$")

# Error prefixes between the glyph and the message; each may carry an HTTP status. The weak
# ones say only that an error follows; the strong ones name an API, a status or an exception.
_WEAK_PREFIX = (
    r"\[\d{4}-\d\d-\d\dT[\d:.]+Z?\]\s+(?=ERROR:|stream error)"  # codex exec log lines
    r"|(?P<stream>stream error|stream disconnected before completion):\s*"
    r"|Attempt \d+ failed(?: with status \d{3})?:\s*"  # gemini-cli's retry log
)
_API_PREFIX = r"\[?API Error(?:\s*\((?P<inner>[^)]{0,300})\))?:?\s*(?P<status>\d{3})?:?\s*"
_PLAIN_PREFIX = (
    r"\[(?:[A-Z]\w* )?(?:ERROR|Error|error)\]:?\s*"
    r"|(?:Fatal error|ERROR|Error|error|Uncaught \w+|Exception|[A-Z]\w* error)"
    r"(?:\s*\(\d{3}\))?\s*:\s*"
)
_STRONG_PREFIX = (
    r"litellm\.(?P<exc>\w+Error|Timeout):\s*(?:\w+Error:\s*)?(?:(?P<vendor>\w+?)Exception\s*-\s*)?"
    r"|(?:openai|anthropic)\.(?P<sdk_exc>\w+Error):\s*"
    r"|(?P<vexc>OpenAI|Anthropic|Azure|AzureOpenAI|VertexAI|Vertex_ai|Gemini|Bedrock|OpenRouter)"
    r"Exception(?:\s+\w+Error)?\s+-\s*"
    r"|google\.api_core\.exceptions\.(?P<gexc>\w+):\s*(?P<gstatus>\d{3})?\s*"
    r"|Error code:\s*(?P<code>\d{3})\s*-\s*"
    r"|(?P<module>(?:@?[a-z_][\w-]*[./])+)?(?P<anyexc>_?[A-Z]\w*(?:Error|Exception|Exhausted))"
    r"(?:\s*\[\w+\])?\s*:\s*"
    r"|(?P<bare>[1-5]\d{2})(?:\s+[A-Z][A-Za-z_]*(?:\s[A-Z][A-Za-z_]*){0,3})?\.?\s+(?=\[?\s*\{|\"\{)"
    r"|[1-5]\d{2}\s+(?=[A-Z][A-Za-z])"  # "429 Rate limit reached for gpt-4o ...", "401 API key"
    r"|got status:\s*(?P<got>\d{3})?[A-Za-z ]*\.?\s*"
    r"|(?P<http>\d{3}) (?:Too Many Requests|Service Unavailable|Unauthorized|Forbidden"
    r"|Payment Required|Internal Server Error|Bad Gateway|Overloaded)\b[:.]?\s*"
)
ERROR_PREFIX = lazy(rf"(?:{_WEAK_PREFIX}|{_API_PREFIX}|{_PLAIN_PREFIX}|{_STRONG_PREFIX})")
# "API Error (Connection error.) · Retrying in 5 seconds… (attempt 2/10)": Claude's retry line.
RETRYING = lazy(r"Retrying in\s+(?P<delay>\d+(?:\.\d+)?\s?(?:seconds?|secs?|s|ms))", _I)

# --- structured error bodies -----------------------------------------------------------------

# Phrases read inside an error body's message (searched, since the body is already an error).
MSG_PER_DAY = lazy(r"per[ -]?day|PerDay|daily|\bRPD\b|\bTPD\b|requests per day", _I)
MSG_PER_MINUTE = lazy(r"per[ -]?minute|PerMinute|\bRPM\b|\bTPM\b", _I)
MSG_LIMIT_ZERO = lazy(r"\blimit:\s*0(?!\.?\d)")  # not "limit: 0.5" (googleQuotaErrors.ts)
MSG_RETRY_IN = lazy(
    r"(?:Please (?:retry|try again) in|reset after|retry after|try again in)"
    rf"\s+(?P<delay>{DURATION})",
    _I,
)
MSG_MODEL = lazy(
    r"\bmodel[:=]\s*['\"]?(?P<model>[\w.:-]+)|\bfor (?P<model2>(?:gpt|o\d|claude|gemini)[\w.:-]*)",
    _I,
)
MSG_CREDIT = lazy(
    r"credit balance is too low|insufficient[_ ]credits?|out of (?:extra usage|credits)", _I
)
MSG_BILLING_ENABLE = lazy(
    r"requires billing to be enabled|billing (?:is )?(?:not enabled|disabled)", _I
)
MSG_REGAIN = lazy(rf"regain access on\s+(?P<reset>{TIME})", _I)
MSG_AUTH = lazy(
    r"invalid x-api-key|invalid api key|api key not valid|incorrect api key|invalid bearer"
    r"|token (?:has )?expired|authentication|unauthori[sz]ed|revoked",
    _I,
)
_JSON_START = r"\[?\s*\{|\"\{"
JSON_START = lazy(_JSON_START)
# Where a provider's body or exception starts after some words of lead-in on the same row
# ("Attempt 1 failed with status 429. Retrying with backoff... _GaxiosError: [{").
# An exception is found by its cheap ending (": " after "Error" or "Exception"); its whole name
# is then checked from the blank before it. A body follows "word: " or "failed. ".
LEAD_IN = lazy(r"(?:Error|Exception)\s*:\s")
LEAD_IN_BODY = lazy(r"[:!.-] (?=\[?\{\s*\")")
LEAD_IN_NAME = lazy(r"(?:[\w@.-]+[./])?_?[A-Z]\w*(?:Error|Exception)\s*:\s")
# HTTP response headers printed above a body (curl -i): when to try again.
RETRY_HEADER = lazy(
    r"^(?:retry-after:\s*(?P<seconds>\d+(?:\.\d+)?)\s*$"
    r"|(?:anthropic-ratelimit-[\w-]+-reset|x-ratelimit-reset-[\w-]+):\s*(?P<stamp>\S+)\s*$)",
    _I,
)
# A model name says whose API it is when nothing else does.
MODEL_VENDOR = (
    (
        lazy(r"\b(?:gpt-|o[134](?:-mini)?\b|chatgpt|davinci|in organization org-)", _I),
        "openai",
    ),
    (lazy(r"\bclaude-|\banthropic\b", _I), "anthropic"),
    (lazy(r"\bgemini-|generativelanguage|googleapis", _I), "google"),
)

# --- screen furniture: rows that are not agent output ----------------------------------------

# Screen furniture, tested on the lowercased row: words of footers, key hints, dialogs.
CHROME_WORDS = (
    "for shortcuts", "enter to confirm", "enter to select", "shift+tab", "shift + tab", "⏵⏵",
    "⏸", "accept edits", "plan mode", "bypass permissions", "auto-accept", "context left",
    "auto-compact", "% context", "no sandbox", "sandbox (", "⏎", "⌃", "ctrl+", "ctrl +",
    "type your message", "use enter to", "what do you want to do?", "press f12", "press up",
    "press enter", "press ctrl", "for usage details", "to switch models", "this request failed",
    "request cancelled", "/upgrade", "/extra-usage", "/rate-limit-options", "/low-priority",
    "/usage-credits", "/stats", "run /status", "token usage:", "ide connected",
    "ide disconnected", "resume this session with", "to continue this session",
    "waiting for capacity", "esc to cancel", "r to retry", "esc to go back", "enter select",
)  # fmt: skip
CHROME_START = lazy(
    r"(?:tip:|retry(?:ing)? in |waiting for |/[a-z][\w-]*(?=\s|$)|Please wait and try again"
    r"|We apologize and appreciate)",
    _I,
)
# A spinner row's summary of a finished turn: "✻ Worked for 2m 3s", "✻ Churned for 18m · done".
TURN_SUMMARY = lazy(r"^[\w\s,.'’-]{0,40}(?:for|after) \d+(?:h|m|s|ms)(?:\s?\d+[hms])*(?: · .*)?$")
# A tool call heading its output: "⏺ Bash(npm test)", "• Ran git diff", "• Explored".
TOOL_CALL = lazy(r"^(?:[A-Z][\w.:-]*\(.*\)?$|(?:Ran|Explored|Read|Edited|Searched|Called)\b)")
TOOL_OUTPUT_GLYPHS = frozenset("⎿└")
# A short numbered option of an interactive menu ("❯ 1. Stop and wait for limit to reset").
MENU_OPTION = lazy(r"^(?:[❯›>●○◉]\s*)?\d{1,2}\.\s+\S.{0,70}$")
# A spinner row of a turn in progress: the agent is working, not answering yet.
SPINNER = lazy(r"…|\.\.\.\s*\(|esc to interrupt|\bthinking\b", _I)
# A log line of the agent's own ("[2025-09-10T17:55:15] ERROR: …"), not grep's "file:line:".
LOG_STAMP = lazy(r"\[\d{4}-\d\d-\d\dT[\d:.]+Z?\]\s+(?:ERROR:|stream error)")
# Diff, grep, numbered listings: text that quotes other text.
QUOTED_ROW = lazy(
    r"^(?:[+\-@]|\d+\s*[+\-]\s|\d+\s*[→│|:]|(?:\S*/)?[\w.\-]+\.\w{1,5}(?::\d+)?[:-]"
    r"|\S+:\d+[:-]|\$ |#\s)"
)
# The first option of Claude Code's /rate-limit-options menu or of Gemini's quota dialog.
LIMIT_MENU = lazy(
    r"^(?:[❯›>●○◉]\s*)?(?:\d\.\s*(?:Stop and wait for limit to reset|Switch to [\w.:-]+"
    r"|Keep trying|Upgrade for higher limits)|(?:\d\.\s*)?Adjust monthly spend limit\b)",
    _I,
)
# A notice's own line saying when it resets, printed under it: "Resets by 4:00 AM Friday
# Apr 24", "· resets 3pm (Asia/Tbilisi)", "Access resets at 2:00 PM PST."
RESET_LINE = lazy(
    rf"^(?:[·∙•|–—-]\s*)?(?:Access\s+|Your (?:\w+ )?limit\s+)?resets?\s+(?:by\s+|at\s+|on\s+)?"
    rf"(?P<reset>{TIME})",
    _I,
)
# A usage gauge drawn at the right of the footer row: "? for shortcuts   You've used 98% of…".
FOOTER_GAUGE = lazy(rf"\s{{3,}}(?=You{APOS}ve used \d{{1,3}}% of your )")
# The message of an error body cut short (a title, a log that truncated it): read it alone.
JSON_MESSAGE = lazy(r'"message"\s*:\s*"(?P<message>(?:[^"\\]|\\.){1,2000})')
# A notice's advice and hints under it, which are no agent output: "Please wait and try again
# later", "/model to switch models.", "Request increase?", "How would you like to proceed?".
ADVICE = lazy(
    r"^(?:/[a-z][\w-]*(?=\s|$)|Please wait and try again|To increase your limits|Or you can utilize"
    r"|You can switch authentication|To continue using this model|Newly purchased AI credits"
    r"|How would you like to proceed|You have \d[\d,]* AI Credits|What do you want to do"
    r"|Request a limit increase|Ask your (?:workspace )?(?:owner|admin)|Switch to [\w.:-]+ for"
    r"|Keep current model|Press enter to confirm|We apologize and appreciate|Run /\w+"
    r"|Upgrade (?:to|your plan)|Add funds|Wait for limit to reset|Run /usage-credits)",
    _I,
)
SHELL_PROMPT = lazy(
    r"^(?:\([\w.-]+\)\s*)?(?:[\w.-]+@[\w.-]+(?::\S*)?\s*[$#%]"
    r"|\[[\w.-]+@[\w.-]+(?: [^\]]*)?\][$#%]|(?:ba|z|da|k|fi)?sh-[\d.]+[$#]|[~/]\S*\s*[$#%]"
    r"|➜\s+\S+|[$#%])(?:\s.*)?$"
)
AGENT_EXIT = lazy(
    r"Resume this session with:?\s*claude|To continue this session, run codex"
    r"|^Agent powering down|^Goodbye!|^Interaction Summary",
    _I,
)
BLANKS = lazy(r"\s+")
# Fingerprints of each agent's screen, used when a line alone does not say who printed it.
FINGERPRINTS: dict[str, Lazy] = {
    "claude": lazy(
        r"^\s*[⏺⎿]|^\s*[✻✶✳✢✽] |Claude Code|/upgrade to|/rate-limit-options|run /login", re.M
    ),
    "codex": lazy(r"OpenAI Codex|^\s*[›▌](?: |$)|⏎ send|\d% context left(?!\))", re.M),
    "gemini": lazy(
        r"^\s*✦ |Gemini CLI|Type your message or @|no sandbox|\(\d+% context left\)|Clearcut", re.M
    ),
    "aider": lazy(r"^Aider v\d|^Tokens: .* sent|^Applied edit to ", re.M),
}

# --- the first-pass filter -------------------------------------------------------------------

# Whether a row may begin something the banner parser reads: after weak error prefixes (read
# greedily, as the parser reads them), a strong one (an API, a status, an exception), a
# provider's body, or the beginning of a banner shape. Two anchored matches at the start of the
# row's body (`opens`); the parser reads only rows that pass (and their continuation rows).
_OPENER = (
    rf"(?>(?:{_unnamed(_WEAK_PREFIX)}|{_unnamed(_PLAIN_PREFIX)})*)"
    rf"(?P<strong>{_unnamed(_API_PREFIX)}|{_unnamed(_STRONG_PREFIX)})?"
)
# Every blank these ask for may be missing, so that rows glued together with nothing between
# them read the same whether the wrap split a word or swallowed a blank (a superset: the
# filter may let a little more through, never less).
OPENER = lazy(lambda: _spaces_optional(_OPENER))
# The shapes' beginnings (each named after its place in SHAPES), and a provider's body,
# matched case-sensitively on the lowercased row, split by the character each may start with:
# a row tries only the few that can start where it does.
SHAPE_STARTS = ByFirstChar(
    lambda: [
        *(_spaces_optional(_lowered(f"(?P<s{index}>{_unnamed(shape.loose.source)})"))
          for index, shape in enumerate(SHAPES)),
        f"(?:{_JSON_START})",
    ],
    # "you…" begins a third of the shapes; the other letters share one alternation.
    groups=("abcdefghijklmnopqrstuvwxz", "0123456789"),
)  # fmt: skip
LEADING = lazy(rf"{_SYMBOL}*\s*")  # what may come before a shape's first word


def shape_gate(text: str) -> int | None:
    """The place in SHAPES of the first shape that may match at the start of `text`, or None."""
    low = text.lower()
    if len(low) != len(text):  # a character whose lower case is longer: read it as it is
        found = OPENER_SHAPE_ANY_CASE.match(text)
        return int(found.lastgroup[1:]) if found is not None and found.lastgroup else None
    places = [int(found.lastgroup[1:]) for found in _starts(low, 0) if found.lastgroup]
    return min(places, default=None)


def opens(text: str) -> bool:
    """Whether the banner parser may find something at the start of `text` (see OPENER):
    a row, or rows glued together with nothing between them."""
    prefixes = OPENER.match(text)
    if prefixes is None:  # cannot happen: the expression may match nothing
        return True
    if prefixes.group("strong") is not None:
        return True
    low = text.lower()
    if len(low) != len(text):  # a character whose lower case is longer: read it as it is
        return OPENER_SHAPE_ANY_CASE.match(text, prefixes.end()) is not None
    return next(_starts(low, prefixes.end()), None) is not None


def _starts(low: str, pos: int) -> Iterator[re.Match[str]]:
    """The shape beginnings that match in `low` at `pos`, after any of the symbols and blanks
    there (a symbol may also start a shape: "❯ 1. Stop…", "**You've hit…")."""
    lead = LEADING.match(low, pos)
    for start in range(pos, (lead.end() if lead else pos) + 1):
        found = SHAPE_STARTS.match(low, start)
        if found is not None:
            yield found


OPENER_SHAPE_ANY_CASE = lazy(
    lambda: _spaces_optional(rf"{_SYMBOL}*\s*(?:{_JSON_START}|{_GATE})"), _I
)
