"""The commands run most often, answered without click: the two Claude Code runs on every
update, and cron's `run`.

`statusline [--wrap CMD]`, `hook claude` and `run [--json]` (after any `--home`/`--socket`) run
here straight from `main`, so each call costs Python's start and what the command itself needs;
any other form (help, a typo) falls through to the click group, which gives the usual messages.
"""

from __future__ import annotations

import json
import os
import sys

from credit_management.cli._samples import log_problem, now_seconds, read_stdin, record
from credit_management.cli.context import SOCKET_ENV, CliContext
from credit_management.store.paths import resolve_paths

WRAPPED_TIMEOUT = 10.0
DEDUPE_SECONDS = 60.0
_GLOBAL = ("--home", "--socket")


def handled(args: list[str]) -> bool:
    """Run `statusline` or `hook claude` if that is what `args` ask for; True when done."""
    options: dict[str, str] = {}
    rest = list(args)
    while rest and rest[0].split("=", 1)[0] in _GLOBAL:
        word = rest.pop(0)
        if "=" in word:
            key, value = word.split("=", 1)
        elif rest:
            key, value = word, rest.pop(0)
        else:
            return False
        options[key] = value
    if rest[:1] == ["statusline"] and (len(rest) == 1 or (len(rest) == 3 and rest[1] == "--wrap")):
        wrapped = rest[2] if len(rest) == 3 else None
        sys.stdout.write(statusline_text(_context(options), wrapped) + "\n")
        return True
    if rest == ["hook", "claude"]:
        record_hook(_context(options))
        return True
    if rest in (["run"], ["run", "--json"]):
        _run(_context(options), as_json=len(rest) == 2)
        return True
    return False


def _run(obj: CliContext, as_json: bool) -> None:
    """`run`, with the click group's handling of errors: one line on stderr and exit 1."""
    from credit_management.cli.once import run_once
    from credit_management.errors import CreditError

    try:
        run_once(obj, as_json)
    except CreditError as error:
        sys.stderr.write(f"Error: {error}\n")
        sys.exit(1)


def _context(options: dict[str, str]) -> CliContext:
    socket = options.get("--socket") or os.environ.get(SOCKET_ENV) or None
    return CliContext(paths=resolve_paths(options.get("--home")), socket=socket)


def statusline_text(obj: CliContext, wrapped: str | None) -> str:
    """Record Claude's statusline JSON (stdin) for this pane; the line to show."""
    from credit_management.sources.claude_statusline import sample_from_payload, status_text

    data = b""
    line = "credit-monitor: no usage data"
    try:
        data = read_stdin()
        sample = sample_from_payload(json.loads(data), now_seconds())
        record(obj.paths, obj.socket, sample, DEDUPE_SECONDS)
        line = status_text(sample)
    except Exception as error:  # never fail the status line
        line = "credit-monitor: unreadable statusline input"
        log_problem(obj.paths, "statusline.error", f"{type(error).__name__}: {error}")
    if wrapped:
        output = _wrapped(wrapped, data)
        if output is not None:
            line = output
    return line


def _wrapped(command: str, data: bytes) -> str | None:
    """The wrapped statusLine command's output, run as Claude Code runs it (`sh -c`): it is
    the user's own statusLine setting, a shell command line by Claude Code's definition."""
    import subprocess  # only when wrapping: the plain status line stays fast

    try:
        done = subprocess.run(
            ["/bin/sh", "-c", command],
            input=data,
            capture_output=True,
            timeout=WRAPPED_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.decode("utf-8", "replace").rstrip("\n")


def record_hook(obj: CliContext) -> None:
    """Record a Claude Code hook payload (stdin) for this pane; never raises."""
    from credit_management.sources.claude_hooks import sample_from_hook

    try:
        sample = sample_from_hook(json.loads(read_stdin()), now_seconds())
        record(obj.paths, obj.socket, sample)  # outside tmux there is no pane to tie it to
    except Exception as error:  # a hook must never fail the agent
        log_problem(obj.paths, "hook.error", f"{type(error).__name__}: {error}")
