"""Messages and notes held through a stop and delivered after the verified resume, end to end:
a real tmux server, simulated agents, the real `credit-monitor` commands and the monitor.

The monitor runs on a SystemClock moved with `advance()` past its resume time (printed reset
plus a 30 s margin), while the simulated agents lift their limit after a few real seconds.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import TmuxTestServer
from messaging_support import invoke, run_cli, start_sim, supervisor
from monitor_support import prompts, records, wait_until

from credit_management.clock import SystemClock
from credit_management.models import Status
from credit_management.store.config import DEFAULT_RESUME_MESSAGE, DEFAULT_TEST_MESSAGE
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore


def load(home: Path) -> StateStore:
    return StateStore(Paths(home, "--home"))


def test_messages_and_due_notes_wait_through_a_stop_and_arrive_in_order(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "worker.jsonl"
    worker = start_sim(
        tmux_server,
        "worker",
        ["--provider", "claude", "--limit-after", "1", "--reset-in", "1", "--reset-style", "epoch"],
        log,
    )
    clock = SystemClock(environ={})
    monitor = supervisor(isolated_home, tmux_server, clock)

    sent = invoke(isolated_home, tmux_server, "send", worker, "Refactor the parser")
    assert sent.exit_code == 0, sent.output
    assert sent.output.startswith(f"delivered to {worker} (worker)")
    tmux_server.wait_for_text(worker, "Claude AI usage limit reached|")
    monitor.sweep()
    assert load(isolated_home).load().agents[worker].status is Status.EXHAUSTED

    held = invoke(isolated_home, tmux_server, "send", worker, "first held")
    assert held.exit_code == 0, held.output
    assert held.output.startswith(f"queued for {worker} (exhausted until ")
    assert ": id q-" in held.output

    note = invoke(isolated_home, tmux_server, "schedule", "0.01", "due note", worker)
    assert note.exit_code == 0, note.output
    assert f"warning: {worker} is paused (out of usage) until " in note.output
    assert "the note will arrive then, not in 1s" in note.output
    note_id = note.stdout.split()[1]
    clock.advance(0.7)  # the note comes due in 0.6 s while the agent is still stopped
    monitor.sweep()
    state = load(isolated_home).load()
    assert state.schedules == []
    assert [m.id for m in state.agents[worker].queued][-1] == note_id

    second = invoke(isolated_home, tmux_server, "send", worker, "second held")
    assert second.output.startswith(f"queued for {worker} (exhausted")

    listed = json.loads(invoke(isolated_home, tmux_server, "queue", worker, "--json").output)[
        "messages"
    ]
    assert [(m["text"], m["source"]) for m in listed] == [
        ("first held", "send"),
        ("due note", "schedule"),
        ("second held", "send"),
    ]
    assert prompts(log) == ["Refactor the parser"]  # nothing reached the stopped agent

    wait_until(lambda: any(r["event"] == "reset" for r in records(log)), what="the reset")
    clock.advance(40)
    report = monitor.sweep()
    assert report.resumed == [worker], report
    assert report.errors == []
    wait_until(lambda: len(prompts(log)) == 6, what="the held messages")
    assert prompts(log) == [
        "Refactor the parser",
        DEFAULT_TEST_MESSAGE,
        DEFAULT_RESUME_MESSAGE,  # the monitor's own nudge goes before what was held
        "first held",
        "due note",
        "second held",
    ]
    assert all(r["result"] == "answered" for r in records(log) if r["event"] == "prompt")
    state = load(isolated_home).load()
    assert state.agents[worker].status is Status.ACTIVE
    assert state.agents[worker].queued == []
    events = EventLog(Paths(isolated_home, "--home").events_log).read(target=worker)
    held_ids = [m["id"] for m in listed]
    queued_ids = [e["id"] for e in events if e["event"] == "message.queued"]
    delivered_ids = [e.get("id") for e in events if e["event"].endswith(".delivered")]
    # The due note is logged as queued too when it falls due while the agent is stopped.
    assert sorted(queued_ids) == sorted(held_ids)
    assert [e["id"] for e in events if e["event"] == "schedule.added"] == [held_ids[1]]
    assert [i for i in delivered_ids if i in held_ids] == held_ids


def test_a_stopped_orchestrator_gets_its_notes_when_it_is_back(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    orch_log, worker_log = tmp_path / "orch.jsonl", tmp_path / "worker.jsonl"
    limited = ["--provider", "claude", "--limit-after", "0", "--reset-style", "epoch"]
    orchestrator = start_sim(tmux_server, "orch", [*limited, "--reset-in", "2"], orch_log)
    worker = start_sim(tmux_server, "worker", [*limited, "--reset-in", "3600"], worker_log)
    for target in (orchestrator, worker):
        tmux_server.wait_for_text(target, "Claude AI usage limit reached|")
    clock = SystemClock(environ={})
    monitor = supervisor(isolated_home, tmux_server, clock, orchestrator=orchestrator)

    monitor.sweep()
    state = load(isolated_home).load()
    assert state.agents[orchestrator].status is Status.EXHAUSTED
    assert state.agents[worker].status is Status.EXHAUSTED
    notes = state.agents[orchestrator].queued
    assert [m.source for m in notes] == ["orchestrator"]
    assert notes[0].text.startswith(f"[credit-monitor] {worker} (")
    assert " is out of usage; resumes " in notes[0].text
    assert f"every agent is stopped, the first back is {worker} at " in notes[0].text
    assert prompts(orch_log) == []  # not typed into the stopped orchestrator

    wait_until(lambda: any(r["event"] == "reset" for r in records(orch_log)), what="reset")
    clock.advance(40)
    report = monitor.sweep()
    assert report.resumed == [orchestrator], report
    wait_until(lambda: len(prompts(orch_log)) == 3, what="the held note")
    assert prompts(orch_log) == [DEFAULT_TEST_MESSAGE, DEFAULT_RESUME_MESSAGE, notes[0].text]
    assert load(isolated_home).load().agents[orchestrator].queued == []
    assert prompts(worker_log) == []  # the worker is still stopped and got nothing


def test_a_schedule_survives_the_monitor_being_restarted(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "agent.jsonl"
    agent = start_sim(tmux_server, "agent", ["--provider", "claude", "--limit-after", "9"], log)
    added = run_cli(isolated_home, tmux_server, "schedule", "2", "survive the restart", agent)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("scheduled s-")
    assert f" for {agent} at " in added.stdout and "(in 2m): survive the restart" in added.stdout

    first = supervisor(isolated_home, tmux_server, SystemClock(environ={}))
    assert first.sweep().delivered == 0
    assert [n.text for n in load(isolated_home).load().schedules] == ["survive the restart"]
    del first  # the monitor stops; only the state file remembers the note

    later = run_cli(isolated_home, tmux_server, "run", CREDIT_MONITOR_CLOCK_OFFSET=str(3 * 60))
    assert later.returncode == 0, later.stderr
    assert "1 message(s) delivered" in later.stdout
    assert prompts(log) == ["survive the restart"]
    assert load(isolated_home).load().schedules == []
    listed = run_cli(isolated_home, tmux_server, "schedule", "list")
    assert listed.stdout.strip() == "nothing scheduled"
