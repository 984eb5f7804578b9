"""The dashboard's defences against the real server: the token and its cookie, throttling,
the worker pool under idle and slow clients, HTTPS, and the command's token choices.

Servers run either in a thread of the test (port 0 on 127.0.0.1) or as the real
`credit-monitor web` process; every client is a real socket.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import select
import socket
import ssl
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_web_api import (
    ACTIVE,
    NOW,
    RecordingSupervisor,
    call,
    seed_state,
    serving,
)

from credit_management.cli import cli
from credit_management.clock import FakeClock
from credit_management.models import Status, iso, set_status
from credit_management.store.config import Settings
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore
from credit_management.web import create_server
from credit_management.web.server import (
    FAILED_ATTEMPTS,
    WORKERS,
    DashboardServer,
    FailureThrottle,
    tls_context,
)
from credit_management.web.service import Dashboard

CLI = Path(sys.executable).with_name("credit-monitor")
TOKEN = "a-long-enough-test-token-0123"


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
def dashboard(paths: Paths, clock: FakeClock, supervisor: RecordingSupervisor) -> Dashboard:
    return Dashboard(paths, Settings(), clock=clock, supervisor_factory=lambda: supervisor)


@pytest.fixture
def server(dashboard: Dashboard) -> Iterator[DashboardServer]:
    with serving(dashboard, token=TOKEN) as running:
        yield running


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- the real command -------------------------------------------------------------------------


@contextlib.contextmanager
def web_process(
    paths: Paths, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`credit-monitor web --port 0 ARGS` running; yields the process and its first line."""
    environ = {k: v for k, v in os.environ.items() if k != "CREDIT_MONITOR_WEB_TOKEN"}
    environ["CREDIT_MONITOR_NOW"] = iso(NOW) or ""
    environ.update(env or {})
    process = subprocess.Popen(
        [str(CLI), "--home", str(paths.home), "web", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environ,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 20)
        assert ready, "no startup line"
        yield process, process.stdout.readline().strip()
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def raw_request(port: int, text: str) -> tuple[int, dict[str, str], bytes]:
    """One HTTP exchange over a plain socket; returns status, headers, body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        head, _, body = text.partition("\r\n\r\n")
        method, path = head.split(" ")[:2]
        headers = dict(line.split(": ", 1) for line in head.split("\r\n")[1:] if line)
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def thread_count(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def test_a_token_is_made_at_each_start_and_the_printed_url_logs_in(paths: Paths) -> None:
    tokens = []
    for _ in range(2):
        with web_process(paths) as (_, line):
            assert line.startswith("Dashboard on http://127.0.0.1:")
            assert line.endswith("(Ctrl-C to stop)")
            url = urllib.parse.urlsplit(line.split()[2])
            token = urllib.parse.parse_qs(url.query)["token"][0]
            tokens.append(token)
            assert len(token) >= 22 and all(c.isalnum() or c in "-_" for c in token)
            port = int(url.port or 0)
            # Nothing is answered without it: not the page, not the API, not a bare POST.
            assert raw_request(port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")[0] == 401
            pause = f"POST /api/agents/{urllib.parse.quote(ACTIVE, safe='')}/pause HTTP/1.1"
            assert raw_request(port, f"{pause}\r\nContent-Length: 0\r\n\r\n")[0] == 401
            # The printed address: a cookie, and the address bar without the token.
            status, headers, _ = raw_request(port, f"GET /?{url.query} HTTP/1.1\r\n\r\n")
            assert status == 303 and headers["Location"] == "/"
            cookie = headers["Set-Cookie"].split(";", 1)[0]
            status, _, page = raw_request(port, f"GET / HTTP/1.1\r\nCookie: {cookie}\r\n\r\n")
            assert status == 200 and b"credit-monitor" in page
            status, _, body = raw_request(
                port, f"GET /api/agents HTTP/1.1\r\nCookie: {cookie}\r\n\r\n"
            )
            assert status == 200 and json.loads(body)["now"] == iso(NOW)
    assert tokens[0] != tokens[1]


@pytest.mark.parametrize("how", ["env", "file"])
def test_a_token_from_the_environment_or_a_file_stays_out_of_ps(
    paths: Paths, tmp_path: Path, how: str
) -> None:
    secret_file = tmp_path / "token"
    secret_file.write_text(TOKEN + "\n", encoding="utf-8")
    args, env = (
        (("--token-file", str(secret_file)), None)
        if how == "file"
        else ((), {"CREDIT_MONITOR_WEB_TOKEN": TOKEN})
    )
    with web_process(paths, *args, env=env) as (process, line):
        assert TOKEN not in line
        assert "token from" in line
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes()
        assert TOKEN.encode() not in cmdline
        port = int(urllib.parse.urlsplit(line.split()[2]).port or 0)
        status, _, _ = raw_request(
            port, f"GET /api/agents HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
        )
        assert status == 200


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--token", "short"], {}, "--token must be at least 16 characters (got 5)"),
        (
            [],
            {"CREDIT_MONITOR_WEB_TOKEN": "tiny"},
            "$CREDIT_MONITOR_WEB_TOKEN must be at least 16 characters",
        ),
        (["--token", "x" * 20, "--no-token"], {}, "--no-token contradicts the token"),
        (["--no-token", "--host", "192.168.1.5"], {}, "--no-token is allowed on loopback only"),
        (["--no-token", "--host", "foo.localhost"], {}, "--no-token is allowed on loopback"),
        (["--token-file", "/nonexistent/token"], {}, "cannot read --token-file"),
        (["--certfile", "/nonexistent/cert.pem"], {}, "cannot read /nonexistent/cert.pem"),
        (["--keyfile", "/nonexistent/key.pem"], {}, "--keyfile needs --certfile"),
    ],
)
def test_the_command_refuses_weak_or_contradictory_tokens_in_one_line(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    result = CliRunner().invoke(
        cli, ["--home", str(tmp_path), "web", "--port", "0", *args], env=env
    )
    assert result.exit_code in (1, 2)
    assert message in result.output
    assert "Traceback" not in result.output


def test_no_token_on_loopback_is_an_explicit_choice(paths: Paths) -> None:
    with web_process(paths, "--no-token") as (_, line):
        assert "token" not in line
        port = int(urllib.parse.urlsplit(line.split()[2]).port or 0)
        assert raw_request(port, "GET /api/agents HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")[0] == 200
        assert raw_request(port, "GET /api/agents HTTP/1.1\r\nHost: evil.example\r\n\r\n")[0] == 403


# -- cookies, origins, throttling ---------------------------------------------------------------


def test_a_stale_cookie_is_refused_and_removed(server: DashboardServer) -> None:
    stale = {"Cookie": f"credit_monitor_token_{server.port}=an-old-token-from-before"}
    status, body, headers = call(server, "GET", "/api/agents", headers=stale)
    assert status == 401 and body["error"] == "missing or wrong token"
    assert "Max-Age=0" in headers["Set-Cookie"]
    # Another port's cookie is not this dashboard's.
    other = {"Cookie": f"credit_monitor_token_{server.port + 1}={TOKEN}"}
    assert call(server, "GET", "/api/agents", headers=other)[0] == 401


def test_cross_site_post_is_refused_even_with_the_token(
    server: DashboardServer, supervisor: RecordingSupervisor
) -> None:
    headers = {**bearer(), "Origin": "http://evil.example"}
    status, _, _ = call(server, "POST", "/api/agents/main%3A2/pause", headers=headers)
    assert status == 403
    assert supervisor.paused == []


def test_wrong_tokens_are_throttled_per_client(server: DashboardServer) -> None:
    moment = [0.0]
    server.throttle = FailureThrottle(clock=lambda: moment[0])
    for _ in range(FAILED_ATTEMPTS):
        assert call(server, "GET", "/api/agents", headers=bearer("wrong-" * 4))[0] == 401
    status, body, headers = call(server, "GET", "/api/agents", headers=bearer())
    assert status == 429  # even the right token: a guesser must learn nothing
    assert "too many wrong tokens" in body["error"]
    assert int(headers["Retry-After"]) == 60
    # No token at all is not a guess and does not count.
    assert call(server, "GET", "/api/agents")[0] == 429
    moment[0] += 61
    assert call(server, "GET", "/api/agents", headers=bearer())[0] == 200


def test_the_throttle_forgets_old_failures_and_bounds_its_memory() -> None:
    moment = [0.0]
    throttle = FailureThrottle(limit=3, window=10, clock=lambda: moment[0], max_clients=5)
    for _ in range(3):
        throttle.failed("a")
    assert throttle.retry_after("a") == 10
    moment[0] = 5
    assert throttle.retry_after("a") == 5
    assert throttle.retry_after("b") == 0
    for number in range(50):
        throttle.failed(f"10.0.0.{number}")
    assert len(throttle._failures) <= 5


def test_pause_until_in_the_past_is_a_400(
    server: DashboardServer, supervisor: RecordingSupervisor
) -> None:
    past = iso(NOW - timedelta(hours=1))
    status, body, _ = call(
        server, "POST", "/api/agents/main%3A2/pause", {"until": past}, headers=bearer()
    )
    assert status == 400
    assert "in the past" in body["error"]
    assert supervisor.paused == []


# -- a bounded server -----------------------------------------------------------------------------


def test_a_thousand_idle_sockets_add_no_thread(paths: Paths) -> None:
    """The real command: 1,000 connections that send nothing, and the page still answers."""
    with web_process(paths, env={"CREDIT_MONITOR_WEB_TOKEN": TOKEN}) as (process, line):
        port = int(urllib.parse.urlsplit(line.split()[2]).port or 0)
        assert raw_request(port, f"GET /api/agents HTTP/1.1\r\n{_auth()}\r\n")[0] == 200
        before = thread_count(process.pid)
        assert before <= WORKERS + 2
        idle = []
        try:
            for _ in range(1000):
                client = socket.create_connection(("127.0.0.1", port), timeout=10)
                idle.append(client)
            status, _, _ = raw_request(port, f"GET /api/agents HTTP/1.1\r\n{_auth()}\r\n")
            assert status == 200
            assert thread_count(process.pid) == before
            # Every one of them is still open on the server side (none was dropped).
            assert open_sockets(process.pid) >= 1000
        finally:
            for client in idle:
                client.close()


def open_sockets(pid: int) -> int:
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        with contextlib.suppress(FileNotFoundError):  # closed while we looked
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    return count


def _auth() -> str:
    return f"Authorization: Bearer {TOKEN}\r\n"


def test_slow_clients_are_cut_off_and_do_not_hold_the_workers(server: DashboardServer) -> None:
    server.read_seconds = 0.5
    slow = []
    try:
        for _ in range(WORKERS + 2):
            client = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            client.sendall(b"GET /api/agents HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and no more
            slow.append(client)
        # A whole request still gets its answer, once the slow ones have been cut off.
        assert call(server, "GET", "/api/agents", headers=bearer())[0] == 200
        for client in slow:
            assert client.recv(1024) == b""  # closed by the server, without an answer
    finally:
        for client in slow:
            client.close()


def test_idle_connections_are_closed(server: DashboardServer) -> None:
    server.idle_seconds = 0.2
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as client:
        assert client.recv(1024) == b""


# -- HTTPS ---------------------------------------------------------------------------------


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def test_https_with_a_certificate(dashboard: Dashboard, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server = create_server(dashboard, "127.0.0.1", 0, TOKEN, tls_context(str(cert), str(key)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        assert server.url.startswith("https://127.0.0.1:")
        client_context = ssl.create_default_context(cafile=str(cert))
        client_context.check_hostname = False
        connection = http.client.HTTPSConnection(
            "127.0.0.1", server.port, timeout=10, context=client_context
        )
        connection.request("GET", f"/?token={TOKEN}")
        response = connection.getresponse()
        response.read()
        assert response.status == 303
        cookie = response.getheader("Set-Cookie") or ""
        assert "Secure" in cookie and "HttpOnly" in cookie
        connection.close()
        # Plain HTTP to the HTTPS port gets nothing useful and does not hang a worker.
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as plain:
            plain.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert not plain.recv(1024).startswith(b"HTTP/1.0 200")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_a_bad_certificate_is_one_line(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--home", str(tmp_path), "web", "--port", "0", "--certfile", str(bogus)]
    )
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot use {bogus}")
    assert len(result.output.strip().splitlines()) == 1


def test_retry_now_during_a_resume_says_since_when(
    server: DashboardServer, paths: Paths, supervisor: RecordingSupervisor
) -> None:
    sent = iso(NOW - timedelta(seconds=20)) or ""
    with StateStore(paths).transaction() as state:
        record = state.agent(ACTIVE)
        set_status(record, Status.RESUMING, now=NOW - timedelta(seconds=20), reason="test")
        record.resume_sent_at = sent
    status, body, _ = call(server, "POST", "/api/agents/main%3A2/resume", headers=bearer())
    assert status == 409
    assert body["error"] == f"{ACTIVE} is already resuming: a resume is under way since {sent}"
    assert supervisor.resumed == []


def test_a_body_that_trickles_in_too_slowly_is_a_408(server: DashboardServer) -> None:
    server.read_seconds = 0.5
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as client:
        client.sendall(
            b"POST /api/agents/main%3A2/pause HTTP/1.1\r\n"
            + f"Authorization: Bearer {TOKEN}\r\nContent-Length: 100\r\n\r\n".encode()
            + b'{"reason": '
        )
        answer = b""
        while chunk := client.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.0 408"), answer[:200]
