"""Unit tests of limit detection: the screen model, wrapped banners, what is current, error
bodies, look-alikes, the resume-mark helpers and bad input. The corpus of real screens is
checked in test_signals_corpus.py; here each rule is pinned down on its own."""

from __future__ import annotations

import json
import textwrap
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_management.detect.screen import Role, clean, rows_of
from credit_management.detect.signals import (
    at_shell_prompt,
    classify,
    forget_cached,
    has_reply,
    limit_menu_open,
    text_since,
)
from credit_management.models import Kind, Signal

DENVER = ZoneInfo("America/Denver")
NOW = datetime(2026, 11, 21, 13, 30, tzinfo=DENVER)
SESSION = "You've hit your session limit · resets 5:20am (America/Denver)"
SESSION_RESET = datetime(2026, 11, 22, 5, 20, tzinfo=DENVER)
CLAUDE_FOOTER = "\n\n" + "─" * 60 + "\n❯ \n" + "─" * 60 + "\n  ? for shortcuts\n"


def read(text: str, now: datetime = NOW, zone: ZoneInfo = DENVER) -> Signal:
    return classify(text, now, zone)


def claude_screen(*banner: str, after: str = "") -> str:
    lines = ["⏺ Bash(npm test)", "  ⎿  (No output)", f"  ⎿  {banner[0]}"]
    lines += [f"     {line}" for line in banner[1:]]
    return "\n".join(lines) + ("\n\n" + after if after else "") + CLAUDE_FOOTER


# --- the issue's own example -------------------------------------------------------------------


def test_the_issue_example_exactly() -> None:
    text = claude_screen(SESSION, "/upgrade to increase your usage limit.")
    assert read(text).to_dict() == {
        "kind": "exhausted",
        "provider": "claude",
        "reset_at": "2026-11-22T05:20:00-07:00",
        "evidence": SESSION,
        "message": "Claude session limit; resets in 15h50m",
        "scope": "session",
        "model": None,
    }


# --- the screen model ------------------------------------------------------------------------


def test_clean_strips_csi_osc_and_control_characters() -> None:
    raw = "\x1b[1;31m⎿\x1b[0m \x1b]8;;https://x.example\x07link\x1b]8;;\x07 ok\x07\x00\x1b(B"
    assert clean(raw) == ["⎿ link ok"]


def test_clean_keeps_what_a_carriage_return_left_on_the_row() -> None:
    assert clean("Retrying in 5s\rRetrying in 4s\rYou've hit your limit") == [
        "You've hit your limit"
    ]


def test_clean_reads_only_the_last_rows_of_a_huge_capture() -> None:
    rows = clean("x\n" * 10_000 + "last")
    assert len(rows) == 400 and rows[-1] == "last"


def test_rows_know_borders_rules_prompts_glyphs_and_furniture() -> None:
    rows = rows_of(
        "╭────────────╮\n│ > hello    │\n╰────────────╯\n"
        "  ⎿  You've hit your limit\n  ? for shortcuts\nplain text"
    )
    assert [row.role for row in rows] == [
        Role.RULE,
        Role.PROMPT,
        Role.RULE,
        Role.TEXT,
        Role.CHROME,
        Role.TEXT,
    ]
    assert rows[1].body == "hello"
    assert (rows[3].glyph, rows[3].body, rows[3].indent) == ("⎿", "You've hit your limit", 2)


def test_ansi_colour_codes_around_a_banner() -> None:
    text = (
        "  \x1b[2m⎿\x1b[22m  \x1b[31mYou've hit your session limit\x1b[39m"
        " · resets 5:20am (America/Denver)"
    )
    signal = read(text)
    assert (signal.kind, signal.reset_at) == (Kind.EXHAUSTED, SESSION_RESET)


# --- wrapped banners -------------------------------------------------------------------------


