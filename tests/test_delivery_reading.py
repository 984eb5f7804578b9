"""Reading a pane around a delivery, without tmux: may a message go now (`look`), and what the
pane says after Enter (`answer`). The screens are drawn the way Claude Code and Gemini CLI
draw them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from credit_management.messaging.reading import answer, look
from credit_management.models import iso

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
EPOCH = int((NOW + timedelta(hours=2)).timestamp())
BOX = "\n".join(["", "╭────────────────────╮", "│ >                  │", "╰────────────────────╯"])
FOOTER = "  ? for shortcuts"


def screen(*rows: str) -> str:
    return "\n".join([*rows, BOX, FOOTER])


def test_an_idle_agent_is_ready() -> None:
    seen = look(screen("> earlier task", "⏺ Done: earlier task"), None, NOW, UTC)
    assert seen.ready and seen.reason is None


def test_a_limit_on_screen_holds_even_before_any_sweep_confirmed_it() -> None:
    text = screen("> task 11", f"  ⎿  Claude AI usage limit reached|{EPOCH}")
    seen = look(text, None, NOW, UTC)
    assert not seen.ready
    assert seen.reason == "a usage limit is on screen; it resets 11:00"
    assert seen.until == NOW + timedelta(hours=2)
    # The same banner above the last resume's mark is old news.
    resumed = text.replace(BOX, "> Quick check\n⏺ OK" + BOX)
    assert look(resumed, "Quick check", NOW, UTC).ready


def test_a_limit_menu_holds() -> None:
    text = "\n".join(
        [
            "> task 3",
            "  ⎿  You've hit your session limit · resets 3pm (UTC)",
            "",
            "What do you want to do?",
            "",
            "❯ 1. Stop and wait for limit to reset",
            "  2. Add funds to continue with extra usage",
            "",
            "Enter to confirm · Esc to cancel",
        ]
    )
    seen = look(text, None, NOW, UTC)
    assert not seen.ready


CAPACITY = (
    "✕ [API Error: You have exhausted your capacity on this model. "
    "Your quota will reset after 33s.]"
)


def test_a_transient_error_holds_until_the_retry_first_seen() -> None:
    text = "\n".join(["> next step", CAPACITY, "", "│ > Type your message │"])
    seen = look(text, None, NOW, UTC)
    assert not seen.ready and seen.until == NOW + timedelta(seconds=33)
    assert seen.reason is not None and "asks to retry at 09:00" in seen.reason
    # Read again later the banner still says 33 s; the retry fixed at first sight decides.
    error = seen.signal.evidence if seen.signal else ""
    stall = {"error": error, "retry_at": iso(NOW + timedelta(seconds=33))}
    later = NOW + timedelta(seconds=40)
    assert look(text, None, later, UTC, stall).ready
    assert not look(text, None, NOW + timedelta(seconds=10), UTC, stall).ready


@pytest.mark.parametrize(
    ("rows", "verdict"),
    [
        # The limit and nothing else below the message: refused.
        ((f"  ⎿  Claude AI usage limit reached|{EPOCH}",), "refused"),
        (
            ("✻ Thinking… (esc to interrupt)", f"  ⎿  Claude AI usage limit reached|{EPOCH}"),
            "refused",
        ),
        # Work done, then the limit: the message was taken (retyping it would double it).
        (
            ("⏺ Done: task 7", "", "  ⎿  You've hit your session limit · resets 3pm (UTC)"),
            "accepted",
        ),
        (("⏺ Done: task 7",), "replied"),
        (("✻ Thinking… (esc to interrupt)",), "pending"),
    ],
)
def test_the_answer_to_a_message(rows: tuple[str, ...], verdict: str) -> None:
    before = screen("> task 6", "⏺ Done: task 6")
    after = screen("> task 6", "⏺ Done: task 6", "> task 7", *rows)
    assert answer(after, "task 7", before, NOW, UTC).verdict == verdict


def test_without_an_echo_only_a_new_banner_counts() -> None:
    old = f"  ⎿  Claude AI usage limit reached|{EPOCH}"
    before = screen("> earlier", old)
    pasted = screen("> earlier", old, "> [Pasted text #1 +40 lines]")
    assert answer(pasted, "line one\nline two", before, NOW, UTC).verdict == "replied"
    fresh = screen("> [Pasted text #1 +40 lines]", "  ⎿  You've hit your weekly limit · resets 3pm")
    assert answer(fresh, "line one\nline two", screen(), NOW, UTC).verdict == "refused"
