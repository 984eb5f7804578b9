"""Codex rollout records as Codex writes them: windows named by their length, the old
`resets_in_seconds`, limit errors, and finding the file (no tmux, no clock)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from credit_management.sources.codex_rollout import find_rollout, read_rollout

META = {
    "timestamp": "2026-07-14T01:00:00Z",
    "type": "session_meta",
    "payload": {"id": "session-deep", "timestamp": "2026-07-14T01:00:00Z", "cwd": "/tmp/project",
                "originator": "codex_cli_rs", "cli_version": "0.142.3", "source": "cli"},
}  # fmt: skip
COUNT = {
    "timestamp": "2026-04-01T14:05:42.196Z",
    "type": "event_msg",
    "payload": {"type": "token_count", "info": {"total_token_usage": {"total_tokens": 575848}},
                "rate_limits": {
                    "primary": {"used_percent": 10.0, "window_minutes": 300,
                                "resets_at": 1775068080},
                    "secondary": {"used_percent": 3.0, "window_minutes": 10080,
                                  "resets_at": 1775634800},
                    "plan_type": "plus"}},
}  # fmt: skip


def write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_windows_are_named_by_length_not_slot(tmp_path: Path) -> None:
    weekly_only = json.loads(json.dumps(COUNT))
    weekly_only["payload"]["rate_limits"] = {
        "primary": {"used_percent": 12.4, "window_minutes": 10080, "resets_at": 1787197008},
        "secondary": None,
    }
    rollout = read_rollout(write(tmp_path / "rollout-a.jsonl", [META, COUNT, weekly_only]))
    assert rollout.cwd == "/tmp/project"
    assert rollout.windows["five_hour"].used_percent == 10.0
    assert rollout.windows["seven_day"].used_percent == 12.4
    assert rollout.windows["seven_day"].resets_at == datetime.fromtimestamp(1787197008, UTC)
    assert [p.used_percent for p in rollout.history["seven_day"]] == [3.0, 12.4]


def test_resets_in_seconds_counts_from_the_record(tmp_path: Path) -> None:
    old = json.loads(json.dumps(COUNT))
    old["payload"]["rate_limits"]["primary"] = {"used_percent": 100.0, "window_minutes": 300,
                                                "resets_in_seconds": 600}  # fmt: skip
    rollout = read_rollout(write(tmp_path / "rollout-b.jsonl", [old]))
    stamp = datetime(2026, 4, 1, 14, 5, 42, 196000, tzinfo=UTC)
    assert rollout.windows["five_hour"].resets_at == stamp + timedelta(seconds=600)
    assert rollout.windows["five_hour"].full


def test_a_usage_limit_error_on_task_complete(tmp_path: Path) -> None:
    done = {"timestamp": "2026-10-05T12:58:43.771Z", "ordinal": 719, "type": "event_msg",
            "payload": {"type": "task_complete", "turn_id": "t", "last_agent_message": None,
                        "error": {"message": "You've hit your usage limit. try again at 10:45 PM.",
                                  "codex_error_info": "usage_limit_exceeded"}}}  # fmt: skip
    rollout = read_rollout(write(tmp_path / "rollout-c.jsonl", [META, done]))
    assert rollout.limit_error_at == datetime(2026, 10, 5, 12, 58, 43, 771000, tzinfo=UTC)
    assert "usage limit" in rollout.limit_error_text


def test_held_open_wins_else_newest_for_the_cwd(tmp_path: Path) -> None:
    sessions = tmp_path / "codex" / "sessions" / "2026" / "07" / "14"
    mine = write(sessions / "rollout-2026-07-14T01-00-00-a.jsonl", [META])
    other_meta = json.loads(json.dumps(META))
    other_meta["payload"]["cwd"] = "/elsewhere"
    other = write(sessions / "rollout-2026-07-14T02-00-00-b.jsonl", [other_meta])
    assert find_rollout([str(other), "/dev/pts/1"], "/tmp/project", tmp_path / "codex") == other
    assert find_rollout([], "/tmp/project", tmp_path / "codex") == mine
    assert find_rollout([], "/nowhere", tmp_path / "codex") is None
