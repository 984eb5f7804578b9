"""Samples recorded by the statusline and hook commands, read back as usage windows.

A statusline sample keeps each window as `[used_percent, resets_at epoch seconds]` under its
name (`five_hour`, `seven_day`) and its instant as `t` (epoch seconds).
"""

from __future__ import annotations

from typing import Any

from credit_management.sources.claude_statusline import SOURCE
from credit_management.sources.readings import FIVE_HOUR, SEVEN_DAY, Window
from credit_management.sources.values import epoch_or_iso, percent


def statusline_windows(sample: dict[str, Any], source: str = SOURCE) -> dict[str, Window]:
    """The usage windows a stored sample carries."""
    seen = epoch_or_iso(sample.get("t"))
    result: dict[str, Window] = {}
    if seen is None:
        return result
    for name in (FIVE_HOUR, SEVEN_DAY):
        raw = sample.get(name)
        if not isinstance(raw, list) or len(raw) != 2:
            continue
        used = percent(raw[0])
        if used is None:
            continue
        result[name] = Window(name, used, epoch_or_iso(raw[1]), source, seen)
    return result
