"""The manual commands run as a user runs them: `credit-monitor` against a real tmux server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import TmuxTestServer

from credit_management.models import Alert, Status
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore

CLI = Path(sys.executable).with_name("credit-monitor")
NOW = "2026-11-21T12:00:00+00:00"


def cm(
    home: Path, server: TmuxTestServer | None, *args: str, now: str | None = NOW, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the real `credit-monitor` with --home and the test server's --socket."""
    environ = {k: v for k, v in os.environ.items() if k != "CREDIT_MONITOR_DEBUG"}
    if now is not None:
        environ["CREDIT_MONITOR_NOW"] = now
    environ.update(env)
    socket = ["--socket", server.socket] if server is not None else []
    return subprocess.run(
        [str(CLI), "--home", str(home), *socket, *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
    )


def status_view(home: Path, server: TmuxTestServer | None, target: str) -> dict[str, Any]:
    """One agent from `status --json` (a list under "agents")."""
    document = json.loads(ok(cm(home, server, "status", "--json")))
    [view] = [view for view in document["agents"] if view["target"] == target]
    result: dict[str, Any] = view
    return result


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr}"
    assert "Traceback" not in done.stderr
    return done.stdout


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 1, f"exit {done.returncode}: {done.stdout} {done.stderr}"
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def agents(home: Path) -> dict[str, Any]:
    data = json.loads((home / "data" / "credit_schedule.json").read_text(encoding="utf-8"))
    result: dict[str, Any] = data["agents"]
    return result


def hook_config(home: Path, out: Path, events: str = "agent.*") -> None:
    """A command hook that appends CREDIT_EVENT and the payload to `out` as one JSON line."""
    script = (
        "import json, os, sys; "
        "line = json.dumps({'env': os.environ['CREDIT_EVENT'], 'payload': json.load(sys.stdin)}); "
        "open(sys.argv[1], 'a').write(line + '\\n')"
    )
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f"[[hooks]]\nevents = [{json.dumps(events)}]\n"
        f"command = {json.dumps([sys.executable, '-c', script, str(out)])}\n",
        encoding="utf-8",
    )


def hook_calls(out: Path) -> list[dict[str, Any]]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


# --- status ----------------------------------------------------------------------------------


def test_status_with_nothing_recorded_says_where_it_reads_from(isolated_home: Path) -> None:
    text = ok(cm(isolated_home, None, "status"))
    assert f"home: {isolated_home} (from --home)" in text
    assert f"state file: {isolated_home / 'data' / 'credit_schedule.json'}" in text
    assert "no agents recorded yet" in text
    document = json.loads(ok(cm(isolated_home, None, "status", "--json")))
    assert document["home"] == str(isolated_home)
    assert document["state_file"] == str(isolated_home / "data" / "credit_schedule.json")
    assert document["agents"] == [] and document["last_sweep"] is None
    # The alias of the old script name reads the same thing.
    assert "no agents recorded yet" in ok(cm(isolated_home, None, "check_credit_status"))


def test_status_shows_since_next_resume_and_the_last_signal(isolated_home: Path) -> None:
    paths = Paths(isolated_home, "--home")
    with StateStore(paths).transaction() as state:
        record = state.agent("proj:3")
        record.status = Status.EXHAUSTED
        record.window_name = "backend"
        record.since = "2026-11-21T10:30:00+00:00"
        record.scheduled_resume = "2026-11-21T15:05:00+00:00"
        record.last_signal = {"kind": "exhausted", "message": "Claude session limit; resets 3pm"}
    text = ok(cm(isolated_home, None, "status", TZ="Asia/Tokyo"))
    [header] = [line for line in text.splitlines() if line.startswith("TARGET")]
    assert "SINCE (Asia/Tokyo)" in header and header.count("Asia/Tokyo") == 1
    [line] = [line for line in text.splitlines() if line.startswith("proj:3")]
    cells = [cell.strip() for cell in line.split("  ") if cell.strip()]
    assert cells == [
        "proj:3",
        "backend",
        "exhausted",
        "19:30 (1h30m ago)",
        "Sun 00:05 (in 3h5m)",
        "exhausted: Claude session limit; resets 3pm",
    ]
    in_utc = ok(cm(isolated_home, None, "status", "--utc", TZ="Asia/Tokyo"))
    assert "SINCE (UTC)" in in_utc and "10:30 (1h30m ago)" in in_utc and "15:05 (in 3h5m)" in in_utc
    view = status_view(isolated_home, None, "proj:3")
    assert view["status"] == "exhausted"
    assert view["time_until_resume_seconds"] == 3 * 3600 + 5 * 60
    assert view["seconds_in_status"] == 90 * 60
    assert view["scheduled_resume"] == "2026-11-21T15:05:00+00:00"
    assert view["last_signal"]["kind"] == "exhausted"


