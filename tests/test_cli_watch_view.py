"""`watch`'s three outputs: the live rich view (drawn to a fake terminal of fixed size, and on
a real pseudo-terminal), and one JSON object per sweep with --json."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from conftest import TmuxTestServer
from rich.console import Console

from credit_management.cli import cli
from credit_management.cli.live import WatchView, usage_windows
from credit_management.models import AgentRecord, ScheduledNote, Status, iso
from credit_management.store.state import State

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
CLI = Path(sys.executable).with_name("credit-monitor")


def team() -> State:
    state = State()
    stopped = state.agent("main:1")
    stopped.status = Status.EXHAUSTED
    stopped.window_name = "backend"
    stopped.provider = "claude"
    stopped.scheduled_resume = iso(NOW + timedelta(hours=3, minutes=5))
    stopped.last_signal = {"kind": "exhausted", "message": "5-hour limit reached ∙ resets 3pm"}
    working = state.agent("main:2")
    working.window_name = "frontend"
    working.provider = "codex"
    # As the structured sources record it: percentages and reset instants per window.
    working.usage = {
        "five_hour": {"used_percentage": 72.0, "resets_at": iso(NOW + timedelta(minutes=40))},
        "seven_day": {"used_percentage": 31.0, "resets_at": iso(NOW + timedelta(days=3))},
    }
    held = state.agent("main:3")
    held.status = Status.PAUSED
    held.window_name = "docs"
    state.schedules.append(
        ScheduledNote("s-1", "main:2", "check CI", iso(NOW + timedelta(minutes=20)) or "", "")
    )
    return state


class Clock:
    """The instant the view is drawn at, moved by the tests."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def draw(view: WatchView, width: int = 100) -> tuple[str, str]:
    """The view on a fake terminal of `width` x 30: (plain text, text with colour codes)."""
    console = Console(
        width=width, height=30, record=True, force_terminal=True, color_system="standard"
    )
    console.print(view)
    styled = console.export_text(clear=False, styles=True)
    return console.export_text(), styled


def view_of(state: State | None, clock: Clock | None = None) -> WatchView:
    view = WatchView(clock or Clock(), 60.0, utc=True, title="credit-monitor watch")
    if state is not None:
        view.update(state, ["main:1: active -> exhausted"], NOW - timedelta(seconds=20))
    return view


def test_the_live_view_has_a_row_per_agent_with_status_usage_countdown_and_signal() -> None:
    text, styled = draw(view_of(team()))
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if "│ main:" in line}
    assert set(rows) == {"main:1", "main:2", "main:3"}
    assert "backend" in rows["main:1"] and "claude" in rows["main:1"]
    assert "exhausted" in rows["main:1"] and "3:05:00" in rows["main:1"]
    assert "exhausted: 5-hour" in rows["main:1"] and "limit reached" in text  # wrapped
    assert "72%" in rows["main:2"] and "█" * 7 + "░" * 3 in rows["main:2"]
    assert "40:00" in rows["main:2"]  # an active agent counts down to its usage reset
    assert "by hand" in rows["main:3"]
    assert "\x1b[31mexhausted" in styled and "\x1b[32mactive" in styled  # status in colour
    assert "times in UTC" in text
    footer = next(line for line in text.splitlines() if line.startswith("last sweep"))
    assert footer.startswith("last sweep 11:59:40 · next sweep in 0:40")
    assert "next: note s-1 for main:2 at 12:20 (20:00)" in footer
    assert "main:1: active -> exhausted" in text  # the recent changes under the table


def test_the_countdowns_tick_between_sweeps() -> None:
    clock = Clock()
    view = view_of(team(), clock)
    assert "3:05:00" in draw(view)[0]
    clock.now = NOW + timedelta(seconds=35)
    later, _ = draw(view)
    assert "3:04:25" in later and "next sweep in 0:05" in later
    clock.now = NOW + timedelta(seconds=41)
    assert "next sweep in due" in draw(view)[0]


def test_the_view_fits_a_narrow_terminal_by_dropping_columns() -> None:
    wide, _ = draw(view_of(team()), width=120)
    assert "PROVIDER" in wide and "NAME" in wide
    text, _ = draw(view_of(team()), width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    table = [line for line in text.splitlines() if line[:1] in "┏┃┡│└"]
    assert all(line.endswith(("┓", "┃", "┩", "│", "┘")) for line in table)  # not cut off
    assert "PROVIDER" not in text
    assert "main:1" in text and "main:3" in text and "72%" in text


def test_before_the_first_sweep_the_view_says_so() -> None:
    text, _ = draw(view_of(None))
    assert "waiting for the first sweep" in text and "first sweep under way" in text


def test_usage_is_read_from_whatever_shape_the_record_carries() -> None:
    record = AgentRecord()
    assert usage_windows(record) == []
    record.usage = {"primary": {"used_percent": 12, "resets_at": 1_795_000_000}}
    [(label, percent, reset)] = usage_windows(record)
    assert (label, percent) == ("5h", 12.0) and reset == datetime.fromtimestamp(1_795_000_000, UTC)
    record.usage = {"five_hour": "not a window"}
    assert usage_windows(record) == []


def test_watch_json_prints_one_object_per_sweep(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    target = tmux_server.new_window("main", "worker", ["sleep", "600"])
    result = CliRunner().invoke(
        cli,
        ["--home", str(isolated_home), "watch", "--interval", "0.3", "--duration", "1", "--json"],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) >= 2
    for line in lines:
        sweep = json.loads(line)
        assert isinstance(sweep, dict) and sweep["outcome"] == "swept"
        assert isinstance(sweep["agents"], list) and isinstance(sweep["changes"], list)
    first = json.loads(lines[0])
    agents = {agent["target"]: agent for agent in first["agents"]}
    assert target in agents and agents[target]["status"] == "active"
    assert set(agents[target]) >= {"window_name", "provider", "next_resume", "last_signal"}


def test_watch_on_a_terminal_draws_the_table(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    tmux_server.new_window("main", "worker", ["sleep", "600"])
    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": "120", "LINES": "30", "TERM": "xterm-256color"}
    process = subprocess.Popen(
        [str(CLI), "--home", str(isolated_home), "watch", "--interval", "0.3", "--duration", "1"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        close_fds=True,
    )
    os.close(follower)
    shown = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the watcher exited
                break
            if not chunk:
                break
            shown += chunk
        elif process.poll() is not None:
            break
    os.close(leader)
    assert process.wait(timeout=10) == 0
    screen = shown.decode("utf-8", "replace")
    assert "TARGET" in screen and "RESETS IN" in screen and "main:1" in screen
    assert "next sweep in" in screen
    assert "\x1b[32m" in screen or "\x1b[38;5;2m" in screen  # "active" in green
    assert "watch stopped" in screen
