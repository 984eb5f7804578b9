"""The single gateway to tmux: list panes, capture many panes in one process, send keys.

Every tmux call of the package goes through `Tmux`. Calls are argument lists with a timeout,
run with `-u` so names and captures come back as raw UTF-8 whatever the locale, and every
failure becomes a `TmuxError` (or `TargetError` for a bad TARGET) with one clear line.
Targets are resolved here, exactly, against a listing of the live server: tmux's own target
lookup prefix-matches session names, which is how a message ends up in the wrong agent.
The monitor's calls go through subprocess rather than libtmux's command runner, which has no
timeout (a hung server would hang the monitor) and decodes and trims output before it can be
split; libtmux serves set-up work (the demo, the simulator team, the test fixtures) instead.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from credit_management.clock import Clock
from credit_management.errors import InputError, TargetError, TmuxError
from credit_management.records import Record

SOCKET_ENV = "CREDIT_MONITOR_TMUX_SOCKET"
DEFAULT_TIMEOUT = 10.0
DEFAULT_HISTORY = 200  # lines of history captured above the screen unless told otherwise
Lines = int | Mapping[str, int]  # one history length for all panes, or one per pane id

_PANE_ID = re.compile(r"%\d+")
_GONE = re.compile(r"can't find pane:? (%\d+)")  # a capture's pane closed meanwhile
_FIELDS = (
    "pane_id",
    "session_name",
    "window_index",
    "window_name",
    "pane_index",
    "pane_current_command",
    "pane_pid",
    "pane_dead",
    "pane_in_mode",
    "pane_width",
    "pane_height",
    "pane_active",
    "history_size",
    "history_limit",
)
# Newline and tab are what a message is allowed to contain; every other C0 control character,
# DEL and the C1 range would act as a key press in the agent (Ctrl-C, Escape, ...).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# tmux sends a command's arguments in one message of at most 16 KiB and refuses anything
# longer ("command too long"); 16 368 bytes of NUL-terminated arguments pass on 3.3a.
_COMMAND_BYTES = 16_000
_SEND_PIECE_BYTES = 8_000


class _NoServer(TmuxError):
    """No server listens on the socket (server_running answers False instead of raising)."""


@dataclass(frozen=True, repr=False)
class PaneInfo(Record):
    """One pane as `list-panes -a` reports it."""

    pane_id: str
    session: str
    window_index: int
    window_name: str
    pane_index: int
    current_command: str
    pid: int
    dead: bool
    in_mode: bool
    width: int
    height: int
    active: bool
    history_size: int = 0  # lines now in the pane's history (above its screen)
    history_limit: int = 0  # the most it keeps; a full history drops its oldest lines

    @property
    def target(self) -> str:
        """The window as "session:window_index" (the key agents are stored under)."""
        return f"{self.session}:{self.window_index}"

    @property
    def pane_target(self) -> str:
        return f"{self.session}:{self.window_index}.{self.pane_index}"


def pane_alive(info: PaneInfo, shells: Iterable[str] = ("bash", "zsh", "sh", "fish")) -> bool:
    """True when the pane still runs something other than a bare shell.

    A dead pane (remain-on-exit) or one back at its shell means the agent process is gone.
    Agents often show up as `node`, `python3` or a version string, so anything that is not a
    known shell counts as alive.
    """
    if info.dead:
        return False
    command = info.current_command.lstrip("-")
    return command not in set(shells)


def check_message(text: str) -> None:
    """Refuse text that would act as key presses rather than arrive as text."""
    if _SURROGATE.search(text):
        raise InputError("message is not valid text (it holds a lone surrogate)")
    bad = _CONTROL.search(text)
    if bad is not None:
        raise InputError(
            f"message contains a control character (U+{ord(bad.group()):04X}); "
            "only newlines and tabs are allowed"
        )


def _malformed(target: str) -> TargetError:
    return TargetError(
        f"malformed target '{target}': use session:window, session:window.pane or %N"
    )


def _strip_capture(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


class Tmux:
    """Every tmux call of the package, against one server.

    `socket` is a name as for `tmux -L` (or a path, as for `tmux -S`); None means
    $CREDIT_MONITOR_TMUX_SOCKET, else the default server. `calls` counts the tmux processes
    started, so callers and tests can check that a sweep costs one process, not one per pane.
    """

    def __init__(self, socket: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
        if socket is None:
            socket = os.environ.get(SOCKET_ENV) or None
        self.socket: str | None = socket or None
        self.timeout = timeout
        self.calls = 0
        # Whether captures go as one script on tmux's stdin (off once a tmux refuses that).
        self.scripts = True
        self._own_pane: tuple[str | None] | None = None  # None: not asked yet

    # -- the one place a tmux process is started ------------------------------------------

    def _server_args(self) -> list[str]:
        binary = _which("tmux")
        if binary is None:
            raise TmuxError("tmux is not installed")
        # -u: without it a client in a non-UTF-8 locale turns every non-ASCII character (and
        # newlines in names) into "_", so names and captures would not round-trip.
        args = [binary, "-u"]
        if self.socket is not None:
            args += ["-S", self.socket] if "/" in self.socket else ["-L", self.socket]
        return args

    def _run(
        self,
        args: Sequence[str],
        *,
        check: bool = True,
        timeout: float | None = None,
        stdin: bytes | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        argv = [*self._server_args(), *args]
        limit = self.timeout if timeout is None else timeout
        self.calls += 1
        try:
            done = subprocess.run(
                argv,
                input=stdin,
                capture_output=True,
                timeout=limit,
                check=False,
                stdin=None if stdin is not None else subprocess.DEVNULL,
            )
        except FileNotFoundError as exc:
            raise TmuxError("tmux is not installed") from exc
        except subprocess.TimeoutExpired as exc:
            raise TmuxError(f"tmux did not answer within {limit:g}s ({args[0]})") from exc
        except OSError as exc:
            raise TmuxError(f"cannot run tmux: {exc}") from exc
        if done.returncode != 0 and self._no_server(done.stderr):
            raise _NoServer(self._no_server_message())
        if check and done.returncode != 0:
            raise TmuxError(self._error_line(done.stderr, args[0]))
        return done

    @staticmethod
    def _no_server(stderr: bytes) -> bool:
        text = stderr.decode("utf-8", errors="replace")
        if text.startswith("no server running on"):
            return True
        # A socket file with no server behind it, or no socket file at all.
        return text.startswith("error connecting to") and (
            "No such file or directory" in text or "Connection refused" in text
        )

    def _no_server_message(self) -> str:
        if self.socket is None:
            return "no tmux server running on the default socket"
        return f"no tmux server running on socket '{self.socket}'"

    @staticmethod
    def _error_line(stderr: bytes, command: str) -> str:
        lines = stderr.decode("utf-8", errors="replace").strip().splitlines()
        first = lines[0] if lines else "no error message"
        return f"tmux {command} failed: {first}"

    # -- reading the server ----------------------------------------------------------------

    def server_running(self) -> bool:
        """True when the server answers (a missing tmux binary still raises TmuxError)."""
        try:
            self._run(["list-sessions", "-F", "#{session_id}"])
        except _NoServer:
            return False
        return True

    def list_panes(self) -> list[PaneInfo]:
        """Every pane of every session, in one tmux call."""
        token = os.urandom(16).hex()
        out = self._run(["list-panes", "-a", "-F", _listing_format(token)]).stdout
        return _listing(out.decode("utf-8", "replace"), token)

    def list_and_capture(
        self, expected: Mapping[str, int]
    ) -> tuple[list[PaneInfo], dict[str, str]]:
        """Every pane of every session, and the captures of the `expected` panes (pane id ->
        lines of history) that still exist, all in one tmux process: a sweep that knows its
        panes from the last one is a single process. Without scripts (or with nothing
        expected) it is the listing alone, and the caller captures."""
        if not expected or not self.scripts:
            return self.list_panes(), {}
        for pane_id in expected:
            if not _PANE_ID.fullmatch(pane_id):
                raise TargetError(f"not a pane id: '{pane_id}'")
        token = os.urandom(16).hex()
        head = f"list-panes -a -F '{_listing_format(token)}'"
        done = self._script(token, list(expected), expected, first=head)
        if done is None:
            self.scripts = False  # this tmux takes no script on stdin: chains from now on
            return self.list_panes(), {}
        out, spans, gone = done
        listing = _listing(out[: spans[0][0]].decode("utf-8", "replace"), token)
        live = {pane.pane_id for pane in listing}
        captured = _captures(out, spans, list(expected), gone)
        return listing, {p: text for p, text in captured.items() if p in live}

    def pane(self, pane_id: str) -> PaneInfo | None:
        """The live pane with this id, or None."""
        for info in self.list_panes():
            if info.pane_id == pane_id:
                return info
        return None

    def own_pane_id(self) -> str | None:
        """$TMUX_PANE when this process runs inside a pane of this server, else None (asked of
        tmux once: a process does not move between panes)."""
        if self._own_pane is None:
            self._own_pane = (self._find_own_pane(),)
        return self._own_pane[0]

    def _find_own_pane(self) -> str | None:
        pane_id = os.environ.get("TMUX_PANE")
        tmux_env = os.environ.get("TMUX")
        if not pane_id or not tmux_env or not _PANE_ID.fullmatch(pane_id):
            return None
        our_socket = tmux_env.split(",", 1)[0]
        try:
            done = self._run(["display-message", "-p", "#{socket_path}"], check=False)
        except TmuxError:
            return None
        if done.returncode != 0:
            return None
        socket_path = done.stdout.decode("utf-8", "replace").strip()
        if os.path.realpath(socket_path) != os.path.realpath(our_socket):
            return None
        return pane_id

    # -- targets -------------------------------------------------------------------------

    def resolve_target(self, target: str) -> PaneInfo:
        """The pane a TARGET names, matched exactly against the live server.

        "%N" is a pane id; "session:window" is a window by exact index or exact name (its
        active pane); "session:window.pane" adds a pane index. Session names cannot hold ":"
        or "." in tmux, so the first ":" ends the session; window names may hold both.
        """
        return resolve_in(target, self.list_panes())

    # -- capturing -----------------------------------------------------------------------

    def capture_panes(self, pane_ids: Sequence[str], lines: Lines = 200) -> dict[str, str]:
        """The last `lines` lines of history plus the screen of each pane, in one process.

        `lines` is one count for every pane, or a count per pane id (200 for a pane it does not
        name): 0 is the screen alone.

        Wrapped lines are joined (-J) and trailing blank lines dropped; no escape sequences.
        A pane that no longer exists is absent from the result.

        The captures go to tmux as one script on its standard input (`source-file -`): one
        process for any number of panes, and a pane that vanished costs only its own capture.
        A tmux that does not take a script there gets command chains instead, each under its
        16 KiB command limit (about 250 panes); tmux stops a chain at the first failing command,
        so a vanished pane costs a listing and a second chain for the live remainder.
        """
        for pane_id in pane_ids:
            if not _PANE_ID.fullmatch(pane_id):
                raise TargetError(f"not a pane id: '{pane_id}'")
        counts = lines.values() if isinstance(lines, Mapping) else (lines,)
        if any(count < 0 for count in counts):
            raise ValueError("lines must be >= 0")
        unique = list(dict.fromkeys(pane_ids))
        if not unique:
            return {}
        if self.scripts:
            captured = self._capture_script(unique, lines)
            if captured is not None:
                return captured
            self.scripts = False  # this tmux takes no script on stdin: chains from now on
        result: dict[str, str] = {}
        for batch in _batches(unique, lines):
            result.update(self._capture_batch(batch, lines))
        return result

    def _capture_script(self, pane_ids: list[str], lines: Lines) -> dict[str, str] | None:
        """Every capture in one `source-file -` process; None when tmux did not run the script
        through (an older tmux, or an error this cannot place), so chains must do it."""
        token = os.urandom(6).hex()
        done = self._script(token, pane_ids, lines)
        if done is None:
            return None
        out, spans, gone = done
        return _captures(out, spans, pane_ids, gone)

    def _script(
        self, token: str, pane_ids: list[str], lines: Lines, first: str | None = None
    ) -> tuple[bytes, list[tuple[int, int]], set[str]] | None:
        """Run `first` (if any), then a marker and a capture for each pane, as one script on
        tmux's stdin. Returns the output ("\\n" + stdout), where each marker stands, and the
        panes that were gone; None when tmux did not run the script through."""
        rows = [first] if first else []
        for pane_id in pane_ids:
            rows.append(f"display -p '{_marker(token, pane_id)}'")
            rows.append(f"capturep -pJS -{_count(lines, pane_id)} -t {pane_id}")
        rows.append(f"display -p '{token} end'")
        script = ("\n".join(rows) + "\n").encode()
        limit = max(self.timeout, 0.05 * len(pane_ids))
        done = self._run(["source-file", "-"], check=False, timeout=limit, stdin=script)
        errors = done.stderr.decode("utf-8", "replace").strip().splitlines()
        gone = {m.group(1) for line in errors if (m := _GONE.fullmatch(line.strip()))}
        if len(gone) != len(errors):
            return None
        spans = _spans(done.stdout, [*(_marker(token, p) for p in pane_ids), f"{token} end"])
        if len(spans) != len(pane_ids) + 1:
            return None
        return b"\n" + done.stdout, spans, gone

    def capture_pane(self, pane_id: str, lines: int = 200) -> str:
        """One pane's capture; TargetError when the pane does not exist."""
        captured = self.capture_panes([pane_id], lines)
        if pane_id not in captured:
            raise TargetError(f"no such pane: '{pane_id}'")
        return captured[pane_id]

    def _capture_batch(self, pane_ids: list[str], lines: Lines) -> dict[str, str]:
        pending = pane_ids
        result: dict[str, str] = {}
        for _attempt in range(3):
            if not pending:
                break
            captured, failed = self._capture_chain(pending, lines)
            result.update(captured)
            if failed is None:
                break
            live = {info.pane_id for info in self.list_panes()}
            if failed[0] in live:
                raise TmuxError(failed[1])
            pending = [p for p in pending if p not in captured and p in live]
        return result

    def _capture_chain(
        self, pane_ids: Sequence[str], lines: Lines
    ) -> tuple[dict[str, str], tuple[str, str] | None]:
        """Run one chained capture; returns the captures and (failed pane, error) if any.

        Before each capture `display` prints a marker line holding a random token and the
        pane id, so the output splits exactly whatever the panes show. The short command
        aliases (display, capturep) and bundled flags keep ~60 bytes per pane.
        """
        token = os.urandom(6).hex()
        args: list[str] = []
        for pane_id in pane_ids:
            args += _capture_args(token, pane_id, _count(lines, pane_id))
        args += ["display", "-p", f"{token} end"]
        done = self._run(args, check=False, timeout=max(self.timeout, 0.05 * len(pane_ids)))
        out = b"\n" + done.stdout
        markers = [*(_marker(token, p) for p in pane_ids), f"{token} end"]
        spans = _spans(done.stdout, markers)
        captured: dict[str, str] = {}
        # A capture is complete only when the next marker was printed after it.
        for i in range(len(spans) - 1):
            captured[pane_ids[i]] = _strip_capture(out[spans[i][1] : spans[i + 1][0] + 1])
        if done.returncode == 0 and len(spans) == len(markers):
            return captured, None
        failed = pane_ids[min(max(len(spans) - 1, 0), len(pane_ids) - 1)]
        return captured, (failed, self._error_line(done.stderr, "capture-pane"))

    def wait_for_change(
        self, pane_id: str, before: str, timeout: float, clock: Clock, interval: float = 0.2
    ) -> str | None:
        """Poll the pane until its capture differs from `before`; the new text, or None.

        None also when the pane vanished. The clock is injected so tests can use a short real
        timeout or a fake clock.
        """
        start: datetime = clock.now()
        while True:
            captured = self.capture_panes([pane_id])
            if pane_id not in captured:
                return None
            if captured[pane_id] != before:
                return captured[pane_id]
            if (clock.now() - start).total_seconds() >= timeout:
                return None
            clock.sleep(interval)

    # -- sending -------------------------------------------------------------------------

    def send_text(self, pane_id: str, text: str) -> None:
        """Type `text` into the pane literally (`send-keys -l`); never presses Enter.

        A newline inside -l text reaches the program as a line feed (LF, the same byte as
        Ctrl-J), not as Enter (CR): TUI agents (Claude Code, Codex) take LF as "new line in the
        input box", so a multi-line message stays unsubmitted until `send_enter`. A program in
        a cooked-mode terminal (a shell, `cat`) ends a line at LF whatever is sent, so there a
        multi-line message is read line by line. CRLF is taken as a newline; any other control
        character is refused. Long text goes in pieces, since tmux refuses a command over
        16 KiB. Like every send, it first leaves copy mode (see `_send`).
        """
        text = text.replace("\r\n", "\n")
        check_message(text)
        self._require_pane_id(pane_id)
        for piece in _pieces(text, _SEND_PIECE_BYTES):
            # tmux reads an argument ending in ";" as a command separator and drops that ";"
            # (even from argv); a trailing "\;" stands for a literal ";".
            if piece.endswith(";"):
                piece = piece[:-1] + "\\;"
            self._send(pane_id, ["send-keys", "-t", pane_id, "-l", "--", piece])

    def send_enter(self, pane_id: str) -> None:
        """Press Enter in the pane (on its own, never together with text)."""
        self.send_key(pane_id, "Enter")

    def send_key(self, pane_id: str, key: str) -> None:
        """Press one named key ("Escape", "Enter", "C-c", "Up", ...)."""
        self._require_pane_id(pane_id)
        if not key or key.strip() != key or key.startswith("-"):
            raise InputError(f"not a key name: '{key}'")
        self._send(pane_id, ["send-keys", "-t", pane_id, "--", key])

    def exit_copy_mode(self, pane_id: str) -> bool:
        """Leave copy mode (or clock, tree or any other mode); True when the pane was in one.

        `copy-mode -q` cancels every mode and is a no-op otherwise (tmux >= 3.2); older tmux
        lacks -q, and there `send-keys -X cancel` leaves copy mode.
        """
        self._require_pane_id(pane_id)
        done = self._run(
            [
                "display",
                "-p",
                "-t",
                pane_id,
                "#{pane_in_mode}",
                ";",
                "copy-mode",
                "-q",
                "-t",
                pane_id,
            ],
            check=False,
        )
        was_in_mode = done.stdout.strip() == b"1"
        if done.returncode == 0:
            return was_in_mode
        message = self._error_line(done.stderr, "copy-mode")
        if "can't find pane" in message:
            raise TargetError(f"no such pane: '{pane_id}'")
        if was_in_mode:
            self._run(["send-keys", "-t", pane_id, "-X", "cancel"])
            return True
        raise TmuxError(message)

    def _send(self, pane_id: str, args: list[str]) -> None:
        """Run a send-keys command after leaving any mode, in the same tmux process.

        Keys sent to a pane in copy mode are copy-mode commands: a message holding a "q"
        leaves the mode there and the rest of it never reaches the agent. `copy-mode -q`
        is a no-op when the pane is in no mode.
        """
        done = self._run(["copy-mode", "-q", "-t", pane_id, ";", *args], check=False)
        if done.returncode != 0 and b"unknown flag -q" in done.stderr:
            done = self._run(args, check=False)  # tmux before 3.2
        if done.returncode != 0:
            message = self._error_line(done.stderr, "send-keys")
            if "can't find pane" in message:
                raise TargetError(f"no such pane: '{pane_id}'")
            raise TmuxError(message)

    @staticmethod
    def _require_pane_id(pane_id: str) -> None:
        if not _PANE_ID.fullmatch(pane_id):
            raise TargetError(f"not a pane id: '{pane_id}' (resolve the target first)")


