"""Helpers for the supervisor's end-to-end tests: simulated agents in windows of a real tmux
server, what they received (their --state-file logs), the monitor's state file and event log,
and a monitor with short timeouts on a clock the tests move with `advance()`.
"""

from __future__ import annotations

import json
import stat
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from conftest import TmuxTestServer

from credit_management.clock import SystemClock, host_zone
from credit_management.credit_monitor import Supervisor
from credit_management.models import parse_iso
from credit_management.store.config import load_settings
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.state import State, StateStore
from credit_management.tmux.gateway import Tmux

SIMULATOR = [sys.executable, "-m", "credit_management", "simulate"]
BIN = Path(sys.executable).parent
# What each simulated agent shows once its input box is drawn.
READY = {"claude": "? for shortcuts", "codex": "⏎ send", "gemini": "context left"}
# Short timings for every monitor in these tests; the fixture's own shell window is not an agent.
FAST: dict[str, object] = {
    "confirm_seconds": 0.3,
    "resume_margin_seconds": 1,
    "verify_timeout_seconds": 10,
    "answer_watch_seconds": 3,
    "enter_settle_seconds": 0.5,
    "enter_pause_seconds": 0.1,
    "ignore": ["main:0"],
}


def sim_command(name: str, args: list[str], log: Path) -> list[str]:
    """The simulated agent's command line (quick answers, a prompt log)."""
    return [*SIMULATOR, "--name", name, "--think", "0.05", "--state-file", str(log), *args]


def start_agent(
    server: TmuxTestServer,
    name: str,
    args: list[str],
    log: Path,
    *,
    env: dict[str, str] | None = None,
    remain_on_exit: bool = False,
    ready: str | None = None,
) -> str:
    """Run a simulated agent in a new window of session "main"; returns `main:N` once the
    agent has drawn its input box (or shows `ready`)."""
    command = ["new-window", "-d", "-P", "-F", "#{session_name}:#{window_index}"]
    command += ["-t", "main:", "-n", name]
    for key, value in (env or {}).items():
        command += ["-e", f"{key}={value}"]
    target = server.cmd(*command, *sim_command(name, args, log)).stdout.strip()
    if remain_on_exit:
        server.cmd("set-option", "-w", "-t", target, "remain-on-exit", "on")
    provider = args[args.index("--provider") + 1]
    server.wait_for_text(target, ready or READY[provider])
    return target


def start_program(server: TmuxTestServer, name: str, script: str) -> str:
    """A window running `sh -c script` (a stand-in for something that is not an agent)."""
    return server.new_window("main", name, ["sh", "-c", script])


def type_and_enter(server: TmuxTestServer, target: str, text: str) -> None:
    """What a person does: type the text, then press Enter on its own."""
    server.cmd("send-keys", "-t", target, "-l", "--", text)
    time.sleep(0.15)
    server.cmd("send-keys", "-t", target, "Enter")


def records(log: Path) -> list[dict[str, Any]]:
    """Every JSON line the simulated agent wrote so far."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]


def prompts(log: Path) -> list[str]:
    """The prompts the simulated agent received (answered or refused), in order."""
    return [r["prompt"] for r in records(log) if r["event"] == "prompt"]


def results(log: Path) -> list[tuple[str, str]]:
    """(prompt, "answered" | "refused") for every prompt the agent received."""
    return [(r["prompt"], r["result"]) for r in records(log) if r["event"] == "prompt"]


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "") -> None:
    """Real, bounded polling for something another process does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout}s: {what}")


def wait_for_record(log: Path, event: str, count: int = 1, timeout: float = 10.0) -> None:
    """Until the agent logged `event` (e.g. "reset": its limit really lifted) `count` times."""
    wait_until(
        lambda: sum(r["event"] == event for r in records(log)) >= count,
        timeout,
        f"{count} x {event!r} in {log.name}",
    )


def paths_of(home: Path) -> Paths:
    return Paths(home, "--home")


def monitor(
    home: Path, server: TmuxTestServer, clock: SystemClock, **overrides: object
) -> Supervisor:
    """An in-process monitor over the test server with the FAST timings (UTC host)."""
    paths = paths_of(home)
    settings = load_settings(paths, {**FAST, **overrides}, environ={})
    return Supervisor(paths, settings, Tmux(server.socket), clock, host_zone("UTC"))


def load_state(home: Path) -> State:
    return StateStore(paths_of(home)).load()


def events(home: Path, target: str | None = None) -> list[dict[str, Any]]:
    return EventLog(paths_of(home).events_log).read(target=target)


def event_names(home: Path, target: str | None = None) -> list[str]:
    return [event["event"] for event in events(home, target)]


def scheduled(home: Path, target: str) -> datetime:
    moment = parse_iso(load_state(home).agents[target].scheduled_resume)
    assert moment is not None, f"{target} has no scheduled resume"
    return moment


def advance_past(clock: SystemClock, moment: datetime, extra: float = 1.0) -> None:
    """Move the monitor's clock to `extra` seconds after `moment` (never backwards)."""
    gap = (moment - clock.now()).total_seconds() + extra
    clock.advance(max(gap, 0.0))


def ceil_minute(moment: datetime) -> datetime:
    """Claude and Codex print a reset rounded up to the minute."""
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def limit_records(log: Path) -> list[dict[str, Any]]:
    return [r for r in records(log) if r["event"] == "limit"]


FAKE_CRONTAB = """\
#!/bin/sh
# A stand-in for crontab(1) keeping the table in $FAKE_CRONTAB_FILE.
case "$1" in
  -l) if [ -f "$FAKE_CRONTAB_FILE" ]; then cat "$FAKE_CRONTAB_FILE"; else
        echo "no crontab for $(id -un)" >&2; exit 1; fi ;;
  -) cat > "$FAKE_CRONTAB_FILE" ;;
  *) echo "usage: crontab -l | crontab -" >&2; exit 2 ;;
esac
"""


def fake_crontab_in(bin_dir: Path) -> None:
    """Put the crontab(1) stand-in into `bin_dir` (made if missing); put that folder first on
    PATH and name the table's file in $FAKE_CRONTAB_FILE."""
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "crontab"
    script.write_text(FAKE_CRONTAB, encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
