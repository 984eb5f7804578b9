"""`make demo`: the supervisor carrying simulated agents through their limits, end to end.

Starts a private tmux server with an orchestrator and four simulated agents (Claude Code,
Codex and Gemini at their limits, and a Claude that only talks about limits), hands them work
with credit-aware sends, runs the real sweep every two seconds with a live status table, and
ends by itself within two minutes with a summary per agent. Nothing is left running.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from credit_management.clock import SystemClock
from credit_management.config import load_settings
from credit_management.credit_monitor import Supervisor
from credit_management.events import EventLog
from credit_management.messaging import send_or_queue
from credit_management.models import Status
from credit_management.paths import Paths
from credit_management.tmux import Tmux

SESSION = "team"
INTERVAL = 2.0
DEADLINE = 100.0  # the loop; with start-up and the last sweep the demo stays under 2 min
TASKS = (
    "Write the unit tests for the parser",
    "Refactor the retry loop into its own module",
    "Document the config file in the README",
    "Fix the flaky integration test",
)
LOOKALIKE_TASK = (
    "Explain to the user what 'You've hit your session limit · resets 3pm' means in the FAQ"
)


@dataclass(frozen=True)
class DemoAgent:
    """One window of the demo: its name and the simulator's options."""

    name: str
    options: tuple[str, ...]
    limited: bool = True


AGENTS = (
    DemoAgent("claude-api", ("--provider", "claude", "--limit-after", "1", "--reset-in", "20")),
    DemoAgent(
        "codex-ui",
        ("--provider", "codex", "--limit-after", "2", "--reset-in", "25", "--reset-style", "clock"),
    ),
    DemoAgent(
        "gemini-docs",
        (
            "--provider",
            "gemini",
            "--limit-after",
            "1",
            "--reset-in",
            "15",
            "--reset-style",
            "clock",
        ),
    ),
    DemoAgent("claude-faq", ("--provider", "claude", "--limit-after", "1000"), limited=False),
)


def _tmux(socket: str, *args: str) -> None:
    subprocess.run(["tmux", "-L", socket, *args], check=True, capture_output=True, timeout=20)


def start_team(socket: str, scratch: Path) -> dict[str, str]:
    """The private server: window 0 the orchestrator, then one window per agent."""
    simulator = [sys.executable, "-m", "credit_management.simulator"]
    orchestrator = [*simulator, "--provider", "claude", "--name", "orchestrator"]
    _tmux(socket, "-f", "/dev/null", "new-session", "-d", "-s", SESSION, "-n", "orchestrator")
    _tmux(socket, "set-option", "-g", "remain-on-exit", "off")
    _tmux(
        socket, "respawn-window", "-k", "-t", f"{SESSION}:0", *orchestrator, "--limit-after", "999"
    )
    targets = {"orchestrator": f"{SESSION}:0"}
    for index, agent in enumerate(AGENTS, start=1):
        log = scratch / f"{agent.name}.jsonl"
        command = [*simulator, *agent.options, "--name", agent.name, "--state-file", str(log)]
        _tmux(socket, "new-window", "-d", "-t", f"{SESSION}:{index}", "-n", agent.name, *command)
        targets[agent.name] = f"{SESSION}:{index}"
    return targets


def table(supervisor: Supervisor, started: float) -> str:
    """The live status table."""
    state = supervisor.store.load()
    now = supervisor.clock.now()
    lines = [
        f"credit-monitor demo, {time.monotonic() - started:5.1f}s "
        f"(state: {supervisor.paths.state_file})",
        f"{'TARGET':<8} {'WINDOW':<13} {'STATUS':<16} {'RESUME IN':<10} {'HELD':<5} LAST SIGNAL",
    ]
    for target in sorted(state.agents):
        record = state.agents[target]
        resume = record.scheduled_resume
        until = "-"
        if resume and record.status is not Status.ACTIVE:
            seconds = (datetime.fromisoformat(resume) - now).total_seconds()
            until = f"{max(0, seconds):.0f}s"
        signal = (record.last_signal or {}).get("message") or "-"
        lines.append(
            f"{target:<8} {record.window_name or '-':<13} {record.status.value:<16} "
            f"{until:<10} {len(record.queued):<5} {signal[:60]}"
        )
    return "\n".join(lines)


