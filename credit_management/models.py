"""The shared vocabulary: signal kinds, agent statuses, and the records kept in the state file.

Plain dataclasses with `to_dict`/`from_dict` so that `state.py` can store them as JSON and every
other module can pass them around typed. No I/O and no clock reads happen here.
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from credit_management.records import Record

_T = TypeVar("_T")


class Kind(StrEnum):
    """What a pane's text shows now (the `kind` of `credit-monitor classify`)."""

    EXHAUSTED = "exhausted"
    BILLING = "billing"
    AUTH = "auth"
    AUTO_RESUME = "auto_resume"
    WARNING = "warning"
    FALLBACK = "fallback"
    RATE_LIMIT = "rate_limit"
    OVERLOADED = "overloaded"
    NONE = "none"

    @property
    def stops_agent(self) -> bool:
        """True for the kinds that stop an agent until something happens."""
        return self in (Kind.EXHAUSTED, Kind.BILLING, Kind.AUTH, Kind.AUTO_RESUME)


class Status(StrEnum):
    """Where an agent is in its lifecycle (see README, "The agent lifecycle")."""

    ACTIVE = "active"
    EXHAUSTED = "exhausted"
    RESUMING = "resuming"
    PAUSED = "paused"
    WAITING_SELF = "waiting_self"
    NEEDS_ATTENTION = "needs_attention"
    MISSING = "missing"
    CRASHED = "crashed"

    @property
    def holds_messages(self) -> bool:
        """True when a message sent now would be lost, so it must be queued instead."""
        return self in (
            Status.EXHAUSTED,
            Status.PAUSED,
            Status.RESUMING,
            Status.WAITING_SELF,
            Status.NEEDS_ATTENTION,
        )


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 with an offset, or None. Naive datetimes are a programming error."""
    if moment is None:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime: {moment!r}")
    return moment.isoformat()


def parse_iso(text: str | None) -> datetime | None:
    """Inverse of `iso`; rejects instants without an offset."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"instant without an offset: {text!r}")
    return moment


def target_order(target: str) -> tuple[str, int, str]:
    """Sort key for targets: by session, then window index as a number ("main:2" before
    "main:10"); windows named rather than numbered come last."""
    session, _, window = target.partition(":")
    head = window.split(".", 1)[0]
    return (session, int(head) if head.isdigit() else 1 << 30, window)


@dataclass(frozen=True, repr=False)
class Signal(Record):
    """What `signals.classify` read from a pane: the current state and its evidence."""

    kind: Kind
    provider: str | None = None
    reset_at: datetime | None = None
    evidence: str = ""
    message: str = ""
    # Which limit: "session", "5-hour", "weekly", "opus", "daily", "per-minute", ... when known.
    scope: str | None = None
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "provider": self.provider,
            "reset_at": iso(self.reset_at),
            "evidence": self.evidence,
            "message": self.message,
            "scope": self.scope,
            "model": self.model,
        }

    @classmethod
    def none(cls) -> Signal:
        """Nothing about credits on screen."""
        return cls(Kind.NONE)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signal:
        return cls(
            kind=Kind(data["kind"]),
            provider=data.get("provider"),
            reset_at=parse_iso(data.get("reset_at")),
            evidence=data.get("evidence", ""),
            message=data.get("message", ""),
            scope=data.get("scope"),
            model=data.get("model"),
        )


@dataclass(repr=False)
class QueuedMessage(Record):
    """A message held for an agent until it is verified active (or a scheduled note)."""

    id: str
    text: str
    created_at: str
    source: str = "send"  # "send", "schedule", "orchestrator", "resume"
    due_at: str | None = None
    # A delivery under way, recorded before typing (messaging.delivery): when, into which
    # pane, how far it got and what the pane showed, so a run killed mid-delivery can tell
    # from the pane whether the message went. None when no delivery is under way.
    attempt: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if data["attempt"] is None:
            del data["attempt"]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> QueuedMessage:
        return cls(
            id=str(data["id"]),
            text=str(data["text"]),
            created_at=str(data["created_at"]),
            source=str(data.get("source", "send")),
            due_at=data.get("due_at"),
            attempt=data["attempt"] if isinstance(data.get("attempt"), dict) else None,
        )


@dataclass(repr=False)
class ScheduledNote(Record):
    """A note to deliver to a target at `due_at` (`credit-monitor schedule`)."""

    id: str
    target: str
    text: str
    due_at: str
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScheduledNote:
        return cls(
            id=str(data["id"]),
            target=str(data["target"]),
            text=str(data["text"]),
            due_at=str(data["due_at"]),
            created_at=str(data["created_at"]),
        )


@dataclass(repr=False)
class Alert(Record):
    """An out-of-credits incident shown by the dashboard; one per stop, until resolved."""

    id: str
    target: str
    kind: str
    message: str
    created_at: str
    provider: str | None = None
    model: str | None = None
    scheduled_resume: str | None = None
    resolution: str | None = None  # "resumed", "dismissed", "manual"
    resolved_at: str | None = None

    @property
    def open(self) -> bool:
        return self.resolution is None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        return cls(
            id=str(data["id"]),
            target=str(data["target"]),
            kind=str(data["kind"]),
            message=str(data.get("message", "")),
            created_at=str(data["created_at"]),
            provider=data.get("provider"),
            model=data.get("model"),
            scheduled_resume=data.get("scheduled_resume"),
            resolution=data.get("resolution"),
            resolved_at=data.get("resolved_at"),
        )


