"""Regressions found by using the product as a person would (one test per fault found)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import TmuxTestServer

from credit_management.clock import SystemClock
from credit_management.control.times import parse_user_time
from credit_management.errors import InputError
from credit_management.lifecycle import policy
from credit_management.lifecycle.policy import Observation, PolicyConfig
from credit_management.messaging.delivery import NotAnAgent
from credit_management.models import AgentRecord, Kind, QueuedMessage, Signal, Status, iso
from credit_management.store.config import Settings
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore
from credit_management.tmux.foreground import refusal
from credit_management.tmux.gateway import Tmux
from credit_management.web.service import Dashboard

CLI = Path(sys.executable).with_name("credit-monitor")

NOW = datetime(2026, 12, 7, 7, 10, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9am", datetime(2026, 12, 7, 9, 0, tzinfo=UTC)),
        ("21:30", datetime(2026, 12, 7, 21, 30, tzinfo=UTC)),
        ("6am", datetime(2026, 12, 8, 6, 0, tzinfo=UTC)),
        ("Dec 8 9:30", datetime(2026, 12, 8, 9, 30, tzinfo=UTC)),
        ("Dec 9", datetime(2026, 12, 9, 0, 0, tzinfo=UTC)),
    ],
)
def test_a_typed_time_takes_no_field_from_now(text: str, expected: datetime) -> None:
    """`pause --until 9am` at 07:10 is 09:00, not 09:10 (the minute was taken from now)."""
    assert parse_user_time(text, NOW, UTC) == expected


def test_a_typed_time_of_day_is_read_in_the_given_zone() -> None:
    lisbon_evening = parse_user_time("9pm", NOW, ZoneInfo("Asia/Tokyo"))
    assert lisbon_evening == datetime(2026, 12, 7, 21, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


def test_history_follow_hides_the_state_journal_records(isolated_home: Path) -> None:
    """`history -f` printed a `state.changed -` line for every save; `history` hides them."""
    log = EventLog(Paths(isolated_home, "--home").events_log)
    log.append("agent.found", now=NOW, target="main:1")
    process = subprocess.Popen(
        [str(CLI), "--home", str(isolated_home), "history", "--follow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TZ": "UTC"},
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("following ")
        assert "agent.found" in process.stdout.readline()
        log.append("state.changed", now=NOW, agents={"main:1": {"status": "paused"}})
        log.append("agent.paused", now=NOW, target="main:1", reason="by hand")
        line = process.stdout.readline()  # blocks until the follower prints something
        assert "agent.paused" in line, line
    finally:
        process.terminate()
        process.wait(timeout=10)


def _shell_window(tmux_server: TmuxTestServer) -> str:
    """A window whose foreground process is a shell (tmux's default command)."""
    target = tmux_server.new_window("main", "plainshell")
    deadline = time.monotonic() + 10
    while refusal(Tmux(tmux_server.socket).resolve_target(target)) is None:
        assert time.monotonic() < deadline, "the shell never came to the foreground"
        time.sleep(0.05)
    return target


def _cm(home: Path, server: TmuxTestServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "--home", str(home), "--socket", server.socket, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_resume_of_a_shell_window_says_why_nothing_was_typed(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    """`resume` of a paused shell window said "not back yet: paused by a person" (exit 0)."""
    target = _shell_window(tmux_server)
    assert _cm(isolated_home, tmux_server, "pause", target).returncode == 0
    done = _cm(isolated_home, tmux_server, "resume", target)
    assert done.returncode == 1, done.stdout
    [line] = done.stderr.strip().splitlines()
    assert "a shell" in line and "no test message typed" in line, line
    assert "Quick check" not in tmux_server.capture(target)


def test_dashboard_retry_now_of_a_shell_window_is_refused_not_ok(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    """The dashboard answered {"ok": true, "status": "resuming"} and then did nothing."""
    target = _shell_window(tmux_server)
    paths = Paths(isolated_home, "--home")
    with StateStore(paths).transaction() as state:
        state.agent(target).status = Status.PAUSED
    dashboard = Dashboard(paths, Settings(), socket=tmux_server.socket)
    with pytest.raises(NotAnAgent, match="a shell"):
        dashboard.resume(target)
    assert dashboard.jobs.running() == frozenset()


def test_a_new_program_at_a_closed_windows_index_does_not_inherit_its_usage() -> None:
    """A Codex window closed, a Claude one opened at the same index: `send` to it said
    "predicted to run out at 07:34" from the closed Codex's figures, and its usage warnings
    were counted as already given."""
    old = AgentRecord(
        pane_id="%2",
        provider="codex",
        window_name="codex",
        usage={"five_hour": {"used_percent": 99.0, "resets_at": iso(NOW), "source": "x"}},
        cost_usd=3.0,
        predicted_exhaustion=iso(NOW),
        usage_warned=["warn:five_hour:x:95"],
        queued=[
            QueuedMessage(id="q-1", text="for whoever is at main:2", created_at=NOW.isoformat())
        ],
    )
    cfg = PolicyConfig()
    gone = policy.observe("main:2", old, Observation(present=False), NOW, cfg).record
    assert gone.status is Status.MISSING
    new = Observation(present=True, window_name="claude", pane_id="%4", command="claude")
    back = policy.observe("main:2", gone, new, NOW, cfg).record
    assert back.status is Status.ACTIVE and back.pane_id == "%4"
    assert back.usage == {} and back.usage_warned == [] and back.provider is None
    assert back.predicted_exhaustion is None and back.cost_usd is None
    assert [message.id for message in back.queued] == ["q-1"]  # addressed to the target

    same = Observation(present=True, window_name="codex", pane_id="%2", command="codex")
    returned = policy.observe("main:2", gone, same, NOW, cfg).record
    assert returned.provider == "codex" and returned.usage_warned == ["warn:five_hour:x:95"]


def test_the_demo_table_marks_a_cut_signal_with_an_ellipsis() -> None:
    """The demo's LAST SIGNAL column ended in "resets in 4" (of "resets in 47s")."""
    from credit_management.sim.demo import _clip

    long = "Gemini usage limit for gemini-2.5-pro; resets in 47s"
    assert _clip(long, 50) == long[:49] + "…" and len(_clip(long, 50)) == 50
    assert _clip("short", 50) == "short"


def test_a_late_reset_keeps_the_signal_of_the_reset_that_passed() -> None:
    """After a late reset `health` showed "resets in 23h59m": the old banner re-read after its
    time, naming tomorrow, replaced the last signal while the next try was 15 minutes away."""
    cfg = PolicyConfig()
    planned = NOW.replace(hour=7, minute=16, second=0)
    banner = "You've hit your session limit · resets 7:16am (Etc/UTC)"
    first = Signal(Kind.EXHAUSTED, provider="claude", reset_at=planned, evidence=banner)
    record = policy.observe("main:5", AgentRecord(), _seen(first), planned, cfg).record
    after = planned + timedelta(minutes=2)
    started = policy.resume_started(record, after, "check")
    again = Signal(
        Kind.EXHAUSTED, provider="claude", reset_at=planned + timedelta(days=1), evidence=banner
    )
    decided = policy.verified("main:5", started, "limited", again, after, cfg).record
    assert decided.status is Status.EXHAUSTED
    assert decided.last_signal is not None
    assert decided.last_signal["reset_at"] == planned.isoformat()


def _seen(signal: Signal) -> Observation:
    return Observation(present=True, alive=True, signal=signal, command="claude")


@pytest.mark.parametrize("text", ["9am PST", "9am XYZ"])
def test_a_typed_time_with_a_zone_it_cannot_read_is_one_clear_error(text: str) -> None:
    """`pause --until "9am PST"` printed two lines of dateutil warnings and paused until
    09:00 in the state's zone, the zone dropped without a word."""
    with pytest.raises(InputError, match="names a zone that cannot be read") as caught:
        parse_user_time(text, NOW, UTC)
    assert "\n" not in str(caught.value)


def test_a_typed_time_in_utc_keeps_its_zone() -> None:
    assert parse_user_time("9am UTC", NOW, ZoneInfo("Asia/Tokyo")) == NOW.replace(
        hour=9, minute=0, second=0
    )


def test_a_note_due_while_its_agent_is_paused_shows_its_text_in_history(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    """`history` showed a bare `message.queued team:2` for a note held at its due time."""
    target = tmux_server.new_window("main", "agent", ["sleep", "600"])
    assert _cm(isolated_home, tmux_server, "pause", target).returncode == 0
    assert (
        _cm(isolated_home, tmux_server, "schedule", "5m", "held check-in", target).returncode == 0
    )
    later = {**os.environ, "CREDIT_MONITOR_CLOCK_OFFSET": "600"}
    swept = subprocess.run(
        [str(CLI), "--home", str(isolated_home), "--socket", tmux_server.socket, "run"],
        capture_output=True,
        text=True,
        timeout=60,
        env=later,
    )
    assert swept.returncode == 0, swept.stderr
    events = EventLog(Paths(isolated_home, "--home").events_log).read(target=target)
    [held] = [e for e in events if e["event"] == "message.queued"]
    assert held["text"] == "held check-in" and "paused" in held["reason"]
    shown = _cm(isolated_home, tmux_server, "history", target).stdout
    assert '"held check-in"' in shown


def test_tables_list_window_10_after_window_2(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    """`status`, `health`, `estimate-reset` and the live view listed team:10 and team:11
    between team:1 and team:2 (a text sort)."""
    targets = [tmux_server.new_window("main", f"w{n}", ["sleep", "600"]) for n in range(1, 12)]
    with StateStore(Paths(isolated_home, "--home")).transaction() as state:
        for target in targets:
            state.agent(target).window_name = target
    expected = sorted(targets, key=lambda t: int(t.split(":")[1]))
    assert expected[-1] == "main:11"
    for command in ("status", "health"):
        done = _cm(isolated_home, tmux_server, command, "--json")
        listed = [row["target"] for row in json.loads(done.stdout)["agents"]]
        assert [t for t in listed if t in targets] == expected, command


def test_a_sweep_lists_the_stop_of_an_agent_that_refused_a_held_message(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    """`watch` printed "resumed" at each cycle but never the stop that followed when the next
    held message was refused (the stop was made during delivery, not by the sweep's decision)."""
    from messaging_support import invoke, start_sim, supervisor

    log = tmp_path / "agent.jsonl"
    refusing = ["--provider", "claude", "--refuse-at-limit", "--reset-style", "epoch"]
    agent = start_sim(tmux_server, "worker", [*refusing, "--limit-after", "1"], log)
    monitor = supervisor(isolated_home, tmux_server, SystemClock(environ={}))
    assert invoke(isolated_home, tmux_server, "pause", agent).exit_code == 0
    for text in ("held 1", "held 2"):
        assert invoke(isolated_home, tmux_server, "send", agent, text).output.startswith("queued")
    with StateStore(Paths(isolated_home, "--home")).transaction() as state:
        state.agents[agent].status = Status.ACTIVE  # back by hand; the sweep delivers
    report = monitor.sweep()
    assert StateStore(Paths(isolated_home, "--home")).load().agents[agent].status is (
        Status.EXHAUSTED
    )
    assert f"{agent}: active -> exhausted (refused a held message)" in report.changes


def test_run_json_skipped_by_the_lock_is_still_one_json_object(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    """Three `run --json` at once: two printed "skipped: another credit-monitor run ..."."""
    from credit_management.store.state import run_lock

    with run_lock(Paths(isolated_home, "--home")):
        done = _cm(isolated_home, tmux_server, "run", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert "another credit-monitor run is in progress" in document["skipped"]
    assert document["changes"] == [] and document["delivered"] == 0


def test_watch_refuses_an_interval_longer_than_the_settings_allow(isolated_home: Path) -> None:
    """`watch --interval 99999d` started ("watching every 8.63991e+09s"); the setting's range
    ends at one day."""
    done = subprocess.run(
        [str(CLI), "--home", str(isolated_home), "watch", "--interval", "99999d"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "'99999d' is longer than 86400s" in done.stderr and "Traceback" not in done.stderr


def test_queue_does_not_promise_the_next_sweep_for_an_agent_showing_a_limit(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    """`queue` said "active: sent at the next sweep" for a message held because the agent's
    screen showed a limit; the next sweep left it queued."""
    target = tmux_server.new_window("main", "agent", ["sleep", "600"])
    with StateStore(Paths(isolated_home, "--home")).transaction() as state:
        state.agent(target).queued.append(
            QueuedMessage(id="q-1", text="held", created_at=NOW.isoformat())
        )
    shown = _cm(isolated_home, tmux_server, "queue").stdout
    assert "next sweep" not in shown
    assert f"{target}: active: sent by the first sweep that finds its screen clear" in shown
