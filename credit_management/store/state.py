"""The state file `data/credit_schedule.json`: load, validate, lock, save atomically.

Owns the on-disk schema (the seed's `reset_times`, `timezone` and `agents` keyed
`session:window_index`, plus `version`, `schedules` and `alerts`), the exclusive lock every
change takes, the atomic write that survives `kill -9`, and the rule that a corrupt or
unknown-version file is backed up and reported, never silently replaced. Every save is also
journaled (`state.changed`, and a `state.snapshot` at the head of each journal file) so that
`store.rebuild` can recreate a lost file, and wakes a listening watcher (`store.wakeup`). Also
owns the run lock that keeps two monitor runs from acting at once.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from credit_management.clock import Clock, SystemClock
from credit_management.detect.resets import get_zone
from credit_management.errors import LockBusy, StateError
from credit_management.models import (
    HISTORY_LIMIT,
    AgentRecord,
    Alert,
    ScheduledNote,
    Status,
    clone,
    iso,
)
from credit_management.records import Record
from credit_management.store import wakeup
from credit_management.store.journal import EventLog
from credit_management.store.locks import file_lock
from credit_management.store.paths import Paths

CURRENT_VERSION = 1
DEFAULT_RESET_TIMES: tuple[str, ...] = ("18:00", "23:00", "04:00", "09:00", "14:00")
DEFAULT_TIMEZONE = "UTC"
# Each agent keeps only its most recent history entries; the event log keeps everything.
_LOCK_POLL_SECONDS = 0.01
_TEMP_PREFIX = ".credit_schedule."
_TEMP_SUFFIX = ".tmp"
_KNOWN_TOP_LEVEL = ("version", "reset_times", "timezone", "agents", "schedules", "alerts")
# Agent fields holding instants: they must carry an offset (naive ones are migrated from the
# old tool's files, which wrote local wall times).
_INSTANT_FIELDS = tuple(
    name
    for name in (
        "since",
        "exhausted_at",
        "scheduled_resume",
        "reset_at",
        "last_seen",
        "paused_until",
        "resume_sent_at",
    )
    if name in AgentRecord.__dataclass_fields__
)
# Statuses written by the old tool that are not lifecycle states here.
_LEGACY_STATUSES = {"warning": Status.ACTIVE, "unknown": Status.ACTIVE}

_Item = TypeVar("_Item")
# Agent fields that change on every look and are not needed to rebuild the state: a save that
# changes only these is not journaled.
_UNJOURNALED = ("history", "last_seen", "last_signal")
SNAPSHOT_MARK = "journal.snapshot"  # which journal file already holds a snapshot (dev:inode)


class StateCorrupt(StateError):
    """The state file cannot be read as a state (not a future version): a rebuild from the
    journal repairs it. `backup` is where the bad bytes were copied."""

    def __init__(self, message: str, backup: Path, reason: str) -> None:
        super().__init__(message)
        self.backup = backup
        self.reason = reason


@dataclass(repr=False)
class State(Record):
    """Everything the supervisor knows, as kept in the state file."""

    version: int = CURRENT_VERSION
    reset_times: list[str] = field(default_factory=lambda: list(DEFAULT_RESET_TIMES))
    timezone: str = DEFAULT_TIMEZONE
    agents: dict[str, AgentRecord] = field(default_factory=dict)
    schedules: list[ScheduledNote] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    # Unknown top-level keys (for example the old tool's `reset_history`), kept on save.
    extra: dict[str, Any] = field(default_factory=dict)
    # Unknown keys inside agent records, by target, kept on save.
    agent_extra: dict[str, dict[str, Any]] = field(default_factory=dict)

    def agent(self, target: str) -> AgentRecord:
        """The record for `target`, created (active, empty) if it is not known yet."""
        record = self.agents.get(target)
        if record is None:
            record = AgentRecord()
            self.agents[target] = record
        return record

    def open_alert(self, target: str) -> Alert | None:
        """The newest unresolved alert for `target`, if any."""
        for alert in reversed(self.alerts):
            if alert.target == target and alert.open:
                return alert
        return None

    def to_dict(self) -> dict[str, Any]:
        """The JSON document written to disk (agent histories trimmed to HISTORY_LIMIT)."""
        data: dict[str, Any] = dict(self.extra)
        agents: dict[str, Any] = {}
        for target in sorted(self.agents):
            record = self.agents[target]
            if len(record.history) > HISTORY_LIMIT:
                del record.history[:-HISTORY_LIMIT]
            stored = dict(self.agent_extra.get(target, {}))
            stored.update(record.to_dict())
            agents[target] = stored
        data.update(
            {
                "version": self.version,
                "reset_times": list(self.reset_times),
                "timezone": self.timezone,
                "agents": agents,
                "schedules": [note.to_dict() for note in self.schedules],
                "alerts": [alert.to_dict() for alert in self.alerts],
            }
        )
        return data

    @classmethod
    def from_dict(cls, data: object) -> State:
        """Validate and read a decoded document; raises ValueError saying what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        legacy = "version" not in data
        version = data.get("version", CURRENT_VERSION)
        if not isinstance(version, int) or isinstance(version, bool):
            raise ValueError(f"version is not an integer: {version!r}")
        if version != CURRENT_VERSION:
            raise ValueError(
                f"unknown version {version} (this credit-monitor reads version {CURRENT_VERSION})"
            )
        reset_times = data.get("reset_times", list(DEFAULT_RESET_TIMES))
        if not isinstance(reset_times, list) or not all(
            isinstance(item, str) and _is_clock_time(item) for item in reset_times
        ):
            raise ValueError('reset_times is not a list of "HH:MM" times')
        timezone = data.get("timezone", DEFAULT_TIMEZONE)
        if not isinstance(timezone, str):
            raise ValueError("timezone is not a string")
        raw_agents = data.get("agents", {})
        if not isinstance(raw_agents, dict):
            raise ValueError("agents is not an object")
        zone = _zone_or_utc(timezone) if legacy else UTC
        agents: dict[str, AgentRecord] = {}
        agent_extra: dict[str, dict[str, Any]] = {}
        for target, raw in raw_agents.items():
            record, unknown = _read_agent(target, raw, legacy=legacy, zone=zone)
            agents[target] = record
            if unknown:
                agent_extra[target] = unknown
        schedules = _read_list(data, "schedules", ScheduledNote.from_dict)
        alerts = _read_list(data, "alerts", Alert.from_dict)
        extra = {key: value for key, value in data.items() if key not in _KNOWN_TOP_LEVEL}
        return cls(
            version=CURRENT_VERSION,
            reset_times=list(reset_times),
            timezone=timezone,
            agents=agents,
            schedules=schedules,
            alerts=alerts,
            extra=extra,
            agent_extra=agent_extra,
        )