def _pane_from_fields(fields: list[str]) -> PaneInfo:
    values = dict(zip(_FIELDS, fields, strict=True))
    try:
        return PaneInfo(
            pane_id=values["pane_id"],
            session=values["session_name"],
            window_index=int(values["window_index"]),
            window_name=values["window_name"],
            pane_index=int(values["pane_index"]),
            current_command=values["pane_current_command"],
            pid=int(values["pane_pid"] or 0),
            dead=values["pane_dead"] == "1",
            in_mode=values["pane_in_mode"] == "1",
            width=int(values["pane_width"]),
            height=int(values["pane_height"]),
            active=values["pane_active"] == "1",
            history_size=int(values["history_size"] or 0),
            history_limit=int(values["history_limit"] or 0),
        )
    except ValueError as exc:
        raise TmuxError(f"tmux list-panes gave an unreadable field: {fields!r}") from exc


def check_target(target: str) -> None:
    """TargetError unless TARGET is written as `session:window`, `session:window.pane` or `%N`
    (whether it exists is for `resolve_in` to say)."""
    if not target or not target.strip() or _CONTROL.search(target) or "\n" in target:
        raise _malformed(target)
    if target.startswith("%"):
        if not _PANE_ID.fullmatch(target):
            raise _malformed(target)
        return
    session, colon, rest = target.partition(":")
    if not colon or not session.strip() or not rest.strip() or "." in session:
        raise _malformed(target)


