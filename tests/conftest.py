"""Shared fixtures: a real tmux server on a private socket with HOME in a temp folder.

Nothing here mocks tmux. Tests that need time to pass mock the clock instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import libtmux
import pytest

TMUX = shutil.which("tmux")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "soak: the long form of an end-to-end story (`make test` leaves it out; `pytest -m soak`)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long runs first, so that under xdist none of them starts last and holds up the end."""
    items.sort(key=lambda item: item.get_closest_marker("soak") is None)


@dataclass
class TmuxTestServer:
    """A private tmux server from libtmux's pytest plugin, with a first session `main`.

    `cmd` runs a tmux command on it through libtmux (an argument list, never a shell string)
    and returns it as a `CompletedProcess`, raising on failure unless `check=False`.
    """

    server: libtmux.Server
    home: Path

    @property
    def socket(self) -> str:
        assert self.server.socket_name is not None
        return self.server.socket_name

    def cmd(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = self.server.cmd(*args)
        stdout = "".join(f"{line}\n" for line in result.stdout)
        stderr = "".join(f"{line}\n" for line in result.stderr)
        returncode = int(result.returncode or 0)
        if check and returncode != 0:
            raise subprocess.CalledProcessError(returncode, ["tmux", *args], stdout, stderr)
        return subprocess.CompletedProcess(["tmux", *args], returncode, stdout, stderr)

    def new_window(self, session: str, name: str, command: list[str] | None = None) -> str:
        """Create a window running `command` (default: a shell); returns `session:index` once
        the program has started (for an instant after the fork the pane shows tmux itself,
        and nothing is typed into a tmux)."""
        args = ["new-window", "-d", "-P", "-F", "#{session_name}:#{window_index}"]
        args += ["-t", f"{session}:", "-n", name]
        if command:
            args += command
        target = self.cmd(*args).stdout.strip()
        deadline = time.monotonic() + 10
        settled = 0  # two looks in a row at a started program
        while settled < 2 and time.monotonic() < deadline:
            shown = self.cmd(
                "display", "-p", "-t", target, "#{pane_current_command} #{pane_pid}", check=False
            )
            if shown.returncode != 0:
                break
            command, _, pid = shown.stdout.strip().rpartition(" ")
            started = command not in ("", "tmux") and _execed(pid)
            settled = settled + 1 if started else 0
            time.sleep(0.01)
        return target

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


def _start_server(server: libtmux.Server, home: Path) -> TmuxTestServer:
    server.config_file = "/dev/null"  # no user or system tmux.conf leaks in
    started = TmuxTestServer(server=server, home=home)
    started.cmd("new-session", "-d", "-s", "main", "-n", "shell", "-x", "200", "-y", "50")
    return started


def _execed(pid: str) -> bool:
    """Whether the pane's process has left the tmux server's image for its program."""
    try:
        return "tmux" not in os.path.basename(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        return True  # gone, or no /proc: nothing more to wait for


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """HOME and the tool's home both in a temp folder; no tmux of the caller leaks in."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    # tmux leaves its socket file behind after kill-server, so the sockets get a folder of
    # their own; a short one, because a socket path is limited to 107 bytes and pytest's
    # per-test folders (deeper still under xdist) can be longer than that.
    sockets = Path(tempfile.mkdtemp(prefix="cmt-"))
    monkeypatch.setenv("TMUX_TMPDIR", str(sockets))
    monkeypatch.setenv("CREDIT_MANAGEMENT_HOME", str(tmp_path / "cm"))
    monkeypatch.delenv("TMUX", raising=False)
    monkeypatch.delenv("TMUX_PANE", raising=False)
    monkeypatch.delenv("CREDIT_MONITOR_TMUX_SOCKET", raising=False)
    for name in list(os.environ):
        if name.startswith("CLAUDE_CREDIT_"):
            monkeypatch.delenv(name, raising=False)
    try:
        yield tmp_path / "cm"
    finally:
        shutil.rmtree(sockets, ignore_errors=True)


@pytest.fixture
def tmux_server(
    isolated_home: Path, TestServer: type[libtmux.Server], monkeypatch: pytest.MonkeyPatch
) -> TmuxTestServer:
    """A real tmux server on a private socket (libtmux's plugin kills it at teardown)."""
    if TMUX is None:
        pytest.skip("tmux is not installed (make test installs it)")
    started = _start_server(TestServer(), Path(os.environ["HOME"]))
    monkeypatch.setenv("CREDIT_MONITOR_TMUX_SOCKET", started.socket)
    return started


@pytest.fixture
def make_tmux_server(
    isolated_home: Path, TestServer: type[libtmux.Server]
) -> Callable[[], TmuxTestServer]:
    """Factory for tests that need more than one server; libtmux kills all at teardown."""
    if TMUX is None:
        pytest.skip("tmux is not installed (make test installs it)")

    def factory() -> TmuxTestServer:
        return _start_server(TestServer(), Path(os.environ["HOME"]))

    return factory
