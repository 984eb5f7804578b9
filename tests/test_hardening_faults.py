"""Faults found by an outside audit, each checked end to end against real tmux and real
processes: an unknown zone in the state file, racing resumes, counting the messages parallel
resumes deliver, and the hooks of one sweep running side by side."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import TmuxTestServer
from monitor_support import (
    advance_past,
    events,
    monitor,
    paths_of,
    scheduled,
    start_agent,
    type_and_enter,
)
from test_manual_cli import NOW, cm, ok, one_line_error

from credit_management.clock import SystemClock
from credit_management.messaging.send import send_or_queue
from credit_management.models import Status, parse_iso, set_status
from credit_management.store.state import StateStore


def stopped_claude(server: TmuxTestServer, tmp_path: Path, name: str) -> str:
    """A simulated Claude Code that answered one prompt and hit its limit (lifts in 1 s)."""
    args = ["--provider", "claude", "--limit-after", "1", "--reset-in", "1", "--tz", "UTC"]
    target = start_agent(server, name, args, tmp_path / f"{name}.jsonl")
    type_and_enter(server, target, "Refactor the parser")
    server.wait_for_text(target, "/upgrade to increase your usage limit.")
    return target


# -- one way for a bad zone --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["health"],
        ["estimate-reset"],
        ["run"],
        ["pause", "main:0", "--until", "21:00"],
        ["resume", "main:0", "--force"],
    ],
)
def test_an_unknown_zone_in_the_state_is_one_error_for_every_command(
    tmux_server: TmuxTestServer, isolated_home: Path, args: list[str]
) -> None:
    store = StateStore(paths_of(isolated_home))
    with store.transaction() as state:
        state.timezone = "Mars/Olympus_Mons"
    before = store.path.read_bytes()
    message = one_line_error(cm(isolated_home, tmux_server, *args))
    assert message == (
        f"Error: state file {store.path}: timezone 'Mars/Olympus_Mons' is not a zone this "
        "machine knows; set an IANA name such as 'Europe/Lisbon' or 'UTC'"
    )
    assert store.path.read_bytes() == before  # nothing changed, no backup taken
    assert list(store.path.parent.glob("*.corrupt-*")) == []


def test_an_alias_zone_in_the_state_is_fine(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    with StateStore(paths_of(isolated_home)).transaction() as state:
        state.timezone = "Asia/Calcutta"
    ok(cm(isolated_home, tmux_server, "status"))


# -- racing resumes ----------------------------------------------------------------------------


def test_the_loser_of_a_resume_race_says_one_is_under_way_and_since_when(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    target = stopped_claude(tmux_server, tmp_path, "worker")
    sent = "2026-11-21T11:59:50+00:00"  # ten seconds before NOW: the winner is still waiting
    with StateStore(paths_of(isolated_home)).transaction() as state:
        record = state.agent(target)
        moment = parse_iso(sent)
        assert moment is not None
        set_status(record, Status.RESUMING, now=moment, reason="test message sent")
        record.resume_sent_at = sent
    screen = tmux_server.capture(target)
    text = ok(cm(isolated_home, tmux_server, "resume", target, now=NOW))
    assert f"a resume is already under way since {sent}" in text
    assert "next try" not in text
    assert tmux_server.capture(target) == screen  # the loser typed nothing


# -- counting what parallel resumes deliver ----------------------------------------------------


def test_run_counts_every_message_parallel_resumes_deliver(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    agents = [stopped_claude(tmux_server, tmp_path, f"worker{n}") for n in range(3)]
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    supervisor.sweep()
    for target in agents:
        queued = send_or_queue(
            supervisor.store, supervisor.log, supervisor.tmux, clock, target, "carry on"
        )
        assert queued.outcome == "queued"
    advance_past(clock, max(scheduled(isolated_home, target) for target in agents))
    report = supervisor.sweep()
    # Resumes run side by side; on a loaded machine one may miss its answer (it is retried
    # later), but two or more in one sweep is what this is about.
    assert len(report.resumed) >= 2, report
    delivered = [e for e in events(isolated_home) if e["event"] == "message.delivered"]
    assert len(delivered) == 2 * len(report.resumed)  # a resume nudge and the held message
    assert report.delivered == len(delivered)


# -- hooks of one sweep ------------------------------------------------------------------------


def test_the_hooks_of_one_sweep_run_side_by_side(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    """Three agents stop in one sweep; each one's hook waits until all three hooks have started.
    Run one after another, the first would time out; run side by side, all finish."""
    folder = tmp_path / "started"
    folder.mkdir()
    script = (
        "import json, pathlib, sys, time\n"
        "folder = pathlib.Path(sys.argv[1])\n"
        "(folder / json.load(sys.stdin)['target'].replace(':', '-')).touch()\n"
        "while len(list(folder.iterdir())) < 3:\n"
        "    time.sleep(0.02)\n"
    )
    command = json.dumps([sys.executable, "-c", script, str(folder)])
    hook = f"[[hooks]]\nevents = ['credit.exhausted']\ntimeout_seconds = 20\ncommand = {command}\n"
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text(hook, encoding="utf-8")
    for n in range(3):
        stopped_claude(tmux_server, tmp_path, f"worker{n}")
    monitor(isolated_home, tmux_server, SystemClock({})).sweep()
    assert len(list(folder.iterdir())) == 3
    assert [e for e in events(isolated_home) if e["event"] == "hook.failed"] == []
