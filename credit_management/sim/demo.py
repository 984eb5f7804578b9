"""The demo's team: simulated agents carried through their limits by the real supervisor.

`Demo` starts a private tmux server with an orchestrator and four simulated agents (Claude
Code, Codex and Gemini at their limits, and a Claude that only talks about limits), hands them
work with credit-aware sends and runs the real sweep; it renders the status table and the
summary as text. The agents' private HOME is set up as `integrate claude` does it, so their
usage climbs in the table and the stops come from their own data. `credit-monitor demo`
(`make demo`) drives and prints it.
"""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import libtmux
import libtmux.common

from credit_management.clock import SystemClock
from credit_management.credit_monitor import Supervisor
from credit_management.errors import TmuxError
from credit_management.messaging.send import send_or_queue
from credit_management.models import AgentRecord, Status
from credit_management.records import Record
from credit_management.service.claude_settings import integrate
from credit_management.store.config import load_settings
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.tmux.gateway import Tmux

SESSION = "team"
STRUCTURED = ("claude-hook", "claude-transcript", "codex-rollout", "claude-statusline")
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


@dataclass(frozen=True, repr=False)
class DemoAgent(Record):
    """One window of the demo: its name and the simulator's options."""

    name: str
    options: tuple[str, ...]
    limited: bool = True


