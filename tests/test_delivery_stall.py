"""A queue that does not move is news: three verified resumes in a row that leave the held
messages where they were fire `queue.stalled` and show in `status`; `resume_message = ""`
leaves the whole cycle to the held work."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import TmuxTestServer
from messaging_support import invoke, supervisor

from credit_management.clock import SystemClock
from credit_management.credit_monitor import Supervisor
from credit_management.lifecycle.policy import Outcome
from credit_management.models import Kind, QueuedMessage, Signal, Status, iso
from credit_management.store.journal import EventLog

TARGET = "main:7"  # no such window: nothing is typed, only the bookkeeping is exercised


def _exhausted_with_held(home: Path, server: TmuxTestServer, **settings: object) -> Supervisor:
    monitor = supervisor(home, server, SystemClock(environ={}), **settings)
    now = datetime.now(UTC)
    with monitor.store.transaction() as state:
        record = state.agent(TARGET)
        record.status = Status.RESUMING
        record.exhausted_at = iso(now - timedelta(hours=5))
        record.queued = [QueuedMessage("q-111111", "held work", iso(now) or "")]
    return monitor


def _resume_again(monitor: Supervisor, outcome: Outcome) -> None:
    with monitor.store.transaction() as state:
        state.agents[TARGET].status = Status.RESUMING
    reset = datetime.now(UTC) + timedelta(hours=1)
    monitor._finish(TARGET, outcome, Signal(Kind.EXHAUSTED, "claude", reset, "limit", "limit"))


def test_three_resumes_without_the_queue_moving_fire_queue_stalled_once(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    monitor = _exhausted_with_held(isolated_home, tmux_server)
    for _ in range(4):  # each cycle's allowance goes to the test message, refused again
        _resume_again(monitor, "limited")
    record = monitor.store.load().agents[TARGET]
    assert record.stalled_resumes == 4 and record.queue_stalled
    assert [m.text for m in record.queued] == ["held work"]
    stalled = [
        e for e in EventLog(monitor.paths.events_log).read(target=TARGET)
        if e["event"] == "queue.stalled"
    ]  # fmt: skip
    assert len(stalled) == 1  # news once, not at every later resume
    assert stalled[0]["resumes"] == 3 and stalled[0]["held"] == 1
    assert stalled[0]["oldest"] == "q-111111"

    shown = json.loads(invoke(isolated_home, tmux_server, "status", "--json").output)
    view = next(agent for agent in shown["agents"] if agent["target"] == TARGET)
    assert view["queue_stalled"] is True and view["stalled_resumes"] == 4
    text = invoke(isolated_home, tmux_server, "status").output
    assert "queue stalled (1 held)" in text
    health = json.loads(invoke(isolated_home, tmux_server, "health", "--json").output)
    row = next(agent for agent in health["agents"] if agent["target"] == TARGET)
    assert row["queue_stalled"] is True and row["queued"] == 1
    said = invoke(isolated_home, tmux_server, "health").output
    assert f"{TARGET}: queue stalled: 1 held message(s) have not moved" in said


def test_an_empty_resume_message_sends_none(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    monitor = _exhausted_with_held(isolated_home, tmux_server, resume_message="")
    assert monitor.settings.resume_message == ""
    _resume_again(monitor, "answered")
    record = monitor.store.load().agents[TARGET]
    assert record.status is Status.ACTIVE
    assert [m.source for m in record.queued] == ["send"]  # no resume message ahead of it

    with_message = _exhausted_with_held(isolated_home, tmux_server)
    _resume_again(with_message, "answered")
    queued = with_message.store.load().agents[TARGET].queued
    assert [m.source for m in queued] == ["resume", "send"]
