"""The processes behind a pane, read from /proc: the tree under the pane's shell, a
process's working directory, environment, command line and open files.

Everything here returns empty answers instead of raising: a process may end between two reads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from credit_management.records import Record

PROC = Path("/proc")


@dataclass(frozen=True, repr=False)
class Process(Record):
    """One process of a pane's tree."""

    pid: int
    argv: tuple[str, ...]

    @property
    def words(self) -> set[str]:
        """The base names of the command's words ("node", "claude", "--provider", ...)."""
        return {os.path.basename(word) for word in self.argv}


# Process names (`comm`) that are never an agent themselves: their command lines are not read
# when looking for agents across the host. Shell wrappers of an agent have the agent as a child.
NEVER_AGENTS = frozenset(
    {"sleep", "cat", "tail", "less", "tmux: server", "tmux: client", "sh", "bash", "dash",
     "zsh", "fish", "ksh", "tcsh", "csh", "login", "sshd", "cron", "agetty", "systemd"}
)  # fmt: skip
KERNEL_THREADS = 2  # kthreadd: itself and its children are kernel threads


def children_map(proc: Path = PROC, names: dict[int, str] | None = None) -> dict[int, list[int]]:
    """Every process's children, from one pass over /proc; `names` gets each one's `comm`."""
    children: dict[int, list[int]] = {}
    try:
        entries = list(os.scandir(proc))
    except OSError:
        return children
    for entry in entries:
        if not entry.name.isdigit():
            continue
        try:
            with open(os.path.join(entry.path, "stat"), "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        end = stat.rfind(b")")
        fields = stat[end + 2 :].split()
        if len(fields) >= 2 and fields[1].isdigit():
            children.setdefault(int(fields[1]), []).append(int(entry.name))
        if names is not None:
            names[int(entry.name)] = stat[stat.find(b"(") + 1 : end].decode("utf-8", "replace")
    return children


def tree(pid: int, children: dict[int, list[int]], proc: Path = PROC) -> list[Process]:
    """`pid` and its descendants, parents before children."""
    return _descend(pid, lambda current: children.get(current, ()), proc)


def _descend(pid: int, kids_of: Callable[[int], Iterable[int]], proc: Path) -> list[Process]:
    """`pid` and its descendants as `kids_of` names them, parents before children."""
    result: list[Process] = []
    queue = [pid]
    seen: set[int] = set()
    while queue and len(result) < 512:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        result.append(Process(current, cmdline(current, proc)))
        queue.extend(sorted(kids_of(current)))
    return result


def cmdline(pid: int, proc: Path = PROC) -> tuple[str, ...]:
    try:
        raw = (proc / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ()
    return tuple(part.decode("utf-8", "replace") for part in raw.split(b"\0") if part)


def started_at(pid: int, proc: Path = PROC) -> float | None:
    """When the process started, in epoch seconds (boot time plus its start in clock ticks)."""
    try:
        stat = (proc / str(pid) / "stat").read_bytes()
        boot = next(
            float(line.split()[1])
            for line in (proc / "stat").read_bytes().splitlines()
            if line.startswith(b"btime ")
        )
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        ticks = int(fields[19])
    except (IndexError, ValueError):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def cwd(pid: int, proc: Path = PROC) -> str | None:
    try:
        return os.readlink(proc / str(pid) / "cwd")
    except OSError:
        return None


def environ(pid: int, proc: Path = PROC) -> dict[str, str]:
    try:
        raw = (proc / str(pid) / "environ").read_bytes()
    except OSError:
        return {}
    result: dict[str, str] = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            result[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
    return result


def open_files(pids: Iterable[int], proc: Path = PROC) -> list[str]:
    """The paths of the regular files the processes hold open."""
    paths: list[str] = []
    for pid in pids:
        folder = proc / str(pid) / "fd"
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            try:
                target = os.readlink(folder / name)
            except OSError:
                continue
            if target.startswith("/"):
                paths.append(target)
    return paths


def runs_an_agent(pids: Iterable[int], proc: Path = PROC) -> bool:
    """Whether a Claude or Codex process runs in the tree under any of `pids`. Walks down
    from each pid through the kernel's per-thread `children` lists, so the cost follows the
    panes, not the host's processes (one pass over /proc when the kernel keeps no lists)."""
    children: dict[int, list[int]] | None = None
    for pid in pids:
        if pid <= 0:
            continue
        if direct_children(pid, proc) is None:  # no `children` files: one pass over /proc
            children = children_map(proc) if children is None else children
            processes = tree(pid, children, proc)
        else:
            processes = _descend(pid, lambda current: direct_children(current, proc) or (), proc)
        if find_agent(processes, "claude") or find_agent(processes, "codex"):
            return True
    return False


def direct_children(pid: int, proc: Path = PROC) -> list[int] | None:
    """The children of `pid` from each of its threads' `children` list; None when the kernel
    keeps no such lists (or the process is gone)."""
    try:
        tasks = os.listdir(proc / str(pid) / "task")
    except OSError:
        return None
    kids: list[int] = []
    for task in tasks:
        try:
            with open(proc / str(pid) / "task" / task / "children", "rb") as handle:
                kids += [int(word) for word in handle.read().split()]
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            continue  # a thread that ended meanwhile
    return kids


def find_agent(processes: list[Process], name: str) -> Process | None:
    """The first process of the tree whose command names `name` (e.g. "claude", "codex")."""
    for process in processes:
        words = process.words
        if name in words or any(word.startswith(f"{name}-") for word in words):
            return process
    return None
