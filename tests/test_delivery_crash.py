"""A delivery cut short by `kill -9` is settled from the pane, never lost and never typed twice.

Each case leaves the pane and the state file as a run killed at that instant would (the attempt
recorded before typing, then the text typed or not, Enter pressed or not), and the next
delivery must find out from the pane what happened.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import TmuxTestServer
from messaging_support import start_sim, supervisor
from monitor_support import prompts, wait_until

from credit_management.clock import SystemClock
from credit_management.models import QueuedMessage, iso
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore
from credit_management.tmux.gateway import Tmux
from credit_management.tmux.typist import InputRow

TEXT = "carry on with the parser refactor"


def _pane_id(server: TmuxTestServer, target: str) -> str:
    return server.cmd("display", "-p", "-t", target, "#{pane_id}").stdout.strip()


def _settled(server: TmuxTestServer, target: str) -> str:
    """The pane as the monitor captures it, once two looks agree."""
    tmux = Tmux(server.socket)
    pane_id = _pane_id(server, target)
    last = tmux.capture_pane(pane_id)
    while True:
        time.sleep(0.2)
        again = tmux.capture_pane(pane_id)
        if again == last:
            return again
        last = again


@pytest.mark.parametrize(
    ("stage", "typed", "entered"),
    [
        ("typing", False, False),  # killed after recording, before the text went
        ("typing", True, False),  # killed after the text went, before "typed" was recorded
        ("typed", True, False),  # killed before Enter
        ("typed", True, True),  # killed after Enter, before the outcome was recorded
    ],
)
def test_an_interrupted_delivery_is_settled_from_the_pane(
    tmux_server: TmuxTestServer,
    isolated_home: Path,
    tmp_path: Path,
    stage: str,
    typed: bool,
    entered: bool,
) -> None:
    log = tmp_path / "agent.jsonl"
    agent = start_sim(tmux_server, "worker", ["--provider", "claude", "--limit-after", "99"], log)
    pane_id = _pane_id(tmux_server, agent)
    before = _settled(tmux_server, agent)
    progress: dict[str, object] = {"stage": stage, "before": before}
    if typed:
        tmux_server.cmd("send-keys", "-t", agent, "-l", "--", TEXT)
        shown = tmux_server.wait_for_text(agent, TEXT)
        if stage == "typed":
            probe = InputRow.between(before, _settled(tmux_server, agent), TEXT)
            progress.update(typed=probe.typed, row=probe.row)
        assert TEXT in shown
    if entered:
        tmux_server.cmd("send-keys", "-t", agent, "Enter")
        wait_until(lambda: prompts(log) == [TEXT], what="the prompt")
    store = StateStore(Paths(isolated_home, "--home"))
    attempt = {"at": iso(datetime.now(UTC)), "pane_id": pane_id, **progress}
    with store.transaction() as state:
        state.agent(agent).queued.append(
            QueuedMessage("q-abc123", TEXT, iso(datetime.now(UTC)) or "", attempt=attempt)
        )
        state.agent(agent).queued.append(
            QueuedMessage("q-def456", "and then the tests", iso(datetime.now(UTC)) or "")
        )

    monitor = supervisor(isolated_home, tmux_server, SystemClock(environ={}))
    assert monitor.deliver_queued(agent) == 2

    assert prompts(log) == [TEXT, "and then the tests"]  # once each, in order
    assert store.load().agents[agent].queued == []
    delivered = [
        e for e in EventLog(monitor.paths.events_log).read(target=agent)
        if e["event"] == "message.delivered"
    ]  # fmt: skip
    assert [e["id"] for e in delivered] == ["q-abc123", "q-def456"]
    # Only the interrupted one was settled from the pane, with no retyping when it was typed.
    assert delivered[0].get("reconciled") is (True if typed else None)
    assert delivered[1].get("reconciled") is None
