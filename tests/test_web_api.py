"""The dashboard's JSON API against a real server on 127.0.0.1 (port 0) in a thread.

The state file is prepared with StateStore (an exhausted agent with an open alert, an active
agent, an already resolved alert) and read back after each change. Resume and pause go to a
recording stand-in for the supervisor here; "Change AI model" types into a real tmux pane.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from monitor_support import wait_for_record

from credit_management.cli import cli
from credit_management.clock import Clock, FakeClock, SystemClock
from credit_management.credit_monitor import Supervisor
from credit_management.errors import InputError
from credit_management.models import AgentRecord, Alert, Status, iso, set_status
from credit_management.store.config import Settings
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore
from credit_management.tmux.gateway import Tmux
from credit_management.web import check_bind, create_server
from credit_management.web.server import DashboardServer, is_loopback
from credit_management.web.service import Dashboard

NOW = datetime(2026, 5, 28, 15, 0, tzinfo=UTC)
RESET = NOW + timedelta(hours=4, minutes=5)
EXHAUSTED = "main:1"
ACTIVE = "main:2"
ALERT_ID = f"{EXHAUSTED}@{iso(NOW)}"
# Limited after one prompt; the limit lifts two seconds later.
SIMULATED_CLAUDE = (
    *("--provider", "claude", "--limit-after", "1", "--reset-in", "1"),
    *("--think", "0.05", "--tz", "UTC"),
)
ALERT_FIELDS = {
    "id",
    "target",
    "provider",
    "model",
    "kind",
    "message",
    "created_at",
    "scheduled_resume",
}


# -- shared with test_web_browser.py --------------------------------------------------------


def seed_state(paths: Paths, now: datetime = NOW) -> None:
    """An exhausted agent with an open alert, an active agent, an old resolved alert, events."""
    store = StateStore(paths)
    with store.transaction() as state:
        record = state.agent(EXHAUSTED)
        record.window_name = "claude-api"
        record.provider = "claude"
        record.model = "opus"
        set_status(record, Status.EXHAUSTED, now=now - timedelta(minutes=12), reason="limit")
        record.scheduled_resume = iso(now + (RESET - NOW))
        record.last_signal = {
            "kind": "exhausted",
            "provider": "claude",
            "message": "Claude session limit; resets 7pm (Europe/Madrid)",
            "evidence": "You've hit your session limit · resets 7pm (Europe/Madrid)",
        }
        other = state.agent(ACTIVE)
        other.window_name = "codex-ui"
        other.provider = "codex"
        set_status(other, Status.ACTIVE, now=now - timedelta(hours=2), reason="working")
        state.alerts.append(
            Alert(
                id=f"{ACTIVE}@{iso(now - timedelta(days=1))}",
                target=ACTIVE,
                kind="exhausted",
                message="Codex 5h limit",
                created_at=iso(now - timedelta(days=1)) or "",
                provider="codex",
                resolution="resumed",
                resolved_at=iso(now - timedelta(hours=20)),
            )
        )
        state.alerts.append(
            Alert(
                id=f"{EXHAUSTED}@{iso(now)}",
                target=EXHAUSTED,
                kind="exhausted",
                message="Claude session limit; resets 7pm (Europe/Madrid)",
                created_at=iso(now) or "",
                provider="claude",
                model="opus",
                scheduled_resume=record.scheduled_resume,
            )
        )
    log = EventLog(paths.events_log)
    log.append("agent.resumed", now=now - timedelta(hours=2), target=ACTIVE, message="back")
    log.append("credit.warning", now=now - timedelta(hours=1), target=EXHAUSTED, message="80%")
    log.append("credit.exhausted", now=now, target=EXHAUSTED, message="main:1 out of credits")


class RecordingSupervisor:
    """Stands in for credit_monitor.Supervisor: records calls and does what a verified resume
    ends with (agent active, alert resolved "resumed"), after `release` is set."""

    def __init__(self, paths: Paths, clock: Clock, fail: Exception | None = None) -> None:
        self.paths = paths
        self.clock = clock
        self.fail = fail
        self.release = threading.Event()
        self.release.set()
        self.resumed: list[str] = []
        self.paused: list[tuple[str, str | None, datetime | None]] = []
        self.finished = threading.Event()

    def resume_now(self, target: str) -> object:
        self.resumed.append(target)
        try:
            self.release.wait(10)
            if self.fail is not None:
                raise self.fail
            now = self.clock.now()
            with StateStore(self.paths).transaction() as state:
                set_status(state.agent(target), Status.ACTIVE, now=now, reason="answered")
                alert = state.open_alert(target)
                if alert is not None:
                    alert.resolution = "resumed"
                    alert.resolved_at = iso(now)
            return True
        finally:
            self.finished.set()

    def pause(self, target: str, reason: str | None, until: datetime | None) -> AgentRecord:
        self.paused.append((target, reason, until))
        with StateStore(self.paths).transaction() as state:
            record = state.agent(target)
            set_status(record, Status.PAUSED, now=self.clock.now(), reason=reason)
            record.paused_until = iso(until)
        return record


@contextlib.contextmanager
def serving(dashboard: Dashboard, token: str | None = None) -> Iterator[DashboardServer]:
    """The dashboard on 127.0.0.1, a free port, served from a thread until the block ends."""
    server = create_server(dashboard, "127.0.0.1", 0, token)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        dashboard.jobs.join(5)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand redirects back as they are: the tests look at the Location and Set-Cookie."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def call(
    server: DashboardServer,
    method: str,
    path: str,
    body: object = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any, Message]:
    """One request; returns (status, decoded JSON or text, headers) for any status."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{path}", data=data, method=method, headers=headers or {}
    )
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with _OPENER.open(request, timeout=10) as response:
            status, raw, got = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, got = error.code, error.read(), error.headers
    if got.get("Content-Type", "").startswith("application/json"):
        return status, json.loads(raw), got
    return status, raw.decode("utf-8"), got


