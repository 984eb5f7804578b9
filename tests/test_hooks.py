"""Hooks against real processes and a real local HTTP receiver: success, failure, hangs."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from credit_management.notify.hooks import HookBatch, HookSpec, fire_hooks, make_payload
from credit_management.store.journal import EventLog

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
PY = sys.executable


@pytest.fixture
def log(tmp_path: Path) -> EventLog:
    return EventLog(tmp_path / "logs" / "credit_events.log")


def payload() -> dict[str, Any]:
    return make_payload(
        "credit.exhausted",
        now=NOW,
        target="main:2",
        provider="claude",
        model="opus",
        role="agent",
        message="Claude session limit; resets 3pm",
        reset_time=datetime(2026, 11, 21, 15, 0, tzinfo=UTC),
        window_name="backend",
    )


def failures(log: EventLog) -> list[dict[str, Any]]:
    return [event for event in log.read() if event["event"] == "hook.failed"]


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


# --- payload and specs -----------------------------------------------------------------------


def test_payload_has_the_seed_fields() -> None:
    data = payload()
    assert data["event"] == "credit.exhausted"
    assert data["target"] == "main:2"
    assert (data["provider"], data["model"], data["role"]) == ("claude", "opus", "agent")
    assert data["message"] == "Claude session limit; resets 3pm"
    assert data["reset_time"] == "2026-11-21T15:00:00+00:00"
    assert data["timestamp"] == "2026-11-21T12:00:00+00:00"
    assert data["host"] == socket.gethostname()
    assert data["runner"].endswith(socket.gethostname())
    assert data["window_name"] == "backend"
    json.dumps(data)


def test_spec_matching_and_validation() -> None:
    spec = HookSpec(events=["credit.*", "agent.paused"], command=["true"])
    assert spec.matches("credit.exhausted") and spec.matches("agent.paused")
    assert not spec.matches("agent.resumed")
    assert spec.command == ("true",)
    with pytest.raises(ValueError):
        HookSpec(events=["*"])
    with pytest.raises(ValueError):
        HookSpec(events=["*"], command=["x"], url="http://127.0.0.1/")
    with pytest.raises(ValueError):
        HookSpec(events=["*"], command=[])


# --- command hooks ---------------------------------------------------------------------------


def test_command_hook_gets_the_payload_on_stdin_and_the_event_in_env(
    tmp_path: Path, log: EventLog
) -> None:
    out = tmp_path / "received.json"
    script = (
        "import os, sys, pathlib; "
        "body = os.environ['CREDIT_EVENT'] + '\\n' + sys.stdin.read(); "
        "pathlib.Path(sys.argv[1]).write_text(body)"
    )
    skipped = tmp_path / "skipped"
    hooks = [
        HookSpec(events=["credit.*"], command=[PY, "-c", script, str(out)], timeout=10),
        HookSpec(events=["agent.*"], command=[PY, "-c", script, str(skipped)], timeout=10),
    ]
    fire_hooks("credit.exhausted", payload(), hooks, log, NOW)
    event, body = out.read_text(encoding="utf-8").split("\n", 1)
    assert event == "credit.exhausted"
    assert json.loads(body) == payload()
    assert not skipped.exists(), "a hook for other events must not run"
    assert failures(log) == []


def test_failing_command_is_logged_with_its_exit_status_and_stderr(
    tmp_path: Path, log: EventLog
) -> None:
    script = "import sys; sys.stdin.read(); print('receiver said no', file=sys.stderr); sys.exit(3)"
    hooks = [HookSpec(events=["*"], command=[PY, "-c", script])]
    fire_hooks("agent.paused", payload(), hooks, log, NOW)
    [failure] = failures(log)
    assert failure["hook_event"] == "agent.paused"
    assert failure["target"] == "main:2"
    assert failure["hook"].startswith(PY)
    assert "exit status 3" in failure["error"] and "receiver said no" in failure["error"]


def test_missing_program_is_logged(log: EventLog) -> None:
    hooks = [HookSpec(events=["*"], command=["/nonexistent/notify-me", "x"])]
    fire_hooks("agent.paused", payload(), hooks, log, NOW)
    [failure] = failures(log)
    assert failure["error"] == "command not found: /nonexistent/notify-me"


def test_hanging_command_is_killed_with_its_children_at_the_timeout(
    tmp_path: Path, log: EventLog
) -> None:
    pids = tmp_path / "pids"
    script = (
        "import os, subprocess, sys, time; "
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
        "open(sys.argv[1], 'w').write(f'{os.getpid()} {child.pid}'); "
        "time.sleep(60)"
    )
    hooks = [HookSpec(events=["*"], command=[PY, "-c", script, str(pids)], timeout=1.5)]
    started = time.monotonic()
    fire_hooks("credit.warning", payload(), hooks, log, NOW)
    elapsed = time.monotonic() - started
    assert 1.4 < elapsed < 4.0
    [failure] = failures(log)
    assert "timed out after 1.5s" in failure["error"]
    parent, child = (int(pid) for pid in pids.read_text().split())
    deadline = time.monotonic() + 3
    while (pid_alive(parent) or pid_alive(child)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(parent) and not pid_alive(child), "the whole process group is killed"


def test_hooks_run_concurrently_so_two_hangs_cost_one_timeout(
    tmp_path: Path, log: EventLog
) -> None:
    out = tmp_path / "fast"
    hang = [PY, "-c", "import time; time.sleep(60)"]
    fast = [PY, "-c", "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text('ok')", str(out)]
    hooks = [
        HookSpec(events=["*"], command=hang, timeout=1.0),
        HookSpec(events=["*"], command=hang, timeout=1.0),
        HookSpec(events=["*"], command=fast, timeout=5.0),
    ]
    started = time.monotonic()
    fire_hooks("credit.exhausted", payload(), hooks, log, NOW)
    assert time.monotonic() - started < 2.5
    assert out.read_text() == "ok"
    assert len(failures(log)) == 2


# --- webhooks --------------------------------------------------------------------------------


class Receiver:
    """A real HTTP server on 127.0.0.1 answering with a scripted list of status codes."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.requests: list[dict[str, Any]] = []
        self.hang = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.requests.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers.items()),
                        "body": json.loads(body),
                    }
                )
                if receiver.hang.is_set():
                    receiver.release.wait(10)
                    return
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    try:
        yield server
    finally:
        server.close()