def _hard_wrap(lines: list[str], width: int) -> list[str]:
    """What `tmux capture-pane` without -J gives: rows cut at the width, right-trimmed."""
    rows: list[str] = []
    for line in lines:
        while len(line) > width:
            rows.append(line[:width].rstrip())
            line = line[width:]
        rows.append(line.rstrip())
    return rows


def _soft_wrap(lines: list[str], width: int) -> list[str]:
    """What a TUI does itself: break between words, indent the rest under the text."""
    rows: list[str] = []
    for line in lines:
        indent = len(line) - len(line.lstrip())
        glyph = 3 if line.lstrip()[:1] in "⎿■✕⏺" else 0
        rows += textwrap.wrap(
            line, width, subsequent_indent=" " * (indent + glyph), break_on_hyphens=False
        ) or [""]
    return rows


WRAPPED_SCREENS = {
    "claude": (
        [
            "> fix it",
            f"  ⎿  {SESSION}",
            "     /upgrade to increase your usage limit.",
            "",
            "RULE",
            "❯ ",
        ],
        Kind.EXHAUSTED,
        SESSION_RESET,
    ),
    "claude-1.0": (
        [
            "  ⎿  Claude usage limit reached. Your limit will reset at 3pm (America/New_York).",
            "",
            "      • /upgrade to increase your usage limit.",
        ],
        Kind.EXHAUSTED,
        datetime(2026, 11, 22, 15, 0, tzinfo=ZoneInfo("America/New_York")),
    ),
    "codex": (
        [
            "■ You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing), "
            "visit https://chatgpt.com/codex/settings/usage to purchase more credits or try "
            "again at Nov 23rd, 2026 11:51 AM.",
            "",
            "› Ask Codex to do anything",
        ],
        Kind.EXHAUSTED,
        datetime(2026, 11, 23, 11, 51, tzinfo=DENVER),
    ),
    "gemini": (
        [
            "✕ [API Error: You have exhausted your capacity on this model. Your quota will "
            "reset after 21h39m57s.]"
        ],
        Kind.EXHAUSTED,
        NOW + timedelta(hours=21, minutes=39, seconds=57),
    ),
    "auto-resume": (
        [
            "  ⎿  You've hit your session limit · resets 7pm (America/Denver)",
            "",
            "Usage limit reached · continuing automatically at 7pm · esc to cancel",
            "RULE",
        ],
        Kind.AUTO_RESUME,
        datetime(2026, 11, 21, 19, 0, tzinfo=DENVER),
    ),
}


@pytest.mark.parametrize("wrap", [_hard_wrap, _soft_wrap], ids=["hard", "soft"])
@pytest.mark.parametrize("name", sorted(WRAPPED_SCREENS))
def test_a_banner_wrapped_at_any_width_reads_the_same(
    name: str, wrap: Callable[[list[str], int], list[str]]
) -> None:
    lines, kind, reset = WRAPPED_SCREENS[name]
    wrong = []
    for width in range(20, 121):
        rows = wrap([("─" * width if line == "RULE" else line) for line in lines], width)
        signal = read("\n".join(rows))
        if (signal.kind, signal.reset_at) != (kind, reset):
            wrong.append((width, signal.kind.value, signal.reset_at, signal.evidence))
    assert not wrong


def test_a_break_inside_the_time_and_inside_the_zone() -> None:
    text = "You've hit your session limit · resets 5\n:20am (America/Den\nver)\n" + "x" * 20
    # The rows above are "full" only if the pane is that narrow: make it so.
    rows = ["You've hit your session limit · resets 5", ":20am (America/Den", "ver)"]
    width = len(rows[0])
    text = "\n".join([rows[0], rows[1].ljust(width).rstrip(), rows[2]])
    assert read(text).reset_at in (SESSION_RESET, None)  # never a wrong instant
    glued = "\n".join(_hard_wrap([SESSION], 41))
    assert read(glued).reset_at == SESSION_RESET


# --- what is current ---------------------------------------------------------------------------


