"""The one JSON contract: every `--json` prints exactly one JSON object, and every list in it
lives under a named key (`agents`, `events`, `messages`, `notes`)."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import TmuxTestServer
from monitor_support import fake_crontab_in

from credit_management.cli import COMMANDS, cli
from credit_management.models import Status, iso
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def one_object(home: Path, server: TmuxTestServer | None, *args: str) -> dict[str, Any]:
    """Run `credit-monitor ARGS` and return its stdout, which must be one JSON object."""
    socket = ["--socket", server.socket] if server is not None else []
    result = CliRunner().invoke(cli, ["--home", str(home), *socket, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    try:
        document = json.loads(result.stdout)  # fails on two objects, or on text around one
    except json.JSONDecodeError as error:
        raise AssertionError(f"{args}: {error}: {result.output!r} {result.exception!r}") from None
    assert isinstance(document, dict), f"{args}: not an object: {document!r}"
    return document


def seed(home: Path) -> None:
    """Two agents, a queued message, a scheduled note and a few events."""
    paths = Paths(home, "--home")
    with StateStore(paths).transaction() as state:
        stopped = state.agent("main:1")
        stopped.status = Status.EXHAUSTED
        stopped.since = iso(NOW - timedelta(minutes=30))
        stopped.scheduled_resume = iso(NOW + timedelta(hours=2))
        stopped.reset_at = iso(NOW + timedelta(hours=2))
        stopped.last_signal = {"kind": "exhausted", "message": "5-hour limit reached"}
        state.agent("main:2").since = iso(NOW - timedelta(hours=3))
    log = EventLog(paths.events_log)
    log.append("credit.exhausted", now=NOW, target="main:1", message="5-hour limit reached")
    log.append("agent.found", now=NOW, target="main:2")


@pytest.mark.parametrize(
    ("args", "key"),
    [
        (["status", "--json"], "agents"),
        (["check_credit_status", "--json"], "agents"),
        (["history", "--json"], "events"),
        (["history", "main:1", "--json", "--event", "credit.*"], "events"),
        (["queue", "--json"], "messages"),
        (["queue", "list", "main:1", "--json"], "messages"),
        (["schedule", "list", "--json"], "notes"),
        (["schedule", "--json"], "notes"),
        (["estimate-reset", "--json"], "agents"),
        (["estimate_reset_time", "--json"], "agents"),
    ],
)
def test_every_listing_is_one_object_with_its_list_under_a_named_key(
    isolated_home: Path, args: list[str], key: str
) -> None:
    seed(isolated_home)
    document = one_object(isolated_home, None, *args)
    assert isinstance(document[key], list)
    # No other key holds a list of records: the contract names exactly one.
    lists = [name for name, value in document.items() if isinstance(value, list) and value]
    assert set(lists) <= {key, "reset_times", "needs_person"}


def test_status_json_names_its_agents_and_says_when_the_last_sweep_was(
    isolated_home: Path,
) -> None:
    seed(isolated_home)
    document = one_object(isolated_home, None, "status", "--json")
    assert [view["target"] for view in document["agents"]] == ["main:1", "main:2"]
    assert "last_sweep" in document
    assert document["agents"][0]["status"] == "exhausted"


def test_history_json_keeps_each_event_as_logged(isolated_home: Path) -> None:
    seed(isolated_home)
    events = one_object(isolated_home, None, "history", "--json")["events"]
    assert [(e["event"], e["target"]) for e in events] == [
        ("credit.exhausted", "main:1"),
        ("agent.found", "main:2"),
    ]
    only = one_object(isolated_home, None, "history", "--json", "--event", "agent.*")
    assert [e["event"] for e in only["events"]] == ["agent.found"]


def test_commands_that_act_print_one_object_too(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    target = tmux_server.new_window("main", "worker", ["sleep", "600"])  # not a shell
    paused = one_object(isolated_home, tmux_server, "pause", target, "--reason", "x", "--json")
    assert (paused["result"], paused["target"], paused["status"]) == ("paused", target, "paused")
    assert paused["previous"] == "active" and paused["window_name"] == "worker"

    # A paused agent takes no text: send queues it, and says so in one object.
    sent = one_object(isolated_home, tmux_server, "send", target, "later please", "--json")
    assert sent["result"] == "queued" and sent["target"] == target
    queue = one_object(isolated_home, tmux_server, "queue", "--json")
    assert [m["text"] for m in queue["messages"]] == ["later please"]
    # Dropped, so that the resume below has nothing to deliver into a pane that never answers.
    dropped = one_object(isolated_home, tmux_server, "queue", "drop", sent["id"], "--json")
    assert dropped == {"result": "dropped", "id": sent["id"], "target": target}

    health = one_object(isolated_home, tmux_server, "health", "--json")
    assert isinstance(health["agents"], list)
    assert {row["target"] for row in health["agents"]} >= {target}

    resumed = one_object(isolated_home, tmux_server, "resume", target, "--force", "--json")
    assert (resumed["result"], resumed["status"], resumed["previous"]) == (
        "resumed",
        "active",
        "paused",
    )

    note = one_object(isolated_home, tmux_server, "schedule", "10m", "look again", target, "--json")
    cancelled = one_object(isolated_home, tmux_server, "schedule", "cancel", note["id"], "--json")
    assert (cancelled["result"], cancelled["id"]) == ("cancelled", note["id"])


def test_cron_subcommands_print_one_object(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    fake_crontab_in(bin_dir)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_CRONTAB_FILE", str(tmp_path / "table"))
    monkeypatch.setattr(sys, "argv", [str(Path(sys.executable).with_name("credit-monitor"))])

    assert one_object(isolated_home, None, "cron", "show", "--json") == {
        "installed": False,
        "entry": None,
    }
    installed = one_object(isolated_home, None, "cron", "install", "--json")
    assert installed["result"] == "installed" and "credit-monitor" in installed["entry"]
    again = one_object(isolated_home, None, "cron", "install", "--json")
    assert again == {"result": "unchanged", "entry": installed["entry"]}
    shown = one_object(isolated_home, None, "cron", "show", "--json")
    assert shown == {"installed": True, "entry": installed["entry"]}
    assert one_object(isolated_home, None, "cron", "remove", "--json") == {"result": "removed"}
    assert one_object(isolated_home, None, "cron", "remove", "--json") == {"result": "absent"}


def test_config_json_is_one_object(isolated_home: Path) -> None:
    shown = one_object(isolated_home, None, "config", "--json")
    assert isinstance(shown["values"], dict) and isinstance(shown["sources"], dict)
    path = one_object(isolated_home, None, "config", "path", "--json")
    assert path == {
        "config_file": str(isolated_home / "config.toml"),
        "config_file_exists": False,
    }


@pytest.mark.skipif(
    "usage" not in COMMANDS or find_spec("credit_management.cli.usage") is None,
    reason="no usage command in this build",
)
def test_usage_json_lists_agents(isolated_home: Path) -> None:
    seed(isolated_home)
    assert isinstance(one_object(isolated_home, None, "usage", "--json")["agents"], list)


def test_service_subcommands_print_one_object(isolated_home: Path) -> None:
    status = one_object(isolated_home, None, "service", "status", "--json")
    assert status["installed"] is False and status["unit_file"].endswith("credit-monitor.service")
    written = one_object(isolated_home, None, "service", "install", "--no-start", "--json")
    assert written["result"] == "written" and written["unit_file"] == status["unit_file"]
    assert isinstance(written["todo"], list)
    assert one_object(isolated_home, None, "service", "status", "--json")["installed"] is True
    removed = one_object(isolated_home, None, "service", "remove", "--json")
    assert removed == {"result": "removed", "unit_file": status["unit_file"]}