def exhaust_simulated_agent(tmux: Any, paths: Paths) -> tuple[str, Settings]:
    """A simulated Claude Code in a real tmux window hits its limit; one real sweep sees it.

    The limit lifts a second later (the simulator's own clock; `wait_for_lift`); the printed
    reset is the next whole minute, as Claude Code prints it.
    """
    log = ["--state-file", str(agent_log(paths))]
    target = str(
        tmux.new_window(
            "main",
            "claude",
            [sys.executable, "-m", "credit_management", "simulate", *SIMULATED_CLAUDE, *log],
        )
    )
    tmux.wait_for_text(target, "Welcome to Claude Code")
    tmux.cmd("send-keys", "-t", target, "-l", "Refactor the parser")
    time.sleep(0.1)
    tmux.cmd("send-keys", "-t", target, "Enter")
    tmux.wait_for_text(target, "/upgrade to increase your usage limit.")
    settings = Settings(
        watch=(target,), confirm_seconds=0.1, resume_margin_seconds=0, verify_timeout_seconds=20
    )
    Supervisor(paths, settings, Tmux(tmux.socket), SystemClock({})).sweep()
    return target, settings


def agent_log(paths: Paths) -> Path:
    """Where the agent of `exhaust_simulated_agent` records what it does, beside the home."""
    return paths.home.with_name(f"{paths.home.name}-agent.jsonl")


def wait_for_lift(paths: Paths) -> None:
    """Until the agent of `exhaust_simulated_agent` has really come out of its limit."""
    wait_for_record(agent_log(paths), "reset")


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    home = Paths(tmp_path / "cm", "test")
    seed_state(home)
    return home


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW + timedelta(minutes=1))


@pytest.fixture
def supervisor(paths: Paths, clock: FakeClock) -> RecordingSupervisor:
    return RecordingSupervisor(paths, clock)


