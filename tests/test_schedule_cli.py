"""`credit-monitor schedule` and its alias `schedule_credit_aware` on a real tmux server:
adding, listing and cancelling notes, the $TMUX_PANE default, and notes that would land in
the middle of a known pause."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import TmuxTestServer
from messaging_support import invoke, run_cli

from credit_management.models import QueuedMessage, Status, iso, parse_iso
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore


def store(home: Path) -> StateStore:
    return StateStore(Paths(home, "--home"))


def stop(home: Path, target: str, status: Status, until: datetime | None) -> None:
    with store(home).transaction() as state:
        record = state.agent(target)
        record.status = status
        record.scheduled_resume = iso(until)
        if status is Status.PAUSED:
            record.paused_until = iso(until)


@pytest.fixture
def agent(tmux_server: TmuxTestServer) -> str:
    return tmux_server.new_window("main", "agent")


def test_schedule_add_list_cancel(
    tmux_server: TmuxTestServer, isolated_home: Path, agent: str
) -> None:
    before = datetime.now(UTC)
    added = invoke(isolated_home, tmux_server, "schedule", "15", "check the tests", agent)
    assert added.exit_code == 0, added.output
    found = re.fullmatch(
        rf"scheduled (s-[0-9a-f]{{6}}) for {agent} at \d\d:\d\d \(in 15m\): check the tests\n",
        added.output,
    )
    assert found, added.output
    first = found.group(1)
    later = invoke(isolated_home, tmux_server, "schedule", "1h30m", "--", "-v look again", agent)
    assert later.exit_code == 0, later.output
    explicit = invoke(isolated_home, tmux_server, "schedule", "add", "90s", "soonest", "main:agent")
    assert explicit.exit_code == 0, explicit.output

    notes = store(isolated_home).load().schedules
    assert [(n.target, n.text) for n in notes] == [
        (agent, "check the tests"),
        (agent, "-v look again"),
        (agent, "soonest"),
    ]
    due = parse_iso(notes[0].due_at)
    assert due is not None
    assert timedelta(minutes=15) <= due - before < timedelta(minutes=15, seconds=10)

    for args in (["schedule"], ["schedule", "list"], ["schedule", "list", agent]):
        listing = invoke(isolated_home, tmux_server, *args)
        assert listing.exit_code == 0, listing.output
        lines = listing.output.splitlines()
        assert lines[0].split()[:3] == ["ID", "TARGET", "DUE"] and lines[0].endswith("TEXT")
        assert [line.split("  ")[-1].strip() for line in lines[1:]] == [
            "soonest",
            "check the tests",
            "-v look again",
        ]
    as_json = json.loads(invoke(isolated_home, tmux_server, "schedule", "--json").output)
    assert list(as_json) == ["notes"]
    assert [(n["text"], n["state"]) for n in as_json["notes"]] == [
        ("soonest", "scheduled"),
        ("check the tests", "scheduled"),
        ("-v look again", "scheduled"),
    ]

    cancelled = invoke(isolated_home, tmux_server, "schedule", "cancel", first)
    assert cancelled.output == f"cancelled {first} for {agent}: check the tests\n"
    assert [n.text for n in store(isolated_home).load().schedules] == ["-v look again", "soonest"]
    again = run_cli(isolated_home, tmux_server, "schedule", "cancel", first)
    assert again.returncode == 1
    assert again.stderr.strip() == (
        f"Error: no scheduled note with id '{first}' (see `credit-monitor schedule list`)"
    )
    events = EventLog(Paths(isolated_home, "--home").events_log).read(target=agent)
    assert [e["event"] for e in events] == ["schedule.added"] * 3 + ["schedule.cancelled"]


def test_target_defaults_to_the_pane_the_command_runs_in(
    tmux_server: TmuxTestServer,
    isolated_home: Path,
    agent: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    socket_path = tmux_server.cmd("display-message", "-p", "#{socket_path}").stdout.strip()
    pane_id = tmux_server.cmd("display-message", "-p", "-t", agent, "#{pane_id}").stdout.strip()
    monkeypatch.setenv("TMUX", f"{socket_path},1,0")
    monkeypatch.setenv("TMUX_PANE", pane_id)
    added = invoke(isolated_home, tmux_server, "schedule_credit_aware", "0.5", "my own check-in")
    assert added.exit_code == 0, added.output
    assert f" for {agent} at " in added.output and "(in 30s)" in added.output
    assert [n.target for n in store(isolated_home).load().schedules] == [agent]


def test_no_target_outside_tmux_is_a_clear_error(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    done = run_cli(isolated_home, tmux_server, "schedule", "15", "note", TMUX_PANE="")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "Error: no TARGET given and this is not running in a pane of that tmux server "
        "($TMUX_PANE); give TARGET as session:window"
    )
    assert not Path(isolated_home, "data", "credit_schedule.json").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["15x", "note"], "invalid WHEN '15x': use minutes (15, 0.5) or a duration"),
        (["0", "note"], "invalid WHEN '0': it must be more than 0"),
        (["-5", "note"], "invalid WHEN '-5'"),
        (["15", "bad\x07note"], "control character (U+0007)"),
        (["15", " "], "message is empty"),
        (["15", "note", "main"], "malformed target 'main'"),
        (["15", "note", "main:7"], "no such window: 'main:7'"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    tmux_server: TmuxTestServer, isolated_home: Path, args: list[str], needle: str
) -> None:
    full = ["schedule", "--", *args] if args[0].startswith("-") else ["schedule", *args]
    done = run_cli(isolated_home, tmux_server, *full)
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and needle in lines[0]
    assert store(isolated_home).load().schedules == []


def test_the_alias_refuses_a_check_in_inside_a_known_pause(
    tmux_server: TmuxTestServer, isolated_home: Path, agent: str
) -> None:
    stop(isolated_home, agent, Status.EXHAUSTED, datetime.now(UTC) + timedelta(hours=2))
    pattern = (
        rf"{agent} is paused \(out of usage\) until \d\d:\d\d; the note will arrive then, "
        r"not in 15m"
    )
    refused = run_cli(isolated_home, tmux_server, "schedule_credit_aware", "15", "check", agent)
    assert refused.returncode == 1
    assert re.fullmatch(
        rf"Error: {pattern}; not scheduled \(use --anyway to schedule it regardless\)\n",
        refused.stderr,
    ), refused.stderr
    assert store(isolated_home).load().schedules == []
    strict = invoke(isolated_home, tmux_server, "schedule", "--strict", "15", "check", agent)
    assert strict.exit_code == 1 and store(isolated_home).load().schedules == []

    anyway = invoke(
        isolated_home, tmux_server, "schedule_credit_aware", "--anyway", "15", "check", agent
    )
    assert anyway.exit_code == 0, anyway.output
    assert re.search(rf"^warning: {pattern}$", anyway.stderr, re.M)
    plain = invoke(isolated_home, tmux_server, "schedule", "15", "check", agent)
    assert plain.exit_code == 0, plain.output
    assert re.search(rf"^warning: {pattern}$", plain.stderr, re.M)
    assert plain.stdout.startswith("scheduled s-")
    assert len(store(isolated_home).load().schedules) == 2
    events = EventLog(Paths(isolated_home, "--home").events_log).read(target=agent)
    assert all(re.fullmatch(pattern, e["conflict"]) for e in events)


def test_no_warning_when_the_agent_is_back_before_the_note_is_due(
    tmux_server: TmuxTestServer, isolated_home: Path, agent: str
) -> None:
    stop(isolated_home, agent, Status.EXHAUSTED, datetime.now(UTC) + timedelta(minutes=5))
    done = invoke(isolated_home, tmux_server, "schedule_credit_aware", "15", "check", agent)
    assert done.exit_code == 0, done.output
    assert done.stderr == "" and done.stdout.startswith("scheduled s-")


def test_a_manual_pause_without_an_end_is_named_as_such(
    tmux_server: TmuxTestServer, isolated_home: Path, agent: str
) -> None:
    stop(isolated_home, agent, Status.PAUSED, None)
    done = run_cli(isolated_home, tmux_server, "schedule_credit_aware", "10", "check", agent)
    assert done.returncode == 1
    assert (
        f"{agent} is paused (by hand) until resumed by hand; the note will arrive then, "
        "not in 10m" in done.stderr
    )


def test_a_due_note_held_for_a_stopped_agent_is_listed_and_can_be_cancelled(
    tmux_server: TmuxTestServer, isolated_home: Path, agent: str
) -> None:
    stop(isolated_home, agent, Status.EXHAUSTED, datetime.now(UTC) + timedelta(hours=1))
    now = iso(datetime.now(UTC)) or ""
    with store(isolated_home).transaction() as state:
        state.agent(agent).queued.append(
            QueuedMessage("s-abc123", "held check-in", now, "schedule", now)
        )
    listing = invoke(isolated_home, tmux_server, "schedule", "list")
    assert listing.exit_code == 0, listing.output
    row = listing.output.splitlines()[1]
    assert row.startswith(f"s-abc123  {agent}  due, held (exhausted until ")
    assert row.endswith("held check-in")
    assert (
        json.loads(invoke(isolated_home, tmux_server, "schedule", "--json").output)["notes"][0][
            "state"
        ]
        == "held"
    )
    cancelled = invoke(isolated_home, tmux_server, "schedule", "cancel", "s-abc123")
    assert cancelled.output == (
        f"cancelled s-abc123 for {agent} (it was due, waiting for the agent to resume): "
        "held check-in\n"
    )
    assert store(isolated_home).load().agents[agent].queued == []


def test_help_shows_both_forms(isolated_home: Path) -> None:
    shown = invoke(isolated_home, None, "schedule", "--help")
    assert shown.exit_code == 0
    assert "schedule WHEN NOTE [TARGET] | list [TARGET] | cancel ID" in shown.output
    queue_help = invoke(isolated_home, None, "queue", "--help")
    assert "queue [TARGET] [--json] | drop ID" in queue_help.output
