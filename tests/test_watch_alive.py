"""Visibly alive: every sweep records when it ran; `status`, `health` and the dashboard's JSON
show it; `health` exits 1 once it is older than three intervals. Plain shell windows are not
listed as agents. Stored "resets in 2m" phrases are said again as of now. The installed
commands against a real tmux server; "an hour ago" is CREDIT_MONITOR_CLOCK_OFFSET.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import TmuxTestServer
from monitor_support import BIN, start_agent

from credit_management.control.overview import relative_message
from credit_management.models import parse_iso
from credit_management.store.liveness import last_sweep
from credit_management.store.paths import Paths

CONFIG = 'confirm_seconds = 0.3\nignore = ["main:0"]\n'


def cli(
    home: Path, server: TmuxTestServer, *args: str, offset: float | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CREDIT_MONITOR_DEBUG"}
    if offset is not None:
        env["CREDIT_MONITOR_CLOCK_OFFSET"] = str(offset)
    return subprocess.run(
        [str(BIN / "credit-monitor"), "--home", str(home), "--socket", server.socket, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_health_exits_non_zero_when_the_last_sweep_is_stale(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text(CONFIG, encoding="utf-8")
    start_agent(tmux_server, "working", ["--provider", "codex"], tmp_path / "w.jsonl")

    before = json.loads(cli(isolated_home, tmux_server, "status", "--json").stdout)
    assert before["last_sweep"] is None
    never = cli(isolated_home, tmux_server, "health")
    assert never.returncode == 0 and "last sweep: never" in never.stdout

    # A sweep an hour ago, on a 5-minute interval: no monitor has run for 12 intervals.
    assert cli(isolated_home, tmux_server, "run", offset=-3600).returncode == 0
    stale = cli(isolated_home, tmux_server, "health")
    assert stale.returncode == 1, stale.stdout
    assert "last sweep 1h ago (run); WARNING: older than 3 intervals" in stale.stdout
    document = json.loads(cli(isolated_home, tmux_server, "health", "--json").stdout)
    assert document["needs_person"] == [] and document["sweep"]["stale"] is True
    status = cli(isolated_home, tmux_server, "status")
    assert "WARNING: older than 3 intervals" in status.stdout

    assert cli(isolated_home, tmux_server, "run").returncode == 0
    fresh = cli(isolated_home, tmux_server, "health")
    assert fresh.returncode == 0, fresh.stdout
    assert "last sweep just now (run)" in fresh.stdout or "s ago (run)" in fresh.stdout
    shown = json.loads(cli(isolated_home, tmux_server, "status", "--json").stdout)["last_sweep"]
    recorded = last_sweep(Paths(isolated_home, "--home"))
    assert recorded is not None and parse_iso(shown) == recorded.time


def test_plain_shell_windows_are_not_listed_as_agents(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text("confirm_seconds = 0.3\n", encoding="utf-8")
    agent = start_agent(tmux_server, "working", ["--provider", "codex"], tmp_path / "w.jsonl")
    shell = tmux_server.new_window("main", "notes", ["bash", "--norc", "--noprofile"])
    assert cli(isolated_home, tmux_server, "run").returncode == 0
    rows = json.loads(cli(isolated_home, tmux_server, "health", "--json").stdout)["agents"]
    listed = {row["target"] for row in rows}
    assert agent in listed and shell not in listed and "main:0" not in listed
    estimates = json.loads(cli(isolated_home, tmux_server, "estimate-reset", "--json").stdout)
    targets = json.dumps(estimates)
    assert agent in targets and f'"{shell}"' not in targets

    # Named in the config, the same shell window is listed.
    (isolated_home / "config.toml").write_text(
        f'confirm_seconds = 0.3\nwatch = ["{shell}", "*"]\n', encoding="utf-8"
    )
    rows = json.loads(cli(isolated_home, tmux_server, "health", "--json").stdout)["agents"]
    assert shell in {row["target"] for row in rows}


def test_a_stored_resets_in_is_said_again_as_of_now() -> None:
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    stored = "Claude 5-hour limit; resets in 2m"
    assert relative_message(stored, now + timedelta(minutes=45), now) == (
        "Claude 5-hour limit; resets in 45m"
    )
    assert relative_message(stored, now - timedelta(hours=3), now) == (
        "Claude 5-hour limit; reset 3h ago"
    )
    assert relative_message("Gemini rate limit; retry in 33s", None, now) == (
        "Gemini rate limit; retry in 33s"
    )
