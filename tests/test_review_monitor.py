"""Overnight failure modes of the supervisor: a frozen clock with a busy pane, a window that
closes while a held message is typed, a second nudge, an unreadable state-file timezone and
watch intervals that are not numbers."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import TmuxTestServer
from monitor_support import load_state, monitor, paths_of, start_program

from credit_management.cli import cli
from credit_management.clock import SystemClock
from credit_management.lifecycle import policy
from credit_management.models import AgentRecord, Kind, QueuedMessage, Signal, Status
from credit_management.store.state import StateStore

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)


def test_cycle_fallback_survives_an_unknown_state_timezone() -> None:
    cfg = policy.PolicyConfig(reset_times=("04:00",), timezone="Nope/Zone", cycle_hours=5)
    limit = Signal(Kind.EXHAUSTED, provider="gemini", evidence="quota exceeded", message="x")
    obs = policy.Observation(present=True, alive=True, signal=limit, command="gemini")

    decision = policy.observe("main:1", AgentRecord(), obs, NOW, cfg)

    assert decision.record.status is Status.EXHAUSTED
    assert decision.record.reset_at == (NOW + timedelta(hours=5)).isoformat()


@pytest.mark.parametrize("option", ["--interval", "--duration"])
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_watch_refuses_numbers_that_are_not_finite(
    isolated_home: Path, option: str, value: str
) -> None:
    args = ["watch", option, value]
    if option == "--duration":
        args += ["--interval", "1"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert f"{value!r} is not a duration" in result.output


@pytest.mark.timeout(20)
def test_quiet_wait_ends_on_a_busy_pane_with_a_frozen_clock(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    target = start_program(tmux_server, "busy", "while :; do date +%s%N; sleep 0.05; done")
    clock = SystemClock({"CREDIT_MONITOR_NOW": "2026-11-21T20:00:00+00:00"})
    supervisor = monitor(isolated_home, tmux_server, clock)
    pane = tmux_server.cmd("display", "-p", "-t", target, "#{pane_id}").stdout.strip()

    started = time.monotonic()
    text = supervisor.courier.quiet(pane)

    assert text is not None
    assert time.monotonic() - started < 10


def test_a_held_message_stays_queued_when_the_window_closes_before_enter(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    # Quits (and its window closes) at the first key it reads, before any Enter.
    target = start_program(tmux_server, "closer", "stty raw -echo; head -c1 >/dev/null")
    time.sleep(0.3)
    supervisor = monitor(isolated_home, tmux_server, SystemClock({}))
    message = QueuedMessage("q-1", "do the next task", NOW.isoformat(), "send")
    with StateStore(paths_of(isolated_home)).transaction() as state:
        state.agent(target).queued.append(message)

    sent = supervisor.deliver_queued(target)

    assert sent == 0
    assert [m.id for m in load_state(isolated_home).agents[target].queued] == ["q-1"]


def test_a_second_verified_resume_queues_one_nudge(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    target = "main:9"  # no such window: nothing is typed, the queue is what is checked
    supervisor = monitor(isolated_home, tmux_server, SystemClock({}))
    nudge = supervisor.settings.resume_message
    with StateStore(paths_of(isolated_home)).transaction() as state:
        record = state.agent(target)
        record.status = Status.RESUMING
        record.exhausted_at = NOW.isoformat()
        record.queued = [
            QueuedMessage("resume-1", nudge, NOW.isoformat(), "resume"),
            QueuedMessage("q-1", "held task", NOW.isoformat(), "send"),
        ]

    assert supervisor._finish(target, "answered", Signal(Kind.NONE))

    queued = load_state(isolated_home).agents[target].queued
    assert [m.source for m in queued] == ["resume", "send"]
    assert [m.text for m in queued] == [nudge, "held task"]


def test_a_pause_while_a_due_resume_waits_its_turn_is_kept(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    target = start_program(tmux_server, "agent", "exec cat")
    supervisor = monitor(isolated_home, tmux_server, SystemClock({}))
    with StateStore(paths_of(isolated_home)).transaction() as state:
        record = state.agent(target)
        record.status = Status.EXHAUSTED
        record.since = (NOW - timedelta(hours=5)).isoformat()
        record.scheduled_resume = NOW.isoformat()
    decided = load_state(isolated_home).agents[target]  # what the sweep found due
    supervisor.pause(target, "stop for tonight", None)  # a person, before the resume's turn

    assert supervisor.resume(target, decided=decided) is False

    assert load_state(isolated_home).agents[target].status is Status.PAUSED
    assert supervisor.settings.test_message not in tmux_server.capture(target)