def _is_clock_time(text: str) -> bool:
    hours, colon, minutes = text.partition(":")
    return (
        bool(colon)
        and hours.isdigit()
        and minutes.isdigit()
        and len(minutes) == 2
        and 0 <= int(hours) <= 23
        and 0 <= int(minutes) <= 59
    )


def _check_zone(name: str, path: Path) -> None:
    """A zone the reset slots cannot be read in is an error for every command, at load (the
    file itself is fine: no backup, no rebuild)."""
    try:
        ZoneInfo(name)
        return
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    if get_zone(name) is None:
        raise StateError(
            f"state file {path}: timezone {name[:80]!r} is not a zone this machine knows; "
            "set an IANA name such as 'Europe/Lisbon' or 'UTC'"
        )


def _zone_or_utc(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _read_agent(
    target: object, raw: object, *, legacy: bool, zone: tzinfo
) -> tuple[AgentRecord, dict[str, Any]]:
    if not isinstance(target, str) or not target:
        raise ValueError(f"agent key {target!r} is not a target name")
    if not isinstance(raw, dict):
        raise ValueError(f"agent {target!r} is not an object")
    values = dict(raw)
    status = values.get("status", Status.ACTIVE.value)
    if not isinstance(status, str):
        raise ValueError(f"agent {target!r} has a status that is not text: {status!r}")
    if legacy and status in _LEGACY_STATUSES:
        values["status"] = _LEGACY_STATUSES[status].value
    elif status not in {member.value for member in Status}:
        raise ValueError(f"agent {target!r} has an unknown status {status!r}")
    for name in _INSTANT_FIELDS:
        values[name] = _read_instant(target, name, values.get(name), legacy=legacy, zone=zone)
    history = values.get("history", [])
    if not isinstance(history, list):
        raise ValueError(f"agent {target!r}: history is not a list")
    # The old tool's history could hold bare strings; keep them readable as entries.
    values["history"] = [
        item if isinstance(item, dict) else {"note": str(item)} for item in history
    ][-HISTORY_LIMIT:]
    queued = values.get("queued", [])
    if not isinstance(queued, list) or not all(isinstance(item, dict) for item in queued):
        raise ValueError(f"agent {target!r}: queued is not a list of objects")
    attempts = values.get("attempts", 0)
    if not isinstance(attempts, int) or isinstance(attempts, bool):
        raise ValueError(f"agent {target!r}: attempts is not an integer")
    known = set(AgentRecord.__dataclass_fields__)
    unknown = {key: value for key, value in raw.items() if key not in known}
    try:
        record = AgentRecord.from_dict(values)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"agent {target!r}: {error}") from error
    return record, unknown