@pytest.fixture
def server(
    paths: Paths, clock: FakeClock, supervisor: RecordingSupervisor
) -> Iterator[DashboardServer]:
    dashboard = Dashboard(paths, Settings(), clock=clock, supervisor_factory=lambda: supervisor)
    with serving(dashboard) as running:
        yield running


# -- reads ----------------------------------------------------------------------------------


def test_credit_alerts_lists_only_unresolved_with_the_contract_fields(
    server: DashboardServer,
) -> None:
    status, body, headers = call(server, "GET", "/api/credit-alerts")
    assert status == 200
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert list(body) == ["alerts"]
    (alert,) = body["alerts"]
    assert set(alert) == ALERT_FIELDS
    assert alert == {
        "id": ALERT_ID,
        "target": EXHAUSTED,
        "provider": "claude",
        "model": "opus",
        "kind": "exhausted",
        "message": "Claude session limit; resets 7pm (Europe/Madrid)",
        "created_at": iso(NOW),
        "scheduled_resume": iso(RESET),
    }


def test_agents_lists_every_agent_with_status_since_resume_and_last_signal(
    server: DashboardServer,
) -> None:
    status, body, _ = call(server, "GET", "/api/agents")
    assert status == 200
    assert body["now"] == iso(NOW + timedelta(minutes=1))
    by_target = {agent["target"]: agent for agent in body["agents"]}
    assert list(by_target) == [EXHAUSTED, ACTIVE]
    stopped = by_target[EXHAUSTED]
    assert stopped["status"] == "exhausted"
    assert stopped["since"] == iso(NOW - timedelta(minutes=12))
    assert stopped["scheduled_resume"] == iso(RESET)
    assert stopped["window_name"] == "claude-api"
    assert stopped["provider"] == "claude"
    assert stopped["message"] == "Claude session limit; resets 7pm (Europe/Madrid)"
    assert stopped["last_signal"]["kind"] == "exhausted"
    assert stopped["alert"]["id"] == ALERT_ID
    assert stopped["alert"]["resolution"] is None
    assert stopped["resume_running"] is False
    assert by_target[ACTIVE]["status"] == "active"
    assert by_target[ACTIVE]["alert"]["resolution"] == "resumed"


def test_agents_are_ordered_by_window_number(paths: Paths, server: DashboardServer) -> None:
    with StateStore(paths).transaction() as state:
        for target in ("main:10", "main:3", "alpha:2"):
            state.agent(target)
    _, body, _ = call(server, "GET", "/api/agents")
    assert [a["target"] for a in body["agents"]] == [
        "alpha:2",
        "main:1",
        "main:2",
        "main:3",
        "main:10",
    ]


def test_events_newest_first_and_limited(server: DashboardServer) -> None:
    status, body, _ = call(server, "GET", "/api/events?limit=2")
    assert status == 200
    assert [event["event"] for event in body["events"]] == ["credit.exhausted", "credit.warning"]
    _, everything, _ = call(server, "GET", "/api/events")
    assert len(everything["events"]) == 3


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1001", "2.5"])
def test_events_bad_limit_is_a_400(server: DashboardServer, limit: str) -> None:
    status, body, _ = call(server, "GET", f"/api/events?limit={limit}")
    assert status == 400
    assert "limit" in body["error"]


def test_a_corrupt_state_file_is_a_json_500_not_a_crash(
    paths: Paths, server: DashboardServer
) -> None:
    paths.state_file.write_text("{not json", encoding="utf-8")
    status, body, _ = call(server, "GET", "/api/agents")
    assert status == 500
    assert str(paths.state_file) in body["error"]
    paths.state_file.unlink()
    status, body, _ = call(server, "GET", "/api/agents")
    assert status == 200 and body["agents"] == []


# -- dismiss --------------------------------------------------------------------------------


