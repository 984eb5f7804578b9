"""`credit-monitor statusline` and `hook claude` as Claude Code runs them: in the agent's pane
(so $TMUX and $TMUX_PANE are tmux's own), payloads shaped like Claude Code's, then a sweep of
the real supervisor over a real tmux server.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from conftest import TmuxTestServer
from monitor_support import BIN, event_names, events, load_state, monitor, wait_until

from credit_management.cli import cli
from credit_management.clock import SystemClock
from credit_management.models import Status, parse_iso
from credit_management.sim.publish import statusline_payload as claude_statusline
from credit_management.store.paths import Paths
from credit_management.store.samples import SampleStore, server_key
from credit_management.store.state import StateStore, run_lock

PROGRAM = str(BIN / "credit-monitor")
SESSION = "00893aaf-19fa-41d2-8238-13269b9b3ca0"
TRANSCRIPT = "/home/dev/.claude/projects/-home-dev-project/00893aaf.jsonl"


def statusline_payload(five: float, resets_at: int, seven: float = 41.2) -> dict[str, Any]:
    """The statusLine JSON of Claude Code's documentation, with the given windows."""
    limits = (five, resets_at, seven, resets_at + 4 * 86400)
    return claude_statusline(SESSION, TRANSCRIPT, "/home/dev/project", limits)


def stop_failure(error: str, message: str) -> dict[str, Any]:
    """A StopFailure hook payload as Claude Code sends it."""
    return {
        "session_id": SESSION,
        "transcript_path": TRANSCRIPT,
        "cwd": "/home/dev/project",
        "hook_event_name": "StopFailure",
        "error": error,
        "error_details": "429 Too Many Requests" if error == "rate_limit" else "529",
        "last_assistant_message": message,
    }


def agent_pane(
    server: TmuxTestServer,
    home: Path,
    tmp: Path,
    steps: list[tuple[str, dict[str, Any]]],
    env_per_step: list[dict[str, str]] | None = None,
) -> str:
    """A window whose process runs each command with its payload on stdin (as Claude runs its
    statusLine and hooks), then stays quiet; returns its target once they all ran."""
    script = []
    for index, (command, payload) in enumerate(steps):
        data = tmp / f"payload{index}.json"
        data.write_text(json.dumps(payload))
        env = (env_per_step or [{}] * len(steps))[index]
        prefix = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
        script.append(f"{prefix} {shlex.quote(PROGRAM)} --home {shlex.quote(str(home))} "
                      f"{command} < {shlex.quote(str(data))}")  # fmt: skip
    done = tmp / "done"
    script.append(f"touch {shlex.quote(str(done))}; exec sleep 600")
    target = server.new_window("main", "agent", ["sh", "-c", "; ".join(script)])
    wait_until(done.exists, 15, "the payload commands ran")
    return target


def pane_id(server: TmuxTestServer, target: str) -> str:
    return server.cmd("display-message", "-p", "-t", target, "#{pane_id}").stdout.strip()