def resolve_in(target: str, panes: Sequence[PaneInfo]) -> PaneInfo:
    """Match a TARGET exactly against a pane listing (pure; see Tmux.resolve_target)."""
    check_target(target)
    if target.startswith("%"):
        for info in panes:
            if info.pane_id == target:
                return info
        raise TargetError(f"no such pane: '{target}'")
    session, _colon, rest = target.partition(":")
    in_session = [p for p in panes if p.session == session]
    if not in_session:
        raise TargetError(f"no such window: '{target}' (no session '{session}')")

    windows = _windows_named(rest, in_session)
    # "win.2" may be a window named "win.2" or pane 2 of window "win": both must not exist.
    window_part, dot, pane_part = rest.rpartition(".")
    with_pane: list[PaneInfo] = []
    if dot and window_part and pane_part.isdigit() and pane_part.isascii():
        for index in _windows_named(window_part, in_session):
            with_pane += [
                p for p in in_session if p.window_index == index and p.pane_index == int(pane_part)
            ]
    if windows and with_pane:
        raise TargetError(
            f"ambiguous target '{target}': it names a window and a pane of another window; "
            "use the window index or the pane id"
        )
    if with_pane:
        return with_pane[0]
    if not windows:
        if dot and pane_part.isdigit() and _windows_named(window_part, in_session):
            raise TargetError(f"no such pane: '{target}'")
        raise TargetError(f"no such window: '{target}'")
    if len(windows) > 1:
        raise TargetError(
            f"ambiguous window '{target}': {len(windows)} windows in session '{session}' "
            "match it; use the window index"
        )
    index = windows[0]
    in_window = [p for p in in_session if p.window_index == index]
    active = [p for p in in_window if p.active]
    return (active or in_window)[0]


