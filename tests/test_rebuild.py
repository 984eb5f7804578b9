"""A state file lost to garbage is rebuilt from the journal: during a watch (with the queued
message, the pause and the scheduled note intact, the bad file kept, `state.corrupt` logged and
its hook fired), by `run`, and by hand with `state check` / `state rebuild`. Unreadable journal
lines are skipped and counted. Real tmux and simulated agents; the commands as installed.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

from conftest import TmuxTestServer
from monitor_support import (
    BIN,
    event_names,
    events,
    load_state,
    monitor,
    paths_of,
    prompts,
    start_agent,
    wait_until,
)

from credit_management.clock import SystemClock
from credit_management.models import Status
from credit_management.store.journal import EventLog
from credit_management.store.rebuild import check, rebuild
from credit_management.store.state import StateStore

GARBAGE = b'{"version": 1, "agents": {"main:1": {"status": "exhaus\x00\xff garbage'
HELD = "When you are back: rerun the failing migration test, then push."


def cli(home: Path, server: TmuxTestServer | None, *args: str) -> subprocess.CompletedProcess[str]:
    socket = ["--socket", server.socket] if server is not None else []
    return subprocess.run(
        [str(BIN / "credit-monitor"), "--home", str(home), *socket, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def hook_config(home: Path, out: Path) -> None:
    """A hook on `state.corrupt` that keeps the payload it was given."""
    script = f"import sys; open({str(out)!r}, 'w').write(sys.stdin.read())"
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        "[[hooks]]\n"
        'events = ["state.corrupt"]\n'
        f'command = [{json.dumps(sys.executable)}, "-c", {json.dumps(script)}]\n',
        encoding="utf-8",
    )


def test_garbage_during_a_watch_is_rebuilt_with_the_queue_the_pause_and_the_notes(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    hooked = tmp_path / "hook.json"
    hook_config(isolated_home, hooked)
    limited = start_agent(
        tmux_server,
        "limited",
        ["--provider", "claude", "--limit-after", "0", "--reset-in", "7200", "--tz", "UTC"],
        tmp_path / "l.jsonl",
    )
    working = start_agent(tmux_server, "working", ["--provider", "codex"], tmp_path / "w.jsonl")
    told = tmp_path / "o.jsonl"
    lead = start_agent(tmux_server, "lead", ["--provider", "codex"], told)
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock, orchestrator=lead)
    stop = threading.Event()
    watcher = threading.Thread(target=supervisor.watch, args=(1.0, None, stop), daemon=True)
    watcher.start()
    try:
        wait_until(
            lambda: (
                limited in load_state(isolated_home).agents
                and load_state(isolated_home).agents[limited].status is Status.EXHAUSTED
            ),
            what="the limit is seen",
        )
        until = (clock.now() + timedelta(hours=3)).isoformat()
        paused = cli(
            isolated_home, tmux_server, "pause", working, "--reason", "review", "--until", until
        )
        assert paused.returncode == 0, paused.stderr
        held = cli(isolated_home, tmux_server, "send", limited, HELD)
        assert held.returncode == 0 and "queued" in held.stdout, held.stdout + held.stderr
        noted = cli(isolated_home, tmux_server, "schedule", "add", "2h", "Check CI", working)
        assert noted.returncode == 0, noted.stderr
        before = load_state(isolated_home)

        paths = paths_of(isolated_home)
        paths.state_file.write_bytes(GARBAGE)
        wait_until(lambda: "state.corrupt" in event_names(isolated_home), what="state.corrupt")
        wait_until(lambda: hooked.exists() and hooked.stat().st_size > 0, what="the hook")
        wait_until(
            lambda: any("state file was unreadable" in p for p in prompts(told)),
            what="the orchestrator is told",
        )
    finally:
        stop.set()
        supervisor.wake()
        watcher.join(timeout=15)
    assert not watcher.is_alive()

    after = load_state(isolated_home)  # readable again, and the watch went on
    assert [m.text for m in after.agents[limited].queued] == [HELD]
    assert after.agents[limited].status is Status.EXHAUSTED
    assert after.agents[limited].scheduled_resume == before.agents[limited].scheduled_resume
    pause = after.agents[working]
    assert (pause.status, pause.reason, pause.paused_until) == (
        Status.PAUSED,
        "review",
        before.agents[working].paused_until,
    )
    assert [(n.target, n.text) for n in after.schedules] == [(working, "Check CI")]
    backups = list(paths.data_dir.glob("credit_schedule.json.corrupt-*"))
    assert [b.read_bytes() for b in backups] == [GARBAGE]
    corrupt = next(e for e in events(isolated_home) if e["event"] == "state.corrupt")
    assert corrupt["backup"] == str(backups[0]) and corrupt["queued"] >= 1
    assert json.loads(hooked.read_text(encoding="utf-8"))["event"] == "state.corrupt"


def test_run_rebuilds_and_other_commands_point_at_state_rebuild(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    agent = start_agent(tmux_server, "working", ["--provider", "codex"], tmp_path / "w.jsonl")
    assert cli(isolated_home, tmux_server, "pause", agent, "--reason", "lunch").returncode == 0
    paths = paths_of(isolated_home)
    paths.state_file.write_bytes(b"\x00\x01 not json")

    status = cli(isolated_home, None, "status")
    assert status.returncode == 1
    lines = status.stderr.strip().splitlines()
    assert len(lines) == 1 and "`credit-monitor state rebuild` repairs it" in lines[0]
    checked = cli(isolated_home, None, "state", "check")
    assert checked.returncode == 1 and "unreadable" in checked.stdout

    swept = cli(isolated_home, tmux_server, "run")
    assert swept.returncode == 0, swept.stderr
    assert "rebuilt from" in swept.stderr
    record = load_state(isolated_home).agents[agent]
    assert (record.status, record.reason) == (Status.PAUSED, "lunch")
    assert cli(isolated_home, None, "state", "check").returncode == 0


def test_state_rebuild_by_hand_skips_and_counts_unreadable_journal_lines(
    isolated_home: Path,
) -> None:
    paths = paths_of(isolated_home)
    store = StateStore(paths)
    with store.transaction() as state:
        state.agent("main:1").reason = "first"
    log = EventLog(paths.events_log)
    with log.path.open("ab") as handle:
        handle.write(b'torn {"event": "state.cha\n\xff\xfe not json\n')
    with store.transaction() as state:
        state.agent("main:2").reason = "second"
    paths.state_file.write_bytes(b"[]")

    assert not check(store).ok
    done = cli(isolated_home, None, "state", "rebuild")
    assert done.returncode == 0, done.stderr
    assert "2 unreadable line(s) skipped" in done.stdout
    rebuilt = load_state(isolated_home)
    assert {t: r.reason for t, r in rebuilt.agents.items()} == {
        "main:1": "first",
        "main:2": "second",
    }
    # A readable file is left alone unless --force.
    assert rebuild(store) is None
    again = cli(isolated_home, None, "state", "rebuild")
    assert again.returncode == 0 and "reads fine" in again.stdout


def test_a_future_version_is_never_rebuilt_over(isolated_home: Path) -> None:
    paths = paths_of(isolated_home)
    paths.data_dir.mkdir(parents=True)
    paths.state_file.write_text('{"version": 9, "agents": {}}', encoding="utf-8")
    done = cli(isolated_home, None, "state", "rebuild")
    assert done.returncode == 1 and "upgrade credit-monitor" in done.stderr
    assert paths.state_file.read_text(encoding="utf-8") == '{"version": 9, "agents": {}}'