def test_webhook_posts_the_payload_as_json(receiver: Receiver, log: EventLog) -> None:
    hooks = [HookSpec(events=["credit.*"], url=receiver.url, timeout=5, retries=2)]
    fire_hooks("credit.exhausted", payload(), hooks, log, NOW)
    [request] = receiver.requests
    assert request["path"] == "/hook"
    assert request["body"] == payload()
    assert request["headers"]["Content-Type"] == "application/json"
    assert request["headers"]["X-Credit-Event"] == "credit.exhausted"
    assert failures(log) == []


def test_webhook_retries_a_500_then_succeeds(receiver: Receiver, log: EventLog) -> None:
    receiver.statuses = [500, 503]
    hooks = [HookSpec(events=["*"], url=receiver.url, timeout=5, retries=2)]
    fire_hooks("credit.resolved", payload(), hooks, log, NOW)
    assert len(receiver.requests) == 3
    assert failures(log) == []


def test_webhook_that_keeps_failing_is_retried_a_bounded_number_of_times(
    receiver: Receiver, log: EventLog
) -> None:
    receiver.statuses = [500] * 20
    hooks = [HookSpec(events=["*"], url=receiver.url, timeout=5, retries=3)]
    started = time.monotonic()
    fire_hooks("credit.resolved", payload(), hooks, log, NOW)
    assert time.monotonic() - started < 4
    assert len(receiver.requests) == 4
    [failure] = failures(log)
    assert "HTTP 500" in failure["error"] and "4 attempts" in failure["error"]
    assert failure["hook"] == receiver.url


def test_webhook_rejection_is_not_retried(receiver: Receiver, log: EventLog) -> None:
    receiver.statuses = [404]
    hooks = [HookSpec(events=["*"], url=receiver.url, timeout=5, retries=3)]
    fire_hooks("credit.resolved", payload(), hooks, log, NOW)
    assert len(receiver.requests) == 1
    [failure] = failures(log)
    assert failure["error"].startswith("HTTP 404")


def test_webhook_to_a_port_with_nothing_listening(log: EventLog) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    url = f"http://127.0.0.1:{port}/hook"
    started = time.monotonic()
    fire_hooks("agent.missing", payload(), [HookSpec(events=["*"], url=url, retries=2)], log, NOW)
    assert time.monotonic() - started < 3
    [failure] = failures(log)
    assert f"cannot reach {url}" in failure["error"]
    assert "3 attempts" in failure["error"]