@dataclass(repr=False)
class AgentRecord(Record):
    """One agent (keyed `session:window_index`) as stored under `agents` in the state file."""

    status: Status = Status.ACTIVE
    since: str | None = None  # when `status` last changed
    exhausted_at: str | None = None
    scheduled_resume: str | None = None
    reset_at: str | None = None  # the instant the agent printed, without the margin
    window_name: str | None = None
    pane_id: str | None = None
    provider: str | None = None
    model: str | None = None
    reason: str | None = None
    evidence: str | None = None
    last_signal: dict[str, Any] | None = None
    last_seen: str | None = None
    # A stop seen once and waiting for a second look before acting (its Signal as a dict).
    pending_signal: dict[str, Any] | None = None
    attempts: int = 0  # failed resume attempts since the stop
    # When the test message of a verified resume went out (status `resuming`), else None.
    resume_sent_at: str | None = None
    # The pane's foreground command when last seen running an agent (crash detection).
    command: str | None = None
    paused_until: str | None = None
    warned_reset: str | None = None  # the reset a warning was already sent for
    # A transient error being watched for a stall (lifecycle.nudge), else None.
    stall: dict[str, Any] | None = None
    # Text of the pane's last lines at the last resume: only output below it is "new".
    resume_mark: str | None = None
    # Verified resumes in a row after which the held messages had not moved (queue.stalled).
    stalled_resumes: int = 0
    # Why messages for this window cannot be typed now (a shell in front), else None.
    unreachable: str | None = None
    # Structured usage: {"five_hour": {"used_percent", "resets_at", "source", "seen_at", ...},
    # "seven_day": {...}}, the session's cost, and when the first window is predicted to run out.
    usage: dict[str, dict[str, Any]] = field(default_factory=dict)
    cost_usd: float | None = None
    predicted_exhaustion: str | None = None
    usage_warned: list[str] = field(default_factory=list)  # usage warnings already given
    queued: list[QueuedMessage] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def queue_stalled(self) -> bool:
        """Whether its held messages have not moved for `STALL_RESUMES` resumes in a row."""
        return self.stalled_resumes >= STALL_RESUMES

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["queued"] = [message.to_dict() for message in self.queued]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AgentRecord:
        known = {name for name in cls.__dataclass_fields__}
        values = {key: value for key, value in data.items() if key in known}
        values["status"] = Status(values.get("status", Status.ACTIVE.value))
        values["queued"] = [QueuedMessage.from_dict(item) for item in data.get("queued", [])]
        values["history"] = list(data.get("history", []))
        return cls(**values)


HISTORY_LIMIT = 200  # history entries kept per agent
STALL_RESUMES = 3  # verified resumes in a row without held work moving: `queue.stalled`


def set_status(
    record: AgentRecord,
    status: Status,
    *,
    now: datetime,
    reason: str | None = None,
    actor: str = "monitor",
    **details: Any,
) -> dict[str, Any]:
    """Move `record` to `status` in place and append the change to its bounded history.

    `since` changes only when the status does, so it always says how long the agent has been
    in its current status. Returns the history entry.
    """
    previous = record.status
    if previous != status or record.since is None:
        record.since = iso(now)
    record.status = status
    record.reason = reason
    entry: dict[str, Any] = {
        "time": iso(now),
        "from": previous.value,
        "to": status.value,
        "reason": reason,
        "actor": actor,
    }
    entry.update({key: value for key, value in details.items() if value is not None})
    record.history.append(entry)
    del record.history[:-HISTORY_LIMIT]
    return entry


HOOK_DEFAULT_TIMEOUT = 10.0
HOOK_DEFAULT_RETRIES = 2


@dataclass(frozen=True, repr=False)
class HookSpec(Record):
    """One hook: which events it wants (fnmatch patterns) and what to run or call."""

    events: Sequence[str] = ("*",)
    command: Sequence[str] | None = None
    url: str | None = None
    timeout: float = HOOK_DEFAULT_TIMEOUT
    retries: int = HOOK_DEFAULT_RETRIES

    def __post_init__(self) -> None:
        # Stored as tuples so a spec is hashable and cannot change under a running hook.
        object.__setattr__(self, "events", tuple(self.events))
        if self.command is not None:
            object.__setattr__(self, "command", tuple(self.command))
        if (self.command is None) == (self.url is None):
            raise ValueError("a hook needs exactly one of command or url")
        if self.command is not None and not self.command:
            raise ValueError("a hook command needs at least the program name")

    def matches(self, event: str) -> bool:
        """True when one of the patterns matches `event` (case-sensitive)."""
        return any(fnmatch.fnmatchcase(event, pattern) for pattern in self.events)

    def describe(self) -> str:
        """A short human name for logs: the URL or the command line."""
        if self.url is not None:
            return self.url
        assert self.command is not None
        return " ".join(self.command)

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": list(self.events),
            "command": list(self.command) if self.command is not None else None,
            "url": self.url,
            "timeout": self.timeout,
            "retries": self.retries,
        }


_IMMUTABLE = (str, int, float, bool, type(None), datetime, StrEnum, Signal)


def clone(value: _T) -> _T:
    """A deep copy of stored data (dicts, lists, the records above), made field by field.

    A sweep copies every agent record: `copy.deepcopy` costs ten times as much. Values no
    stored record holds fall back to it.
    """
    kind = type(value)
    if kind is dict:
        return {key: clone(item) for key, item in value.items()}  # type: ignore[attr-defined,return-value]
    if kind is list:
        return [clone(item) for item in value]  # type: ignore[attr-defined,return-value]
    if isinstance(value, _IMMUTABLE):
        return value
    frozen = getattr(getattr(kind, "__dataclass_params__", None), "frozen", True)
    if is_dataclass(value) and not isinstance(value, type) and not frozen:
        new = object.__new__(kind)
        new.__dict__.update({key: clone(item) for key, item in value.__dict__.items()})
        return new
    return copy.deepcopy(value)