def test_dismiss_resolves_the_alert_only(
    paths: Paths, server: DashboardServer, clock: FakeClock
) -> None:
    status, body, _ = call(server, "POST", f"/api/credit-alerts/{_quote(ALERT_ID)}/dismiss")
    assert status == 200
    assert body["ok"] is True
    state = StateStore(paths).load()
    alert = next(a for a in state.alerts if a.id == ALERT_ID)
    assert alert.resolution == "dismissed"
    assert alert.resolved_at == iso(clock.now())
    assert state.agents[EXHAUSTED].status is Status.EXHAUSTED  # the agent stays stopped
    assert state.agents[EXHAUSTED].scheduled_resume == iso(RESET)
    assert call(server, "GET", "/api/credit-alerts")[1] == {"alerts": []}
    _, agents, _ = call(server, "GET", "/api/agents")
    assert agents["agents"][0]["alert"]["resolution"] == "dismissed"
    logged = EventLog(paths.events_log).read(target=EXHAUSTED)
    assert logged[-1]["event"] == "alert.dismissed"
    # A second dismiss (a double click) changes nothing and logs nothing.
    status, again, _ = call(server, "POST", f"/api/credit-alerts/{_quote(ALERT_ID)}/dismiss")
    assert (status, again["resolution"]) == (200, "dismissed")
    assert len(EventLog(paths.events_log).read(target=EXHAUSTED)) == len(logged)


def test_dismiss_unknown_id_is_a_json_404(paths: Paths, server: DashboardServer) -> None:
    before = paths.state_file.read_bytes()
    status, body, _ = call(server, "POST", "/api/credit-alerts/no-such-alert/dismiss")
    assert status == 404
    assert "no-such-alert" in body["error"]
    assert paths.state_file.read_bytes() == before


# -- resume, pause ----------------------------------------------------------------------------


def test_resume_starts_in_the_background_and_answers_at_once(
    paths: Paths, server: DashboardServer, supervisor: RecordingSupervisor
) -> None:
    supervisor.release.clear()
    started = time.monotonic()
    status, body, _ = call(server, "POST", "/api/agents/main%3A1/resume")
    assert time.monotonic() - started < 2
    assert status == 202
    assert body == {"ok": True, "status": "resuming", "target": EXHAUSTED}
    _, agents, _ = call(server, "GET", "/api/agents")
    assert agents["agents"][0]["resume_running"] is True
    # A second click while the first resume runs is refused, not doubled.
    status, body, _ = call(server, "POST", "/api/agents/main%3A1/resume")
    assert status == 409
    supervisor.release.set()
    assert supervisor.finished.wait(5)
    server.dashboard.jobs.join(5)
    assert supervisor.resumed == [EXHAUSTED]
    state = StateStore(paths).load()
    assert state.agents[EXHAUSTED].status is Status.ACTIVE
    assert call(server, "GET", "/api/credit-alerts")[1] == {"alerts": []}


def test_resume_failure_in_the_background_is_logged(
    paths: Paths, clock: FakeClock, tmp_path: Path
) -> None:
    failing = RecordingSupervisor(paths, clock, fail=RuntimeError("pane vanished"))
    dashboard = Dashboard(paths, Settings(), clock=clock, supervisor_factory=lambda: failing)
    with serving(dashboard) as running:
        assert call(running, "POST", "/api/agents/main%3A1/resume")[0] == 202
        dashboard.jobs.join(5)
    last = EventLog(paths.events_log).read(target=EXHAUSTED)[-1]
    assert last["event"] == "agent.resume_failed"
    assert "pane vanished" in last["message"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/agents/main%3A2/resume", 409),  # already active
        ("/api/agents/main%3A9/resume", 404),  # not in the state file
        ("/api/agents/main/resume", 400),  # malformed
        ("/api/agents/a%3Ab%3Ac/resume", 400),
        ("/api/agents/main%3A1%0A/resume", 400),
    ],
)
def test_resume_refusals(
    server: DashboardServer, supervisor: RecordingSupervisor, path: str, expected: int
) -> None:
    status, body, _ = call(server, "POST", path)
    assert status == expected
    assert body["error"]
    assert supervisor.resumed == []


