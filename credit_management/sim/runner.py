"""The simulated agent's terminal: keys in, screen out, until it exits.

On a terminal (a tmux pane) keys are read one at a time with echo off, and the agent draws its
own input box at the bottom, so typed text sits in the box until Enter (carriage return) is
pressed, a line feed (C-j, or a newline inside `send-keys -l` text) adds a line to the message,
and a swallowed Enter leaves the text visibly in the box. Everything is printed line by line
(with a few cursor moves to redraw the box), so `capture-pane` shows a realistic scrollback.
With stdin not a terminal (a pipe), each input line is one Enter: a swallowed Enter keeps the
line pending and the next line (an empty one to just "press Enter again") submits it.
"""

from __future__ import annotations

import codecs
import json
import os
import select
import shutil
import signal
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from credit_management.clock import Clock
from credit_management.errors import InputError
from credit_management.sim.agent import (
    Reply,
    SimConfig,
    Simulator,
    prompt_box,
)
from credit_management.sim.publish import publisher_for

POLL_SECONDS = 0.05
BACKSPACE = ("\x7f", "\x08")


class _Stop(Exception):
    """SIGTERM or SIGHUP: leave quietly, restoring the terminal."""


class StateLog:
    """Appends one JSON line per record, each in a single write, so tests can read it live."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._append(b"")  # fail now, not after the first prompt

    def _append(self, data: bytes) -> None:
        assert self.path is not None
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def write(self, records: list[dict[str, Any]]) -> None:
        if self.path is None:
            return
        for record in records:
            self._append((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))


class Screen:
    """Prints the transcript; `TtyScreen` adds the input box kept at the bottom."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def show(
        self,
        lines: list[str],
        buffer: str = "",
        status: str | None = None,
        menu: list[str] | None = None,
    ) -> None:
        for line in lines:
            self.out.write(line + "\n")
        self.out.flush()

    def close(self) -> None:
        self.out.flush()


class TtyScreen(Screen):
    """Keeps the agent's input box (and a transient status line) under the transcript."""

    def __init__(self, out: TextIO, provider: str, name: str) -> None:
        super().__init__(out)
        self.provider = provider
        self.name = name
        self._rows_above_cursor = 0  # rows of the drawn box region above the cursor
        self._drawn = False

    def _erase(self) -> None:
        if not self._drawn:
            return
        self.out.write("\r")
        if self._rows_above_cursor:
            self.out.write(f"\x1b[{self._rows_above_cursor}A")
        self.out.write("\x1b[J")
        self._rows_above_cursor = 0
        self._drawn = False

    def _draw(self, buffer: str, status: str | None, menu: list[str] | None) -> None:
        columns = shutil.get_terminal_size((80, 24)).columns
        width = max(24, min(columns - 1, 100))
        if menu is not None:  # a menu takes the input box's place and the keyboard
            box, row, col = menu, len(menu) - 1, 0
        else:
            box, row, col = prompt_box(self.provider, buffer, width, self.name)
        # Rows wider than the pane would wrap and break the cursor arithmetic: cut them.
        region = [line[: columns - 1] for line in (status or "", *box)]
        row += 1
        self.out.write("\n".join(region))
        up = len(region) - 1 - row
        if up:
            self.out.write(f"\x1b[{up}A")
        self.out.write("\r")
        if col:
            self.out.write(f"\x1b[{col}C")
        self._rows_above_cursor = row
        self._drawn = True

    def show(
        self,
        lines: list[str],
        buffer: str = "",
        status: str | None = None,
        menu: list[str] | None = None,
    ) -> None:
        self._erase()
        for line in lines:
            self.out.write(line + "\n")
        self._draw(buffer, status, menu)
        self.out.flush()

    def close(self) -> None:
        self._erase()
        self.out.flush()