def test_webhook_that_never_answers_is_cut_off_at_its_timeout(
    receiver: Receiver, log: EventLog
) -> None:
    receiver.hang.set()
    hooks = [HookSpec(events=["*"], url=receiver.url, timeout=1.0, retries=5)]
    started = time.monotonic()
    fire_hooks("agent.needs_attention", payload(), hooks, log, NOW)
    elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 2.5
    [failure] = failures(log)
    assert "timed out" in failure["error"]


def test_no_matching_hook_does_nothing(tmp_path: Path, log: EventLog) -> None:
    marker = tmp_path / "ran"
    hook = HookSpec(events=["credit.*"], command=["touch", str(marker)])
    fire_hooks("agent.paused", payload(), [hook], log, NOW)
    assert not marker.exists()
    assert log.read() == []


# --- process trees, concurrency ---------------------------------------------------------------


def live_pids_running(argument: str) -> list[int]:
    """Pids under /proc whose command line holds `argument`, zombies excluded."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                words = handle.read().split(b"\0")
        except OSError:
            continue
        if argument.encode() in words and pid_alive(int(name)):
            found.append(int(name))
    return found


def unique_sleep() -> str:
    """A sleep argument no other process on the machine uses: 300 seconds and a bit."""
    return f"300.{os.getpid()}{threading.get_ident() % 100000:05d}{time.monotonic_ns() % 10**6}"


@pytest.mark.parametrize(
    "shape",
    [
        "setsid sleep {arg}",  # setsid forks (the hook leads its group) and exits at once
        "sh -c 'setsid sleep {arg} & wait'",  # a new session inside a shell that waits
        "sh -c '(setsid sleep {arg} >/dev/null 2>&1 &); exit 0'",  # double fork, pipes closed
        "sh -c 'setsid sh -c \"sleep {arg} & wait\" & wait'",  # a grandchild of a new session
    ],
)
def test_a_hook_that_calls_setsid_leaves_no_process_behind(log: EventLog, shape: str) -> None:
    import shlex

    arg = unique_sleep()
    command = shlex.split(shape.format(arg=arg))
    fire_hooks("credit.exhausted", payload(), [HookSpec(command=command, timeout=1)], log, NOW)
    assert live_pids_running(arg) == []
    [failure] = failures(log)
    assert "killed" in failure["error"]


def test_a_hook_whose_helper_ends_in_time_is_not_a_failure(log: EventLog) -> None:
    arg = "0.2"
    command = ["sh", "-c", f"setsid sleep {arg} >/dev/null 2>&1 & exit 0"]
    fire_hooks("credit.exhausted", payload(), [HookSpec(command=command, timeout=10)], log, NOW)
    assert failures(log) == []


def test_hooks_of_one_batch_run_side_by_side(tmp_path: Path, log: EventLog) -> None:
    """Each hook waits until all three have started: only hooks running at once can finish."""
    script = (
        "import pathlib, sys, time\n"
        "folder = pathlib.Path(sys.argv[1])\n"
        "(folder / sys.argv[2]).touch()\n"
        "while len(list(folder.iterdir())) < 3:\n"
        "    time.sleep(0.02)\n"
    )
    batch = HookBatch(log)
    for index, event in enumerate(("credit.exhausted", "agent.paused", "agent.missing")):
        hook = HookSpec(command=[PY, "-c", script, str(tmp_path), str(index)], timeout=20)
        batch.fire(event, payload(), [hook], NOW)
    batch.wait()
    assert failures(log) == []
    assert sorted(path.name for path in tmp_path.iterdir() if path.name != "logs") == [
        "0",
        "1",
        "2",
    ]


def test_hooks_over_the_bound_wait_for_a_slot_within_their_own_timeout(log: EventLog) -> None:
    arg = unique_sleep()
    batch = HookBatch(log, limit=1)
    # The first holds the only slot for 2 s: the second cannot start within its own 1 s.
    batch.fire("credit.exhausted", payload(), [HookSpec(command=["sleep", arg], timeout=2)], NOW)
    batch.fire("agent.paused", payload(), [HookSpec(command=["sleep", arg], timeout=1)], NOW)
    batch.wait()
    errors = sorted(failure["error"] for failure in failures(log))
    assert errors == [
        "did not start within 1s (1 hooks were running)",
        "timed out after 2s (killed)",
    ]
    assert live_pids_running(arg) == []
