"""The monitor's commands as a user and cron run them: the installed `credit-monitor` and
`credit_monitor` programs with --home and --socket against a real private tmux server and
simulated agents. "After the reset" is CREDIT_MONITOR_CLOCK_OFFSET, never a real wait.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, timedelta
from pathlib import Path

import pytest
from conftest import TmuxTestServer
from monitor_support import (
    BIN,
    event_names,
    fake_crontab_in,
    load_state,
    paths_of,
    prompts,
    scheduled,
    start_agent,
    type_and_enter,
    wait_for_record,
    wait_until,
)

from credit_management.clock import SystemClock
from credit_management.models import Status, parse_iso
from credit_management.store.config import DEFAULT_TEST_MESSAGE

TEST = DEFAULT_TEST_MESSAGE
CLAUDE_NOW = ["--provider", "claude", "--limit-after", "0", "--tz", "UTC"]
CONFIG = """\
confirm_seconds = 0.3
resume_margin_seconds = 1
verify_timeout_seconds = 10
ignore = ["main:0"]
"""


@pytest.fixture
def home(isolated_home: Path) -> Path:
    """The tool's home with short timings in its config.toml."""
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text(CONFIG, encoding="utf-8")
    return isolated_home


def command(
    home: Path, server: TmuxTestServer | None, *args: str, program: str = "credit-monitor"
) -> list[str]:
    socket = ["--socket", server.socket] if server is not None else []
    if program == "credit_monitor":  # the watcher's own script takes the watch options only
        return [str(BIN / program), *args]
    return [str(BIN / program), "--home", str(home), *socket, *args]


