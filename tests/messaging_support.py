"""Helpers shared by the messaging tests: simulated agents in tmux windows, their prompt logs,
and the `credit-monitor` command run in-process or as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result
from conftest import TmuxTestServer

from credit_management.cli import cli
from credit_management.clock import SystemClock, host_zone
from credit_management.credit_monitor import Supervisor
from credit_management.store.config import load_settings
from credit_management.store.paths import Paths
from credit_management.tmux.gateway import Tmux

CLI = Path(sys.executable).with_name("credit-monitor")
# What each simulated agent shows once its input box is drawn.
READY = {"claude": "? for shortcuts", "codex": "⏎ send", "gemini": "context left"}


def start_sim(
    server: TmuxTestServer,
    name: str,
    args: list[str],
    state_file: Path,
    env: dict[str, str] | None = None,
) -> str:
    """Run the simulated agent in a new window of session "main"; returns `main:N`."""
    command = ["new-window", "-d", "-P", "-F", "#{session_name}:#{window_index}"]
    command += ["-t", "main:", "-n", name]
    for key, value in (env or {}).items():
        command += ["-e", f"{key}={value}"]
    command += [sys.executable, "-m", "credit_management", "simulate", "--name", name]
    command += ["--think", "0.05", "--state-file", str(state_file), *args]
    target = server.cmd(*command).stdout.strip()
    provider = args[args.index("--provider") + 1]
    server.wait_for_text(target, READY[provider])
    return target


def invoke(home: Path, server: TmuxTestServer | None, *args: str) -> Result:
    """`credit-monitor --home HOME --socket S ARGS` in-process (fast; errors not swallowed)."""
    socket = ["--socket", server.socket] if server is not None else []
    return CliRunner().invoke(cli, ["--home", str(home), *socket, *args], catch_exceptions=False)


def run_cli(
    home: Path, server: TmuxTestServer | None, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """The installed `credit-monitor` as a separate process, as a user or cron runs it."""
    environ = {k: v for k, v in os.environ.items() if k != "CREDIT_MONITOR_DEBUG"}
    environ.update(env)
    socket = ["--socket", server.socket] if server is not None else []
    return subprocess.run(
        [str(CLI), "--home", str(home), *socket, *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )


def supervisor(
    home: Path, server: TmuxTestServer, clock: SystemClock, **overrides: object
) -> Supervisor:
    """A monitor with short verification times over the test server."""
    paths = Paths(home, "--home")
    settings = {
        "resume_margin_seconds": 30,
        "verify_timeout_seconds": 8,
        "confirm_seconds": 0.2,
        # The simulated agents answer within a tenth of a second: shorter watches than a real
        # agent needs, so each delivery costs a fraction of a second.
        "answer_watch_seconds": 3,
        "enter_settle_seconds": 0.5,
        "enter_pause_seconds": 0.1,
        "ignore": ["main:0"],
        **overrides,
    }
    # The same settings for the `credit-monitor` commands the test runs (a `send` that sees a
    # limit stops the agent itself, with the configured margin).
    home.mkdir(parents=True, exist_ok=True)
    toml = "\n".join(f"{key} = {json.dumps(value)}" for key, value in settings.items())
    (home / "config.toml").write_text(toml + "\n", encoding="utf-8")
    return Supervisor(
        paths, load_settings(paths, settings), Tmux(server.socket), clock, host_zone("UTC")
    )