def _read_instant(
    target: str, name: str, value: object, *, legacy: bool, zone: tzinfo
) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"agent {target!r}: {name} is not a string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"agent {target!r}: {name} is not an ISO 8601 instant") from error
    if moment.tzinfo is None:
        if not legacy:
            raise ValueError(f"agent {target!r}: {name} has no UTC offset: {value!r}")
        moment = moment.replace(tzinfo=zone)
    return iso(moment)


def _read_list(
    data: dict[str, Any], key: str, reader: Callable[[dict[str, Any]], _Item]
) -> list[_Item]:
    raw = data.get(key, [])
    if not isinstance(raw, list):
        raise ValueError(f"{key} is not a list")
    items: list[_Item] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ValueError(f"{key}[{index}] is not an object")
        try:
            items.append(reader(item))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{key}[{index}]: {error}") from error
    return items


def encode_state(state: State) -> bytes:
    """The exact bytes written for `state`: indented JSON, UTF-8, trailing newline."""
    text = json.dumps(state.to_dict(), indent=2, ensure_ascii=False)
    return (text + "\n").encode("utf-8")


class StateStore:
    """Reads and writes one state file; every change goes through `transaction`."""

    def __init__(self, paths: Paths, clock: Clock | None = None) -> None:
        self.paths = paths
        self._clock: Clock = clock if clock is not None else SystemClock()

    @property
    def path(self) -> Path:
        return self.paths.state_file

    def load(self) -> State:
        """The current state without taking the lock (writes are atomic, so this is safe).

        A missing file gives a fresh State; a corrupt or unknown-version file is copied to a
        `.corrupt-<UTC time>` backup beside it and reported as a StateError.
        """
        return self.load_known()[1]

    def load_known(self) -> tuple[bytes | None, State]:
        """`load`, with the bytes it was decoded from (for `transaction(known=...)`)."""
        raw = self._read_raw()
        return raw, (State() if raw is None else self._decode(raw))

    def _read_raw(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StateError(f"cannot read state file {self.path}: {error.strerror}") from error

    def _decode(self, raw: bytes) -> State:
        try:
            state = State.from_dict(json.loads(raw.decode("utf-8")))
            _check_zone(state.timezone, self.path)
            return state
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
            reason = _short_reason(error)
            backup = self._backup(raw)
            if _future_version(raw):
                raise StateError(
                    f"state file {self.path} is unusable ({reason}); left untouched, "
                    f"copy saved as {backup}; upgrade credit-monitor to read it"
                ) from error
            raise StateCorrupt(
                f"state file {self.path} is unusable ({reason}); left untouched, "
                f"copy saved as {backup}; `credit-monitor state rebuild` repairs it "
                "from the journal",
                backup,
                reason,
            ) from error

    @contextlib.contextmanager
    def transaction(
        self, timeout: float = 10.0, known: tuple[bytes | None, State] | None = None
    ) -> Iterator[State]:
        """Yield the state under an exclusive lock; save it atomically if the block succeeds,
        and only when it changed.

        `known` is a `load_known()` result the caller has not changed: when the file still holds
        those bytes its state is used as it is instead of being decoded again.
        """
        with self._locked(timeout):
            self._remove_stale_temps()
            before = self._read_raw()
            if known is not None and known[0] == before:
                state = known[1]
            else:
                state = State() if before is None else self._decode(before)
            # A copy to compare with costs a fraction of encoding the state to find it unchanged
            # (a file in an older layout is rewritten with the first real change).
            pristine = clone(state) if before is not None else None
            yield state
            if pristine is not None and state == pristine:
                return
            after = encode_state(state)
            if after != before:
                # What the journal compares with, decoded again only now that it is needed.
                start = journal_view(State() if before is None else self._decode(before))
                self._write(after)
                self.journal(start, state)
                wakeup.notify(self.paths)

    def keep_aside(self) -> Path | None:
        """Copy the file's bytes to a `.corrupt-<UTC time>` backup (None when absent)."""
        raw = self._read_raw()
        return self._backup(raw) if raw is not None else None

    def replace(self, state: State) -> None:
        """Write `state` over whatever the file holds (a rebuild), under the lock, journaled
        as a fresh snapshot."""
        with self._locked(10.0):
            self._remove_stale_temps()
            self._write(encode_state(state))
            self.journal(None, state, snapshot=True)
            wakeup.notify(self.paths)

    def journal(
        self, before: dict[str, Any] | None, state: State, *, snapshot: bool = False
    ) -> None:
        """Append what this save changed (or the whole state) to the journal; best effort,
        as the state file itself is already safely written."""
        log = EventLog(self.paths.events_log)
        after = journal_view(state)
        now = self._clock.now()
        mark = self.paths.data_dir / SNAPSHOT_MARK
        with contextlib.suppress(StateError, OSError, ValueError):
            identity = _file_identity(log.path)
            if not snapshot:
                try:
                    snapshot = mark.read_text(encoding="ascii").strip() != identity
                except FileNotFoundError:
                    snapshot = True
            if snapshot or before is None:
                log.append("state.snapshot", now=now, state=after)
                mark.write_text(_file_identity(log.path) + "\n", encoding="ascii")
                return
            changes = journal_changes(before, after)
            if changes:
                log.append("state.changed", now=now, **changes)

    @contextlib.contextmanager
    def _locked(self, timeout: float) -> Iterator[None]:
        with file_lock(self.paths.lock_file, timeout) as lock:
            if not lock.locked:
                raise StateError(
                    f"state file is locked by another process: {lock.path} (waited {timeout:g}s)"
                )
            yield

    def _write(self, payload: bytes) -> None:
        directory = self.path.parent
        _ensure_dir(directory)
        try:
            mode = self.path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        fd, temp_name = _mkstemp(directory)
        try:
            try:
                view = memoryview(payload)
                while view:
                    written = os.write(fd, view)
                    view = view[written:]
                os.fchmod(fd, mode)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp_name, self.path)
        except OSError as error:
            with contextlib.suppress(OSError):
                os.unlink(temp_name)
            raise StateError(f"cannot write state file {self.path}: {error.strerror}") from error
        _fsync_dir(directory)

    def _remove_stale_temps(self) -> None:
        # Only lock holders write temp files, so any left while we hold the lock are from a
        # writer that was killed before its os.replace.
        directory = self.path.parent
        if not directory.is_dir():
            return
        for leftover in directory.glob(f"{_TEMP_PREFIX}*{_TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def _backup(self, raw: bytes) -> Path:
        """Copy the unusable bytes aside once (an identical earlier backup is reused)."""
        directory = self.path.parent
        for existing in sorted(directory.glob(f"{self.path.name}.corrupt-*")):
            with contextlib.suppress(OSError):
                if existing.read_bytes() == raw:
                    return existing
        stamp = self._clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        backup = directory / f"{self.path.name}.corrupt-{stamp}"
        counter = 1
        while True:
            try:
                fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
                break
            except FileExistsError:
                backup = directory / f"{self.path.name}.corrupt-{stamp}-{counter}"
                counter += 1
            except OSError as error:
                raise StateError(
                    f"state file {self.path} is unusable and no backup could be written: "
                    f"{error.strerror}"
                ) from error
        try:
            os.write(fd, raw)
            os.fsync(fd)
        finally:
            os.close(fd)
        return backup


def journal_view(state: State) -> dict[str, Any]:
    """The state as journaled: the whole document less what changes on every look."""
    document = state.to_dict()
    document["agents"] = {
        target: {key: value for key, value in record.items() if key not in _UNJOURNALED}
        for target, record in document["agents"].items()
    }
    return document


def journal_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What a `state.changed` line carries: changed agents whole, removed agents, and the
    changed top-level keys. Empty when nothing worth journaling changed."""
    changes: dict[str, Any] = {}
    old_agents, new_agents = before.get("agents", {}), after.get("agents", {})
    changed = {
        target: record for target, record in new_agents.items() if old_agents.get(target) != record
    }
    removed = sorted(set(old_agents) - set(new_agents))
    top = {
        key: value for key, value in after.items() if key != "agents" and before.get(key) != value
    }
    if changed:
        changes["agents"] = changed
    if removed:
        changes["removed"] = removed
    if top:
        changes["top"] = top
    return changes


def _file_identity(path: Path) -> str:
    try:
        info = path.stat()
    except FileNotFoundError:
        return "none"
    return f"{info.st_dev}:{info.st_ino}"


def _future_version(raw: bytes) -> bool:
    """Whether `raw` is a state written by a newer credit-monitor (never to be rebuilt over)."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return False
    version = data.get("version") if isinstance(data, dict) else None
    return isinstance(version, int) and not isinstance(version, bool) and version > CURRENT_VERSION


def _short_reason(error: BaseException) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON at line {error.lineno} column {error.colno}"
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(error, RecursionError):
        return "nested too deeply"
    text = " ".join(str(error).split())
    return text if len(text) <= 200 else text[:197] + "..."


def _ensure_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StateError(f"cannot create folder {directory}: {error.strerror}") from error


def _mkstemp(directory: Path) -> tuple[int, str]:
    import tempfile  # only for a save: a sweep that changed nothing never loads it

    try:
        return tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX, dir=directory)
    except OSError as error:
        raise StateError(f"cannot write in {directory}: {error.strerror}") from error


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def run_lock(paths: Paths) -> Iterator[None]:
    """Hold the monitor's run lock; LockBusy at once if another run holds it."""
    with contextlib.ExitStack() as stack:
        try:
            lock = stack.enter_context(file_lock(paths.run_lock_file, 0))
        except OSError as error:
            raise StateError(f"cannot lock {paths.run_lock_file}: {error.strerror}") from error
        if not lock.locked:
            holder = lock.read_owner()
            raise LockBusy(f"another credit-monitor run is in progress (pid {holder or 'unknown'})")
        lock.write_owner()
        yield