def test_pause_calls_the_supervisor_with_reason_and_until(
    server: DashboardServer, supervisor: RecordingSupervisor
) -> None:
    until = NOW + timedelta(hours=1)
    status, body, _ = call(
        server, "POST", "/api/agents/main%3A2/pause", {"reason": "lunch", "until": iso(until)}
    )
    assert status == 200
    assert body["ok"] is True
    assert body["agent"]["status"] == "paused"
    assert supervisor.paused == [(ACTIVE, "lunch", until)]


@pytest.mark.parametrize(
    "payload", [{"until": "tomorrow"}, {"until": "2026-05-28T10:00:00"}, {"reason": 5}, [1]]
)
def test_pause_bad_body_is_a_400(
    server: DashboardServer, supervisor: RecordingSupervisor, payload: object
) -> None:
    status, body, _ = call(server, "POST", "/api/agents/main%3A2/pause", payload)
    assert status == 400
    assert body["error"]
    assert supervisor.paused == []


# -- a real exhaustion (simulator in tmux, the real supervisor) -------------------------------


def test_a_real_exhaustion_opens_one_alert_in_the_api(tmux_server: Any, tmp_path: Path) -> None:
    home = Paths(tmp_path / "real", "test")
    target, settings = exhaust_simulated_agent(tmux_server, home)
    dashboard = Dashboard(home, settings, socket=tmux_server.socket, clock=SystemClock({}))
    with serving(dashboard) as running:
        _, body, _ = call(running, "GET", "/api/credit-alerts")
        (alert,) = body["alerts"]
        assert (alert["target"], alert["provider"], alert["kind"]) == (
            target,
            "claude",
            "exhausted",
        )
        assert alert["scheduled_resume"] is not None
        assert "Claude" in alert["message"]
        _, agents, _ = call(running, "GET", "/api/agents")
        (agent,) = agents["agents"]
        assert (agent["status"], agent["window_name"]) == ("exhausted", "claude")
        assert agent["scheduled_resume"] == alert["scheduled_resume"]
        # Another sweep sees the same stop: still one alert for the incident.
        Supervisor(home, settings, Tmux(tmux_server.socket), SystemClock({})).sweep()
        assert [a["id"] for a in call(running, "GET", "/api/credit-alerts")[1]["alerts"]] == [
            alert["id"]
        ]


def test_retry_now_resumes_a_real_agent_whose_limit_has_passed(
    tmux_server: Any, tmp_path: Path
) -> None:
    home = Paths(tmp_path / "real", "test")
    target, settings = exhaust_simulated_agent(tmux_server, home)
    wait_for_lift(home)
    dashboard = Dashboard(home, settings, socket=tmux_server.socket, clock=SystemClock({}))
    with serving(dashboard) as running:
        status, body, _ = call(running, "POST", f"/api/agents/{_quote(target)}/resume")
        assert (status, body["status"]) == (202, "resuming")
        dashboard.jobs.join(30)
        assert call(running, "GET", "/api/credit-alerts")[1] == {"alerts": []}
    state = StateStore(home).load()
    assert state.agents[target].status is Status.ACTIVE
    assert [a.resolution for a in state.alerts] == ["resumed"]


# -- change AI model (real tmux) --------------------------------------------------------------


def test_switch_model_types_the_configured_message_then_enter(
    tmux_server: Any, tmp_path: Path
) -> None:
    target = tmux_server.new_window("main", "agent", ["cat"])
    home = Paths(tmp_path / "switch", "test")
    with StateStore(home).transaction() as state:
        set_status(state.agent(target), Status.EXHAUSTED, now=NOW, reason="limit")
    settings = Settings(model_switch_message="/model haiku-test")
    # Delivery polls a real pane, so it needs real time to pass.
    dashboard = Dashboard(home, settings, socket=tmux_server.socket, clock=SystemClock({}))
    with serving(dashboard) as running:
        status, body, _ = call(running, "POST", f"/api/agents/{_quote(target)}/switch-model")
    assert status == 200
    assert body == {"ok": True, "target": target, "sent": "/model haiku-test", "delivered": True}
    # `cat` echoes the typed line, then prints it again once Enter submitted it.
    text = tmux_server.wait_for_text(target, "/model haiku-test\n/model haiku-test")
    assert text.count("/model haiku-test") == 2
    assert EventLog(home.events_log).read(target=target)[-1]["event"] == "agent.model_switch"