def _windows_named(name: str, in_session: Sequence[PaneInfo]) -> list[int]:
    """Window indexes matching `name` exactly: as an index, or as a window name."""
    by_index = {
        p.window_index for p in in_session if name.isdigit() and str(p.window_index) == name
    }
    by_name = {p.window_index for p in in_session if p.window_name == name}
    return sorted(by_index | by_name)


def _marker(token: str, pane_id: str) -> str:
    # display-message runs its text through strftime, so "%12" would not survive: the marker
    # carries the pane number without the "%".
    return f"{token} pane{pane_id[1:]}"


def _listing_format(token: str) -> str:
    """list-panes' format: window names may hold tabs, newlines and \\x1f, so records and
    fields are framed by tokens no pane name will contain."""
    return f"<{token}>" + f"|{token}|".join("#{" + name + "}" for name in _FIELDS)


def _listing(out: str, token: str) -> list[PaneInfo]:
    panes: list[PaneInfo] = []
    for record in out.split(f"<{token}>")[1:]:
        fields = record.removesuffix("\n").split(f"|{token}|")
        if len(fields) != len(_FIELDS):
            raise TmuxError(f"tmux list-panes gave an unreadable line: {record!r}")
        panes.append(_pane_from_fields(fields))
    return panes


def _captures(
    out: bytes, spans: list[tuple[int, int]], pane_ids: list[str], gone: set[str]
) -> dict[str, str]:
    """The capture between each pane's marker and the next, for the panes not gone."""
    return {
        pane_id: _strip_capture(out[spans[i][1] : spans[i + 1][0] + 1])
        for i, pane_id in enumerate(pane_ids)
        if pane_id not in gone
    }


