"""Hooks: tell other programs about events, without ever stopping or stalling the monitor.

A hook is a command (an argument list; the payload JSON on stdin, the event name in
`CREDIT_EVENT`) or a webhook URL (the payload POSTed as JSON, bounded retries). Hooks run at
once in threads; each is cut off at its timeout (a command's whole process group is killed) and
every failure becomes a `hook.failed` event in the log instead of an exception.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from credit_management.errors import CreditError
from credit_management.models import HookSpec, iso
from credit_management.store.journal import EventLog

EVENT_ENV = "CREDIT_EVENT"
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


def fire_hooks(
    event: str,
    payload: dict[str, Any],
    hooks: Sequence[HookSpec],
    log: EventLog,
    now: datetime,
) -> None:
    """Run every hook matching `event` at once and wait at most for the slowest timeout.

    Never raises: failures, hangs and timeouts are logged as `hook.failed`.
    """
    chosen = [hook for hook in hooks if hook.matches(event)]
    if not chosen:
        return
    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    started = time.monotonic()
    failures: list[tuple[HookSpec, str]] = []
    failures_lock = threading.Lock()

    def run(hook: HookSpec) -> None:
        try:
            error = _run_hook(hook, event, body)
        except Exception as unexpected:  # a hook must never take the monitor down
            error = f"{type(unexpected).__name__}: {unexpected}"
        if error is not None:
            with failures_lock:
                failures.append((hook, error))

    threads = []
    for hook in chosen:
        thread = threading.Thread(target=run, args=(hook,), name="credit-hook", daemon=True)
        thread.start()
        threads.append((hook, thread))
    for hook, thread in threads:
        remaining = started + _budget(hook) - time.monotonic()
        thread.join(max(remaining, 0.0))
    with failures_lock:
        reported = list(failures)
        done = {id(hook) for hook, _ in reported}
    for hook, thread in threads:
        if thread.is_alive() and id(hook) not in done:
            reported.append((hook, f"did not finish within {hook.timeout:g}s"))
    elapsed = timedelta(seconds=time.monotonic() - started)
    for hook, error in reported:
        try:
            log.append(
                "hook.failed",
                now=now + elapsed,
                target=payload.get("target"),
                hook=hook.describe(),
                hook_event=event,
                error=error,
            )
        except CreditError:
            pass  # the log itself is unwritable; nothing better to do from here


def _budget(hook: HookSpec) -> float:
    """How long the caller waits for `hook`: its timeout plus time to reap a killed command."""
    return hook.timeout + _REAP_SECONDS


def _run_hook(hook: HookSpec, event: str, body: bytes) -> str | None:
    """Run one hook; returns None on success or a one-line error."""
    if hook.command is not None:
        return _run_command(list(hook.command), event, body, hook.timeout)
    assert hook.url is not None
    return _post(hook.url, body, event, hook.timeout, hook.retries)


def _run_command(command: list[str], event: str, body: bytes, timeout: float) -> str | None:
    env = dict(os.environ)
    env[EVENT_ENV] = event
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
        _, stderr = process.communicate(body, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        return f"timed out after {timeout:g}s (killed)"
    if process.returncode != 0:
        detail = _last_line(stderr)
        status = _exit_description(process.returncode)
        return f"{status}: {detail}" if detail else status
    return None


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.communicate(timeout=_REAP_SECONDS)
    except subprocess.TimeoutExpired:
        # A grandchild escaped the group and holds the pipe: stop reading, leave it.
        for stream in (process.stdin, process.stderr):
            if stream is not None:
                stream.close()


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


def _post(url: str, body: bytes, event: str, timeout: float, retries: int) -> str | None:
    """POST with up to `retries` retries, all within `timeout` seconds in total."""
    # Imported here: urllib.request is slow to import and most runs fire no webhook.
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
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
    if isinstance(reason, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason)
