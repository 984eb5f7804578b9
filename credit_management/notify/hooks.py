"""Hooks: tell other programs about events, without ever stopping or stalling the monitor.

A hook is a command (an argument list; the payload JSON on stdin, the event name in
`CREDIT_EVENT`) or a webhook URL (the payload POSTed as JSON, bounded retries). The hooks of one
sweep run concurrently (a bounded number at a time) and are waited for together, so a sweep
waits at most one hook time-out. At its time-out a command's whole process tree is killed, also
the processes that left its group with `setsid`: each hook's processes carry a marker in their
environment (`CREDIT_MONITOR_HOOK_ID`) and are found under /proc. Every failure becomes a
`hook.failed` event in the log instead of an exception.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from credit_management.errors import CreditError
from credit_management.models import HookSpec, iso
from credit_management.records import Record
from credit_management.store.journal import EventLog

EVENT_ENV = "CREDIT_EVENT"
HOOK_ID_ENV = "CREDIT_MONITOR_HOOK_ID"
# Hooks of one sweep running at once; more wait for a slot (within their own time-out).
MAX_PARALLEL_HOOKS = 8
_TREE_POLL_SECONDS = 0.05
# Pause before webhook retry n is BACKOFF * 2**(n-1): short, because the caller is waiting.
_RETRY_BACKOFF_SECONDS = 0.25
# Extra time allowed for a killed command to be reaped before giving up on it.
_REAP_SECONDS = 1.0
_USER_AGENT = "credit-monitor-hook/1"


def make_payload(
    event: str,
    *,
    now: datetime,
    target: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    role: str | None = None,
    message: str | None = None,
    reset_time: datetime | str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The JSON document a hook receives (the seed's fields plus any `extra` ones)."""
    import socket  # only when an event fires: a quiet sweep never loads it

    host = socket.gethostname()
    payload: dict[str, Any] = {
        "event": event,
        "target": target,
        "provider": provider,
        "model": model,
        "role": role,
        "message": message,
        "reset_time": iso(reset_time) if isinstance(reset_time, datetime) else reset_time,
        "runner": f"credit-monitor@{host}",
        "host": host,
        "timestamp": iso(now),
    }
    for key, value in extra.items():
        payload.setdefault(key, value)
    return payload


class HookBatch:
    """The hooks fired during one sweep: each starts at once (at most MAX_PARALLEL_HOOKS run at
    a time), each has its own deadline counted from when it was fired, and `wait` waits for
    them all together, so a sweep waits at most one hook time-out however many events it had.

    Never raises: failures, hangs and time-outs become `hook.failed` events.
    """

    def __init__(self, log: EventLog, limit: int = MAX_PARALLEL_HOOKS) -> None:
        self._log = log
        self._limit = limit
        self._slots = threading.BoundedSemaphore(limit)
        self._lock = threading.Lock()
        self._runs: list[_Run] = []

    def fire(
        self, event: str, payload: dict[str, Any], hooks: Sequence[HookSpec], now: datetime
    ) -> None:
        """Start every hook matching `event`; returns at once."""
        chosen = [hook for hook in hooks if hook.matches(event)]
        if not chosen:
            return
        body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
        for hook in chosen:
            target = payload.get("target")
            run = _Run(
                hook,
                event,
                target if isinstance(target, str) else None,
                now,
                time.monotonic() + hook.timeout,
            )
            run.thread = threading.Thread(
                target=self._run, args=(run, body), name="credit-hook", daemon=True
            )
            with self._lock:
                self._runs.append(run)
            run.thread.start()

    def _run(self, run: _Run, body: bytes) -> None:
        if not self._slots.acquire(timeout=max(run.deadline - time.monotonic(), 0.0)):
            run.error = (
                f"did not start within {run.hook.timeout:g}s ({self._limit} hooks were running)"
            )
            return
        try:
            run.error = _run_hook(run.hook, run.event, body, run.deadline)
        except Exception as unexpected:  # a hook must never take the monitor down
            run.error = f"{type(unexpected).__name__}: {unexpected}"
        finally:
            self._slots.release()

    def wait(self) -> None:
        """Wait for every hook fired so far (each at most until its deadline), then log the
        failures."""
        with self._lock:
            runs, self._runs = self._runs, []
        for run in runs:
            if run.thread is not None:
                run.thread.join(max(run.deadline + _REAP_SECONDS - time.monotonic(), 0.0))
        for run in runs:
            error = run.error
            if run.thread is not None and run.thread.is_alive():
                error = f"did not finish within {run.hook.timeout:g}s"
            if error is None:
                continue
            elapsed = timedelta(seconds=max(time.monotonic() - run.started, 0.0))
            try:
                self._log.append(
                    "hook.failed",
                    now=run.now + elapsed,
                    target=run.target,
                    hook=run.hook.describe(),
                    hook_event=run.event,
                    error=error,
                )
            except CreditError:
                pass  # the log itself is unwritable; nothing better to do from here