def _spans(stdout: bytes, markers: Sequence[str]) -> list[tuple[int, int]]:
    """Where each marker line stands in `stdout` (offsets in "\\n" + stdout), in order, up to the
    first one missing."""
    out = b"\n" + stdout
    spans: list[tuple[int, int]] = []
    cursor = 0
    for marker in markers:
        needle = b"\n" + marker.encode() + b"\n"
        at = out.find(needle, cursor)
        if at < 0:
            break
        spans.append((at, at + len(needle)))
        # The newline that ends this marker may begin the next one (empty capture).
        cursor = at + len(needle) - 1
    return spans


def _capture_args(token: str, pane_id: str, lines: int) -> list[str]:
    marker = ["display", "-p", _marker(token, pane_id), ";"]
    return [*marker, "capturep", "-pJS", f"-{lines}", "-t", pane_id, ";"]


def _which(program: str) -> str | None:
    """`shutil.which` for one plain program name; shutil would load compression modules on a
    path that never needs them."""
    for folder in os.environ.get("PATH", os.defpath).split(os.pathsep):
        path = os.path.join(folder, program)
        if folder and os.access(path, os.X_OK) and not os.path.isdir(path):
            return path
    return None


def _count(lines: Lines, pane_id: str) -> int:
    """How many lines of history to capture above the screen of `pane_id`."""
    return lines.get(pane_id, DEFAULT_HISTORY) if isinstance(lines, Mapping) else lines


def _batches(pane_ids: list[str], lines: Lines) -> list[list[str]]:
    """Split pane ids so that each chained capture stays under tmux's command size limit."""
    token = "0" * 12
    budget = _COMMAND_BYTES - sum(len(a) + 1 for a in ["display", "-p", f"{token} end"])
    batches: list[list[str]] = [[]]
    used = 0
    for pane_id in pane_ids:
        # tmux sends the arguments NUL-terminated in one message.
        args = _capture_args(token, pane_id, _count(lines, pane_id))
        cost = sum(len(arg.encode()) + 1 for arg in args)
        if batches[-1] and used + cost > budget:
            batches.append([])
            used = 0
        batches[-1].append(pane_id)
        used += cost
    return [batch for batch in batches if batch]


def _pieces(text: str, budget: int) -> list[str]:
    """Cut text into pieces of at most `budget` UTF-8 bytes, never inside a character."""
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        size = len(char.encode("utf-8", errors="surrogatepass"))
        if current and used + size > budget:
            pieces.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += size
    if current:
        pieces.append("".join(current))
    return pieces
