"""`credit-monitor send` and `credit-monitor queue` against a real tmux server and simulated
agents: literal delivery, Enter retried, refusals that send nothing, queueing while stopped."""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import TmuxTestServer
from messaging_support import invoke, run_cli, start_sim
from monitor_support import prompts, records

from credit_management.messaging.queue import enqueue
from credit_management.models import Status, iso
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore

# Awkward texts in small groups, each group sent in turn to an agent of its own.
AWKWARD = {
    "key-names": ["C-c", "Enter", "Escape"],
    "shell": [
        "it's \"quoted\" and 'single'",
        "$(touch /tmp/never) `id` $HOME \\n %s %1 #{pane_id}",
    ],
    "unicode-and-lines": ["café ✓ 日本語 — naïve ½", "line one\nline two\n  indented three"],
    "semicolons": ["stop here;", ";"],
    "escaped-semicolons": ["\\;", "two;;"],
}


def store(home: Path) -> StateStore:
    return StateStore(Paths(home, "--home"))


def set_status(home: Path, target: str, status: Status, **fields: str | None) -> None:
    with store(home).transaction() as state:
        record = state.agent(target)
        record.status = status
        for name, value in fields.items():
            setattr(record, name, value)


@pytest.mark.parametrize("group", list(AWKWARD))
def test_awkward_text_arrives_literally(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path, group: str
) -> None:
    log = tmp_path / "agent.jsonl"
    agent = start_sim(tmux_server, "lit", ["--provider", "claude", "--limit-after", "99"], log)
    for text in AWKWARD[group]:
        result = invoke(isolated_home, tmux_server, "send", agent, text)
        assert result.exit_code == 0, (text, result.output)
        assert result.output == f"delivered to {agent} (lit)\n"
    assert prompts(log) == AWKWARD[group]
    assert not Path("/tmp/never").exists()
    events = EventLog(Paths(isolated_home, "--home").events_log).read(target=agent)
    assert [e["event"] for e in events] == ["message.delivered"] * len(AWKWARD[group])
    assert all(e["enter_presses"] == 1 for e in events)


def test_arguments_that_look_like_options_or_split_words_arrive_as_one_text(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "agent.jsonl"
    agent = start_sim(tmux_server, "lit", ["--provider", "claude", "--limit-after", "99"], log)
    dash = invoke(isolated_home, tmux_server, "send", agent, "--", "-n", "starts with a dash")
    assert dash.exit_code == 0, dash.output
    words = invoke(isolated_home, tmux_server, "send_message", agent, "two", "words")
    assert words.exit_code == 0, words.output
    assert prompts(log) == ["-n starts with a dash", "two words"]
    events = EventLog(Paths(isolated_home, "--home").events_log).read(target=agent)
    assert [e["event"] for e in events] == ["message.delivered"] * 2
    assert all(e["enter_presses"] == 1 for e in events)


@pytest.mark.parametrize("busy", [False, True], ids=["idle", "busy"])
def test_enter_is_pressed_again_when_the_first_is_swallowed(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path, busy: bool
) -> None:
    # A busy agent keeps printing above its input box: a changed pane is not a taken message.
    log = tmp_path / "agent.jsonl"
    args = ["--provider", "claude", "--limit-after", "99", "--swallow-first-enter"]
    agent = start_sim(
        tmux_server, "paste", args + (["--work-interval", "0.2"] if busy else []), log
    )
    # Shorter than a real agent needs: the simulated one answers within a tenth of a second.
    isolated_home.mkdir(parents=True, exist_ok=True)
    settings = "answer_watch_seconds = 2\nenter_settle_seconds = 0.5\n"
    (isolated_home / "config.toml").write_text(settings, encoding="utf-8")
    result = invoke(isolated_home, tmux_server, "send", "--json", agent, "Run the tests")
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.output)
    assert outcome["result"] == "delivered" and outcome["enter_presses"] == 2
    assert [r["event"] for r in records(log) if r["event"] != "started"] == [
        "enter_swallowed",
        "prompt",
    ]
    assert prompts(log) == ["Run the tests"]