def test_the_input_box_footer_and_hints_below_a_banner_are_not_later_work() -> None:
    text = claude_screen(SESSION, "/upgrade to increase your usage limit.")
    assert read(text).kind is Kind.EXHAUSTED


def test_an_answer_below_a_banner_makes_it_stale() -> None:
    text = claude_screen(SESSION, after="> continue\n\n⏺ Picking up where I left off.")
    signal = read(text)
    assert signal.kind is Kind.NONE
    assert signal.evidence.startswith("You've hit your session limit")  # seen, but old


def test_a_spinner_below_a_banner_means_the_agent_is_working_again() -> None:
    text = claude_screen(SESSION, after="✻ Thinking… (3s · esc to interrupt)")
    assert read(text).kind is Kind.NONE


def test_a_finished_turn_summary_and_the_limit_menu_are_furniture() -> None:
    menu = (
        "✻ Worked for 2m 3s\n\n What do you want to do?\n\n"
        " ❯ 1. Stop and wait for limit to reset\n   2. Upgrade your plan\n\n"
        " Enter to confirm · Esc to cancel"
    )
    signal = read(claude_screen(SESSION, after=menu))
    assert (signal.kind, signal.reset_at) == (Kind.EXHAUSTED, SESSION_RESET)
    assert limit_menu_open(claude_screen(SESSION, after=menu))
    assert not limit_menu_open(claude_screen(SESSION))


def test_a_prompt_typed_after_a_banner_but_not_answered_keeps_it_current() -> None:
    text = claude_screen(SESSION, after="> continue")
    assert read(text).kind is Kind.EXHAUSTED


def test_the_bottom_banner_names_the_reset() -> None:
    older = "  ⎿  You've hit your session limit · resets 3pm (America/Denver)"
    text = older + "\n\n> continue\n" + claude_screen(SESSION)
    assert read(text).reset_at == SESSION_RESET


def test_auto_continue_supersedes_the_limit_it_waits_out() -> None:
    text = claude_screen(
        SESSION, after="Usage limit reached · continuing automatically at 5:20am · esc to cancel"
    )
    signal = read(text)
    assert (signal.kind, signal.reset_at) == (Kind.AUTO_RESUME, SESSION_RESET)


def test_a_fallback_stays_current_while_the_agent_works_on() -> None:
    text = (
        "Claude Opus 4 limit reached, now using Sonnet 4\n\n"
        "⏺ Now let me restart the server.\n\n⏺ Bash(make run)\n  ⎿  ok" + CLAUDE_FOOTER
    )
    signal = read(text)
    assert (signal.kind, signal.provider, signal.model) == (Kind.FALLBACK, "claude", "Opus 4")
    assert signal.message == "Claude Opus 4 limit reached; now using Sonnet 4"


def test_a_later_limit_ends_a_warning() -> None:
    text = (
        "⚠ Heads up, you've used over 95% of your 5h limit. Run /status for a breakdown.\n\n"
        "• Ran pytest\n\n■ You've hit your usage limit. Try again at 3:28 PM.\n\n› "
    )
    signal = read(text)
    assert (signal.kind, signal.provider) == (Kind.EXHAUSTED, "codex")
    assert signal.reset_at == datetime(2026, 11, 21, 15, 28, tzinfo=DENVER)


def test_the_more_serious_of_two_current_signals_wins() -> None:
    text = (
        "  ⎿  Credit balance is too low\n"
        "  ⎿  API Error: 529 "
        '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'
    )
    assert read(text).kind is Kind.BILLING


# --- look-alikes --------------------------------------------------------------------------------

