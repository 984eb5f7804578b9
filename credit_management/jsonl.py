"""Reading JSON-lines files that another process appends to, whole or by their tail.

The one reader behind the agents' own files (Claude's transcript, Codex's rollout) and the
per-pane sample files: what cannot be read yields nothing, a line torn by the tail cut, a line
that is not JSON or not an object is skipped. Never raises for a missing or unreadable file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def read_records(path: Path, tail: int | None = None) -> list[dict[str, Any]]:
    """The JSON objects of the file, oldest first; of its last `tail` bytes when given (the
    first line, cut by the tail, is then skipped). An unreadable file gives []."""
    try:
        with open(path, "rb") as handle:
            start = 0
            if tail is not None:
                size = handle.seek(0, os.SEEK_END)
                start = max(0, size - tail)
                handle.seek(start)
            data = handle.read()
    except OSError:
        return []
    lines = data.split(b"\n")
    if start > 0:
        lines = lines[1:]
    records: list[dict[str, Any]] = []
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records