def test_bad_targets_and_bad_text_send_nothing_anywhere(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    logs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    agents = [
        start_sim(tmux_server, name, ["--provider", "claude"], log)
        for name, log in zip(("alpha", "beta"), logs, strict=True)
    ]
    panes = ["main:0", *agents]
    before = {pane: tmux_server.capture(pane) for pane in panes}
    cases = [
        (["main", "hello"], "malformed target 'main'"),
        (["main:", "hello"], "malformed target 'main:'"),
        ([":1", "hello"], "malformed target ':1'"),
        (["%x", "hello"], "malformed target '%x'"),
        (["mai:1", "hello"], "no such window: 'mai:1'"),
        (["main:9", "hello"], "no such window: 'main:9'"),
        (["main:alph", "hello"], "no such window: 'main:alph'"),
        (["%999", "hello"], "no such pane: '%999'"),
        (["main:1.5", "hello"], "no such pane: 'main:1.5'"),
        ([agents[0], "stop\x03now"], "control character (U+0003)"),
        ([agents[0], "\x1b[A"], "control character (U+001B)"),
        ([agents[0], "   "], "message is empty"),
    ]
    for index, (args, needle) in enumerate(cases):
        if index in (0, 9):  # as a user runs it: a real process, one line on stderr
            done = run_cli(isolated_home, tmux_server, "send", *args)
            code, stdout, stderr = done.returncode, done.stdout, done.stderr
        else:
            result = invoke(isolated_home, tmux_server, "send", *args)
            code, stdout, stderr = result.exit_code, result.stdout, result.stderr
        assert code == 1, (args, stdout, stderr)
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and needle in lines[0], lines
        assert stdout == ""
    time.sleep(0.3)
    assert {pane: tmux_server.capture(pane) for pane in panes} == before
    assert [prompts(log) for log in logs] == [[], []]
    assert not Path(isolated_home, "data", "credit_schedule.json").exists()
    assert not Path(isolated_home, "logs", "credit_events.log").exists()


def test_a_message_the_agent_never_takes_is_reported_and_exits_non_zero(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    # A program that echoes what is typed but ignores Enter: the text stays where it was typed.
    frozen = (
        "import os, sys, tty\ntty.setraw(0)\nos.write(1, b'ready> ')\n"
        "while True:\n    c = os.read(0, 1)\n    if c in (b'', b'\\x04'): break\n"
        "    if c not in (b'\\r', b'\\n'): os.write(1, c)\n"
    )
    target = tmux_server.new_window("main", "frozen", [sys.executable, "-c", frozen])
    tmux_server.wait_for_text(target, "ready>")
    # Each Enter is given enter_settle_seconds, the n-th n times that: 0.3 + 0.6 + 0.9 s here.
    isolated_home.mkdir(parents=True, exist_ok=True)
    (isolated_home / "config.toml").write_text("enter_settle_seconds = 0.3\n", encoding="utf-8")
    started = time.monotonic()
    done = run_cli(isolated_home, tmux_server, "send", target, "are you there")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"Error: typed into {target} but the agent did not take it after 3 Enter presses "
        "(the text may still be in its input box)"
    )
    assert time.monotonic() - started < 20
    assert "ready> are you there" in tmux_server.capture(target)
    events = EventLog(Paths(isolated_home, "--home").events_log).read(target=target)
    assert [e["event"] for e in events] == ["message.unconfirmed"]


@pytest.mark.parametrize(
    ("status", "fields", "reason"),
    [
        (Status.EXHAUSTED, {"scheduled_resume": "+2h3m"}, r"exhausted until \d\d:\d\d, in 2h3m"),
        (Status.PAUSED, {}, "paused until resumed by hand"),
        (Status.RESUMING, {}, "resuming: the monitor is checking that it answers"),
        (
            Status.WAITING_SELF,
            {"scheduled_resume": "+45m"},
            r"waiting to continue on its own until \d\d:\d\d, in 45m",
        ),
        (Status.NEEDS_ATTENTION, {"reason": "Invalid API key"}, "needs attention: Invalid API key"),
    ],
)
def test_a_stopped_agent_gets_its_message_queued_not_typed(
    tmux_server: TmuxTestServer,
    isolated_home: Path,
    status: Status,
    fields: dict[str, str],
    reason: str,
) -> None:
    quiet = "import time; print('agent ready'); time.sleep(60)"
    target = tmux_server.new_window("main", "agent", [sys.executable, "-c", quiet])
    before = tmux_server.wait_for_text(target, "agent ready")
    resolved = {
        name: iso(datetime.now(UTC) + parse_offset(value)) if value.startswith("+") else value
        for name, value in fields.items()
    }
    set_status(isolated_home, target, status, **resolved)
    result = invoke(isolated_home, tmux_server, "send", target, "do the next step")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(rf"queued for {target} \({reason}\): id q-[0-9a-f]{{6}}\n", result.output)
    queued = store(isolated_home).load().agents[target].queued
    assert [(m.text, m.source) for m in queued] == [("do the next step", "send")]
    time.sleep(0.2)
    assert tmux_server.capture(target) == before
    events = EventLog(Paths(isolated_home, "--home").events_log).read(target=target)
    assert [(e["event"], e["status"], e["id"]) for e in events] == [
        ("message.queued", status.value, queued[0].id)
    ]


def parse_offset(text: str) -> timedelta:
    hours, _, minutes = text.lstrip("+").rstrip("m").rpartition("h")
    return timedelta(hours=int(hours or 0), minutes=int(minutes or 0))


def test_now_sends_to_a_stopped_agent_and_the_queue_commands_list_and_drop(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "agent.jsonl"
    agent = start_sim(tmux_server, "worker", ["--provider", "claude", "--limit-after", "99"], log)
    paused = invoke(isolated_home, tmux_server, "pause", agent)
    assert paused.exit_code == 0, paused.output
    first = invoke(isolated_home, tmux_server, "send", agent, "first held")
    second = invoke(isolated_home, tmux_server, "send", agent, "second\nheld")
    first_id, second_id = first.output.split()[-1], second.output.split()[-1]
    urgent = invoke(isolated_home, tmux_server, "send", "--now", agent, "urgent")
    assert (
        urgent.output == f"delivered to {agent} (worker); sent with --now although it is paused\n"
    )
    assert prompts(log) == ["urgent"]

    for args in (["queue"], ["queue", agent], ["queue", "main:worker"], ["queue", "list"]):
        listing = invoke(isolated_home, tmux_server, *args)
        assert listing.exit_code == 0, (args, listing.output)
        lines = listing.output.splitlines()
        assert lines[0].split()[:4] == ["ID", "TARGET", "SOURCE", "CREATED"]
        assert lines[1].split()[:3] == [first_id, agent, "send"]
        assert lines[1].endswith("first held") and lines[2].endswith("second ⏎ held")
        assert lines[3] == f"{agent}: paused until resumed by hand"
    as_json = json.loads(invoke(isolated_home, tmux_server, "queue", agent, "--json").output)
    assert list(as_json) == ["messages"]
    assert [(m["id"], m["text"], m["agent_status"]) for m in as_json["messages"]] == [
        (first_id, "first held", "paused"),
        (second_id, "second\nheld", "paused"),
    ]
    assert json.loads(invoke(isolated_home, tmux_server, "queue", "--json").output) == as_json
    assert (
        invoke(isolated_home, tmux_server, "queue", "main:0").output
        == "nothing queued for main:0\n"
    )

    dropped = invoke(isolated_home, tmux_server, "queue", "drop", first_id)
    assert dropped.output == f"dropped {first_id} (for {agent}): first held\n"
    left = json.loads(invoke(isolated_home, tmux_server, "queue", "--json").output)
    assert [m["id"] for m in left["messages"]] == [second_id]
    again = run_cli(isolated_home, tmux_server, "queue", "drop", first_id)
    assert again.returncode == 1
    assert again.stderr.strip() == (
        f"Error: no queued message with id '{first_id}' (see `credit-monitor queue`)"
    )
    bad = run_cli(isolated_home, tmux_server, "queue", "main")
    assert bad.returncode == 1 and "malformed target 'main'" in bad.stderr
    assert prompts(log) == ["urgent"]


def test_queue_lists_a_known_target_even_when_its_window_is_gone(isolated_home: Path) -> None:
    set_status(isolated_home, "gone:3", Status.EXHAUSTED)
    with store(isolated_home).transaction() as state:
        enqueue(state, "gone:3", "kept for later", now=datetime.now(UTC))
    listing = invoke(isolated_home, None, "queue", "gone:3")
    assert listing.exit_code == 0, listing.output
    assert "kept for later" in listing.output
    assert "gone:3: exhausted" in listing.output
    empty = invoke(isolated_home, None, "queue", "drop", "q-000000")
    assert empty.exit_code == 1
