"""The one place that reads the machine rather than a pane: the wall clock and the host's zone.

`CREDIT_MONITOR_NOW` (an ISO 8601 instant) freezes the clock; `CREDIT_MONITOR_CLOCK_OFFSET`
(seconds, may be negative or fractional) shifts it. Both exist so that end-to-end tests can run
the real commands "after the reset" without waiting hours for it. `host_zone` is the zone an
agent prints local times in when it names none.
"""

from __future__ import annotations

import math
import os
import time
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Protocol

from credit_management.detect.resets import get_zone, zone_named
from credit_management.errors import ConfigError

NOW_ENV = "CREDIT_MONITOR_NOW"
OFFSET_ENV = "CREDIT_MONITOR_CLOCK_OFFSET"
MAX_OFFSET_SECONDS = 100 * 365 * 86400  # a century either way


class Clock(Protocol):
    """Something that tells the time (aware, UTC) and can wait."""

    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock, shifted or frozen by the environment variables above."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._frozen: datetime | None = None
        self._offset = timedelta(0)
        frozen = env.get(NOW_ENV)
        if frozen:
            try:
                moment: datetime | None = datetime.fromisoformat(frozen.replace("Z", "+00:00"))
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                raise ConfigError(f"{NOW_ENV}: not an ISO 8601 instant with an offset: {frozen!r}")
            self._frozen = moment.astimezone(UTC)
        offset = env.get(OFFSET_ENV)
        if offset:
            try:
                seconds = float(offset)
            except ValueError:
                seconds = math.nan
            if not math.isfinite(seconds) or abs(seconds) > MAX_OFFSET_SECONDS:
                raise ConfigError(f"{OFFSET_ENV}: not a number of seconds: {offset!r}")
            self._offset = timedelta(seconds=seconds)

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen + self._offset
        return datetime.now(UTC) + self._offset

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def advance(self, seconds: float) -> None:
        """Jump ahead (tests: "hours later") while sleeps stay real for tmux round trips."""
        self._offset += timedelta(seconds=seconds)


class FakeClock:
    """A clock that moves only when told to; `sleep` advances it instantly."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)


def local_zone_name(environ: dict[str, str] | None = None) -> str:
    """The host's IANA zone name ($TZ, /etc/localtime, /etc/timezone); "UTC" when unknown."""
    env = os.environ if environ is None else environ
    candidates: list[str] = []
    if env.get("TZ"):
        candidates.append(env["TZ"].lstrip(":"))
    try:
        target = os.readlink("/etc/localtime")
        if "zoneinfo/" in target:
            candidates.append(target.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    try:
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except OSError:
        pass
    return next((name for name in candidates if get_zone(name) is not None), "UTC")


def host_zone(name: str | None = None) -> tzinfo:
    """The agent host's zone: `name` if given (unknown -> InputError), else the local zone.

    The local zone is a full IANA zone (DST history included) whenever the host names one;
    only a host with no zone information at all falls back to its current fixed offset.
    """
    if name is not None:
        return zone_named(name)
    local = local_zone_name()
    zone = get_zone(local)
    if local != "UTC" and zone is not None:
        return zone
    if os.environ.get("TZ") or Path("/etc/localtime").exists():
        offset = datetime.now().astimezone().tzinfo
        if offset is not None and offset.utcoffset(None) != timedelta(0):
            return offset
    return UTC