def summary(log: EventLog, targets: dict[str, str]) -> tuple[list[str], bool]:
    """One line per agent from the event log, and whether the demo did what it shows."""
    events = log.read()
    lines: list[str] = []
    ok = True
    for agent in AGENTS:
        target = targets[agent.name]
        mine = [e for e in events if e.get("target") == target]
        paused = next((e["time"] for e in mine if e["event"] == "credit.exhausted"), None)
        resumed = next((e["time"] for e in mine if e["event"] == "credit.resolved"), None)
        held = sum(e["event"] == "message.queued" for e in mine)
        delivered = sum(e["event"] == "message.delivered" for e in mine)
        lines.append(
            f"{target:<8} {agent.name:<13} paused at {_clock(paused):<8} resumed at "
            f"{_clock(resumed):<8} messages held {held}, delivered {delivered}"
        )
        ok &= (paused is not None and resumed is not None) if agent.limited else paused is None
    return lines, ok


def _clock(stamp: str | None) -> str:
    return stamp[11:19] if stamp else "never"


def run_demo(scratch: Path, socket: str) -> int:
    """The demo proper; returns the exit status."""
    home = scratch / "home"
    home.mkdir()
    paths = Paths(home, "demo")
    targets = start_team(socket, scratch)
    overrides: dict[str, object] = {
        "confirm_seconds": 0.5,
        "resume_margin_seconds": 2,
        "verify_timeout_seconds": 15,
        "orchestrator": targets["orchestrator"],
    }
    supervisor = Supervisor(paths, load_settings(paths, overrides), Tmux(socket), SystemClock())
    log = EventLog(paths.events_log)
    time.sleep(1.5)  # let the simulated agents draw their first screen
    started = time.monotonic()
    rounds = 0
    interactive = sys.stdout.isatty()
    while time.monotonic() - started < DEADLINE:
        if rounds < len(TASKS):
            for agent in AGENTS:
                task = LOOKALIKE_TASK if not agent.limited else TASKS[rounds]
                send_or_queue(
                    supervisor.store,
                    log,
                    supervisor.tmux,
                    supervisor.clock,
                    targets[agent.name],
                    task,
                )
        rounds += 1
        supervisor.sweep()
        view = table(supervisor, started)
        print(("\x1b[2J\x1b[H" if interactive else "\n") + view, flush=True)
        _, done = summary(log, targets)
        state = supervisor.store.load()
        if done and rounds > len(TASKS) and not any(r.queued for r in state.agents.values()):
            break
        time.sleep(INTERVAL)
    lines, ok = summary(log, targets)
    print("\nsummary")
    print("\n".join(lines))
    print(f"\nstate file: {paths.state_file}\nevent log:  {paths.events_log}")
    print("demo " + ("passed: every limited agent paused and resumed" if ok else "FAILED"))
    return 0 if ok else 1


def main() -> int:
    """Set up a private server and a scratch home, run the demo, always clean up."""
    if shutil.which("tmux") is None:
        print("tmux is not installed (make demo installs it with apt-get)", file=sys.stderr)
        return 1
    socket = f"cm-demo-{uuid.uuid4().hex[:8]}"
    scratch = Path(tempfile.mkdtemp(prefix="credit-demo-"))
    os.environ["TMUX_TMPDIR"] = str(scratch)
    for name in ("TMUX", "TMUX_PANE", "CREDIT_MONITOR_NOW", "CREDIT_MONITOR_CLOCK_OFFSET"):
        os.environ.pop(name, None)
    try:
        return run_demo(scratch, socket)
    except KeyboardInterrupt:
        print("\ndemo interrupted")
        return 130
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True, timeout=20)


if __name__ == "__main__":
    raise SystemExit(main())