LOOKALIKES = {
    "prose": '⏺ When the limit hits, Claude prints "You\'ve hit your session limit · resets 3pm".',
    "prose starting with the phrase": "⏺ Claude usage limit reached is what the old banner said.",
    "quoted in an answer": f"⏺ The banner looks like this:\n\n  {SESSION}\n\n  Nothing else.",
    "markdown list": f"⏺ Examples:\n  - {SESSION}\n  - 5-hour limit reached ∙ resets 3am",
    "blockquote": f"> {SESSION}",
    "user prompt": f"❯ why does it say {SESSION}?",
    "typed, not sent": "─" * 40 + f"\n> {SESSION}\n" + "─" * 40,
    "diff": f'+    BANNER = "{SESSION}"\n-    old = 1\n@@ -1,2 +1,2 @@',
    "numbered diff": f"     12 +  {SESSION}",
    "grep": f"logs/agent.log:12:{SESSION}\nsrc/x.py:40:    # 5-hour limit reached ∙ resets 3am",
    "code": f'    if "Claude usage limit reached" in text:\n        raise Limit("{SESSION}")',
    "markdown table": f"| banner | meaning |\n|---|---|\n| {SESSION} | stop |",
    "tool output": f"⏺ Bash(cat logs/agent.log)\n  ⎿  {SESSION}\n     [12:05] resumed",
    "usage panel": "  Current session\n  ██████████  100% used\n  Resets 5:20am (America/Denver)",
    "codex status": "│  5h limit: [████████████████████] 100% used (resets 15:04)  │",
    "npm": "npm ERR! code E429\nnpm ERR! 429 Too Many Requests - GET https://registry.npmjs.org/x",
    "monitor log": '{"time": "2026-11-21T20:00:00Z", "event": "credit.exhausted", '
    f'"evidence": "{SESSION}"}}',
    "changelog": "- Fixed: `You've hit your limit · resets` banner now shows the zone",
    "help text": "  --wait-on-limit   wait when 'Claude usage limit reached' appears",
    "overloaded methods": "Overloaded methods are resolved at compile time.",
}


@pytest.mark.parametrize("text", LOOKALIKES.values(), ids=LOOKALIKES.keys())
def test_text_that_only_mentions_limits_is_none(text: str) -> None:
    signal = read(text + CLAUDE_FOOTER)
    assert signal.kind is Kind.NONE, signal


# --- error bodies ---------------------------------------------------------------------------


