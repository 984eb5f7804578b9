"""`credit-monitor history`: local times, filters, and `--follow` seeing new events as the
monitor appends them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from credit_management.cli import cli
from credit_management.cli.history import parse_since, tail_events
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths

CLI = Path(sys.executable).with_name("credit-monitor")
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def log_of(home: Path) -> EventLog:
    return EventLog(Paths(home, "--home").events_log)


def history(home: Path, *args: str, tz: str = "UTC") -> list[str]:
    env = {"TZ": tz, "CREDIT_MONITOR_NOW": NOW.isoformat()}
    result = CliRunner(env=env).invoke(cli, ["--home", str(home), "history", *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_history_shows_local_times_filters_and_message_previews(isolated_home: Path) -> None:
    log = log_of(isolated_home)
    log.append("credit.exhausted", now=NOW - timedelta(days=2), target="main:1", message="old")
    log.append(
        "agent.paused",
        now=NOW - timedelta(hours=3),
        target="main:1",
        **{"from": "active", "to": "paused", "reason": "lunch"},
    )
    log.append(
        "message.queued",
        now=NOW - timedelta(minutes=30),
        target="main:2",
        id="q-1",
        preview="Run the tests ⏎ then commit",
    )
    lines = history(isolated_home, tz="Asia/Tokyo")
    assert lines[0].split()[:2] == ["TIME", "(Asia/Tokyo)"]
    assert lines[1].startswith("Thu Nov 19 21:00:00  credit.exhausted")
    assert lines[2].startswith("18:00:00 ") and lines[2].endswith("active -> paused; lunch")
    assert lines[3].startswith("20:30:00 ") and lines[3].endswith('"Run the tests ⏎ then commit"')

    recent = history(isolated_home, "--since", "4h")
    assert [line.split()[1] for line in recent[1:]] == ["agent.paused", "message.queued"]
    messages = history(isolated_home, "--event", "message.*", "--utc")
    assert len(messages) == 2 and messages[1].split()[:2] == ["11:30:00", "message.queued"]
    since_time = history(isolated_home, "--since", "2026-11-21T10:00:00+00:00", "--json")
    events = json.loads("\n".join(since_time))["events"]
    assert [e["event"] for e in events] == ["message.queued"]


def test_since_reads_spans_clock_times_and_instants() -> None:
    assert parse_since("90m", NOW) == NOW - timedelta(minutes=90)
    assert parse_since("1d12h", NOW) == NOW - timedelta(days=1, hours=12)
    assert parse_since("2026-11-20T08:00:00+00:00", NOW) == datetime(2026, 11, 20, 8, tzinfo=UTC)
    with pytest.raises(click.BadParameter, match="use a span"):
        parse_since("yesterday-ish", NOW)


def test_tail_events_sees_lines_appended_later_and_skips_torn_ones(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.log")
    log.append("agent.found", now=NOW, target="main:1")  # before the tail starts: not seen
    seen: list[str] = []

    def follow() -> None:
        for event in tail_events(log.path, poll=0.05):
            seen.append(event["event"])
            if len(seen) == 2:
                return

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    time.sleep(0.2)
    with log.path.open("a", encoding="utf-8") as handle:
        handle.write('{"event": "torn\n')
    log.append("credit.exhausted", now=NOW, target="main:1")
    log.append("agent.resumed", now=NOW, target="main:1")
    reader.join(timeout=10)
    assert seen == ["credit.exhausted", "agent.resumed"]


def test_history_follow_prints_a_new_event_as_it_is_logged(isolated_home: Path) -> None:
    log = log_of(isolated_home)
    log.append("agent.found", now=NOW, target="main:1")
    env = {**os.environ, "TZ": "UTC"}
    process = subprocess.Popen(
        [str(CLI), "--home", str(isolated_home), "history", "--follow", "main:1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("following ")
        assert "agent.found" in process.stdout.readline()  # the backlog first
        log.append("agent.paused", now=NOW, target="main:2", reason="another agent")
        log.append("credit.exhausted", now=NOW, target="main:1", message="5-hour limit")
        line = process.stdout.readline()  # blocks until the follower prints it
        assert "credit.exhausted" in line and "5-hour limit" in line
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("target", ["bad target", "main", "%x", ":1", "main.0:1"])
def test_a_malformed_target_is_one_line_and_exit_1(isolated_home: Path, target: str) -> None:
    log_of(isolated_home).append("credit.exhausted", now=NOW, target="main:1")
    result = CliRunner().invoke(cli, ["--home", str(isolated_home), "history", target])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: malformed target '{target}': use session:window, session:window.pane or %N"
    ]