def test_switch_model_for_a_window_that_is_gone_is_a_404(
    tmux_server: Any, tmp_path: Path, clock: FakeClock
) -> None:
    home = Paths(tmp_path / "gone", "test")
    with StateStore(home).transaction() as state:
        state.agent("main:7")
    dashboard = Dashboard(home, Settings(), socket=tmux_server.socket, clock=clock)
    with serving(dashboard) as running:
        status, body, _ = call(running, "POST", "/api/agents/main%3A7/switch-model")
    assert status == 404
    assert "main:7" in body["error"]


# -- routes, methods, assets ------------------------------------------------------------------


def test_unknown_route_is_a_json_404(server: DashboardServer) -> None:
    for path in ("/nope", "/api/agent", "/api/agents/main%3A1/explode", "/static/../x"):
        status, body, _ = call(server, "GET", path)
        assert status == 404, path
        assert "error" in body


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/api/agents", "GET"),
        ("DELETE", "/api/credit-alerts", "GET"),
        ("GET", f"/api/credit-alerts/{ALERT_ID}/dismiss", "POST"),
        ("GET", "/api/agents/main%3A1/resume", "POST"),
        ("PUT", "/api/agents/main%3A1/pause", "POST"),
        ("POST", "/", "GET"),
    ],
)
def test_wrong_method_is_a_json_405(
    server: DashboardServer, method: str, path: str, allowed: str
) -> None:
    status, body, headers = call(server, method, path)
    assert status == 405
    assert headers["Allow"] == allowed
    assert method in body["error"]