AGENTS = (
    # Claude Code set up with `integrate`: its banner names no reset, so the exact one comes
    # from its StopFailure hook, statusline or transcript.
    DemoAgent(
        "claude-api",
        ("--provider", "claude", "--limit-after", "3", "--reset-in", "20", "--reset-style", "none"),
    ),
    # Codex's banner says only "try again later": the reset comes from its rollout file.
    DemoAgent(
        "codex-ui",
        ("--provider", "codex", "--limit-after", "2", "--reset-in", "25", "--reset-style", "none"),
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


def start_team(server: libtmux.Server, scratch: Path) -> dict[str, str]:
    """The private server: window 0 the orchestrator, then one window per agent.

    Set-up goes through libtmux; every command is an argument list after `--`, so tmux runs
    it directly and no shell ever parses it.
    """
    simulator = [sys.executable, "-m", "credit_management", "simulate"]
    orchestrator = [*simulator, "--provider", "claude", "--name", "orchestrator"]
    window = ["-d", "-s", SESSION, "-n", "orchestrator"]
    _checked(server.cmd("new-session", *window, *orchestrator, "--limit-after", "999"))
    targets = {"orchestrator": f"{SESSION}:0"}
    for index, agent in enumerate(AGENTS, start=1):
        log = scratch / f"{agent.name}.jsonl"
        command = [*simulator, *agent.options, "--name", agent.name, "--state-file", str(log)]
        where = f"{SESSION}:{index}"
        _checked(server.cmd("new-window", "-d", "-t", where, "-n", agent.name, *command))
        targets[agent.name] = where
    return targets


def integrate_private_home(scratch: Path, home: Path) -> Path:
    """The agents' own HOME in the scratch folder, with Claude Code set up as
    `credit-monitor integrate claude` does it; returns the settings file."""
    agents_home = scratch / "agents-home"
    agents_home.mkdir(exist_ok=True)
    os.environ["HOME"] = str(agents_home)  # the tmux server and the agents inherit it
    for name in ("CLAUDE_CONFIG_DIR", "CODEX_HOME"):
        os.environ.pop(name, None)
    program = shlex.join([sys.executable, "-m", "credit_management", "--home", str(home)])
    settings = agents_home / ".claude" / "settings.json"
    integrate(settings, program)
    return settings


def usage_text(record: AgentRecord) -> str:
    """ "5h 66% (claude-statusline), out 14:20:05": the agent's own usage figures."""
    five = record.usage.get("five_hour")
    if not isinstance(five, dict):
        return "-"
    text = f"5h {float(five.get('used_percent', 0)):.0f}% ({five.get('source')})"
    if record.predicted_exhaustion:
        text += f", out {_clock(record.predicted_exhaustion)}"
    return text


def _checked(result: libtmux.common.tmux_cmd) -> None:
    if result.returncode != 0:
        raise TmuxError(f"tmux could not start the demo team: {' '.join(result.stderr)}")


def table(supervisor: Supervisor, started: float) -> str:
    """The live status table."""
    state = supervisor.store.load()
    now = supervisor.clock.now()
    lines = [
        f"credit-monitor demo, {time.monotonic() - started:5.1f}s "
        f"(state: {supervisor.paths.state_file})",
        f"{'TARGET':<8} {'WINDOW':<13} {'STATUS':<16} {'RESUME IN':<10} {'HELD':<5} "
        f"{'USAGE':<36} LAST SIGNAL",
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
            f"{until:<10} {len(record.queued):<5} {usage_text(record):<36} {_clip(signal, 50)}"
        )
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    """`text` cut to `width` characters, with an ellipsis when cut ("resets in 4" misled)."""
    return text if len(text) <= width else text[: width - 1] + "…"


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
        stop = next((e for e in mine if e["event"] == "credit.exhausted"), {})
        source = next((s for s in STRUCTURED if s in str(stop.get("evidence", ""))), "screen")
        foresight = any(
            e.get("kind") == "prediction" for e in mine if e["event"] == "credit.warning"
        )
        delivered = sum(e["event"] == "message.delivered" for e in mine)
        lines.append(
            f"{target:<8} {agent.name:<13} paused at {_clock(paused):<8} resumed at "
            f"{_clock(resumed):<8} messages held {held}, delivered {delivered}"
            + (f"; stop read from {source}" if paused else "")
            + ("; exhaustion was predicted" if foresight else "")
        )
        ok &= (paused is not None and resumed is not None) if agent.limited else paused is None
    return lines, ok


def _clock(stamp: str | None) -> str:
    return stamp[11:19] if stamp else "never"


class Demo:
    """One run of the demo in a scratch folder and a private tmux server."""

    def __init__(self) -> None:
        self.scratch = Path(tempfile.mkdtemp(prefix="credit-demo-"))
        os.environ["TMUX_TMPDIR"] = str(self.scratch)
        for name in ("TMUX", "TMUX_PANE", "CREDIT_MONITOR_NOW", "CREDIT_MONITOR_CLOCK_OFFSET"):
            os.environ.pop(name, None)
        socket = f"cm-demo-{uuid.uuid4().hex[:8]}"
        self.server = libtmux.Server(socket_name=socket, config_file="/dev/null")
        self.tmux = Tmux(socket)
        home = self.scratch / "home"
        home.mkdir()
        self.paths = Paths(home, "demo")
        integrate_private_home(self.scratch, home)
        self.log = EventLog(self.paths.events_log)
        self.targets: dict[str, str] = {}
        self.rounds = 0
        self.started = time.monotonic()

    def start(self) -> None:
        """The team, and a supervisor with short timings watching it."""
        self.targets = start_team(self.server, self.scratch)
        overrides: dict[str, object] = {
            "confirm_seconds": 0.5,
            "resume_margin_seconds": 2,
            "verify_timeout_seconds": 15,
            "orchestrator": self.targets["orchestrator"],
        }
        settings = load_settings(self.paths, overrides)
        self.supervisor = Supervisor(self.paths, settings, self.tmux, SystemClock())
        time.sleep(1.5)  # let the simulated agents draw their first screen
        self.started = time.monotonic()

    def step(self) -> str:
        """Hand out the next round of tasks, sweep once, and return the status table."""
        if self.rounds < len(TASKS):
            for agent in AGENTS:
                task = TASKS[self.rounds] if agent.limited else LOOKALIKE_TASK
                s = self.supervisor
                # The monitor's courier: a limit met by the answer is read as the monitor reads
                # it, the agents' own data included.
                target = self.targets[agent.name]
                send_or_queue(s.store, self.log, s.tmux, s.clock, target, task, courier=s.courier)
        self.rounds += 1
        self.supervisor.sweep()
        return table(self.supervisor, self.started)

    def finished(self) -> bool:
        """Every limited agent paused and came back, and nothing waits any more."""
        _, done = summary(self.log, self.targets)
        state = self.supervisor.store.load()
        idle = not any(record.queued for record in state.agents.values())
        timed_out = time.monotonic() - self.started >= DEADLINE
        return timed_out or (done and self.rounds > len(TASKS) and idle)

    def close(self) -> None:
        """Stop the private server and everything in it."""
        if self.server.is_alive():
            self.server.kill()
