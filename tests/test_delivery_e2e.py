"""Held messages are never lost, merged, reordered or doubled, end to end.

A simulated Claude Code agent that refuses the prompt that hits its limit goes through two
limit cycles on a real tmux server while numbered messages are sent to it, one `send` process
after another, and a real `credit-monitor watch` process delivers what was held; the watcher is
killed with `kill -9` in the middle of deliveries and started again. Every message must reach
the agent exactly once as its own prompt, in order, and none may be typed while the agent shows
its limit. The resets are a few real seconds, so the clock needs no shifting.

The story runs at two sizes, both marked `soak` (`make soak`, which CI runs after `make test`):
`brisk` (7 messages sent one after another, 3 prompts a cycle, 1 s resets resumed with no
margin, no resume message, so held work fills each cycle; about 10 s) and `soak` (26 messages
one every 2-3 s, 10 prompts a cycle, 6 s resets; over a minute). Every `make test` runs the
short form: a real watcher killed twice in the middle of delivering held messages to an agent
with no limit in the way.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import TmuxTestServer
from messaging_support import CLI, start_sim, supervisor
from monitor_support import records

from credit_management.clock import SystemClock
from credit_management.models import QueuedMessage, Status
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore


@dataclass(frozen=True)
class Scenario:
    """The size and pace of one run. Three cycles answer every message and the prompts the
    monitor spends on each resume, so a third limit never comes."""

    messages: int
    limit_after: int  # prompts answered per cycle; the next one is refused
    reset_seconds: int
    gap: tuple[float, float]  # seconds between the starts of two sends, drawn in this range
    resume_message: str | None  # None: the default one (one more prompt per resume)
    margin: float  # resume_margin_seconds (the printed epoch is rounded up: 0 is never early)


BRISK = Scenario(7, 3, 1, (0.0, 0.3), "", 0)
SOAK = Scenario(26, 10, 6, (2.0, 3.0), None, 1)


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "CREDIT_MONITOR_DEBUG"}


def _watcher(home: Path, server: TmuxTestServer, log: Path) -> subprocess.Popen[bytes]:
    command = [str(CLI), "--home", str(home), "--socket", server.socket]
    with log.open("ab") as out:
        return subprocess.Popen(
            [*command, "watch", "--interval", "1"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_environ(),
        )


def _send(home: Path, server: TmuxTestServer, target: str, text: str) -> dict[str, Any]:
    done = subprocess.run(
        [str(CLI), "--home", str(home), "--socket", server.socket, "send", "--json", target, text],
        capture_output=True,
        text=True,
        env=_environ(),
        timeout=120,
        check=False,
    )
    result: dict[str, Any] = {"text": text, "code": done.returncode, "stderr": done.stderr}
    if done.stdout.strip():
        result.update(json.loads(done.stdout))
    return result


def _held(store: StateStore, target: str) -> bool:
    """Whether messages are still queued for `target` (a last delivery not yet settled)."""
    try:
        record = store.load().agents.get(target)
    except Exception:  # a half-written file cannot happen (atomic saves); be safe anyway
        return True
    return record is None or bool(record.queued)


def _attempt_under_way(store: StateStore, target: str) -> str | None:
    """The stage of a delivery recorded in the state file and not yet finished, if any."""
    try:
        record = store.load().agents.get(target)
    except Exception:  # a half-written file cannot happen (atomic saves); be safe anyway
        return None
    if record is None:
        return None
    for message in record.queued:
        if message.attempt is not None and message.source == "send":
            return str(message.attempt.get("stage"))
    return None


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "scenario",
    [
        pytest.param(BRISK, id="brisk", marks=pytest.mark.soak),
        pytest.param(SOAK, id="soak", marks=pytest.mark.soak),
    ],
)
def test_numbered_messages_through_two_limit_cycles_and_kill_9_arrive_once_in_order(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path, scenario: Scenario
) -> None:
    agent_log = tmp_path / "agent.jsonl"
    args = ["--provider", "claude", "--refuse-at-limit", "--limit-again", "--reset-style"]
    args += ["epoch", "--limit-after", str(scenario.limit_after)]
    args += ["--reset-in", str(scenario.reset_seconds)]
    agent = start_sim(tmux_server, "worker", args, agent_log)
    # Writes the config every `credit-monitor` process here reads (short margin and checks).
    resume = {} if scenario.resume_message is None else {"resume_message": scenario.resume_message}
    supervisor(
        isolated_home, tmux_server, SystemClock(environ={}),
        resume_margin_seconds=scenario.margin, verify_timeout_seconds=10, confirm_seconds=0.3,
        **resume,
    )  # fmt: skip
    store = StateStore(Paths(isolated_home, "--home"))
    watch_log = tmp_path / "watch.log"
    watcher = _watcher(isolated_home, tmux_server, watch_log)

    texts = [f"task {n} for worker" for n in range(1, scenario.messages + 1)]
    results: list[dict[str, Any]] = []
    rng = random.Random(17)

    def sender() -> None:
        for text in texts:  # start to start, at least `gap` apart
            started = time.monotonic()
            results.append(_send(isolated_home, tmux_server, agent, text))
            time.sleep(max(0.0, started + rng.uniform(*scenario.gap) - time.monotonic()))

    thread = threading.Thread(target=sender, daemon=True)
    thread.start()
    kills: list[str] = []
    try:
        # Kill the watcher in the middle of a delivery of held messages, twice, and start it
        # again each time (the sends' own deliveries are left alone).
        deadline = time.monotonic() + 240
        while (
            thread.is_alive() or not _all_answered(agent_log, texts) or _held(store, agent)
        ) and time.monotonic() < deadline:
            stage = _attempt_under_way(store, agent)
            # The first kill lands wherever the delivery is; the second after the text went
            # in, where the restarted run must tell from the pane whether Enter was taken.
            wanted = ("typing", "typed") if not kills else ("typed",)
            if stage and stage in wanted and len(kills) < 2 and _typist_is(watcher, isolated_home):
                watcher.send_signal(signal.SIGKILL)
                watcher.wait()
                kills.append(stage)
                watcher = _watcher(isolated_home, tmux_server, watch_log)
            time.sleep(0.02)
        thread.join(timeout=60)
    finally:
        watcher.send_signal(signal.SIGKILL)
        watcher.wait()

    prompts = [r for r in records(agent_log) if r["event"] == "prompt"]
    numbered = [r for r in prompts if r["prompt"] in texts]
    answered = [r["prompt"] for r in numbered if r["result"] == "answered"]
    context = (
        f"kills={kills}\nresults={json.dumps(results, indent=1)}\n"
        f"prompts={[(r['prompt'], r['result']) for r in prompts]}\n{watch_log.read_text()}"
    )
    # Each message exactly once, in order, each its own prompt (no two texts in one box).
    assert answered == texts, context
    assert all(r["prompt"] in texts or "task" not in r["prompt"] for r in prompts), context
    # Refused only as the prompt that hit a limit, never typed while the limit showed.
    refused = [r for r in numbered if r["result"] == "refused"]
    assert [r["while_limited"] for r in refused] == [False, False], context
    assert sum(r["event"] == "limit" for r in records(agent_log)) == 2, context
    # Every send reported what it did, and none failed.
    assert len(results) == scenario.messages
    assert {r["result"] for r in results} <= {"delivered", "queued", "requeued"}, context
    assert all(r["code"] == 0 for r in results), context
    assert len(kills) == 2, context  # the watcher really died mid-delivery
    record = store.load().agents[agent]
    assert record.status is Status.ACTIVE and record.queued == [], context
    events = EventLog(Paths(isolated_home, "--home").events_log).read(target=agent)
    delivered = [e["id"] for e in events if e["event"] == "message.delivered"]
    assert len(delivered) == len(set(delivered)), context
    # The delivery cut short after typing was settled from the pane, not typed again.
    assert any(e.get("reconciled") for e in events if e["event"] == "message.delivered"), context


@pytest.mark.timeout(60)
def test_a_watcher_killed_twice_mid_delivery_delivers_each_held_message_once_in_order(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    agent_log = tmp_path / "agent.jsonl"
    agent = start_sim(tmux_server, "worker", ["--provider", "claude"], agent_log)
    supervisor(isolated_home, tmux_server, SystemClock(environ={}))
    store = StateStore(Paths(isolated_home, "--home"))
    texts = [f"held task {n}" for n in range(1, 4)]
    with store.transaction() as state:
        for number, text in enumerate(texts):
            created = f"2026-12-07T09:00:0{number}+00:00"
            state.agent(agent).queued.append(QueuedMessage(f"q-held{number}", text, created))
    watch_log = tmp_path / "watch.log"
    watcher = _watcher(isolated_home, tmux_server, watch_log)
    kills: list[str] = []
    try:
        deadline = time.monotonic() + 40
        while _held(store, agent) and time.monotonic() < deadline:
            # The first kill lands wherever the delivery is; the second once the text is in
            # the box, where the next watcher must tell from the pane whether Enter was taken.
            stage = _attempt_under_way(store, agent)
            wanted = ("typing", "typed") if not kills else ("typed",)
            if stage in wanted and len(kills) < 2 and _typist_is(watcher, isolated_home):
                watcher.send_signal(signal.SIGKILL)
                watcher.wait()
                kills.append(str(stage))
                watcher = _watcher(isolated_home, tmux_server, watch_log)
            time.sleep(0.01)
    finally:
        watcher.send_signal(signal.SIGKILL)
        watcher.wait()

    prompts = [r["prompt"] for r in records(agent_log) if r["event"] == "prompt"]
    context = f"kills={kills}\nprompts={prompts}\n{watch_log.read_text()}"
    assert prompts == texts, context  # each once, in order, each its own prompt
    assert len(kills) == 2, context  # the watcher really died mid-delivery, twice
    assert store.load().agents[agent].queued == [], context
    events = EventLog(Paths(isolated_home, "--home").events_log).read(target=agent)
    delivered = [e["id"] for e in events if e["event"] == "message.delivered"]
    assert delivered == ["q-held0", "q-held1", "q-held2"], context
    assert any(e.get("reconciled") for e in events if e["event"] == "message.delivered"), context


def _all_answered(log: Path, texts: list[str]) -> bool:
    """Whether every numbered message has been answered (test messages do not count)."""
    answered = {
        r["prompt"] for r in records(log) if r["event"] == "prompt" and r["result"] == "answered"
    }
    return answered.issuperset(texts)


def _typist_is(process: subprocess.Popen[bytes], home: Path) -> bool:
    """Whether `process` holds a pane's typist lock now (the delivery is the watcher's)."""
    folder = home / "data" / "typists"
    for lock in folder.glob("*.lock") if folder.is_dir() else ():
        try:
            if lock.read_text().strip() == str(process.pid):
                return True
        except OSError:
            continue
    return False
