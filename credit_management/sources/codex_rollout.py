"""Codex CLI's rollout files (`$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl`).

`token_count` events carry `rate_limits.primary|secondary` with `used_percent`,
`window_minutes` and `resets_at` (epoch seconds; older builds wrote `resets_in_seconds`,
relative to the record's `timestamp`). Windows are named by their length (300 minutes is the
five-hour window, 10080 the weekly one), not by primary/secondary. The running Codex keeps its
rollout open, so the file is found among the pane's open files, else as the newest rollout whose
`session_meta` cwd is the pane's.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from credit_management.jsonl import read_records
from credit_management.records import Record
from credit_management.sources.readings import (
    FIVE_HOUR,
    SEVEN_DAY,
    Point,
    Window,
    epoch_or_iso,
    percent,
)

SOURCE = "codex-rollout"
LIMIT_ERRORS = frozenset({"usage_limit_exceeded"})
_SEARCH_FILES = 200  # newest rollouts looked at when matching by working directory


@dataclass(repr=False)
class Rollout(Record):
    """What a rollout's tail says: the latest windows, their history, a limit error."""

    path: str
    cwd: str | None = None
    windows: dict[str, Window] = field(default_factory=dict)
    history: dict[str, list[Point]] = field(default_factory=dict)
    limit_error_at: datetime | None = None
    limit_error_text: str = ""
    last_event_at: datetime | None = None


def codex_home(environ: dict[str, str], home: str | None = None) -> Path:
    configured = environ.get("CODEX_HOME")
    if configured:
        return Path(configured).expanduser()
    return Path(environ.get("HOME") or home or str(Path.home())) / ".codex"


def is_rollout(path: str) -> bool:
    name = os.path.basename(path)
    return name.endswith(".jsonl") and (
        name.startswith("rollout-")
        or os.path.basename(os.path.dirname(path)).startswith("rollout-")
    )


def _window_name(raw: dict[str, Any], slot: str) -> str:
    minutes = raw.get("window_minutes")
    if isinstance(minutes, int | float) and not isinstance(minutes, bool):
        return FIVE_HOUR if minutes <= 24 * 60 else SEVEN_DAY
    return FIVE_HOUR if slot == "primary" else SEVEN_DAY


def windows_of(payload: dict[str, Any], at: datetime) -> dict[str, Window]:
    """The windows of one `token_count` payload."""
    limits = payload.get("rate_limits")
    result: dict[str, Window] = {}
    if not isinstance(limits, dict):
        return result
    for slot in ("primary", "secondary"):
        raw = limits.get(slot)
        if not isinstance(raw, dict):
            continue
        used = percent(raw.get("used_percent"))
        if used is None:
            continue
        resets = epoch_or_iso(raw.get("resets_at"))
        relative = raw.get("resets_in_seconds")
        if resets is None and isinstance(relative, int | float) and not isinstance(relative, bool):
            resets = at + timedelta(seconds=float(relative))
        name = _window_name(raw, slot)
        result[name] = Window(name, used, resets, SOURCE, at)
    return result


def read_rollout(path: Path) -> Rollout:
    """The windows, their history and the last limit error in the rollout's tail."""
    rollout = Rollout(str(path))
    for record in read_records(path, tail=1024 * 1024):
        payload = record.get("payload")
        if not isinstance(payload, dict):
            continue
        at = epoch_or_iso(record.get("timestamp"))
        kind = record.get("type")
        if kind == "session_meta" and isinstance(payload.get("cwd"), str):
            rollout.cwd = payload["cwd"]
        if at is None or kind != "event_msg":
            continue
        rollout.last_event_at = at
        event = payload.get("type")
        if event == "token_count":
            for name, window in windows_of(payload, at).items():
                rollout.windows[name] = window
                rollout.history.setdefault(name, []).append(
                    Point(at, window.used_percent, window.resets_at)
                )
        elif event in ("task_complete", "error"):
            error = payload.get("error") if event == "task_complete" else payload
            if isinstance(error, dict) and error.get("codex_error_info") in LIMIT_ERRORS:
                rollout.limit_error_at = at
                rollout.limit_error_text = str(error.get("message") or "")[:300]
        elif event == "task_started":
            rollout.limit_error_at = None
    return rollout


def session_cwd(path: Path) -> str | None:
    """The `cwd` of the rollout's `session_meta` line (its first line)."""
    try:
        with open(path, "rb") as handle:
            first = handle.readline(256 * 1024)
    except OSError:
        return None
    try:
        record = json.loads(first)
    except ValueError:
        return None
    payload = record.get("payload") if isinstance(record, dict) else None
    cwd = payload.get("cwd") if isinstance(payload, dict) else None
    return cwd if isinstance(cwd, str) else None


def find_rollout(open_paths: list[str], cwd: str | None, home: Path) -> Path | None:
    """The rollout the pane's processes hold open, else the newest one for `cwd`."""
    held = [path for path in open_paths if is_rollout(path) and os.path.isfile(path)]
    if held:
        return Path(max(held, key=_mtime))
    if cwd is None:
        return None
    sessions = home / "sessions"
    candidates: list[tuple[float, str]] = []
    for root, _dirs, files in os.walk(sessions):
        for name in files:
            full = os.path.join(root, name)
            if is_rollout(full):
                candidates.append((_mtime(full), full))
    for _mtime_value, path in sorted(candidates, reverse=True)[:_SEARCH_FILES]:
        if session_cwd(Path(path)) == cwd:
            return Path(path)
    return None


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0
