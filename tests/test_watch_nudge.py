"""Nudging an agent left idle on a transient error: once after its retry instant plus the stall
time, not again while it works, at most `max_nudges` times, never while its screen changes,
never when paused or switched off. Real tmux; a stand-in agent prints real transient errors;
the monitor's clock is moved instead of waiting.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import TmuxTestServer
from monitor_support import event_names, events, load_state, monitor, wait_until

from credit_management.clock import SystemClock
from credit_management.lifecycle import nudge
from credit_management.models import Kind, Signal, Status

STAND_IN = str(Path(__file__).with_name("stand_in_agent.py"))
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
CFG = nudge.NudgeConfig()


def start_stand_in(server: TmuxTestServer, log: Path, mode: str) -> str:
    target = server.new_window("main", f"agent-{mode}", [sys.executable, STAND_IN, str(log), mode])
    server.wait_for_text(target, "Retrying" if mode == "retrying" else "reset after")
    return target


def received(log: Path) -> list[str]:
    if not log.exists():
        return []
    lines = log.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["prompt"] for line in lines if line]


def test_a_stalled_agent_is_nudged_once_after_its_retry_time_and_not_again_while_it_works(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "agent.jsonl"
    agent = start_stand_in(tmux_server, log, "obeys")
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)

    supervisor.sweep()  # the error is seen: retry in 5 s, then 30 s of a still screen
    stall = load_state(isolated_home).agents[agent].stall
    assert stall is not None and stall["nudges"] == 0
    due = supervisor.next_due(clock.now())
    assert due is not None and due > clock.now()

    clock.advance(5 + 30 - 2)  # not yet: the retry instant plus the stall is not reached
    supervisor.sweep()
    assert "agent.nudged" not in event_names(isolated_home, agent)
    assert received(log) == []

    clock.advance(3)
    supervisor.sweep()
    wait_until(lambda: received(log) == ["continue"], what="the nudge")
    nudged = [e for e in events(isolated_home, agent) if e["event"] == "agent.nudged"]
    assert len(nudged) == 1 and nudged[0]["nudges"] == 1 and nudged[0]["sent"] == "continue"
    tmux_server.wait_for_text(agent, "step 2")

    for _ in range(3):  # at work: the error is behind its output, nothing more is sent
        clock.advance(60)
        supervisor.sweep()
    assert received(log) == ["continue"]
    assert event_names(isolated_home, agent).count("agent.nudged") == 1
    assert load_state(isolated_home).agents[agent].stall is None


def test_an_agent_that_ignores_the_nudge_gets_at_most_max_nudges(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "agent.jsonl"
    agent = start_stand_in(tmux_server, log, "deaf")
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    supervisor.sweep()
    for _ in range(8):
        clock.advance(40)
        supervisor.sweep()
    assert received(log) == ["continue", "continue"]
    assert event_names(isolated_home, agent).count("agent.nudged") == 2
    assert supervisor.next_due(clock.now()) is None  # no nudge left to wake up for


def test_no_nudge_while_the_screen_changes(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "agent.jsonl"
    agent = start_stand_in(tmux_server, log, "retrying")
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    for _ in range(4):
        supervisor.sweep()
        assert (load_state(isolated_home).agents[agent].last_signal or {})["kind"] == "overloaded"
        clock.advance(60)
        clock.sleep(0.5)  # the spinner redraws between two looks
    assert received(log) == []
    assert "agent.nudged" not in event_names(isolated_home, agent)


@pytest.mark.parametrize("how", ["paused", "switched off"])
def test_never_a_nudge_to_a_paused_agent_or_when_switched_off(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path, how: str
) -> None:
    log = tmp_path / "agent.jsonl"
    agent = start_stand_in(tmux_server, log, "obeys")
    clock = SystemClock({})
    options: dict[str, object] = {"nudge": False} if how == "switched off" else {}
    supervisor = monitor(isolated_home, tmux_server, clock, **options)
    supervisor.sweep()
    if how == "paused":
        supervisor.pause(agent, "reviewing", None)
    for _ in range(4):
        clock.advance(60)
        supervisor.sweep()
    assert received(log) == []
    assert "agent.nudged" not in event_names(isolated_home, agent)
    if how == "paused":
        assert load_state(isolated_home).agents[agent].status is Status.PAUSED


# --- the pure decision -------------------------------------------------------------------------


def transient(seconds: float | None = 33) -> Signal:
    reset = NOW + timedelta(seconds=seconds) if seconds is not None else None
    return Signal(Kind.RATE_LIMIT, "gemini", reset, "[API Error: … reset after 33s.]")


def test_decide_waits_for_the_retry_instant_then_the_stall() -> None:
    first = nudge.decide(None, Status.ACTIVE, transient(), "A", NOW, CFG)
    assert first.stall is not None and not first.nudge
    assert nudge.due_at(first.stall, CFG) == NOW + timedelta(seconds=63)
    # A later sighting of the same error does not push its retry instant on.
    later = NOW + timedelta(seconds=62)
    again = nudge.decide(first.stall, Status.ACTIVE, transient(), "A", later, CFG)
    assert not again.nudge and again.stall == first.stall
    due = nudge.decide(
        first.stall, Status.ACTIVE, transient(), "A", later + timedelta(seconds=1), CFG
    )
    assert due.nudge and due.stall is not None and due.stall["nudges"] == 1


def test_decide_restarts_the_wait_when_the_screen_changes() -> None:
    first = nudge.decide(None, Status.ACTIVE, transient(None), "A", NOW, CFG)
    moved = nudge.decide(
        first.stall, Status.ACTIVE, transient(None), "B", NOW + timedelta(seconds=29), CFG
    )
    assert not moved.nudge
    still = nudge.decide(
        moved.stall, Status.ACTIVE, transient(None), "B", NOW + timedelta(seconds=40), CFG
    )
    assert not still.nudge  # 11 s of a still screen, not 30
    late = nudge.decide(
        moved.stall, Status.ACTIVE, transient(None), "B", NOW + timedelta(seconds=60), CFG
    )
    assert late.nudge


def test_decide_forgets_the_error_once_gone_or_when_not_active() -> None:
    first = nudge.decide(None, Status.ACTIVE, transient(), "A", NOW, CFG)
    assert nudge.decide(first.stall, Status.ACTIVE, Signal(Kind.NONE), "B", NOW, CFG).stall is None
    for status in (Status.PAUSED, Status.EXHAUSTED, Status.RESUMING):
        assert nudge.decide(first.stall, status, transient(), "A", NOW, CFG).stall is None
    off = nudge.NudgeConfig(enabled=False)
    assert nudge.decide(None, Status.ACTIVE, transient(), "A", NOW, off) == nudge.NudgeDecision(
        None
    )
