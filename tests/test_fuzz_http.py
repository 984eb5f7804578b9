"""Arbitrary bytes at the dashboard's HTTP request parser: the real server, raw sockets.

Whatever arrives, the server answers with an HTTP status line or closes the connection, within
its read time-out, never with a 500, never by writing anything, and keeps serving afterwards.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_web_api import NOW, RecordingSupervisor, seed_state

from credit_management.clock import FakeClock
from credit_management.store.config import Settings
from credit_management.store.paths import Paths
from credit_management.web import create_server
from credit_management.web.server import DashboardServer
from credit_management.web.service import Dashboard

TOKEN = "fuzzing-token-0123456789"
FUZZ = settings(
    max_examples=150,
    deadline=None,  # a real socket round trip each; bounded by the socket time-out below
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@contextlib.contextmanager
def running(tmp_path: Path) -> Iterator[tuple[DashboardServer, Paths]]:
    paths = Paths(tmp_path / "cm", "test")
    seed_state(paths)
    clock = FakeClock(NOW + timedelta(minutes=1))
    supervisor = RecordingSupervisor(paths, clock)
    dashboard = Dashboard(paths, Settings(), clock=clock, supervisor_factory=lambda: supervisor)
    server = create_server(dashboard, "127.0.0.1", 0, TOKEN)
    server.read_seconds = 2.0
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server, paths
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert supervisor.paused == [] and supervisor.resumed == []


def exchange(port: int, data: bytes) -> bytes:
    """Send `data`, close our side, read until the server closes (10 s at most)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            client.sendall(data)
            client.shutdown(socket.SHUT_WR)
        chunks = []
        with contextlib.suppress(ConnectionResetError):
            while chunk := client.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


def check_answer(answer: bytes) -> None:
    if not answer:
        return  # closed without a word: a time-out or a line the parser could not use
    assert answer.startswith(b"HTTP/1."), answer[:200]
    status = int(answer.split(b" ", 2)[1])
    assert status != 500, answer[:500]
    head, _, body = answer.partition(b"\r\n\r\n")
    if b"application/json" in head and body:
        json.loads(body)


def test_arbitrary_bytes(tmp_path: Path) -> None:
    with running(tmp_path) as (server, paths):
        before = snapshot(paths.home)

        @FUZZ
        @given(st.binary(max_size=4096))
        def check(data: bytes) -> None:
            check_answer(exchange(server.port, data))

        check()
        assert snapshot(paths.home) == before
        assert exchange(server.port, b"GET /api/agents HTTP/1.0\r\n\r\n").startswith(
            b"HTTP/1.0 401"
        )


METHODS = st.sampled_from(["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "G\x00T", ""])
PATHS = st.one_of(
    st.sampled_from(
        [
            "/",
            "/api/agents",
            "/api/events?limit=",
            "/api/credit-alerts",
            "/api/credit-alerts/x/dismiss",
            "/api/agents/nobody%3A9/pause",
            "/api/agents/nobody%3A9/resume",
            "/api/agents/%ff%fe/pause",
        ]
    ),
    st.text(max_size=300).map(lambda text: "/" + text),
)
HEADERS = st.lists(
    st.tuples(
        st.sampled_from(
            ["Host", "Content-Length", "Origin", "Cookie", "Content-Type", "X", "Authorization"]
        ),
        st.text(max_size=80),
    ),
    max_size=6,
)


@st.composite
def requests(draw: st.DrawFn, authorised: bool) -> bytes:
    method, path = draw(METHODS), draw(PATHS)
    lines = [f"{method} {path} HTTP/1.{draw(st.sampled_from('01'))}"]
    if authorised:
        lines.append(f"Authorization: Bearer {TOKEN}")
    lines += [f"{name}: {value}" for name, value in draw(HEADERS)]
    body = draw(st.binary(max_size=2048))
    if draw(st.booleans()):
        lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines).encode("utf-8", "surrogateescape") + b"\r\n\r\n"
    return head + body


@pytest.mark.parametrize("authorised", [False, True])
def test_request_shaped_bytes(tmp_path: Path, authorised: bool) -> None:
    with running(tmp_path) as (server, paths):
        before = snapshot(paths.home)

        @FUZZ
        @given(requests(authorised))
        def check(data: bytes) -> None:
            check_answer(exchange(server.port, data))

        check()
        # Authorised requests may read, never change: no target they name exists, and the
        # Content-Length they claim may be a lie.
        assert snapshot(paths.home) == before


def test_a_body_nested_beyond_reason_is_a_400(tmp_path: Path) -> None:
    with running(tmp_path) as (server, _):
        body = b"[" * 60_000
        head = (
            "POST /api/agents/main%3A2/pause HTTP/1.0\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        answer = exchange(server.port, head.encode() + body)
        assert answer.startswith(b"HTTP/1.0 400"), answer[:300]