def environment(
    offset: float | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CREDIT_MONITOR_DEBUG"}
    if offset is not None:
        env["CREDIT_MONITOR_CLOCK_OFFSET"] = f"{offset:.3f}"
    env.update(extra or {})
    return env


def run_cli(
    home: Path,
    server: TmuxTestServer | None,
    *args: str,
    offset: float | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The installed `credit-monitor` as its own process, as a user or cron runs it."""
    return subprocess.run(
        command(home, server, *args),
        capture_output=True,
        text=True,
        env=environment(offset, env),
        timeout=90,
        check=False,
    )


def offset_past(home: Path, target: str, extra: float = 2.0) -> float:
    """Seconds to add to the clock to be `extra` seconds after the agent's scheduled resume."""
    gap = (scheduled(home, target) - SystemClock({}).now()).total_seconds()
    return max(gap, 0.0) + extra


def stopped(server: TmuxTestServer, tmp_path: Path, *extra: str) -> tuple[str, Path]:
    log = tmp_path / "agent.jsonl"
    return start_agent(server, "agent", [*CLAUDE_NOW, "--reset-in", "1", *extra], log), log


# --- run -----------------------------------------------------------------------------------------


def test_run_pauses_then_resumes_after_the_reset(
    tmux_server: TmuxTestServer, home: Path, tmp_path: Path
) -> None:
    agent, log = stopped(tmux_server, tmp_path)
    first = run_cli(home, tmux_server, "run")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        "swept 1 agent(s): 1 change(s), 0 resumed, 0 message(s) delivered",
        f"  {agent}: active -> exhausted",
    ]
    assert load_state(home).agents[agent].status is Status.EXHAUSTED

    early = run_cli(home, tmux_server, "run")  # the agent's reset is past, the printed one not
    assert early.returncode == 0 and "0 resumed" in early.stdout
    wait_for_record(log, "reset")
    hours_late = offset_past(home, agent) + 6 * 3600  # cron did not run for hours: catch up
    later = run_cli(home, tmux_server, "run", offset=hours_late)
    assert later.returncode == 0, later.stderr
    assert "1 resumed" in later.stdout and later.stderr == ""
    assert load_state(home).agents[agent].status is Status.ACTIVE
    again = run_cli(home, tmux_server, "run", offset=hours_late + 3600)
    assert again.returncode == 0 and "0 resumed" in again.stdout
    assert prompts(log).count(TEST) == 1  # once, not once per missed slot


def test_two_concurrent_runs_never_double_send(
    tmux_server: TmuxTestServer, home: Path, tmp_path: Path
) -> None:
    agent, log = stopped(tmux_server, tmp_path, "--think", "0.4")  # a resume of seconds: a long run
    assert run_cli(home, tmux_server, "run").returncode == 0
    wait_for_record(log, "reset")
    env = environment(offset_past(home, agent))
    runs = [
        subprocess.Popen(
            command(home, tmux_server, "run"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=60) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    skipped = [out for out, _err in outputs if out.startswith("skipped: ")]
    assert len(skipped) == 1, outputs
    assert "another credit-monitor run is in progress (pid " in skipped[0]
    assert sum("1 resumed" in out for out, _err in outputs) == 1
    assert prompts(log).count(TEST) == 1
    assert load_state(home).agents[agent].status is Status.ACTIVE


def test_a_run_killed_mid_resume_is_finished_by_a_later_run(
    tmux_server: TmuxTestServer, home: Path, tmp_path: Path
) -> None:
    agent, log = stopped(tmux_server, tmp_path, "--think", "0.3")
    assert run_cli(home, tmux_server, "run").returncode == 0
    wait_for_record(log, "reset")
    offset = offset_past(home, agent)
    killed = subprocess.Popen(
        command(home, tmux_server, "run"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment(offset),
    )
    wait_until(lambda: TEST in prompts(log), what="the test message")
    killed.kill()  # SIGKILL while it waits for the answer
    killed.wait(timeout=10)
    state = load_state(home)  # the state file survived and says what was under way
    assert state.agents[agent].status is Status.RESUMING

    soon = run_cli(home, tmux_server, "run", offset=offset + 5)
    assert soon.returncode == 0 and "0 resumed" in soon.stdout  # may still be verifying
    later = run_cli(home, tmux_server, "run", offset=offset + 600)
    assert later.returncode == 0, later.stderr
    assert "1 resumed" in later.stdout
    assert prompts(log).count(TEST) == 2
    assert load_state(home).agents[agent].status is Status.ACTIVE


def test_run_without_the_tmux_server_fails_in_one_line_and_keeps_the_state(
    tmux_server: TmuxTestServer, home: Path, tmp_path: Path
) -> None:
    start_agent(tmux_server, "agent", [*CLAUDE_NOW, "--reset-in", "3600"], tmp_path / "a.jsonl")
    assert run_cli(home, tmux_server, "run").returncode == 0
    state_file = paths_of(home).state_file
    before, mtime = state_file.read_bytes(), state_file.stat().st_mtime_ns
    tmux_server.cmd("kill-server")
    wait_until(
        lambda: "no server running" in tmux_server.cmd("list-sessions", check=False).stderr,
        what="the server to be gone",
    )

    done = run_cli(home, tmux_server, "run")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr == f"Error: no tmux server running on socket '{tmux_server.socket}'\n"
    assert state_file.read_bytes() == before and state_file.stat().st_mtime_ns == mtime


# --- health and estimate-reset -------------------------------------------------------------------


def test_health_reports_each_agent_and_fails_when_one_needs_a_person(
    tmux_server: TmuxTestServer, home: Path, tmp_path: Path
) -> None:
    working = start_agent(tmux_server, "working", ["--provider", "codex"], tmp_path / "w.jsonl")
    limited = start_agent(
        tmux_server, "limited", [*CLAUDE_NOW, "--reset-in", "3600"], tmp_path / "l.jsonl"
    )
    swept = run_cli(home, tmux_server, "run", "--json")
    assert swept.returncode == 0, swept.stderr
    assert json.loads(swept.stdout) == {
        "agents": 2,
        "changes": [f"{limited}: active -> exhausted"],
        "resumed": [],
        "delivered": 0,
        "errors": [],
    }
    healthy = run_cli(home, tmux_server, "health", "--json")
    assert healthy.returncode == 0, healthy.stdout  # a limit is handled: nobody is needed
    document = json.loads(healthy.stdout)
    assert document["needs_person"] == []
    rows = {row["target"]: row for row in document["agents"]}
    assert set(rows) == {working, limited}
    assert set(rows[limited]) == {
        "target",
        "window_name",
        "pane_id",
        "window",
        "process",
        "alive",
        "status",
        "signal",
        "scheduled_resume",
        "seconds_until_resume",
        "needs_person",
        "queued",
        "queue_stalled",
        "unreachable",
    }
    assert rows[limited]["status"] == "exhausted" and rows[limited]["window"] is True
    assert rows[limited]["signal"]["kind"] == "exhausted"
    assert 3500 < rows[limited]["seconds_until_resume"] <= 3661
    assert rows[working]["status"] == "active" and rows[working]["alive"] is True
    assert rows[working]["scheduled_resume"] is None

    tmux_server.cmd("kill-window", "-t", working)
    missing = run_cli(home, tmux_server, "health", "--json")
    assert missing.returncode == 1
    document = json.loads(missing.stdout)
    assert document["needs_person"] == [working]
    gone = {row["target"]: row for row in document["agents"]}[working]
    assert gone["window"] is False and gone["needs_person"] is True

    table = run_cli(home, tmux_server, "check_agent_health")
    assert table.returncode == 1
    assert table.stdout.splitlines()[-1] == f"needs a person: {working}"
    assert "Traceback" not in table.stderr


def test_health_fails_for_a_crashed_agent(
    tmux_server: TmuxTestServer, home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "c.jsonl"
    args = ["--provider", "claude", "--crash-after", "1"]
    agent = start_agent(tmux_server, "crashy", args, log, remain_on_exit=True)
    assert run_cli(home, tmux_server, "health").returncode == 0
    type_and_enter(tmux_server, agent, "go")
    wait_for_record(log, "exit")
    wait_until(
        lambda: tmux_server.cmd("display", "-p", "-t", agent, "#{pane_dead}").stdout.strip() == "1",
        what="a dead pane",
    )
    done = run_cli(home, tmux_server, "health", "--json")
    assert done.returncode == 1
    row = json.loads(done.stdout)["agents"][0]
    assert (row["target"], row["alive"], row["needs_person"]) == (agent, False, True)


def test_estimate_reset_prints_the_printed_reset_or_the_cycle(
    tmux_server: TmuxTestServer, home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "l.jsonl"
    # Gemini publishes no usage data, so its reset is the one it printed (a Claude agent's
    # transcript would make it "exact").
    gemini = ["--provider", "gemini", "--limit-after", "0", "--tz", "UTC", "--reset-in", "7200"]
    limited = start_agent(tmux_server, "limited", gemini, log)
    working = start_agent(tmux_server, "working", ["--provider", "codex"], tmp_path / "w.jsonl")
    assert run_cli(home, tmux_server, "run").returncode == 0
    record = load_state(home).agents[limited]

    one = run_cli(home, tmux_server, "estimate-reset", limited, "--json")
    assert one.returncode == 0, one.stderr
    document = json.loads(one.stdout)
    assert set(document) == {"now", "agents"}
    assert len(document["agents"]) == 1
    row = document["agents"][0]
    assert (row["target"], row["status"], row["basis"]) == (limited, "exhausted", "printed")
    assert row["estimate"] == record.reset_at and row["scheduled_resume"] == record.scheduled_resume
    assert 7100 < row["seconds_until"] <= 7260

    every = run_cli(home, tmux_server, "estimate_reset_time", "--json")
    rows = {row["target"]: row for row in json.loads(every.stdout)["agents"]}
    assert set(rows) == {limited, working}
    cycle = rows[working]
    assert cycle["basis"] == "cycle"
    estimate, now = parse_iso(cycle["estimate"]), parse_iso(json.loads(every.stdout)["now"])
    assert estimate is not None and now is not None
    # The state file's default cycle: these slots in UTC; the next one is at most 9 h away.
    assert estimate.astimezone(UTC).strftime("%H:%M") in {
        "18:00",
        "23:00",
        "04:00",
        "09:00",
        "14:00",
    }
    assert timedelta(0) < estimate - now <= timedelta(hours=9)

    by_name = run_cli(home, tmux_server, "estimate-reset", "main:limited")
    assert by_name.returncode == 0
    header, row = by_name.stdout.splitlines()
    assert header.startswith("TARGET") and "RESETS (" in header
    assert row.startswith(f"{limited} ") and row.endswith("as the agent printed it")

    tmux_server.cmd("kill-window", "-t", limited)  # recorded, window gone: still answered
    closed = run_cli(home, tmux_server, "estimate-reset", limited, "--json")
    assert closed.returncode == 0, closed.stderr
    assert json.loads(closed.stdout)["agents"][0]["estimate"] == record.reset_at

    unknown = run_cli(home, tmux_server, "estimate-reset", "main:nowhere")
    assert unknown.returncode == 1
    assert unknown.stderr == "Error: no such window: 'main:nowhere'\n"


# --- watch ---------------------------------------------------------------------------------------


def test_watch_sweeps_for_its_duration_and_exits_0(
    tmux_server: TmuxTestServer, home: Path, tmp_path: Path
) -> None:
    agent, _log = stopped(tmux_server, tmp_path)
    orch_log = tmp_path / "orch.jsonl"
    start_agent(tmux_server, "orch", ["--provider", "claude", "--limit-after", "99"], orch_log)
    options = ["--interval", "0.5", "--duration", "3", "--resume-margin", "7"]
    started = time.monotonic()
    done = run_cli(home, tmux_server, "watch", *options, "--orchestrator", "main:orch")
    elapsed = time.monotonic() - started

    assert done.returncode == 0, done.stderr
    assert 3 <= elapsed < 10
    lines = done.stdout.splitlines()
    assert lines[0].startswith("watching every 0.5s (state: ")
    assert any(line.endswith(f"{agent}: active -> exhausted") for line in lines)
    assert lines[-1] == "watch stopped"
    record = load_state(home).agents[agent]
    assert record.status is Status.EXHAUSTED
    reset_at, resume = parse_iso(record.reset_at), parse_iso(record.scheduled_resume)
    assert reset_at is not None and resume == reset_at + timedelta(seconds=7)
    assert event_names(home, agent).count("credit.exhausted") == 1
    wait_until(lambda: len(prompts(orch_log)) == 1, what="the orchestrator's note")
    assert prompts(orch_log)[0].startswith(f"[credit-monitor] {agent} (claude) is out of usage")

    bad = run_cli(home, tmux_server, "watch", "--orchestrator", "main:nowhere")
    assert (bad.returncode, bad.stderr) == (1, "Error: no such window: 'main:nowhere'\n")


def test_watch_outlives_the_tmux_server_but_not_a_wrong_socket(
    tmux_server: TmuxTestServer, home: Path, tmp_path: Path
) -> None:
    agent, _log = stopped(tmux_server, tmp_path)
    process = subprocess.Popen(
        command(home, tmux_server, "watch", "--interval", "0.3", "--duration", "3"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    wait_until(lambda: paths_of(home).state_file.exists(), what="a first sweep")
    tmux_server.cmd("kill-server")
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"warning: no tmux server running on socket '{tmux_server.socket}'" in err
    assert "Traceback" not in err and out.splitlines()[-1] == "watch stopped"
    assert load_state(home).agents[agent].status is Status.EXHAUSTED

    wrong = run_cli(home, None, "--socket", "no-such-server", "watch", "--duration", "1")
    assert wrong.returncode == 1
    assert wrong.stderr == "Error: no tmux server running on socket 'no-such-server'\n"


@pytest.fixture
def watcher(tmux_server: TmuxTestServer, home: Path) -> Iterator[subprocess.Popen[str]]:
    """`credit-monitor watch` running until the test stops it (killed if it does not)."""
    process = subprocess.Popen(
        command(home, tmux_server, "watch", "--interval", "0.5"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_watch_stops_promptly_on_sigterm(
    tmux_server: TmuxTestServer, home: Path, watcher: subprocess.Popen[str]
) -> None:
    assert watcher.stdout is not None
    assert watcher.stdout.readline().startswith("watching every 0.5s")
    time.sleep(1.2)  # a few sweeps
    sent = time.monotonic()
    watcher.send_signal(signal.SIGTERM)
    out, err = watcher.communicate(timeout=10)
    assert time.monotonic() - sent < 2
    assert watcher.returncode == 0, err
    assert out.splitlines()[-1] == "watch stopped"
    assert "Traceback" not in err


def test_watch_stops_on_ctrl_c(
    tmux_server: TmuxTestServer, home: Path, watcher: subprocess.Popen[str]
) -> None:
    assert watcher.stdout is not None
    assert watcher.stdout.readline().startswith("watching every 0.5s")
    watcher.send_signal(signal.SIGINT)
    out, err = watcher.communicate(timeout=10)
    assert watcher.returncode == 0, err
    assert out.splitlines()[-1] == "watch stopped"


def test_the_credit_monitor_script_runs_the_watcher(
    tmux_server: TmuxTestServer, home: Path, tmp_path: Path
) -> None:
    agent, _log = stopped(tmux_server, tmp_path)
    done = subprocess.run(
        command(home, None, "--interval", "0.5", "--duration", "1", program="credit_monitor"),
        capture_output=True,
        text=True,
        env=environment(
            extra={
                "CREDIT_MANAGEMENT_HOME": str(home),
                "CREDIT_MONITOR_TMUX_SOCKET": tmux_server.socket,
            }
        ),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("watching every 0.5s")
    assert load_state(home).agents[agent].status is Status.EXHAUSTED


# --- cron ----------------------------------------------------------------------------------------


@pytest.fixture
def fake_crontab(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose `crontab` is the stand-in, and the file holding its table."""
    bin_dir = tmp_path / "fakebin"
    fake_crontab_in(bin_dir)
    table = tmp_path / "crontab.txt"
    env = {"PATH": f"{bin_dir}:{BIN}:/usr/bin:/bin", "FAKE_CRONTAB_FILE": str(table)}
    return env, table


def test_cron_install_show_remove_are_idempotent(
    tmux_server: TmuxTestServer,
    home: Path,
    tmp_path: Path,
    fake_crontab: tuple[dict[str, str], Path],
) -> None:
    env, table = fake_crontab
    table.write_text("0 3 * * * /usr/local/bin/backup\n", encoding="utf-8")

    shown = run_cli(home, tmux_server, "cron", "show", env=env)
    assert shown.stdout == "no credit-monitor entry installed\n"
    first = run_cli(home, tmux_server, "cron", "install", env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("installed: */5 * * * * ")
    lines = table.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "0 3 * * * /usr/local/bin/backup"
    assert len(lines) == 2
    entry = lines[1]
    # Only what the monitor runs: its own folder, tmux's, the system ones; not the caller's
    # whole PATH (here with the fake crontab's folder in front).
    path = entry.split("PATH=", 1)[1].split(" ", 1)[0].split(":")
    assert path[0] == str(BIN)
    assert str(tmp_path) not in entry.split("CREDIT_MANAGEMENT_HOME")[0]
    assert {"/usr/bin", "/bin"} <= set(path)
    assert f"CREDIT_MANAGEMENT_HOME={home}" in entry
    socket_path = tmux_server.cmd("display", "-p", "#{socket_path}").stdout.strip()
    assert f"CREDIT_MONITOR_TMUX_SOCKET={socket_path} " in entry  # a path: cron has no TMUX_TMPDIR
    assert f"{BIN / 'credit-monitor'} run >> {home / 'logs' / 'cron.log'} 2>&1" in entry

    again = run_cli(home, tmux_server, "cron", "install", env=env)
    assert again.stdout == f"already installed: {entry}\n"
    assert table.read_text(encoding="utf-8").splitlines() == lines
    assert run_cli(home, tmux_server, "cron", "show", env=env).stdout == f"{entry}\n"

    faster = run_cli(
        home, tmux_server, "cron", "install", env={**env, "CLAUDE_CREDIT_CHECK_INTERVAL": "2"}
    )
    assert faster.stdout.startswith("installed: */2 * * * * ")
    assert len(table.read_text(encoding="utf-8").splitlines()) == 2  # updated, not added

    assert run_cli(home, tmux_server, "cron", "remove", env=env).stdout == "removed\n"
    assert table.read_text(encoding="utf-8") == "0 3 * * * /usr/local/bin/backup\n"
    gone = run_cli(home, tmux_server, "cron", "remove", env=env)
    assert gone.returncode == 0 and gone.stdout == "no credit-monitor entry installed\n"


def test_the_cron_entry_runs_in_cron_s_empty_environment(
    tmux_server: TmuxTestServer,
    home: Path,
    tmp_path: Path,
    fake_crontab: tuple[dict[str, str], Path],
) -> None:
    env, table = fake_crontab
    agent = start_agent(
        tmux_server, "agent", [*CLAUDE_NOW, "--reset-in", "3600"], tmp_path / "a.jsonl"
    )
    assert run_cli(home, tmux_server, "cron", "install", env=env).returncode == 0
    entry = table.read_text(encoding="utf-8").splitlines()[-1]
    job = entry.split(" ", 5)[5]  # what cron hands to /bin/sh after the five time fields

    done = subprocess.run(
        ["/bin/sh", "-c", job], env={}, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, (job, done.stderr)
    log = (home / "logs" / "cron.log").read_text(encoding="utf-8")
    assert "swept 1 agent(s): 1 change(s)" in log
    assert load_state(home).agents[agent].status is Status.EXHAUSTED


def test_cron_without_crontab_installed_says_so(
    tmux_server: TmuxTestServer, home: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "nobin"
    empty.mkdir()
    done = run_cli(home, tmux_server, "cron", "show", env={"PATH": str(empty)})
    assert done.returncode == 1
    assert done.stderr.startswith("Error: crontab is not installed")
    assert "Traceback" not in done.stderr