@dataclass(repr=False)
class _Run(Record):
    """One hook fired for one event."""

    hook: HookSpec
    event: str
    target: str | None
    now: datetime
    deadline: float  # time.monotonic() by which the hook and all its processes are done
    started: float = field(default_factory=time.monotonic)
    thread: threading.Thread | None = None
    error: str | None = None


def fire_hooks(
    event: str,
    payload: dict[str, Any],
    hooks: Sequence[HookSpec],
    log: EventLog,
    now: datetime,
) -> None:
    """Run every hook matching `event` at once and wait at most for the slowest time-out.

    Never raises: failures, hangs and time-outs are logged as `hook.failed`.
    """
    batch = HookBatch(log)
    batch.fire(event, payload, hooks, now)
    batch.wait()


def _run_hook(hook: HookSpec, event: str, body: bytes, deadline: float) -> str | None:
    """Run one hook; returns None on success or a one-line error."""
    if hook.command is not None:
        return _run_command(list(hook.command), event, body, hook.timeout, deadline)
    assert hook.url is not None
    return _post(hook.url, body, event, hook.timeout, hook.retries, deadline)


def _run_command(
    command: list[str], event: str, body: bytes, timeout: float, deadline: float
) -> str | None:
    import secrets

    marker = f"{HOOK_ID_ENV}={secrets.token_hex(8)}"
    env = dict(os.environ)
    env[EVENT_ENV] = event
    env[HOOK_ID_ENV] = marker.partition("=")[2]
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group, so a timeout kills its children too
        )
    except FileNotFoundError:
        return f"command not found: {command[0]}"
    except OSError as error:
        return f"cannot run {command[0]}: {error.strerror}"
    try:
        _, stderr = process.communicate(body, timeout=max(deadline - time.monotonic(), 0.001))
    except subprocess.TimeoutExpired:
        _end_tree(process, marker)
        return f"timed out after {timeout:g}s (killed)"
    except OSError as error:  # stdin closed early (EPIPE) is not a failure of ours
        _end_tree(process, marker)
        return f"cannot talk to {command[0]}: {error.strerror or error}"
    # Processes the hook left behind (a `setsid` daemon, `cmd &`) may finish by the deadline.
    if not _await_tree(marker, deadline):
        _end_tree(process, marker)
        return f"left processes running past its {timeout:g}s time-out (killed)"
    if process.returncode != 0:
        detail = _last_line(stderr)
        status = _exit_description(process.returncode)
        return f"{status}: {detail}" if detail else status
    return None


def _await_tree(marker: str, deadline: float) -> bool:
    """Wait until nothing the hook started is left; False at the deadline."""
    while _hook_processes(None, marker):
        if time.monotonic() >= deadline:
            return False
        time.sleep(_TREE_POLL_SECONDS)
    return True


