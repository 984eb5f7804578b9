"""The watcher wakes when something falls due, not on its next tick: a reset on a long
interval, and a pause's `--until` set by another process while it sleeps. Real tmux, real
simulated agents; the interval is ten minutes so only a due-time wake can pass.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import TmuxTestServer
from monitor_support import (
    BIN,
    event_names,
    load_state,
    monitor,
    prompts,
    records,
    start_agent,
    wait_until,
)

from credit_management.clock import SystemClock
from credit_management.credit_monitor import Supervisor
from credit_management.models import Status, parse_iso
from credit_management.store import wakeup
from credit_management.store.config import DEFAULT_TEST_MESSAGE
from credit_management.store.paths import Paths

LONG = 600.0  # seconds between ticks: far longer than any test here waits


@pytest.fixture
def watching() -> Iterator[list[tuple[Supervisor, threading.Event, threading.Thread]]]:
    """Watchers started by a test, stopped (and woken) at its end."""
    started: list[tuple[Supervisor, threading.Event, threading.Thread]] = []
    yield started
    for supervisor, stop, thread in started:
        stop.set()
        supervisor.wake()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the watcher did not stop when woken"


def start_watch(
    watching: list[tuple[Supervisor, threading.Event, threading.Thread]], supervisor: Supervisor
) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=supervisor.watch, args=(LONG, None, stop), daemon=True)
    thread.start()
    watching.append((supervisor, stop, thread))


def test_a_watcher_on_a_long_interval_resumes_at_the_reset_plus_margin(
    tmux_server: TmuxTestServer,
    isolated_home: Path,
    tmp_path: Path,
    watching: list[tuple[Supervisor, threading.Event, threading.Thread]],
) -> None:
    log = tmp_path / "claude.jsonl"
    args = ["--provider", "claude", "--limit-after", "0", "--reset-in", "1"]
    agent = start_agent(tmux_server, "claude", [*args, "--reset-style", "epoch"], log)
    supervisor = monitor(isolated_home, tmux_server, SystemClock({}))
    start_watch(watching, supervisor)

    wait_until(
        lambda: (
            load_state(isolated_home).agents.get(agent) is not None
            and load_state(isolated_home).agents[agent].status is Status.EXHAUSTED
        ),
        what="the first sweep stops the agent",
    )
    reset = parse_iso(load_state(isolated_home).agents[agent].reset_at)
    assert reset is not None
    # The next tick is ten minutes away: only a wake at the due instant gets this done.
    wait_until(lambda: DEFAULT_TEST_MESSAGE in prompts(log), timeout=20, what="the test message")
    wait_until(lambda: "agent.resumed" in event_names(isolated_home, agent), what="verified")
    sent = next(
        parse_iso(r["time"])
        for r in records(log)
        if r["event"] == "prompt" and r["prompt"] == DEFAULT_TEST_MESSAGE
    )
    assert sent is not None
    # Never before the reset plus the margin (1 s in these tests).
    assert sent >= reset + timedelta(seconds=1)


def test_a_pause_until_from_another_process_wakes_the_watcher(
    tmux_server: TmuxTestServer,
    isolated_home: Path,
    tmp_path: Path,
    watching: list[tuple[Supervisor, threading.Event, threading.Thread]],
) -> None:
    log = tmp_path / "codex.jsonl"
    agent = start_agent(tmux_server, "codex", ["--provider", "codex"], log)
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    start_watch(watching, supervisor)
    wait_until(lambda: agent in load_state(isolated_home).agents, what="the first sweep")
    assert wakeup.fifo_path(Paths(isolated_home, "--home")).exists()

    # Another process pauses the agent for two seconds while the watcher sleeps its ten
    # minutes; its save wakes the watcher, which then sleeps only until the pause ends.
    until = (clock.now() + timedelta(seconds=2)).isoformat()
    done = subprocess.run(
        [str(BIN / "credit-monitor"), "--home", str(isolated_home), "--socket",
         tmux_server.socket, "pause", agent, "--until", until],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert load_state(isolated_home).agents[agent].status is Status.PAUSED
    wait_until(lambda: DEFAULT_TEST_MESSAGE in prompts(log), timeout=20, what="lifted at --until")
    wait_until(
        lambda: load_state(isolated_home).agents[agent].status is Status.ACTIVE,
        what="active again",
    )


def test_notify_without_a_watcher_is_a_no_op_and_wait_returns_on_a_notify(
    tmp_path: Path,
) -> None:
    paths = Paths(tmp_path, "--home")
    assert wakeup.notify(paths) is False  # no FIFO: nobody to wake, nothing raised
    with wakeup.Waker(paths) as waker:
        assert waker.wait(0.01) is False  # nothing pending: the deadline passes
        assert wakeup.notify(paths) is True
        assert waker.wait(5.0) is True
        assert waker.wait(0.01) is False  # the wake-up was drained
        waker.interrupt()
        assert waker.wait(5.0) is True
    # The FIFO stays, with no reader: notifying is still harmless.
    assert wakeup.notify(paths) is False
