"""Claude Code's payloads and records, shaped as its documentation and real captures show
them, read into samples, windows and signals (no tmux, no clock)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from credit_management.models import Kind
from credit_management.sources.claude_failures import failure_signal
from credit_management.sources.claude_hooks import sample_from_hook
from credit_management.sources.claude_statusline import sample_from_payload, status_text
from credit_management.sources.claude_transcript import (
    config_dir,
    find_transcript,
    project_slug,
    read_api_error,
)
from credit_management.sources.readings import Window
from credit_management.sources.samples import statusline_windows

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")
BANNER = "You've hit your session limit · resets 9:50pm (Asia/Saigon)"
RESET = int((NOW + timedelta(hours=2)).timestamp())


def window(name: str, used: float, resets: int | None = RESET) -> Window:
    at = datetime.fromtimestamp(resets, UTC) if resets else None
    return Window(name, used, at, "claude-statusline", NOW)


def test_a_documented_statusline_payload_keeps_windows_cost_and_session() -> None:
    payload = {
        "session_id": "abc123",
        "transcript_path": "/p/t.jsonl",
        "cwd": "/p",
        "model": {"id": "claude-opus-5", "display_name": "Opus"},
        "version": "2.1.90",
        "cost": {"total_cost_usd": 0.01234, "total_duration_ms": 45000},
        "rate_limits": {
            "five_hour": {"used_percentage": 23.5, "resets_at": 1738425600},
            "seven_day": {"used_percentage": 41.2, "resets_at": 1738857600},
        },
    }
    sample = sample_from_payload(payload, now=NOW.timestamp())
    assert sample["five_hour"] == [23.5, 1738425600.0]
    assert sample["cost_usd"] == 0.01234
    assert (sample["model"], sample["session_id"]) == ("claude-opus-5", "abc123")
    windows = statusline_windows(sample)
    assert windows["seven_day"].used_percent == 41.2
    assert windows["five_hour"].resets_at == datetime.fromtimestamp(1738425600, UTC)
    assert status_text(sample, UTC_ZONE) == "5h 24% ↻16:00 · 7d 41% · $0.01"


def test_rate_limits_absent_or_partial_or_iso_degrade_quietly() -> None:
    bare = sample_from_payload({"model": {"display_name": "Opus"}}, now=1.0)
    assert statusline_windows(bare) == {}
    assert status_text(bare) == "Opus"
    partial = sample_from_payload(
        {"rate_limits": {"five_hour": {"used_percentage": 105, "resets_at": "2026-12-07T12:00Z"}}},
        now=1.0,
    )
    windows = statusline_windows(partial)
    assert list(windows) == ["five_hour"] and windows["five_hour"].full
    assert windows["five_hour"].resets_at == datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        sample_from_payload(["not", "an", "object"])


def test_a_stop_failure_payload_keeps_error_and_message() -> None:
    sample = sample_from_hook(
        {
            "session_id": "abc123",
            "transcript_path": "/Users/x/.claude/projects/-p/00893aaf.jsonl",
            "cwd": "/Users/x",
            "hook_event_name": "StopFailure",
            "error": "rate_limit",
            "error_details": {"retry_after_ms": 1000},
            "last_assistant_message": "You've hit your limit · resets 4am (Europe/Berlin)",
        },
        now=5.0,
    )
    assert (sample["event"], sample["error"]) == ("StopFailure", "rate_limit")
    assert sample["error_details"] == "{'retry_after_ms': 1000}"
    assert sample["message"].startswith("You've hit your limit")
    with pytest.raises(ValueError):
        sample_from_hook({"session_id": "x"})


def test_rate_limit_with_a_full_window_stops_until_the_latest_full_reset() -> None:
    weekly = int((NOW + timedelta(days=3)).timestamp())
    windows = {
        "five_hour": window("five_hour", 100),
        "seven_day": window("seven_day", 100, weekly),
    }
    signal = failure_signal("rate_limit", "API Error: Rate limit reached", windows, NOW, UTC_ZONE)
    assert signal is not None and signal.kind is Kind.EXHAUSTED
    assert signal.reset_at == datetime.fromtimestamp(weekly, UTC)
    assert signal.scope == "weekly"


def test_rate_limit_below_100_is_transient_unless_the_message_is_a_banner() -> None:
    windows = {"five_hour": window("five_hour", 64)}
    transient = failure_signal(
        "rate_limit", "API Error: Rate limit reached", windows, NOW, UTC_ZONE
    )
    assert transient is not None and transient.kind is Kind.RATE_LIMIT
    banner = failure_signal(
        "rate_limit", "You've hit your session limit · resets 12:50pm (UTC)", windows, NOW, UTC_ZONE
    )
    assert banner is not None and banner.kind is Kind.EXHAUSTED
    assert banner.reset_at == datetime.fromtimestamp(RESET, UTC)  # the named window's reset
    alone = failure_signal(
        "rate_limit", "You've hit your session limit · resets 12:50pm (UTC)", {}, NOW, UTC_ZONE
    )
    assert alone is not None and alone.reset_at == datetime(2026, 12, 7, 12, 50, tzinfo=UTC)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ("billing_error", Kind.BILLING),
        ("authentication_failed", Kind.AUTH),
        ("oauth_org_not_allowed", Kind.AUTH),
        ("account_on_hold", Kind.AUTH),
        ("verification_required", Kind.AUTH),
        ("overloaded", Kind.OVERLOADED),
        ("server_error", Kind.OVERLOADED),
        ("max_output_tokens", None),
        ("invalid_request", None),
        ("something_new", None),
    ],
)
def test_error_names_map_to_kinds(error: str, kind: Kind | None) -> None:
    signal = failure_signal(error, "", {"five_hour": window("five_hour", 100)}, NOW, UTC_ZONE)
    assert (signal.kind if signal else None) is kind


def test_the_slug_replaces_every_non_alphanumeric_character() -> None:
    assert project_slug("/Users/me/proj") == "-Users-me-proj"
    assert project_slug("/home/u/my_proj.v2") == "-home-u-my-proj-v2"
    assert config_dir({"CLAUDE_CONFIG_DIR": "/c"}) == Path("/c")
    assert config_dir({"HOME": "/h"}) == Path("/h/.claude")


def test_the_newest_transcript_of_the_project_and_its_last_api_error(tmp_path: Path) -> None:
    folder = tmp_path / "projects" / "-work-app"
    folder.mkdir(parents=True)
    old, new = folder / "old.jsonl", folder / "new.jsonl"
    old.write_text("{}\n")
    rows = [
        {"type": "user", "message": {"role": "user", "content": "go"}},
        {
            "type": "assistant",
            "timestamp": "2026-08-19T13:40:00.123Z",
            "message": {"model": "<synthetic>", "content": [
                {"type": "text", "text": BANNER}
            ]},
            "error": "rate_limit",
            "isApiErrorMessage": True,
            "apiErrorStatus": 429,
            "quotaLimits": {"rateLimitType": "five_hour", "resetsAt": 1787240000},
        },
    ]  # fmt: skip
    new.write_text("".join(json.dumps(row) + "\n" for row in rows))
    os.utime(old, (1, 1))
    found = find_transcript("/work/app", tmp_path)
    assert found == new
    error = read_api_error(new)
    assert error is not None and error.error == "rate_limit"
    assert error.resets_at == datetime.fromtimestamp(1787240000, UTC)
    assert error.at == datetime(2026, 8, 19, 13, 40, 0, 123000, tzinfo=UTC)
    # A later answer means the error passed.
    with new.open("a") as handle:
        handle.write(json.dumps({"type": "assistant", "message": {"content": "ok"}}) + "\n")
    assert read_api_error(new) is None