def _google(quota_id: str, delay: str | None = None, message: str = "quota") -> str:
    details: list[dict[str, object]] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [{"quotaId": quota_id, "quotaDimensions": {"model": "gemini-2.5-pro"}}],
        }
    ]
    if delay:
        details.append({"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay})
    body = {"error": {"code": 429, "message": message, "status": "RESOURCE_EXHAUSTED"}}
    body["error"]["details"] = details  # type: ignore[index]
    return json.dumps(body, indent=2)


BODIES = {
    "anthropic rate": (
        'API Error: 429 {"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}',
        Kind.RATE_LIMIT,
    ),
    "anthropic overloaded": (
        '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
        Kind.OVERLOADED,
    ),
    "anthropic auth": (
        '401 {"type":"error","error":{"type":"authentication_error","message":"bad x-api-key"}}',
        Kind.AUTH,
    ),
    "anthropic billing": (
        '{"type":"error","error":{"type":"invalid_request_error","message":"Your credit '
        'balance is too low to access the Anthropic API."}}',
        Kind.BILLING,
    ),
    "openai quota (python repr)": (
        "openai.RateLimitError: Error code: 429 - {'error': {'message': 'You exceeded your "
        "current quota', 'type': 'insufficient_quota', 'param': None, 'code': "
        "'insufficient_quota'}}",
        Kind.BILLING,
    ),
    "openai per-day": (
        '{"error":{"message":"Rate limit reached for gpt-4o on requests per day (RPD). '
        'Please try again in 7h12m.","type":"requests","code":"rate_limit_exceeded"}}',
        Kind.EXHAUSTED,
    ),
    "openai node literal": (
        "{\n  message: 'Rate limit reached. Please try again in 6ms.',\n  type: 'tokens',\n"
        "  param: null,\n  code: 'rate_limit_exceeded'\n}",
        Kind.RATE_LIMIT,
    ),
    "google per-minute": (_google("GenerateRequestsPerMinutePerProject", "26s"), Kind.RATE_LIMIT),
    "google per-day": (_google("GenerateRequestsPerDayPerProjectPerModel"), Kind.EXHAUSTED),
    "google limit zero": (
        _google("GenerateRequestsPerMinute", "47s", "Quota exceeded, limit: 0, model: x"),
        Kind.EXHAUSTED,
    ),
    "google long delay": (_google("GenerateRequests", "7643s"), Kind.EXHAUSTED),
    "google overloaded": (
        '{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}',
        Kind.OVERLOADED,
    ),
}


@pytest.mark.parametrize("body,kind", BODIES.values(), ids=BODIES.keys())
def test_error_bodies_are_read_by_their_fields(body: str, kind: Kind) -> None:
    assert read(body).kind is kind


def test_a_retry_delay_becomes_the_reset() -> None:
    signal = read(_google("GenerateRequestsPerMinutePerProject", "26s"))
    assert (signal.reset_at, signal.scope, signal.model) == (
        NOW + timedelta(seconds=26),
        "per-minute",
        "gemini-2.5-pro",
    )
    assert signal.provider == "google"


def test_a_body_quoted_as_a_string() -> None:
    inner = json.dumps(
        {
            "type": "error",
            "error": {
                "type": "invalid_request_error",
                "message": "You have reached your specified API usage limits. "
                "You will regain access on 2026-12-01 at 00:00 UTC.",
            },
        }
    )
    signal = read(f"Error: 400 {json.dumps(inner)}")
    assert (signal.kind, signal.provider) == (Kind.EXHAUSTED, "anthropic")
    assert signal.reset_at == datetime.fromisoformat("2026-12-01T00:00:00+00:00")


# --- kinds and messages -------------------------------------------------------------------------

MESSAGES = {
    "Codex usage limit; resets in 5d22h11m": (
        "■ You've hit your usage limit. To get more access now, send a request to your "
        "admin or try again in 5 days 22 hours 11 minutes."
    ),
    "Anthropic credit balance too low; needs a person": "  ⎿  Credit balance is too low",
    "Claude login or API key problem; needs a person": "  ⎿  Invalid API key · Please run /login",
    "Claude usage limit; continues by itself in 5h30m": (
        "Usage limit reached · continuing automatically at 7pm · esc to cancel"
    ),
    "Codex 5-hour limit 75% used; still working": (
        "⚠ Heads up, you've used over 75% of your 5h limit. Run /status for a breakdown."
    ),
    "Gemini rate limit; retry in 39s": (
        "✕ [API Error: You have exhausted your capacity on this model. Your quota will reset "
        "after 39s.]"
    ),
    "Claude servers overloaded; transient": "  ⎿  API Error: Repeated 529 Overloaded errors",
    "Claude usage limit (reset); resets now": (
        "Your usage limit has reset · press enter to continue"
    ),
}


@pytest.mark.parametrize("message,text", [(m, t) for m, t in MESSAGES.items()], ids=list(MESSAGES))
def test_each_kind_says_what_it_means_in_one_sentence(message: str, text: str) -> None:
    assert read(text).message == message


def test_opus_weekly_scope_and_model() -> None:
    signal = read("  ⎿  Opus weekly limit reached ∙ resets Nov 27, 6pm (Europe/Madrid)")
    assert (signal.scope, signal.model) == ("weekly", "Opus")
    assert signal.reset_at == datetime(2026, 11, 27, 18, 0, tzinfo=ZoneInfo("Europe/Madrid"))


def test_gemini_model_and_printed_zone() -> None:
    text = "Usage limit reached for gemini-2.5-pro.\nAccess resets at 3:45 PM PST.\n/stats model"
    signal = read(text)
    assert (signal.kind, signal.provider, signal.model) == (
        Kind.EXHAUSTED,
        "gemini",
        "gemini-2.5-pro",
    )
    assert signal.reset_at == datetime.fromisoformat("2026-11-21T15:45:00-08:00")


# --- time: zones ahead of and behind UTC, midnight, DST -------------------------------------

TIMES = [
    # (now, host zone, banner reset phrase, expected instant)
    ("2026-11-21T13:30:00+09:00", "Asia/Tokyo", "3pm (Asia/Tokyo)", "2026-11-21T15:00:00+09:00"),
    ("2026-11-21T16:30:00+09:00", "Asia/Tokyo", "3pm (Asia/Tokyo)", "2026-11-22T15:00:00+09:00"),
    (
        "2026-11-21T23:50:00-08:00",
        "UTC",
        "12:10am (America/Los_Angeles)",
        "2026-11-22T00:10:00-08:00",
    ),
    ("2026-07-01T10:00:00+12:00", "UTC", "2pm (Pacific/Auckland)", "2026-07-01T14:00:00+12:00"),
    ("2026-11-21T10:00:00-05:00", "UTC", "3pm (Etc/GMT+5)", "2026-11-21T15:00:00-05:00"),
    ("2026-11-21T10:00:00+05:30", "UTC", "3pm (Asia/Calcutta)", "2026-11-21T15:00:00+05:30"),
    (
        "2026-11-21T10:00:00-07:00",
        "America/Denver",
        "3pm (Etc/Unknown)",
        "2026-11-21T15:00:00-07:00",
    ),
    # America/New_York falls back on 2026-11-01: 1:30am happens twice, the first counts.
    ("2026-11-01T00:10:00-04:00", "UTC", "1:30am (America/New_York)", "2026-11-01T01:30:00-04:00"),
    # Europe/Madrid springs forward on 2026-03-29: 2:30am does not exist, it moves forward.
    ("2026-03-29T01:00:00+01:00", "UTC", "2:30am (Europe/Madrid)", "2026-03-29T03:30:00+02:00"),
    # A dated reset in the past is not rolled forward.
    (
        "2026-11-21T20:00:00-07:00",
        "America/Denver",
        "Nov 21, 2026 7pm",
        "2026-11-21T19:00:00-07:00",
    ),
]


@pytest.mark.parametrize("now,zone,phrase,expected", TIMES)
def test_reset_times_across_zones_midnight_and_dst(
    now: str, zone: str, phrase: str, expected: str
) -> None:
    signal = classify(
        f"  ⎿  You've hit your session limit · resets {phrase}",
        datetime.fromisoformat(now),
        ZoneInfo(zone),
    )
    assert signal.reset_at == datetime.fromisoformat(expected)
    assert signal.reset_at is not None and signal.reset_at.utcoffset() == (
        datetime.fromisoformat(expected).utcoffset()
    )


def test_codex_local_time_is_read_in_the_host_zone() -> None:
    signal = classify(
        "■ You've hit your usage limit. Try again at 3:28 PM.", NOW, ZoneInfo("Asia/Tokyo")
    )
    assert signal.reset_at == datetime(2026, 11, 22, 15, 28, tzinfo=ZoneInfo("Asia/Tokyo"))


# --- reading only what is new: marks, replies, shells ---------------------------------------


def test_text_since_returns_the_rows_below_the_last_echo_of_the_mark() -> None:
    text = claude_screen(SESSION, after="> Please continue.\n\n⏺ On it.")
    after = text_since(text, "Please continue.")
    assert after.lstrip().startswith("⏺ On it.")
    assert SESSION not in after
    assert read(after).kind is Kind.NONE


def test_text_since_finds_a_wrapped_echo_and_falls_back_to_everything() -> None:
    text = "old\n> Please continue with the\n  refactor now.\n⎿  " + SESSION
    assert text_since(text, "Please continue with the refactor now.").strip() == "⎿  " + SESSION
    assert text_since(text, "never typed") == text
    assert text_since(text, None) == text
    assert text_since(text, "   ") == text


def test_has_reply_ignores_the_echo_the_spinner_and_banners() -> None:
    assert not has_reply("> Please continue.\n\n✻ Thinking… (esc to interrupt)", "Please continue.")
    assert not has_reply("  ⎿  API Error: Repeated 529 Overloaded errors" + CLAUDE_FOOTER)
    assert has_reply("> Please continue.\n\n⏺ Done: tests pass.", "Please continue.")


def test_at_shell_prompt() -> None:
    assert at_shell_prompt("Resume this session with:\nclaude --resume 1234\nme@box:~/proj$ ")
    assert at_shell_prompt("output\n$ ")
    assert not at_shell_prompt(claude_screen(SESSION))
    assert not at_shell_prompt("aider output\n\n> ")
    assert not at_shell_prompt("")


# --- bad input ----------------------------------------------------------------------------------


def test_binary_garbage_is_none() -> None:
    garbage = bytes(range(256)) * 400
    assert read(garbage.decode("utf-8", errors="replace")).kind is Kind.NONE


def test_a_ten_megabyte_capture_classifies_in_bounded_time() -> None:
    work = "⏺ Bash(ls)\n  ⎿  file.py\n" * 400_000  # ~10 MB
    text = work + claude_screen(SESSION)
    started = time.perf_counter()
    signal = read(text)
    assert time.perf_counter() - started < 2.0
    assert (signal.kind, signal.reset_at) == (Kind.EXHAUSTED, SESSION_RESET)


def test_one_enormous_row_is_bounded_too() -> None:
    started = time.perf_counter()
    assert read("limit " * 2_000_000).kind is Kind.NONE
    assert time.perf_counter() - started < 2.0


PATHOLOGICAL = {
    "unclosed bodies": ('{"error": {"code": 429, "message": "' + "x" * 3900 + "\n") * 400,
    "unclosed API errors": ("API Error: 429 " + '{"type":"error",' * 200 + "\n") * 400,
    "brackets": ("{[" * 2000 + "\n") * 400,
    "banner words": ("You've hit your usage limit " * 140 + "\n") * 400,
    "endless time": ("  ⎿  5-hour limit reached ∙ resets " + "3:4" * 1300 + "\n") * 400,
    "glyphs": ("⎿ ■ ✕ ⚠ " * 500 + "limit\n") * 400,
    "staircase": "\n".join(" " * depth + "⏺ rate limit error" for depth in range(400)),
}


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_input_is_bounded(text: str) -> None:
    forget_cached()
    started = time.perf_counter()
    read(text)
    assert time.perf_counter() - started < 2.0


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_classify_never_raises(text: str) -> None:
    signal = read(text)
    assert isinstance(signal.kind, Kind)
    assert signal.reset_at is None or signal.reset_at.tzinfo is not None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([*LOOKALIKES.values(), "", "⏺ ok", "$ ls"]), max_size=8))
def test_look_alikes_in_any_order_stay_none(parts: list[str]) -> None:
    assert read("\n".join(parts) + CLAUDE_FOOTER).kind is Kind.NONE


def test_an_answer_ending_in_an_ellipsis_is_a_reply_not_a_spinner() -> None:
    typed = "> Refactor the parser"
    answer = f"{typed}\n\n⏺ Refactoring the parser into three modules…\n"
    assert has_reply(answer, "Refactor the parser")
    thinking = f"{typed}\n\n✻ Thinking… (esc to interrupt)\n"
    assert not has_reply(thinking, "Refactor the parser")


@pytest.mark.parametrize(
    ("banner", "message"),
    [
        ("  ⎿  You're out of extra usage · resets 3pm", "Claude extra usage; resets in 1h30m"),
        (
            "  ⎿  You've hit your session limit · resets 3pm",
            "Claude session limit; resets in 1h30m",
        ),
    ],
)
def test_a_limit_named_in_its_own_words_is_named_once(banner: str, message: str) -> None:
    assert read(claude_screen(banner)).message == message