class Keys:
    """Turns raw terminal input into edits of the input box and Enter presses.

    `on_key(key)` sees every key first ("escape", "enter" or one character) and returns True
    when the agent took it (an open menu); `on_enter(text)` returns whether the text left the
    box (False: the Enter was swallowed and the text stays).
    """

    def __init__(
        self,
        on_enter: Callable[[str], bool],
        on_key: Callable[[str], bool] | None = None,
    ) -> None:
        self.buffer = ""
        self._on_enter = on_enter
        self._on_key = on_key or (lambda key: False)
        self._mode = ""  # "", "esc" (just saw ESC), "csi" or "ss3": a key sequence being read

    def _sequence(self, char: str) -> bool:
        """Consume `char` as part of an escape sequence; False when it is ordinary input.

        Only cursor-key style sequences are skipped: an Escape followed by anything else is a
        lone Escape and the rest is typed text, so text sent right after an Escape (as a
        supervisor closing a menu does) is never eaten.
        """
        mode, self._mode = self._mode, ""
        if mode == "esc":
            if char in "[O":
                self._mode = "csi" if char == "[" else "ss3"
                return True
            self._on_key("escape")
            return False
        if mode == "ss3":
            if char in "ABCDFHPQRS":
                return True
            self._on_key("escape")  # it was Escape, then a typed "O"
            self._type("O")
            return False
        if not "\x40" <= char <= "\x7e":
            self._mode = "csi"
        return True

    def _type(self, char: str) -> None:
        if not self._on_key(char):
            self.buffer += char

    def feed(self, chunk: str) -> bool:
        """Apply `chunk`; False when the user asked to leave (Ctrl-D on an empty box)."""
        for char in chunk:
            if self._mode and self._sequence(char):
                continue
            if char == "\x1b":
                self._mode = "esc"
            elif char == "\r":
                if not self._on_key("enter") and self._on_enter(self.buffer):
                    self.buffer = ""
            elif char == "\n":
                self.buffer += "\n"
            elif char in BACKSPACE:
                self.buffer = self.buffer[:-1]
            elif char == "\x15":  # Ctrl-U clears the box
                self.buffer = ""
            elif char == "\x04":
                if not self.buffer:
                    return False
            elif char == "\t":
                self._type(" ")
            elif char >= " ":
                self._type(char)
        if self._mode == "esc":
            self._mode = ""  # a lone Escape at the end of what arrived
            self._on_key("escape")
        return True


