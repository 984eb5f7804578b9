"""Shared fixtures: a real tmux server on a private socket with HOME in a temp folder.

Nothing here mocks tmux. Tests that need time to pass mock the clock instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

TMUX = shutil.which("tmux")


@dataclass
class TmuxTestServer:
    """A private tmux server (`tmux -L socket`) started with no user configuration."""

    socket: str
    home: Path

    def cmd(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        assert TMUX is not None
        return subprocess.run(
            [TMUX, "-L", self.socket, *args],
            capture_output=True,
            text=True,
            check=check,
            timeout=20,
        )

    def new_window(self, session: str, name: str, command: list[str] | None = None) -> str:
        """Create a window running `command` (default: a shell); returns `session:index`."""
        args = ["new-window", "-d", "-P", "-F", "#{session_name}:#{window_index}"]
        args += ["-t", f"{session}:", "-n", name]
        if command:
            args += command
        return self.cmd(*args).stdout.strip()

    def capture(self, target: str) -> str:
        return self.cmd("capture-pane", "-p", "-J", "-t", target).stdout

    def wait_for_text(self, target: str, needle: str, timeout: float = 10.0) -> str:
        """Poll the pane until `needle` shows (real waiting, bounded)."""
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.capture(target)
            if needle in text:
                return text
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} never appeared in {target}:\n{text}")


def _start_server(socket: str, home: Path) -> TmuxTestServer:
    server = TmuxTestServer(socket=socket, home=home)
    server.cmd(
        "-f", "/dev/null", "new-session", "-d", "-s", "main", "-n", "shell", "-x", "200", "-y", "50"
    )
    # Keep windows of exited commands visible as dead panes only when a test asks for it.
    return server


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and the tool's home both in a temp folder; no tmux of the caller leaks in."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    # tmux leaves its socket file behind after kill-server: keep those in the temp folder.
    sockets = tmp_path / "tmux"
    sockets.mkdir()
    monkeypatch.setenv("TMUX_TMPDIR", str(sockets))
    monkeypatch.setenv("CREDIT_MANAGEMENT_HOME", str(tmp_path / "cm"))
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.delenv("TMUX_PANE", raising=False)
    monkeypatch.delenv("CREDIT_MONITOR_TMUX_SOCKET", raising=False)
    for name in list(os.environ):
        if name.startswith("CLAUDE_CREDIT_"):
            monkeypatch.delenv(name, raising=False)
    return tmp_path / "cm"


@pytest.fixture
def tmux_server(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TmuxTestServer]:
    """A real tmux server on a random private socket, killed at teardown."""
    if TMUX is None:
        pytest.skip("tmux is not installed (make test installs it)")
    socket = f"cmtest-{uuid.uuid4().hex[:10]}"
    server = _start_server(socket, Path(os.environ["HOME"]))
    monkeypatch.setenv("CREDIT_MONITOR_TMUX_SOCKET", socket)
    try:
        yield server
    finally:
        server.cmd("kill-server", check=False)


@pytest.fixture
def make_tmux_server(
    isolated_home: Path,
) -> Iterator[Callable[[], TmuxTestServer]]:
    """Factory for tests that need more than one server; all are killed at teardown."""
    if TMUX is None:
        pytest.skip("tmux is not installed (make test installs it)")
    started: list[TmuxTestServer] = []

    def factory() -> TmuxTestServer:
        server = _start_server(f"cmtest-{uuid.uuid4().hex[:10]}", Path(os.environ["HOME"]))
        started.append(server)
        return server

    try:
        yield factory
    finally:
        for server in started:
            server.cmd("kill-server", check=False)
