"""What runs in front of a pane, and whether text may be typed into it.

Nothing is ever typed into a shell (it would run the text as a command), an editor or a pager.
tmux's `pane_current_command` names the leader of the pane's foreground process group: Claude
Code shows as `node`, `claude` or a version number, a Python agent as `python3`. An agent started
through a wrapper script (`bash run.sh`, `sh -c '...'`) leaves the wrapper shell as that leader,
so when the leader is a shell running a script or a command the group's other members are read
from /proc: an agent among them means the pane runs an agent after all. A person's shell (`bash`,
`-zsh`, `bash -l`: no script, no command) is never a wrapper, whatever it runs for a moment (a
new shell's start-up files run helpers in its group). Where /proc cannot tell, the leader's name
decides.
"""

from __future__ import annotations

import os
from pathlib import Path

from credit_management.tmux.gateway import PaneInfo

SHELLS = frozenset(
    {"bash", "zsh", "sh", "dash", "fish", "ksh", "mksh", "tcsh", "csh", "nu", "login",
     "xonsh", "elvish", "ash", "busybox", "pwsh", "rbash"}
)  # fmt: skip
EDITORS = frozenset({"vi", "vim", "nvim", "view", "vimdiff", "nano", "pico", "emacs", "micro",
                     "joe", "mg", "ed", "kak", "helix", "hx"})  # fmt: skip
PAGERS = frozenset({"less", "more", "most", "man", "pg", "w3m", "lynx"})
# A nested multiplexer client; also what a pane shows for the instant between tmux forking its
# process and that process starting the pane's program.
MULTIPLEXERS = frozenset({"tmux", "screen"})
PROC = Path("/proc")


def _name(command: str) -> str:
    """`-bash` (a login shell) and `/usr/bin/vim` read as `bash` and `vim`."""
    return os.path.basename(command.strip().lstrip("-")).lower()


def what_is(command: str) -> str | None:
    """ "a shell", "an editor", "a pager" or "a terminal multiplexer" for such a program (or
    "nothing yet" when no command is named), else None."""
    name = _name(command)
    if not name:
        return "nothing yet"
    if name in SHELLS:
        return "a shell"
    if name in EDITORS:
        return "an editor"
    if name in PAGERS:
        return "a pager"
    if name in MULTIPLEXERS:
        return "a terminal multiplexer"
    return None


def _stat_fields(pid: int, proc: Path) -> list[str] | None:
    try:
        raw = (proc / str(pid) / "stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    # "pid (comm) state ppid pgrp session tty_nr tpgid ...": comm may hold spaces and ")".
    head, _, rest = raw.rpartition(")")
    if not head:
        return None
    comm = head.split("(", 1)[-1]
    return [comm, *rest.split()]


def foreground_group(pane: PaneInfo, proc: Path = PROC) -> int | None:
    """The pane terminal's foreground process group (its leader's pid), or None when /proc does
    not say (another system, a pane whose process is gone)."""
    fields = _stat_fields(pane.pid, proc) if pane.pid > 0 else None
    if fields is None or len(fields) < 7:
        return None
    try:
        foreground = int(fields[6])  # tpgid: the terminal's foreground process group
    except ValueError:
        return None
    return foreground if foreground > 0 else None


# Shell options that take the next word as their argument (bash, zsh, ksh): not a script.
_WITH_ARGUMENT = frozenset({"--rcfile", "--init-file", "-O", "+O", "-o", "+o"})


def runs_a_script(pid: int, proc: Path = PROC) -> bool | None:
    """Whether the shell `pid` was started with a script or a command (`bash run.sh`,
    `sh -c '...'`) rather than as a person's shell (`bash`, `-zsh`, `bash -l`,
    `bash --rcfile x -i`); None when /proc does not say."""
    try:
        raw = (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return None
    argv = [part.decode("utf-8", "replace") for part in raw.split(b"\0") if part]
    if not argv:
        return None
    words = iter(argv[1:])
    for word in words:
        if word == "--":
            return next(words, None) is not None  # the script follows
        if word in _WITH_ARGUMENT:
            next(words, None)
        elif word.startswith("--"):
            continue
        elif word[:1] in ("-", "+") and len(word) > 1:
            if word[0] == "-" and "c" in word[1:]:
                return True  # -c, -lc, -ic: a command
        else:
            return True  # the script
    return False


def group_commands(pane: PaneInfo, proc: Path = PROC) -> list[str] | None:
    """The names of the processes in the pane's foreground process group, or None when /proc
    does not say (another system, a pane whose process is gone)."""
    foreground = foreground_group(pane, proc)
    if foreground is None:
        return None
    names: list[str] = []
    try:
        entries = list(proc.iterdir())
    except OSError:
        return None
    for entry in entries:
        if not entry.name.isdigit():
            continue
        stat = _stat_fields(int(entry.name), proc)
        if stat is not None and len(stat) > 3 and stat[3] == str(foreground):
            names.append(stat[0])
    return names or None


def refusal(pane: PaneInfo, proc: Path = PROC) -> str | None:
    """Why nothing may be typed into `pane` now ("main:2 runs bash (a shell), not an agent"),
    or None when an agent (or any other program) is in front."""
    if pane.dead:
        return f"{pane.target} is dead (its program exited)"
    kind = what_is(pane.current_command)
    if kind is None:
        return None
    if kind == "nothing yet":
        return f"{pane.target} shows no program yet"
    if kind == "a shell":
        leader = foreground_group(pane, proc)
        members = group_commands(pane, proc)
        wrapper = leader is not None and runs_a_script(leader, proc)
        if wrapper and members is not None and any(what_is(name) is None for name in members):
            return None  # an agent started by a wrapper script: the shell only waits for it
    return f"{pane.target} runs {_name(pane.current_command)} ({kind}), not an agent"