def _end_tree(process: subprocess.Popen[bytes], marker: str) -> None:
    """SIGKILL the hook's process group and every process it started, wherever it went."""
    # Once reaped, the first process's pid may belong to someone else: only the marker counts.
    root = process.pid if process.returncode is None else None
    if root is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(root, signal.SIGKILL)
    # Look again until a look finds nothing: a process may fork while we look, and a killed
    # one stays listed (not yet a zombie) for a moment on a busy machine. Bounded.
    settle = time.monotonic() + _REAP_SECONDS
    found = _hook_processes(root, marker)
    while found and time.monotonic() < settle:
        for pid in found:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.01)
        found = _hook_processes(root, marker)
    try:
        process.communicate(timeout=_REAP_SECONDS)
    except (subprocess.TimeoutExpired, OSError):
        # Something we could not see holds the pipe: stop reading, leave it.
        for stream in (process.stdin, process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _hook_processes(root: int | None, marker: str) -> set[int]:
    """Live processes that belong to one hook, found under /proc: every process carrying the
    hook's marker in its environment (it survives `setsid` and a double fork, which leave the
    process group and the parent chain) and every descendant of those and of the hook's first
    process. Empty where there is no /proc."""
    wanted = marker.encode()
    me = os.getpid()
    parents: dict[int, int] = {}
    found: set[int] = set()
    try:
        names = os.listdir("/proc")
    except OSError:
        return set()
    for name in names:
        if not name.isdigit() or int(name) == me:
            continue
        pid = int(name)
        try:
            with open(f"/proc/{pid}/stat", "rb") as stat_file:
                stat = stat_file.read()
        except OSError:
            continue
        # "pid (command) state ppid ...": the command may hold spaces and parentheses.
        fields_after = stat[stat.rfind(b")") + 2 :].split()
        if len(fields_after) < 2 or fields_after[0] in (b"Z", b"X"):
            continue  # gone already; only a zombie entry is left
        parents[pid] = int(fields_after[1])
        try:
            with open(f"/proc/{pid}/environ", "rb") as environ_file:
                environ = environ_file.read()
        except OSError:
            continue  # another user's process, or gone
        if wanted in environ.split(b"\0"):
            found.add(pid)
    if root is not None and root in parents:
        found.add(root)
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    pending = list(found)
    while pending:
        for child in children.get(pending.pop(), ()):
            if child not in found:
                found.add(child)
                pending.append(child)
    found.discard(me)
    return found


def _exit_description(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


def _last_line(stderr: bytes | None) -> str:
    if not stderr:
        return ""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    return lines[-1][:300] if lines else ""


def _post(
    url: str, body: bytes, event: str, timeout: float, retries: int, deadline: float
) -> str | None:
    """POST with up to `retries` retries, all before `deadline` (`timeout` seconds)."""
    # Imported here: urllib.request is slow to import and most runs fire no webhook.
    import urllib.error
    import urllib.request

    error = "not attempted"
    attempts = max(retries, 0) + 1
    for attempt in range(attempts):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return f"{error} (gave up after {attempt} attempts in {timeout:g}s)"
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": _USER_AGENT,
                "X-Credit-Event": event,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=remaining) as response:
                response.read(65536)
            return None
        except urllib.error.HTTPError as failure:
            error = f"HTTP {failure.code} {failure.reason}"
            failure.close()
            if 400 <= failure.code < 500 and failure.code not in (408, 429):
                return error  # the receiver rejected the payload; retrying will not help
        except urllib.error.URLError as failure:
            error = f"cannot reach {url}: {_reason(failure.reason)}"
        except (TimeoutError, OSError) as failure:
            error = f"cannot reach {url}: {_reason(failure)}"
        if attempt + 1 < attempts:
            pause = min(_RETRY_BACKOFF_SECONDS * 2**attempt, deadline - time.monotonic())
            if pause > 0:
                time.sleep(pause)
    return f"{error} (after {attempts} attempts)"


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):  # socket.timeout is the same class
        return "timed out"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason)