class Runner:
    """The terminal loop around one Simulator."""

    def __init__(
        self,
        simulator: Simulator,
        log: StateLog,
        out: TextIO,
        in_fd: int,
        interactive: bool,
    ) -> None:
        self.sim = simulator
        self.log = log
        self.out = out
        self.in_fd = in_fd
        self.interactive = interactive
        self.keys = Keys(self._on_enter, self._on_key)
        self.screen: Screen = (
            TtyScreen(out, simulator.config.provider, simulator.config.label)
            if interactive
            else Screen(out)
        )
        self.exit_code: int | None = None
        self.publisher = publisher_for(simulator.config)  # statusline, hooks, rollout files

    def _show(self, lines: list[str], status: str | None = None) -> None:
        # While the agent thinks, a menu its answer opens is not on screen yet.
        menu = None if status else self.sim.menu
        self.screen.show(lines, self.keys.buffer, status, menu)

    def _apply(self, reply: Reply) -> None:
        self.log.write(reply.records)
        self.publisher.publish(reply.records)
        if reply.echo or reply.think:
            self._show(reply.echo, self.sim.look.thinking if reply.think else None)
        if reply.think and self.sim.config.think:
            time.sleep(self.sim.config.think)
        if reply.lines or reply.think:
            self._show(reply.lines)
            if self.sim.menu is not None and not self.interactive:
                self.screen.show(self.sim.menu)  # a pipe has no bottom region: print it
        if reply.exit_code is not None:
            self.exit_code = reply.exit_code

    def _on_key(self, key: str) -> bool:
        menu_before = self.sim.menu
        reply = self.sim.press(key)
        if reply.records or reply.lines or menu_before is not self.sim.menu:
            self._apply(reply)
            if menu_before is not None and self.sim.menu is None:
                self._show([])  # the menu closed: the input box is back
        return reply.consumed

    def _on_enter(self, text: str) -> bool:
        reply = self.sim.enter(text)
        if reply.consumed:
            self.keys.buffer = ""
        self._apply(reply)
        return reply.consumed

    def _line(self, line: str) -> None:
        """Pipe mode: one line is the box's text (after any pending text) and one Enter."""
        if self.sim.menu is not None:
            for char in line:
                self._on_key(char)
            if self.sim.menu is not None:
                self._on_key("enter")
            return
        pending = self.keys.buffer
        text = pending + ("\n" + line if pending and line else line)
        self.keys.buffer = text
        if not self._on_enter(text):
            self.keys.buffer = text

    def run(self) -> int:
        self._apply(self.sim.start())
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        partial = ""
        while self.exit_code is None:
            readable, _, _ = select.select([self.in_fd], [], [], POLL_SECONDS)
            if readable:
                data = os.read(self.in_fd, 4096)
                if not data:
                    if partial and not self.interactive:
                        self._line(partial)
                    break
                chunk = decoder.decode(data)
                if self.interactive:
                    before = self.keys.buffer
                    if not self.keys.feed(chunk):
                        break
                    if self.keys.buffer != before and self.exit_code is None:
                        self._show([])
                else:
                    partial += chunk
                    while "\n" in partial and self.exit_code is None:
                        line, partial = partial.split("\n", 1)
                        self._line(line.rstrip("\r"))
            if self.exit_code is None:
                reply = self.sim.tick()
                if reply.lines or reply.records:
                    self._apply(reply)
        return self.exit_code or 0


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop


def run_simulator(
    config: SimConfig,
    clock: Clock,
    state_file: Path | None,
    out: TextIO | None = None,
    in_fd: int = 0,
) -> int:
    """Run the agent until EOF, Ctrl-C, SIGTERM or its simulated crash; returns the exit code."""
    stream = out if out is not None else sys.stdout
    simulator = Simulator(config, clock)
    try:
        log = StateLog(state_file)
    except OSError as error:
        raise InputError(f"cannot write the state file {state_file}: {error.strerror}") from error
    interactive = os.isatty(in_fd) and stream.isatty()
    saved = termios.tcgetattr(in_fd) if interactive else None
    previous = {sig: signal.signal(sig, _raise_stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    runner = Runner(simulator, log, stream, in_fd, interactive)
    code, reason = 0, "eof"
    try:
        if saved is not None:
            raw = termios.tcgetattr(in_fd)
            raw[0] &= ~(termios.ICRNL | termios.INLCR | termios.IXON)  # Enter stays "\r"
            raw[3] &= ~(termios.ECHO | termios.ICANON)
            raw[6][termios.VMIN] = 1
            raw[6][termios.VTIME] = 0
            termios.tcsetattr(in_fd, termios.TCSANOW, raw)
        code = runner.run()
        reason = "crash" if code else "eof"
    except KeyboardInterrupt:
        reason = "interrupt"
    except _Stop:
        reason = "terminated"
    except OSError:  # the terminal went away (window killed): nothing left to print to
        reason = "terminal_lost"
    finally:
        try:
            runner.screen.close()
            runner.publisher.close()
            if saved is not None:
                termios.tcsetattr(in_fd, termios.TCSADRAIN, saved)
        except (OSError, termios.error):
            pass
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    try:
        log.write([simulator.record("exit", code=code, reason=reason)])
    except OSError:
        pass  # the state file is the tests' window on the agent; the agent still exits cleanly
    if code:
        sys.stderr.write(f"{config.label}: crashed after {simulator.received} prompts\n")
        sys.stderr.flush()
    return code
