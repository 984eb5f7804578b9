"""Foresight from usage samples: how fast a window is used and when it will be full.

`burn_rate` is percent per hour over the recent samples of the window's current cycle (the
samples that share its reset instant); `predicted_exhaustion` extends it to 100%. Pure
arithmetic on `Point`s; nothing here reads a clock or a file.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from credit_management.sources.readings import Point, Window

LOOKBACK = timedelta(hours=1)
MIN_SPAN = timedelta(seconds=10)
MIN_RISE = 1.0  # percentage points: less is rounding noise, not a trend
_SAME_RESET = timedelta(minutes=2)  # resets_at wobbles by a few seconds between samples


def cycle_points(points: list[Point], window: Window) -> list[Point]:
    """The samples of the window's current cycle (same reset instant), oldest first."""
    if window.resets_at is None:
        return [p for p in points if p.resets_at is None]
    return [
        p
        for p in points
        if p.resets_at is not None and abs(p.resets_at - window.resets_at) <= _SAME_RESET
    ]


def burn_rate(points: list[Point], window: Window) -> float | None:
    """Percent of the window used per hour lately, or None without enough rising samples."""
    cycle = sorted(cycle_points(points, window), key=lambda p: p.at)
    if not cycle:
        return None
    last = cycle[-1]
    recent = [p for p in cycle if last.at - p.at <= LOOKBACK] or [last]
    first = recent[0]
    span = last.at - first.at
    if span < MIN_SPAN:
        return None
    rise = last.used_percent - first.used_percent
    if rise < MIN_RISE:
        return 0.0
    return rise / (span / timedelta(hours=1))


def predicted_exhaustion(window: Window, rate: float | None) -> datetime | None:
    """When the window reaches 100% at `rate`; its last sample time if already full."""
    if window.full:
        return window.seen_at
    if rate is None or rate <= 0:
        return None
    hours = (100.0 - window.used_percent) / rate
    if hours > 24 * 30:
        return None
    return window.seen_at + timedelta(hours=hours)