def in_an_hour() -> int:
    return (int(time.time()) // 60 + 61) * 60


def test_a_statusline_payload_sets_the_panes_usage(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    resets = in_an_hour()
    target = agent_pane(
        tmux_server, isolated_home, tmp_path, [("statusline", statusline_payload(42, resets))]
    )
    shown = tmux_server.wait_for_text(target, "5h 42%")
    assert "7d 41% · $1.37" in shown

    monitor(isolated_home, tmux_server, SystemClock({})).sweep()

    record = load_state(isolated_home).agents[target]
    assert record.status is Status.ACTIVE
    five = record.usage["five_hour"]
    assert five["used_percent"] == 42
    assert five["source"] == "claude-statusline"
    assert parse_iso(five["resets_at"]) == datetime.fromtimestamp(resets, UTC)
    assert record.usage["seven_day"]["used_percent"] == 41.2
    assert record.cost_usd == 1.37
    assert record.provider == "claude"
    assert "signal.disagreement" not in event_names(isolated_home)
    status = json.loads(CliRunner().invoke(cli, ["status", "--json"]).output)
    [agent] = [a for a in status["agents"] if a["target"] == target]
    assert (agent["usage"]["five_hour"]["used_percent"], agent["cost_usd"]) == (42, 1.37)


def test_a_stop_failure_at_100_percent_pauses_a_silent_agent_until_the_exact_reset(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    resets = in_an_hour()
    target = agent_pane(
        tmux_server,
        isolated_home,
        tmp_path,
        [
            ("statusline", statusline_payload(100, resets)),
            ("hook claude", stop_failure("rate_limit", "API Error: Rate limit reached")),
        ],
    )
    assert "limit" not in tmux_server.capture(target).lower()  # the screen shows nothing

    report = monitor(isolated_home, tmux_server, SystemClock({})).sweep()

    assert report.changes == [f"{target}: active -> exhausted"]
    record = load_state(isolated_home).agents[target]
    reset = datetime.fromtimestamp(resets, UTC)
    assert parse_iso(record.reset_at) == reset
    assert parse_iso(record.scheduled_resume) == reset + timedelta(seconds=1)  # the margin
    assert record.evidence is not None and record.evidence.startswith("claude-hook: rate_limit")
    names = event_names(isolated_home, target)
    assert "credit.exhausted" in names
    disagreement = [e for e in events(isolated_home, target) if e["event"] == "signal.disagreement"]
    assert len(disagreement) == 1
    assert disagreement[0]["screen"]["kind"] == "none"
    assert disagreement[0]["data"]["kind"] == "exhausted"

    estimate = CliRunner().invoke(cli, ["estimate-reset", target, "--json"])
    row = json.loads(estimate.output)["agents"][0]
    assert (row["basis"], parse_iso(row["estimate"])) == ("exact", reset)


def test_an_overloaded_stop_failure_does_not_pause(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    target = agent_pane(
        tmux_server,
        isolated_home,
        tmp_path,
        [
            ("statusline", statusline_payload(40, in_an_hour())),
            ("hook claude", stop_failure("overloaded", "API Error: 529 Overloaded")),
        ],
    )

    report = monitor(isolated_home, tmux_server, SystemClock({})).sweep()

    assert report.changes == []
    record = load_state(isolated_home).agents[target]
    assert record.status is Status.ACTIVE
    assert record.usage["five_hour"]["used_percent"] == 40
    assert record.last_signal is not None and record.last_signal["kind"] == "overloaded"
    assert "credit.exhausted" not in event_names(isolated_home)


def test_a_rate_limit_below_100_percent_is_transient(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    target = agent_pane(
        tmux_server,
        isolated_home,
        tmp_path,
        [
            ("statusline", statusline_payload(63, in_an_hour())),
            ("hook claude", stop_failure("rate_limit", "API Error: Rate limit reached")),
        ],
    )
    monitor(isolated_home, tmux_server, SystemClock({})).sweep()
    record = load_state(isolated_home).agents[target]
    assert record.status is Status.ACTIVE
    assert record.last_signal is not None and record.last_signal["kind"] == "rate_limit"


def test_warnings_fire_once_per_threshold_and_cycle(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    target = agent_pane(
        tmux_server, isolated_home, tmp_path, [("statusline", statusline_payload(96, in_an_hour()))]
    )
    supervisor = monitor(isolated_home, tmux_server, SystemClock({}))
    supervisor.sweep()
    supervisor.sweep()
    warnings = [e for e in events(isolated_home, target) if e["event"] == "credit.warning"]
    assert [(w["window"], w["threshold"]) for w in warnings] == [("five_hour", 95.0)]


def run_cli(args: list[str], data: bytes, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [PROGRAM, *args], input=data, env=env, capture_output=True, timeout=30, check=False
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def test_bad_input_never_fails_the_statusline_and_goes_to_the_event_log(
    isolated_home: Path,
) -> None:
    env = dict(os.environ, TMUX="/tmp/none,1,0", TMUX_PANE="%7")
    done = run_cli(["statusline"], b"{not json", env)
    assert done.returncode == 0
    assert done.stdout.strip() == "credit-monitor: unreadable statusline input"
    assert "statusline.error" in event_names(isolated_home)
    hook = run_cli(["hook", "claude"], b"[]", env)
    assert (hook.returncode, hook.stdout) == (0, "")
    assert "hook.error" in event_names(isolated_home)


def test_a_wrapped_statusline_command_shows_instead_with_the_same_input(
    isolated_home: Path, tmp_path: Path
) -> None:
    env = dict(os.environ, TMUX="/tmp/sock,1,0", TMUX_PANE="%7")
    seen = tmp_path / "seen.json"
    wrapped = f"cat > {shlex.quote(str(seen))}; echo my own line"
    data = json.dumps(statusline_payload(12, in_an_hour())).encode()
    done = run_cli(["statusline", "--wrap", wrapped], data, env)
    assert (done.returncode, done.stdout) == (0, "my own line\n")
    assert seen.read_bytes() == data
    store = SampleStore.under(isolated_home / "data")
    files = list(store.folder.glob("*.jsonl"))
    assert len(files) == 1 and files[0].name.endswith("-7.jsonl")


def test_the_hook_records_while_a_sweep_holds_every_lock(isolated_home: Path) -> None:
    paths = Paths(isolated_home, "--home")
    env = dict(os.environ, TMUX="/tmp/sock,1,0", TMUX_PANE="%9")
    payload = json.dumps(stop_failure("rate_limit", "API Error: Rate limit reached")).encode()
    with run_lock(paths), StateStore(paths).transaction():
        done = run_cli(["hook", "claude"], payload, env)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
        sample = SampleStore.under(paths.data_dir).last(server_key("/tmp/sock"), "%9", "hook")
    assert sample is not None
    assert (sample["event"], sample["error"]) == ("StopFailure", "rate_limit")
