"""tmux.py against a real private tmux server: listing, chained capture, literal sends, targets.

Nothing here mocks tmux. Where a test counts tmux processes it wraps `subprocess.run` at the
module boundary and still runs the real command.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import TmuxTestServer

from credit_management.clock import FakeClock, SystemClock
from credit_management.errors import InputError, TargetError, TmuxError
from credit_management.tmux.gateway import PaneInfo, Tmux, check_message, pane_alive, resolve_in

# Puts the terminal in raw mode (as a TUI agent does) and appends every byte it receives to a
# file, so a test sees exactly what a send delivered and whether Enter (CR) came with it.
RAW_READER = """
import os, sys, tty
tty.setraw(0)
out = open(sys.argv[1], "ab", buffering=0)
os.write(1, b"READY")
while True:
    chunk = os.read(0, 4096)
    if not chunk:
        break
    out.write(chunk)
"""

# A cooked-mode line reader: a line counts as submitted only when it is printed back.
LINE_READER = """
import sys
print("READY", flush=True)
for line in sys.stdin:
    print("GOT:" + repr(line.rstrip("\\n")), flush=True)
"""


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.03)
    raise AssertionError("condition not met in time")


def pane_id_of(server: TmuxTestServer, target: str) -> str:
    return server.cmd("display-message", "-p", "-t", target, "#{pane_id}").stdout.strip()


@pytest.fixture
def tm(tmux_server: TmuxTestServer) -> Tmux:
    return Tmux(tmux_server.socket)


@pytest.fixture
def raw_reader(
    tmux_server: TmuxTestServer, tmp_path: Path
) -> Callable[[], tuple[str, Callable[[], bytes]]]:
    """Start a raw-mode byte recorder in a new window: (pane id, read-what-arrived)."""

    def start() -> tuple[str, Callable[[], bytes]]:
        script = tmp_path / "raw_reader.py"
        script.write_text(RAW_READER)
        out = tmp_path / f"received-{time.monotonic_ns()}.bin"
        out.touch()
        target = tmux_server.new_window("main", "raw", [sys.executable, str(script), str(out)])
        tmux_server.wait_for_text(target, "READY")
        return pane_id_of(tmux_server, target), out.read_bytes

    return start


@pytest.fixture
def line_reader(tmux_server: TmuxTestServer, tmp_path: Path) -> str:
    script = tmp_path / "line_reader.py"
    script.write_text(LINE_READER)
    target = tmux_server.new_window("main", "lines", [sys.executable, str(script)])
    tmux_server.wait_for_text(target, "READY")
    return pane_id_of(tmux_server, target)


class ProcessCounter:
    """Counts the real processes started while it is installed (each command still runs)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = subprocess.run

        def counting_run(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(subprocess, "run", counting_run)


# -- listing ---------------------------------------------------------------------------------


def test_list_panes_reports_every_field(tmux_server: TmuxTestServer, tm: Tmux) -> None:
    tmux_server.cmd("new-session", "-d", "-s", "two words ü", "-n", "é window", "-x", "90")
    tmux_server.new_window("main", "run sleep", ["sleep", "30"])
    tmux_server.cmd("split-window", "-d", "-t", "main:1")
    panes = {p.pane_id: p for p in tm.list_panes()}
    assert len(panes) == 4
    for info in panes.values():
        shown = tmux_server.cmd(
            "display-message",
            "-p",
            "-t",
            info.pane_id,
            "#{pane_pid} #{pane_width} #{pane_height} #{pane_active} #{pane_index}",
        ).stdout.split()
        assert [info.pid, info.width, info.height, int(info.active), info.pane_index] == [
            int(x) for x in shown
        ]
        assert not info.dead and not info.in_mode
    by_target = {p.pane_target: p for p in panes.values()}
    assert set(by_target) == {"main:0.0", "main:1.0", "main:1.1", "two words ü:0.0"}
    assert by_target["main:0.0"].window_name == "shell"
    assert by_target["main:0.0"].width == 200 and by_target["main:0.0"].height == 50
    assert by_target["main:1.0"].current_command == "sleep"
    assert by_target["main:1.0"].active and not by_target["main:1.1"].active
    assert by_target["two words ü:0.0"].window_name == "é window"
    assert by_target["two words ü:0.0"].target == "two words ü:0"
    assert by_target["two words ü:0.0"].width == 90


@pytest.mark.parametrize("name", ["a:b.c", "tab\there", "$(rm -rf /); ls", " x ", "*"])
def test_awkward_window_names_round_trip(tmux_server: TmuxTestServer, tm: Tmux, name: str) -> None:
    target = tmux_server.new_window("main", name)
    [info] = [p for p in tm.list_panes() if p.target == target]
    assert info.window_name == name
    assert tm.resolve_target(f"main:{name}") == info


@pytest.mark.parametrize("name", ["new\nline", "sep\x1fin name", "esc\x1b", "   "])
def test_unaddressable_window_names_still_list(
    tmux_server: TmuxTestServer, tm: Tmux, name: str
) -> None:
    # Names no one can type as a TARGET still list intact; such windows go by index.
    target = tmux_server.new_window("main", name)
    [info] = [p for p in tm.list_panes() if p.target == target]
    assert info.window_name == name
    assert tm.resolve_target(target) == info
    with pytest.raises(TargetError, match="malformed target"):
        tm.resolve_target(f"main:{name}")


def test_session_names_lose_colons_and_dots_in_tmux(tmux_server: TmuxTestServer, tm: Tmux) -> None:
    # tmux itself rewrites ":" and "." in session names, which is why the first ":" of a
    # TARGET always ends the session name.
    tmux_server.cmd("new-session", "-d", "-s", "a:b.c")
    assert "a_b_c" in {p.session for p in tm.list_panes()}


def test_dead_pane_is_reported(tmux_server: TmuxTestServer, tm: Tmux) -> None:
    tmux_server.cmd("set-option", "-g", "remain-on-exit", "on")
    target = tmux_server.new_window("main", "crashes", ["sh", "-c", "exit 3"])
    wait_until(lambda: any(p.dead for p in tm.list_panes() if p.target == target))
    [info] = [p for p in tm.list_panes() if p.target == target]
    assert info.dead and not pane_alive(info)


def test_pane_alive_tells_agent_from_shell(tmux_server: TmuxTestServer, tm: Tmux) -> None:
    target = tmux_server.new_window("main", "agent", ["sleep", "30"])
    by_target = {p.target: p for p in tm.list_panes()}
    assert pane_alive(by_target[target])
    assert not pane_alive(by_target["main:0"])  # the fixture's window runs a shell


# -- errors ------------------------------------------------------------------------------------


def test_no_server_is_a_clear_error(isolated_home: Path) -> None:
    tm = Tmux("cmtest-never-started-xyz")
    assert not tm.server_running()
    with pytest.raises(TmuxError) as err:
        tm.list_panes()
    assert str(err.value) == "no tmux server running on socket 'cmtest-never-started-xyz'"


def test_no_default_server_is_a_clear_error(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "tmuxdir"
    empty.mkdir()
    monkeypatch.setenv("TMUX_TMPDIR", str(empty))
    tm = Tmux()
    assert tm.socket is None
    with pytest.raises(TmuxError, match=r"^no tmux server running on the default socket$"):
        tm.capture_panes(["%0"])


def test_missing_tmux_binary(
    isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TmuxError, match=r"^tmux is not installed$"):
        Tmux("whatever").list_panes()
    with pytest.raises(TmuxError, match=r"^tmux is not installed$"):
        Tmux("whatever").server_running()


def test_socket_comes_from_environment(tmux_server: TmuxTestServer) -> None:
    # The fixture exported CREDIT_MONITOR_TMUX_SOCKET; Tmux() must use it, not the default.
    assert Tmux().socket == tmux_server.socket
    assert {p.session for p in Tmux().list_panes()} == {"main"}


def test_other_tmux_failure_carries_stderr(tmux_server: TmuxTestServer, tm: Tmux) -> None:
    with pytest.raises(TargetError, match="no such pane: '%999'"):
        tm.send_text("%999", "hello")
    with pytest.raises(TmuxError, match="not in a mode"):
        tm._run(["send-keys", "-t", pane_id_of(tmux_server, "main:0"), "-X", "cancel"])


# -- capture -----------------------------------------------------------------------------------


def test_capture_panes_fifty_windows_in_one_process(
    tmux_server: TmuxTestServer, tm: Tmux, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = (
        'i=0; while [ $i -lt 30 ]; do echo "window $0 line $i ünï ✓"; i=$((i+1)); done; '
        "echo 'display -p ; capture-pane %1 pane1 end'; printf '\\033[31mred\\033[0m\\n'; "
        "exec sleep 60"
    )
    targets = [
        tmux_server.new_window("main", f"w{n}", ["sh", "-c", script, str(n)]) for n in range(50)
    ]
    for target in targets:
        tmux_server.wait_for_text(target, "red")
    ids = [pane_id_of(tmux_server, t) for t in targets]

    counter = ProcessCounter(monkeypatch)
    together = tm.capture_panes(ids)
    assert counter.count == 1
    assert tm.calls == 1

    one_by_one = {pane_id: tm.capture_pane(pane_id) for pane_id in ids}
    assert counter.count == 51
    assert together == one_by_one
    for n, pane_id in enumerate(ids):
        text = together[pane_id]
        assert f"window {n} line 0 ünï ✓" in text
        assert text.endswith("display -p ; capture-pane %1 pane1 end\nred")  # no ANSI, no tail
        assert "\x1b" not in text


def test_capture_limits_history(tmux_server: TmuxTestServer, tm: Tmux) -> None:
    target = tmux_server.new_window("main", "long", ["sh", "-c", "seq 1 300; echo done; sleep 60"])
    tmux_server.wait_for_text(target, "done")
    pane = pane_id_of(tmux_server, target)
    lines = tm.capture_pane(pane, lines=20).split("\n")
    # The 50-row screen shows 253..300, "done" and the empty cursor line (stripped); 20 lines
    # of history above it start at 233.
    assert lines == [str(n) for n in range(233, 301)] + ["done"]
    assert tm.capture_pane(pane, lines=0).split("\n")[0] == "253"


def test_capture_takes_a_history_length_per_pane(
    tmux_server: TmuxTestServer, tm: Tmux, monkeypatch: pytest.MonkeyPatch
) -> None:
    targets = [
        tmux_server.new_window("main", f"h{n}", ["sh", "-c", "seq 1 300; echo done; sleep 60"])
        for n in range(3)
    ]
    for target in targets:
        tmux_server.wait_for_text(target, "done")
    screen, some, unnamed = (pane_id_of(tmux_server, t) for t in targets)
    counter = ProcessCounter(monkeypatch)
    captured = tm.capture_panes([screen, some, unnamed], lines={screen: 0, some: 5})
    assert counter.count == 1
    assert captured[screen].split("\n")[0] == "253"  # the screen alone
    assert captured[some].split("\n")[0] == "248"
    assert captured[unnamed].split("\n")[0] == "53"  # the default 200 lines of history
    assert captured[unnamed].endswith("300\ndone")
    with pytest.raises(ValueError):
        tm.capture_panes([screen], lines={screen: -1})


def test_vanished_pane_in_the_middle(
    tmux_server: TmuxTestServer, tm: Tmux, monkeypatch: pytest.MonkeyPatch
) -> None:
    targets = [
        tmux_server.new_window("main", f"v{n}", ["sh", "-c", f"echo text-{n}; sleep 60"])
        for n in range(5)
    ]
    for n, target in enumerate(targets):
        tmux_server.wait_for_text(target, f"text-{n}")
    ids = [pane_id_of(tmux_server, t) for t in targets]
    tmux_server.cmd("kill-pane", "-t", ids[2])

    counter = ProcessCounter(monkeypatch)
    captured = tm.capture_panes(ids)
    assert list(captured) == [ids[0], ids[1], ids[3], ids[4]]
    assert captured[ids[3]] == "text-3"
    assert counter.count == 1  # the script runs on past the pane that is gone

    # A tmux that takes no script gets chains: tmux stops one at the first failing command.
    tm.scripts = False
    counter.count = 0
    assert tm.capture_panes(ids) == captured
    assert counter.count == 3  # the chain that stopped, one listing, the retry
    tm.scripts = True

    with pytest.raises(TargetError, match="no such pane"):
        tm.capture_pane(ids[2])
    assert tm.capture_panes([ids[2], "%9999"]) == {}


def test_capture_many_panes_in_one_process_and_in_chains_under_the_command_limit(
    tmux_server: TmuxTestServer, tm: Tmux, monkeypatch: pytest.MonkeyPatch
) -> None:
    for first in range(0, 300, 60):  # set-up chains stay under the limit too
        chain: list[str] = []
        for n in range(first, first + 60):
            chain += [
                "new-window",
                "-d",
                "-t",
                "main:",
                "sh",
                "-c",
                f"echo pane-{n}; exec sleep 60",
            ]
            chain += [";"]
        tmux_server.cmd(*chain[:-1])
    ids = [p.pane_id for p in tm.list_panes()]
    assert len(ids) == 301
    wait_until(lambda: "pane-299" in tm.capture_panes(ids).get(ids[-1], ""))
    counter = ProcessCounter(monkeypatch)
    captured = tm.capture_panes(ids)
    assert set(captured) == set(ids)
    assert counter.count == 1  # one script, however many panes
    # tmux refuses a command line over 16 KiB: without scripts, 300 panes take two chains.
    tm.scripts = False
    counter.count = 0
    assert tm.capture_panes(ids) == captured
    assert counter.count == 2
    assert {captured[pane_id] for pane_id in ids[1:]} == {f"pane-{n}" for n in range(300)}

    # What a sweep does once it knows its panes: the listing and every capture, one process.
    tm.scripts = True
    counter.count = 0
    tmux_server.cmd("kill-pane", "-t", ids[7])
    listing, together = tm.list_and_capture({pane_id: 200 for pane_id in ids})
    assert counter.count == 1
    assert [p.pane_id for p in listing] == ids[:7] + ids[8:]
    assert together == {pane_id: captured[pane_id] for pane_id in ids if pane_id != ids[7]}


def test_wrapped_line_is_joined(tmux_server: TmuxTestServer, tm: Tmux) -> None:
    long_line = "".join(f"{n:03d}-" for n in range(40))  # 160 characters
    tmux_server.cmd(
        "new-session", "-d", "-s", "narrow", "-x", "40", "-y", "10",
        f"printf '%s\\n' '{long_line}'; sleep 60",
    )  # fmt: skip
    pane = pane_id_of(tmux_server, "narrow:0")
    wait_until(lambda: "039-" in tmux_server.cmd("capture-pane", "-p", "-t", pane).stdout)
    raw = tmux_server.cmd("capture-pane", "-p", "-t", pane).stdout
    assert long_line not in raw  # it really wrapped at 40 columns
    assert tm.capture_pane(pane).split("\n")[0] == long_line


def test_malformed_pane_ids_refused(tm: Tmux) -> None:
    with pytest.raises(TargetError):
        tm.capture_panes(["main:0"])


# -- sending -----------------------------------------------------------------------------------

AWKWARD = [
    "C-c",
    "Enter",
    "-n foo",
    "--",
    "$(rm -rf /)",
    "; ls",
    'it\'s "quoted" `here`',
    "ünïcødé ✓ 日本語 🎉",
    "tab\there",
    "#{pane_id} %1 ~ \\ {}",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_send_text_is_literal_and_not_submitted(
    tmux_server: TmuxTestServer, tm: Tmux, line_reader: str, text: str
) -> None:
    tm.send_text(line_reader, text)
    time.sleep(0.3)
    assert "GOT:" not in tm.capture_pane(line_reader)
    tm.send_enter(line_reader)
    wait_until(lambda: "GOT:" in tm.capture_pane(line_reader))
    got = [line for line in tm.capture_pane(line_reader).split("\n") if line.startswith("GOT:")]
    assert got == ["GOT:" + repr(text)]


def test_send_text_bytes_exactly(
    tm: Tmux, raw_reader: Callable[[], tuple[str, Callable[[], bytes]]]
) -> None:
    pane, received = raw_reader()
    text = "first line\n-second C-c Enter\n\nlast ü\tend"
    tm.send_text(pane, text)
    wait_until(lambda: received() == text.encode())
    time.sleep(0.2)
    # A newline arrives as LF (Ctrl-J), never CR: a TUI agent does not submit on it.
    assert b"\r" not in received()
    tm.send_enter(pane)
    wait_until(lambda: received() == text.encode() + b"\r")
    tm.send_key(pane, "Escape")
    wait_until(lambda: received().endswith(b"\r\x1b"))


def test_send_leaves_copy_mode_first(
    tmux_server: TmuxTestServer, tm: Tmux, raw_reader: Callable[[], tuple[str, Callable[[], bytes]]]
) -> None:
    pane, received = raw_reader()
    # In copy mode these keys would be copy-mode commands ("q" quits it, the rest is lost).
    tmux_server.cmd("copy-mode", "-t", pane)
    tm.send_text(pane, "quit quickly")
    wait_until(lambda: received() == b"quit quickly")
    tmux_server.cmd("copy-mode", "-t", pane)
    tm.send_enter(pane)
    wait_until(lambda: received() == b"quit quickly\r")
    assert not tm.resolve_target(pane).in_mode


def test_send_text_crlf_is_a_newline(
    tm: Tmux, raw_reader: Callable[[], tuple[str, Callable[[], bytes]]]
) -> None:
    pane, received = raw_reader()
    tm.send_text(pane, "a\r\nb")
    wait_until(lambda: received() == b"a\nb")


def test_send_text_longer_than_tmux_command_limit(
    tm: Tmux, raw_reader: Callable[[], tuple[str, Callable[[], bytes]]]
) -> None:
    pane, received = raw_reader()
    text = "é" * 9000 + "x" * 5000  # 23 000 bytes
    tm.send_text(pane, text)
    wait_until(lambda: received() == text.encode())


@pytest.mark.parametrize("text", ["\x03", "stop\x1b[A", "a\rb", "nul\x00", "del\x7f", "\x9b"])
def test_control_characters_refused_and_nothing_sent(
    tm: Tmux, raw_reader: Callable[[], tuple[str, Callable[[], bytes]]], text: str
) -> None:
    pane, received = raw_reader()
    with pytest.raises(InputError, match="control character"):
        tm.send_text(pane, text)
    time.sleep(0.2)
    assert received() == b""


def test_check_message_allows_newline_and_tab() -> None:
    check_message("a\nb\tc")
    with pytest.raises(InputError):
        check_message("\ud800")


def test_send_key_rejects_non_keys(tm: Tmux, tmux_server: TmuxTestServer) -> None:
    pane = pane_id_of(tmux_server, "main:0")
    for bad in ["", " Enter", "-l"]:
        with pytest.raises(InputError):
            tm.send_key(pane, bad)
    with pytest.raises(TargetError):
        tm.send_enter("main:0")  # a target, not a pane id: resolve first


def test_exit_copy_mode(tmux_server: TmuxTestServer, tm: Tmux) -> None:
    pane = pane_id_of(tmux_server, "main:0")
    tmux_server.cmd("copy-mode", "-t", pane)
    assert tm.resolve_target(pane).in_mode
    assert tm.exit_copy_mode(pane) is True
    assert not tm.resolve_target(pane).in_mode
    assert tm.exit_copy_mode(pane) is False
    tmux_server.cmd("clock-mode", "-t", pane)  # send-keys -X cancel cannot leave this one
    assert tm.exit_copy_mode(pane) is True
    assert not tm.resolve_target(pane).in_mode
    with pytest.raises(TargetError):
        tm.exit_copy_mode("%9999")


def test_wait_for_change(tmux_server: TmuxTestServer, tm: Tmux, line_reader: str) -> None:
    before = tm.capture_pane(line_reader)
    start = time.monotonic()
    assert tm.wait_for_change(line_reader, before, 0.3, SystemClock(environ={})) is None
    assert 0.3 <= time.monotonic() - start < 3
    fake = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    assert tm.wait_for_change(line_reader, before, 3600, fake, interval=60) is None
    assert fake.now() >= datetime(2026, 1, 1, 1, tzinfo=UTC)

    tm.send_text(line_reader, "hello")
    tm.send_enter(line_reader)
    changed = tm.wait_for_change(line_reader, before, 5, SystemClock(environ={}), 0.05)
    assert changed is not None and "hello" in changed
    assert tm.wait_for_change("%9999", before, 1, SystemClock(environ={})) is None


def test_own_pane_id(
    tmux_server: TmuxTestServer, tm: Tmux, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each gateway stands for one process, which never moves between panes: a new one is
    # made for each environment here.
    socket_path = tmux_server.cmd("display-message", "-p", "#{socket_path}").stdout.strip()
    assert tm.own_pane_id() is None
    monkeypatch.setenv("TMUX", f"{socket_path},123,0")
    monkeypatch.setenv("TMUX_PANE", "%0")
    inside = Tmux(tmux_server.socket)
    assert inside.own_pane_id() == "%0"
    calls = inside.calls
    assert inside.own_pane_id() == "%0" and inside.calls == calls  # asked of tmux once
    monkeypatch.setenv("TMUX", "/tmp/some-other-server,123,0")
    assert Tmux(tmux_server.socket).own_pane_id() is None


# -- targets -----------------------------------------------------------------------------------


@pytest.fixture
def layout(tmux_server: TmuxTestServer) -> dict[str, str]:
    """Windows: main:0 shell, main:1 "my win: x.y", main:2 "dup", main:3 "dup", main:4 "7",
    main:5 "w" split in two with pane 1 active, main:6 "w.1", session "other" window "ü"."""
    tmux_server.new_window("main", "my win: x.y")
    tmux_server.new_window("main", "dup")
    tmux_server.new_window("main", "dup")
    tmux_server.new_window("main", "7")
    tmux_server.new_window("main", "w")
    tmux_server.cmd("split-window", "-t", "main:5")
    tmux_server.new_window("main", "w.1")
    tmux_server.cmd("new-session", "-d", "-s", "other", "-n", "ü")
    return {
        t: pane_id_of(tmux_server, t)
        for t in ["main:0", "main:1", "main:4", "main:5.0", "main:5.1", "main:6", "other:0"]
    }


RESOLVES = [
    ("main:0", "main:0"),
    ("main:shell", "main:0"),
    ("main:my win: x.y", "main:1"),
    ("main:1", "main:1"),
    ("main:5", "main:5.1"),  # a window names its active pane
    ("main:w", "main:5.1"),
    ("main:5.0", "main:5.0"),
    ("main:6", "main:6"),
    ("main:4", "main:4"),  # index 4 is the window named "7"
    ("main:7", "main:4"),  # no index 7: the name
    ("other:ü", "other:0"),
    ("other:0.0", "other:0"),
]


def test_resolve_target_exact(tm: Tmux, layout: dict[str, str]) -> None:
    # One layout for all cases: building it per case would cost a second each.
    for target, expected in RESOLVES:
        assert tm.resolve_target(target).pane_id == layout[expected], target


def test_resolve_pane_id(tm: Tmux, layout: dict[str, str]) -> None:
    info = tm.resolve_target(layout["main:5.0"])
    assert (info.target, info.pane_index, info.window_name) == ("main:5", 0, "w")


REFUSALS = [
    ("", "malformed target ''"),
    ("   ", "malformed target '   '"),
    ("main", "malformed target 'main'"),
    ("main:", "malformed target 'main:'"),
    (":0", "malformed target ':0'"),
    ("%", "malformed target '%'"),
    ("%abc", "malformed target '%abc'"),
    ("%1.0", "malformed target '%1.0'"),
    ("main:0\x1b", "malformed target"),
    ("ma.in:0", "malformed target 'ma.in:0'"),
    ("mai:0", "no such window: 'mai:0'"),  # tmux would prefix-match "main"
    ("main:she", "no such window: 'main:she'"),
    ("main:shell*", "no such window: 'main:shell*'"),
    ("main:sh?ll", "no such window: 'main:sh?ll'"),
    ("main:99", "no such window: 'main:99'"),
    ("main:a:b:c", "no such window: 'main:a:b:c'"),
    ("main: shell", "no such window: 'main: shell'"),
    ("nosession:0", "no such window: 'nosession:0'"),
    ("main:0.5", "no such pane: 'main:0.5'"),
    ("%9999", "no such pane: '%9999'"),
    ("main:dup", "ambiguous window 'main:dup'"),
    ("main:w.1", "ambiguous target 'main:w.1'"),
]


def test_resolve_target_errors(tm: Tmux, layout: dict[str, str]) -> None:
    for target, message in REFUSALS:
        with pytest.raises(TargetError) as err:
            tm.resolve_target(target)
        assert message in str(err.value), target
        if message.startswith("malformed"):
            assert str(err.value).endswith("use session:window, session:window.pane or %N")


def test_window_named_like_another_index_is_ambiguous(
    tmux_server: TmuxTestServer, tm: Tmux
) -> None:
    tmux_server.new_window("main", "first")
    tmux_server.new_window("main", "1")  # index 2, named "1", while index 1 exists
    with pytest.raises(TargetError, match="ambiguous"):
        tm.resolve_target("main:1")
    assert tm.resolve_target("main:first").window_index == 1


def test_resolve_in_is_pure() -> None:
    pane = PaneInfo("%4", "s", 3, "agent", 0, "node", 10, False, False, 80, 24, True)
    assert resolve_in("s:agent", [pane]) is pane
    assert resolve_in("s:3.0", [pane]) is pane
    with pytest.raises(TargetError, match="no such window"):
        resolve_in("s:agen", [pane])
