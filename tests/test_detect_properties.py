"""Properties of `classify` over generated panes (hypothesis).

- Any text at all: `classify` returns a Signal and never raises (no time is asserted: every
  example simply has to finish; the cost figures come from bench/bench_classify.py).
- A real banner followed by any screen furniture (hints, key hints, menus, footers, the input
  box, blank rows) is still current and reads the same.
- The same banner followed by a prompt the agent answered is old: the pane shows no stop.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credit_management.detect.signals import classify, forget_cached
from credit_management.models import Kind, Signal

ZONE = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 21, 14, 30, tzinfo=ZONE)
RULE = "─" * 80

# Stops as the agents print them (tests/corpus holds each with its source).
STOPS = [
    "  ⎿  You've hit your session limit · resets 5:40pm (Europe/Berlin)",
    "  ⎿  You've hit your weekly limit · resets Jul 27 at 4:30am (Asia/Calcutta)",
    "  ⎿  Claude usage limit reached. Your limit will reset at 9am (America/Chicago).",
    "  ⎿  5-hour limit reached ∙ resets 5am",
    "■ You've hit your usage limit. Try again at 11:42 PM.",
    "■ You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try "
    "again in 3 hours 2 minutes.",
    "✕ [API Error: You have exhausted your capacity on this model. Your quota will reset after "
    "21h39m57s.]",
    "  ⎿  Credit balance too low · Add funds: https://console.anthropic.com/settings/billing",
    "  ⎿  OAuth token revoked · Please run /login",
    "■ Your workspace is out of credits. Ask your workspace owner to refill in order to continue.",
    "  ⎿  You've hit your monthly spend limit · raise it at claude.ai/settings/usage",
]
# Screen furniture an agent draws with or after a notice: none of it is agent work.
CHROME = [
    "",
    RULE,
    "❯ ",
    "  ? for shortcuts",
    "  ⏵⏵ accept edits on (shift+tab to cycle)",
    "  Context left until auto-compact: 12%",
    "     /upgrade to increase your usage limit.",
    "     /extra-usage to finish what you’re working on.",
    "/login to switch to an API usage-billed account.",
    "⚠ /usage-credits to continue now",
    "/model to switch models.",
    "/stats model for usage details",
    "Please wait and try again later.",
    "What do you want to do?",
    "❯ 1. Stop and wait for limit to reset",
    "  2. Upgrade your plan",
    "Enter to confirm · Esc to cancel",
    "  Press enter to confirm or esc to go back",
    "✻ Worked for 2m 4s",
    "╭" + "─" * 78 + "╮",
    "│ >" + " " * 76 + "│",
    "╰" + "─" * 78 + "╯",
    "› Ask Codex to do anything",
    "  100% context left · ? for shortcuts",
]
# Below an answer: furniture only (a limit chooser there would be a new stop).
FOOTERS = [row for row in CHROME if "limit" not in row]
ANSWERS = [
    "⏺ Done: the importer now validates the cursor before use.",
    "• Ran pytest -q\n  └ 42 passed in 3.21s",
    "✦ I updated the parser and the tests pass.",
]
ROWS = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    max_size=300,
)
PIECES = st.sampled_from(
    [*STOPS, *CHROME, *ANSWERS, "\x1b[31m", "\x1b]8;;http://x\x1b\\", "\r", "\t", "{", '{"error":']
)
RELAXED = settings(
    deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow], database=None
)


def read(text: str) -> Signal:
    forget_cached()  # each example read cold, as a fresh `run` reads it
    return classify(text, NOW, ZONE)


@RELAXED
@given(st.lists(st.one_of(ROWS, PIECES), max_size=60))
def test_any_pane_text_is_classified_without_raising(rows: list[str]) -> None:
    signal = read("\n".join(rows))
    assert isinstance(signal.kind, Kind)


@RELAXED
@given(st.text(max_size=5_000))
def test_any_string_is_classified_without_raising(text: str) -> None:
    assert isinstance(read(text).kind, Kind)


@RELAXED
@given(st.sampled_from(STOPS), st.lists(st.sampled_from(CHROME), max_size=14))
def test_a_banner_followed_by_chrome_stays_current(banner: str, chrome: list[str]) -> None:
    alone = read(banner)
    assert alone.kind.stops_agent, alone
    below = read("\n".join([banner, *chrome]))
    assert (below.kind, below.reset_at) == (alone.kind, alone.reset_at), below


@RELAXED
@given(
    st.sampled_from(STOPS),
    st.lists(st.sampled_from(CHROME), max_size=4),
    st.sampled_from(["> continue", "❯ go on with the importer", "› try again"]),
    st.sampled_from(ANSWERS),
    st.lists(st.sampled_from(FOOTERS), max_size=6),
)
def test_a_banner_followed_by_an_answered_prompt_goes_stale(
    banner: str, chrome: list[str], prompt: str, answer: str, footer: list[str]
) -> None:
    text = "\n".join([banner, *chrome, "", prompt, "", answer, *footer])
    signal = read(text)
    assert signal.kind is Kind.NONE, signal
    assert signal.evidence, "the old banner is still named as evidence"
