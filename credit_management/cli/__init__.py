"""The `credit-monitor` command line: the entry point, the command table and shared context.

Each command lives in its own module under `credit_management.cli` and stays thin: parse
options, call the library, print. The click group is in `group` and loads a command's module
only when it runs; `main` first offers the arguments to `fast`, which answers Claude Code's
per-update commands without importing click. Library errors become one line and exit 1.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from credit_management.cli.context import (
    ALIASES,
    COMMANDS,
    DEBUG_ENV,
    EPILOG,
    EVERYDAY_ORDER,
    SETUP_COMMANDS,
    SOCKET_ENV,
    TOOL_COMMANDS,
    CliContext,
)

__all__ = [
    "ALIASES",
    "COMMANDS",
    "DEBUG_ENV",
    "EPILOG",
    "EVERYDAY_ORDER",
    "SETUP_COMMANDS",
    "SOCKET_ENV",
    "TOOL_COMMANDS",
    "CliContext",
    "main",
    "watch_main",
]


def main(argv: Sequence[str] | None = None, prog_name: str = "credit-monitor") -> None:
    """Console entry point: never shows a traceback unless CREDIT_MONITOR_DEBUG is set."""
    args = list(sys.argv[1:] if argv is None else argv)
    from credit_management.cli import fast

    try:
        if _fast(fast.handled, args):  # statusline, hook claude and run: no click to load
            return
        from credit_management.cli.group import cli

        cli.main(args=args, prog_name=prog_name)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as error:  # the last line of defence: one line, not a traceback
        if os.environ.get(DEBUG_ENV):
            raise
        sys.stderr.write(f"Error: unexpected {type(error).__name__}: {error}\n")
        sys.exit(1)


def _fast(handled: Callable[[list[str]], bool], args: list[str]) -> bool:
    """`handled(args)` with the cyclic garbage collector off: a command that runs for a moment
    and exits only pays for it (about a sixth of a cron `run`, imports included,
    `bench/bench_import.py`); reference counting still frees everything else."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return handled(args)
    finally:
        if collecting:
            gc.enable()


def watch_main() -> None:
    """`credit_monitor`: runs the watcher, like the original `credit_monitor.py` script."""
    main(["watch", *sys.argv[1:]], prog_name="credit_monitor")


def __getattr__(name: str) -> Any:
    """`cli` (the click group) and `LazyGroup` load click only when asked for."""
    if name in ("cli", "LazyGroup"):
        from credit_management.cli import group

        return getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