def test_page_and_assets_are_served_locally(server: DashboardServer) -> None:
    status, page, headers = call(server, "GET", "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert 'href="app.css"' in page and 'src="app.js"' in page
    assert "http://" not in page and "https://" not in page  # nothing from the network
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    for asset, kind in (("/app.js", "text/javascript"), ("/app.css", "text/css")):
        status, text, headers = call(server, "GET", asset)
        assert status == 200
        assert headers["Content-Type"].startswith(kind)
        assert "https://" not in text and "http://" not in text


# -- tokens and who may ask -----------------------------------------------------------------


TOKEN = "s3cret/+token-for-tests"


@pytest.fixture
def token_server(paths: Paths, clock: FakeClock) -> Iterator[DashboardServer]:
    with serving(Dashboard(paths, Settings(), clock=clock), token=TOKEN) as running:
        yield running


@pytest.mark.parametrize("path", ["/", "/app.js", "/app.css", "/api/agents", "/nope"])
def test_token_is_required_for_every_request(token_server: DashboardServer, path: str) -> None:
    status, body, headers = call(token_server, "GET", path)
    assert status == 401
    assert body["error"] == "missing or wrong token"
    assert headers["WWW-Authenticate"] == "Bearer"
    wrong = call(token_server, "GET", path, headers={"Authorization": "Bearer nope"})
    assert wrong[0] == 401


def test_token_as_header_query_or_cookie(token_server: DashboardServer) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert call(token_server, "GET", "/api/credit-alerts", headers=auth)[0] == 200
    query = "?token=s3cret%2F%2Btoken-for-tests"
    assert call(token_server, "GET", "/api/agents" + query)[0] == 200
    status, body, _ = call(token_server, "POST", f"/api/credit-alerts/x/dismiss{query}")
    assert status == 404  # authorised, and then an unknown id
    assert "no alert" in body["error"]
    # A page visit with the token: a cookie, and the same address without the token.
    status, _, headers = call(token_server, "GET", "/" + query)
    assert status == 303
    assert headers["Location"] == "/"
    cookie = headers["Set-Cookie"]
    name = f"credit_monitor_token_{token_server.port}"
    assert cookie.startswith(f"{name}=s3cret%2F%2Btoken-for-tests;")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    jar = {"Cookie": cookie.split(";", 1)[0]}
    status, page, _ = call(token_server, "GET", "/", headers=jar)
    assert status == 200 and "token" not in page
    assert 'href="app.css"' in page and 'src="app.js"' in page
    assert call(token_server, "GET", "/app.js", headers=jar)[0] == 200
    assert call(token_server, "GET", "/api/agents", headers=jar)[0] == 200
    assert token_server.url.endswith(query)


def test_without_token_only_loopback_host_names_are_answered(server: DashboardServer) -> None:
    status, body, _ = call(server, "GET", "/api/agents", headers={"Host": "evil.example:8787"})
    assert status == 403
    assert "loopback" in body["error"]
    for host in ("localhost:1", "127.0.0.1", "[::1]:8787"):
        assert call(server, "GET", "/api/agents", headers={"Host": host})[0] == 200


def test_cross_origin_post_is_refused(
    server: DashboardServer, supervisor: RecordingSupervisor
) -> None:
    hostile = {"Origin": "http://evil.example"}
    status, _, _ = call(server, "POST", "/api/agents/main%3A2/pause", headers=hostile)
    assert status == 403
    assert supervisor.paused == []
    same = {"Origin": f"http://127.0.0.1:{server.port}"}
    assert call(server, "POST", "/api/agents/main%3A2/pause", headers=same)[0] == 200


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("foo.localhost", False),
        ("localhost.example.com", False),
        ("127.0.0.1.nip.io", False),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_non_loopback_needs_a_token() -> None:
    with pytest.raises(InputError, match="without a token"):
        check_bind("0.0.0.0", None)
    with pytest.raises(InputError, match="at least 16 characters"):
        check_bind("127.0.0.1", " ")
    with pytest.raises(InputError, match="at least 16 characters"):
        check_bind("0.0.0.0", "secret")
    check_bind("0.0.0.0", "a-secret-of-16-chars")
    check_bind("127.0.0.1", None)


def test_cli_refuses_no_token_beyond_loopback(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--home", str(tmp_path), "web", "--host", "0.0.0.0", "--port", "0", "--no-token"]
    )
    assert result.exit_code == 2
    assert "--no-token is allowed on loopback only, not on 0.0.0.0" in result.output


def test_cli_reports_a_busy_port_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli, ["--home", str(tmp_path), "web", "--port", str(port)])
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"Error: cannot listen on 127.0.0.1:{port}: address already in use"
    )


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_cli_serves_until_interrupted(paths: Paths, stop: signal.Signals) -> None:
    """The real command in a process: one startup line, a working API, a clean stop."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from credit_management.cli import main; main()",
            "--home",
            str(paths.home),
            "web",
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CREDIT_MONITOR_NOW": iso(NOW) or ""},
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 20)
        assert ready, "no startup line"
        line = process.stdout.readline().strip()
        assert line.startswith("Dashboard on http://127.0.0.1:") and line.endswith(
            "(Ctrl-C to stop)"
        )
        url, _, token = line.split()[2].partition("?token=")
        assert len(token) >= 22  # 128 bits and more, URL-safe
        with urllib.request.urlopen(f"{url}api/credit-alerts?token={token}", timeout=10) as got:
            assert json.load(got)["alerts"][0]["id"] == ALERT_ID
        request = urllib.request.Request(
            url + "api/agents", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as got:
            assert json.load(got)["now"] == iso(NOW)
        process.send_signal(stop)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert out.strip() == "stopped"
    assert err == ""  # requests are not logged to the terminal


def _quote(text: str) -> str:
    return urllib.request.quote(text, safe="")