# --- pause -----------------------------------------------------------------------------------


def test_pause_by_window_name_records_history_event_and_hook(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    target = tmux_server.new_window("main", "backend")
    out = tmp_path / "hooks.jsonl"
    hook_config(isolated_home, out)
    text = ok(cm(isolated_home, tmux_server, "pause", "main:backend", "--reason", "lunch"))
    assert text.strip() == f"{target} (backend): active -> paused; paused until resumed"

    record = agents(isolated_home)[target]
    assert record["status"] == "paused"
    assert record["since"] == NOW
    assert record["reason"] == "lunch"
    assert record["paused_until"] is None
    assert record["window_name"] == "backend" and record["pane_id"].startswith("%")
    assert record["history"][-1] == {
        "time": NOW,
        "from": "active",
        "to": "paused",
        "reason": "lunch",
        "actor": "user",
    }
    [event] = EventLog(isolated_home / "logs" / "credit_events.log").read()
    assert event["event"] == "agent.paused" and event["target"] == target
    assert (event["from"], event["to"], event["reason"]) == ("active", "paused", "lunch")

    [call] = hook_calls(out)
    assert call["env"] == "agent.paused"
    payload = call["payload"]
    assert payload["event"] == "agent.paused" and payload["target"] == target
    assert payload["timestamp"] == NOW and payload["host"]
    assert payload["reason"] == "lunch"

    status = ok(cm(isolated_home, tmux_server, "status", "--utc"))
    [row] = [line for line in status.splitlines() if line.startswith(f"{target} ")]
    cells = [cell.strip() for cell in row.split("  ") if cell.strip()]
    assert cells == [target, "backend", "paused", "12:00 (now)", "when resumed by hand", "lunch"]


@pytest.mark.parametrize("form", ["index", "name", "pane", "pane_id"])
def test_every_target_form_is_stored_under_session_and_window_index(
    tmux_server: TmuxTestServer, isolated_home: Path, form: str
) -> None:
    target = tmux_server.new_window("main", "worker")
    pane_id = tmux_server.cmd("display-message", "-p", "-t", target, "#{pane_id}").stdout.strip()
    given = {
        "index": target,
        "name": "main:worker",
        "pane": f"{target}.0",
        "pane_id": pane_id,
    }[form]
    ok(cm(isolated_home, tmux_server, "pause_agent", given))
    assert list(agents(isolated_home)) == [target]
    assert agents(isolated_home)[target]["pane_id"] == pane_id


def test_pause_until_without_offset_uses_the_state_timezone(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    target = tmux_server.new_window("main", "night")
    with StateStore(Paths(isolated_home, "--home")).transaction() as state:
        state.timezone = "Asia/Tokyo"
    text = ok(cm(isolated_home, tmux_server, "pause", target, "--until", "2026-11-22T09:00"))
    assert "paused until 2026-11-22T09:00:00+09:00" in text
    record = agents(isolated_home)[target]
    assert record["paused_until"] == "2026-11-22T09:00:00+09:00"
    view = status_view(isolated_home, tmux_server, target)
    assert view["next_resume"] == "2026-11-22T09:00:00+09:00"
    assert view["time_until_resume_seconds"] == 12 * 3600

    ok(cm(isolated_home, tmux_server, "pause", target, "--until", "2026-11-21T14:30:00-05:00"))
    assert agents(isolated_home)[target]["paused_until"] == "2026-11-21T14:30:00-05:00"


@pytest.mark.parametrize(
    ("until", "fragment"),
    [
        ("2026-11-21T11:59:59Z", "is in the past"),
        ("2026-11-21T12:00", "is in the past"),
        ("tomorrow", "is not an ISO 8601 time"),
        ("2026-13-01T00:00", "is not an ISO 8601 time"),
    ],
)
def test_bad_until_is_refused_and_changes_nothing(
    tmux_server: TmuxTestServer, isolated_home: Path, until: str, fragment: str
) -> None:
    target = tmux_server.new_window("main", "agent")
    line = one_line_error(cm(isolated_home, tmux_server, "pause", target, "--until", until))
    assert fragment in line and "--until" in line
    assert not (isolated_home / "data" / "credit_schedule.json").exists()
    assert EventLog(isolated_home / "logs" / "credit_events.log").read() == []


# --- resume ----------------------------------------------------------------------------------


def test_resume_without_force_is_a_verified_resume(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    simulator = [sys.executable, "-m", "credit_management", "simulate", "--provider", "claude"]
    target = tmux_server.new_window("main", "agent", [*simulator, "--limit-after", "50"])
    tmux_server.wait_for_text(target, ">")
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text("verify_timeout_seconds = 20\n", encoding="utf-8")
    ok(cm(isolated_home, tmux_server, "pause", target, now=None))
    text = ok(cm(isolated_home, tmux_server, "resume", "main:agent", now=None))
    assert "paused -> active; answered the test message" in text
    assert agents(isolated_home)[target]["status"] == "active"
    screen = tmux_server.capture(target)
    assert "Quick check: reply with OK if you can work again." in screen
    events = EventLog(isolated_home / "logs" / "credit_events.log").read(target=target)
    assert [e["event"] for e in events] == ["agent.paused", "credit.resolved", "agent.resumed"]


def test_resume_of_an_active_agent_without_force_does_nothing(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    target = tmux_server.new_window("main", "agent")
    text = ok(cm(isolated_home, tmux_server, "resume", target))
    assert "already active; nothing to do" in text
    assert agents(isolated_home)[target]["status"] == "active"


def test_resume_force_marks_active_resolves_the_alert_and_fires_hooks(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    target = tmux_server.new_window("main", "agent")
    out = tmp_path / "hooks.jsonl"
    hook_config(isolated_home, out, events="agent.resumed")
    with StateStore(Paths(isolated_home, "--home")).transaction() as state:
        record = state.agent(target)
        record.status = Status.EXHAUSTED
        record.scheduled_resume = "2026-11-21T15:00:00+00:00"
        record.attempts = 2
        state.alerts.append(Alert("a1", target, "exhausted", "limit", "2026-11-21T10:00:00+00:00"))
        state.alerts.append(Alert("a2", "other:1", "exhausted", "limit", NOW))
    text = ok(cm(isolated_home, tmux_server, "resume_agent", target, "--force"))
    assert "exhausted -> active; marked active" in text
    data = json.loads((isolated_home / "data" / "credit_schedule.json").read_text())
    record = data["agents"][target]
    assert record["status"] == "active" and record["since"] == NOW
    assert record["scheduled_resume"] is None and record["attempts"] == 0
    alerts = {alert["id"]: alert for alert in data["alerts"]}
    assert alerts["a1"]["resolution"] == "manual" and alerts["a1"]["resolved_at"] == NOW
    assert alerts["a2"]["resolution"] is None
    events = EventLog(isolated_home / "logs" / "credit_events.log").read()
    assert [e["event"] for e in events] == ["credit.resolved", "agent.resumed"]
    assert all((e["from"], e["to"]) == ("exhausted", "active") for e in events)
    [call] = hook_calls(out)  # the hook only asked for agent.resumed
    assert call["env"] == "agent.resumed" and call["payload"]["status"] == "active"
    assert call["payload"]["target"] == target and call["payload"]["timestamp"] == NOW


# --- history -----------------------------------------------------------------------------------


def test_history_reads_events_back(tmux_server: TmuxTestServer, isolated_home: Path) -> None:
    first = tmux_server.new_window("main", "alpha")
    second = tmux_server.new_window("main", "beta")
    ok(cm(isolated_home, tmux_server, "pause", first, "--reason", "first"))
    ok(cm(isolated_home, tmux_server, "pause", second, "--reason", "second"))
    ok(cm(isolated_home, tmux_server, "resume", first, "--force", now="2026-11-21T12:05:00Z"))

    header, *lines = ok(cm(isolated_home, tmux_server, "history", TZ="UTC")).splitlines()
    assert header.split() == ["TIME", "(UTC)", "EVENT", "TARGET", "DETAIL"]
    assert len(lines) == 4
    rows = [[cell.strip() for cell in line.split("  ") if cell.strip()] for line in lines]
    assert rows[0] == ["12:00:00", "agent.paused", first, "active -> paused; first"]
    assert rows[1] == ["12:00:00", "agent.paused", second, "active -> paused; second"]
    assert rows[3][:3] == ["12:05:00", "agent.resumed", first]
    assert rows[3][3].startswith("paused -> ")

    by_name = ok(cm(isolated_home, tmux_server, "history", "main:alpha")).splitlines()[1:]
    assert [[c for c in line.split("  ") if c][1].strip() for line in by_name] == [
        "agent.paused",
        "credit.resolved",
        "agent.resumed",
    ]
    limited = json.loads(ok(cm(isolated_home, tmux_server, "history", "--json", "--limit", "1")))
    assert [event["event"] for event in limited["events"]] == ["agent.resumed"]
    assert "no events for main:99" in ok(cm(isolated_home, tmux_server, "history", "main:99"))
    assert cm(isolated_home, tmux_server, "history", "--limit", "0").returncode == 2


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["pause", "resume"])
@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "nocolon",
            "Error: malformed target 'nocolon': use session:window, session:window.pane or %N",
        ),
        ("main:nope", "Error: no such window: 'main:nope'"),
        ("main:sh", "Error: no such window: 'main:sh'"),  # no prefix matching of "shell"
        ("ghost:0", "Error: no such window: 'ghost:0' (no session 'ghost')"),
        ("%9999", "Error: no such pane: '%9999'"),
    ],
)
def test_bad_targets_are_one_line_errors(
    tmux_server: TmuxTestServer, isolated_home: Path, command: str, target: str, expected: str
) -> None:
    assert one_line_error(cm(isolated_home, tmux_server, command, target)) == expected
    assert not (isolated_home / "data" / "credit_schedule.json").exists()


@pytest.mark.parametrize("args", [["pause", "main:0"], ["resume", "main:0", "--force"]])
def test_no_tmux_server_is_a_clear_error(isolated_home: Path, args: list[str]) -> None:
    done = subprocess.run(
        [str(CLI), "--home", str(isolated_home), "--socket", "cm-no-such-server", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert one_line_error(done) == "Error: no tmux server running on socket 'cm-no-such-server'"


def test_corrupt_state_makes_pause_fail_without_touching_the_file(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    state_file = isolated_home / "data" / "credit_schedule.json"
    state_file.parent.mkdir(parents=True)
    state_file.write_text('{"version": 1, "agents": {"main:0": {"status": "bogus"}}}')
    line = one_line_error(cm(isolated_home, tmux_server, "pause", "main:0"))
    assert str(state_file) in line and ".corrupt-20261121T120000Z" in line
    assert state_file.read_text() == '{"version": 1, "agents": {"main:0": {"status": "bogus"}}}'


def test_bad_config_makes_pause_fail_with_the_key_named(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text("confirm_seconds = 1e9\n")
    line = one_line_error(cm(isolated_home, tmux_server, "pause", "main:0"))
    assert "confirm_seconds: must be a duration from 0s to 1m" in line


# --- many people at once --------------------------------------------------------------------


def test_thirty_pause_commands_at_once_all_land(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    names = [f"agent{number:02d}" for number in range(30)]
    targets = {name: tmux_server.new_window("main", name) for name in names}
    environ = {k: v for k, v in os.environ.items() if k != "CREDIT_MONITOR_DEBUG"}
    environ["CREDIT_MONITOR_NOW"] = NOW
    base = [str(CLI), "--home", str(isolated_home), "--socket", tmux_server.socket]
    workers = [
        subprocess.Popen(
            [*base, "pause", f"main:{name}", "--reason", f"hold {name}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environ,
        )
        for name in names
    ]
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    recorded = agents(isolated_home)
    assert set(recorded) == set(targets.values())
    for name, target in targets.items():
        assert recorded[target]["status"] == "paused"
        assert recorded[target]["reason"] == f"hold {name}"
    events = EventLog(isolated_home / "logs" / "credit_events.log").read()
    assert sorted(event["target"] for event in events) == sorted(targets.values())
