"""Claude Code's session transcript (`<config>/projects/<slug>/<session>.jsonl`), read for the
API-error records that stop a turn.

Claude writes a limit as an assistant record with `"isApiErrorMessage": true`, an `error` name
(`rate_limit`, `billing_error`, ...), the banner in its content and, in newer builds,
`quotaLimits.resetsAt`. This needs no set-up: the transcript is found from the Claude process's
working directory (the slug is that path with every non-alphanumeric character turned into
`-`), newest file first. Only the file's tail is read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from credit_management.jsonl import read_records
from credit_management.records import Record
from credit_management.sources.readings import epoch_or_iso

SOURCE = "claude-transcript"
TAIL_BYTES = 256 * 1024
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


@dataclass(frozen=True, repr=False)
class ApiError(Record):
    """The last API-error record of a transcript, if it is the last word of the session."""

    error: str | None
    text: str
    at: datetime | None
    resets_at: datetime | None  # quotaLimits.resetsAt, when Claude wrote it
    transient: bool
    path: str


def config_dir(environ: dict[str, str], home: str | None = None) -> Path:
    """Claude's configuration folder: $CLAUDE_CONFIG_DIR, else ~/.claude."""
    configured = environ.get("CLAUDE_CONFIG_DIR")
    if configured:
        return Path(configured).expanduser()
    base = environ.get("HOME") or home or str(Path.home())
    return Path(base) / ".claude"


def project_slug(cwd: str) -> str:
    """The projects/ folder name for a working directory (first 200 characters)."""
    return _NOT_ALNUM.sub("-", cwd)[:200]


def find_transcript(cwd: str, config: Path) -> Path | None:
    """The newest `*.jsonl` of the project folder for `cwd` (a long slug matches by prefix)."""
    projects = config / "projects"
    slug = project_slug(cwd)
    folders = [projects / slug]
    if len(slug) >= 200:
        try:
            folders = [p for p in projects.iterdir() if p.name.startswith(slug)]
        except OSError:
            return None
    newest: tuple[float, Path] | None = None
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if not entry.name.endswith(".jsonl"):
                continue
            try:
                mtime = entry.stat().st_mtime
            except OSError:
                continue
            if newest is None or mtime > newest[0]:
                newest = (mtime, Path(entry.path))
    return newest[1] if newest else None


def tail_records(path: Path, limit: int = TAIL_BYTES) -> list[dict[str, Any]]:
    """The JSON records of the file's last `limit` bytes (a torn first line is skipped)."""
    return read_records(path, limit)


def _text_of(record: dict[str, Any]) -> str:
    message = record.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, str):
        return content
    parts: list[str] = []
    if isinstance(content, list):
        for block in content:
            if isinstance(block, dict) and isinstance(block.get("text"), str):
                parts.append(block["text"])
    return "\n".join(parts)


def last_api_error(records: list[dict[str, Any]], path: str = "") -> ApiError | None:
    """The last assistant record when it is an API error (a later answer means it passed)."""
    for record in reversed(records):
        if record.get("type") != "assistant":
            continue
        if record.get("isApiErrorMessage") is not True:
            return None
        error = record.get("error")
        if isinstance(error, dict):
            error = error.get("type") or error.get("message")
        quota = record.get("quotaLimits")
        resets = epoch_or_iso(quota.get("resetsAt")) if isinstance(quota, dict) else None
        return ApiError(
            error=str(error) if error else None,
            text=_text_of(record)[:500],
            at=epoch_or_iso(record.get("timestamp")),
            resets_at=resets,
            transient=record.get("apiErrorIsTransient") is True,
            path=path,
        )
    return None


def read_api_error(path: Path) -> ApiError | None:
    return last_api_error(tail_records(path), str(path))
