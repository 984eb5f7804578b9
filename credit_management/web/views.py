"""JSON views of the state file and the event log, and checks of what arrives in URLs.

Pure: takes a loaded State (and `now`) and returns plain dicts ready for `json.dumps`, so the
API's field names live in one place. Targets, alert ids and limits from a request are
validated here; a bad one is an InputError with a one-line reason.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from credit_management.errors import InputError
from credit_management.models import AgentRecord, Alert, iso, parse_iso
from credit_management.store.liveness import Liveness
from credit_management.store.state import State

# The public contract of GET /api/credit-alerts: each alert has exactly these fields.
ALERT_FIELDS = (
    "id",
    "target",
    "provider",
    "model",
    "kind",
    "message",
    "created_at",
    "scheduled_resume",
)
DEFAULT_EVENT_LIMIT = 50
MAX_EVENT_LIMIT = 1000
MAX_TARGET_LENGTH = 200

# "session:window" (index or name, optionally ".pane") or a pane id "%N"; no control
# characters, and exactly one colon so a stray path cannot pass for a target.
_TARGET = re.compile(r"%\d+|[^:\x00-\x1f\x7f]+:[^:\x00-\x1f\x7f]+")
# Alert ids are chosen by the supervisor (e.g. "main:1@2026-05-28T19:00:00+00:00"); anything
# printable up to this length may be one, and is looked up, never interpreted.
_ALERT_ID = re.compile(r"[^\x00-\x1f\x7f]{1,200}")


def parse_target(raw: str) -> str:
    """A target from a URL (already percent-decoded), or InputError when malformed."""
    if len(raw) > MAX_TARGET_LENGTH or not _TARGET.fullmatch(raw) or raw.strip() != raw:
        shown = raw if len(raw) <= 60 else raw[:57] + "..."
        raise InputError(
            f"malformed target {shown!r}: use session:window, session:window.pane or %N "
            "(percent-encoded in the URL, e.g. main%3A1)"
        )
    return raw


def valid_alert_id(raw: str) -> bool:
    """True when `raw` could be an alert id (anything else cannot match one)."""
    return _ALERT_ID.fullmatch(raw) is not None


def parse_limit(raw: str | None) -> int:
    """The `limit` query parameter of /api/events: 1..MAX_EVENT_LIMIT, default 50."""
    if raw is None or raw == "":
        return DEFAULT_EVENT_LIMIT
    if not raw.isascii() or not raw.isdigit():
        raise InputError(f"limit must be a whole number, not {raw[:20]!r}")
    value = int(raw)
    if not 1 <= value <= MAX_EVENT_LIMIT:
        raise InputError(f"limit must be between 1 and {MAX_EVENT_LIMIT}, not {value}")
    return value


def target_sort_key(target: str) -> tuple[str, int, str]:
    """Order targets by session, then window index as a number ("main:2" before "main:10")."""
    session, _, window = target.partition(":")
    head = window.split(".", 1)[0]
    return (session, int(head) if head.isdigit() else 1 << 30, window)


def _instant_key(text: str | None) -> tuple[int, float, str]:
    try:
        moment = parse_iso(text)
    except ValueError:
        moment = None
    if moment is None:
        return (1, 0.0, text or "")
    return (0, moment.timestamp(), text or "")


def alert_view(alert: Alert) -> dict[str, Any]:
    """One unresolved alert as GET /api/credit-alerts shows it."""
    return {name: getattr(alert, name) for name in ALERT_FIELDS}


def open_alerts(state: State) -> list[Alert]:
    """The unresolved alerts, oldest first (the page shows the oldest one first)."""
    return sorted(
        (alert for alert in state.alerts if alert.open),
        key=lambda alert: _instant_key(alert.created_at),
    )


def alerts_payload(state: State) -> dict[str, Any]:
    """The body of GET /api/credit-alerts."""
    return {"alerts": [alert_view(alert) for alert in open_alerts(state)]}


def find_alert(state: State, alert_id: str) -> Alert | None:
    """The alert with this id, resolved or not."""
    for alert in state.alerts:
        if alert.id == alert_id:
            return alert
    return None


def latest_alerts(alerts: Sequence[Alert]) -> dict[str, Alert]:
    """The newest alert of each target (open or resolved): the page's banner comes from it."""
    latest: dict[str, Alert] = {}
    for alert in sorted(alerts, key=lambda item: _instant_key(item.created_at)):
        latest[alert.target] = alert
    return latest


def agent_view(
    target: str, record: AgentRecord, alert: Alert | None, resume_running: bool
) -> dict[str, Any]:
    """One agent as GET /api/agents shows it."""
    signal: dict[str, Any] = dict(record.last_signal or {})
    return {
        "target": target,
        "window_name": record.window_name,
        "provider": record.provider or signal.get("provider"),
        "model": record.model or signal.get("model"),
        "status": record.status.value,
        "since": record.since,
        "scheduled_resume": record.scheduled_resume,
        "reset_at": record.reset_at,
        "paused_until": record.paused_until,
        "reason": record.reason,
        "message": signal.get("message") or record.reason,
        "last_signal": signal or None,
        "last_seen": record.last_seen,
        "attempts": record.attempts,
        "queued": len(record.queued),
        # Held messages unmoved for several resumes; why nothing can be typed into it.
        "queue_stalled": record.queue_stalled,
        "unreachable": record.unreachable,
        "usage": record.usage,
        "cost_usd": record.cost_usd,
        "predicted_exhaustion": record.predicted_exhaustion,
        "alert": None
        if alert is None
        else {
            "id": alert.id,
            "kind": alert.kind,
            "message": alert.message,
            "scheduled_resume": alert.scheduled_resume,
            "resolution": alert.resolution,
            "resolved_at": alert.resolved_at,
        },
        "resume_running": resume_running,
    }


def agents_payload(
    state: State,
    now: datetime,
    resume_running: Collection[str] = (),
    sweep: Liveness | None = None,
) -> dict[str, Any]:
    """The body of GET /api/agents; `now` lets the page tick countdowns on the server's clock;
    `last_sweep` (ISO 8601 or null) and `sweep_stale` say whether a monitor is running."""
    latest = latest_alerts(state.alerts)
    return {
        "now": iso(now),
        "last_sweep": iso(sweep.time) if sweep else None,
        "sweep_stale": sweep.stale(now) if sweep else None,
        "agents": [
            agent_view(target, state.agents[target], latest.get(target), target in resume_running)
            for target in sorted(state.agents, key=target_sort_key)
        ],
    }


def events_payload(events: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The body of GET /api/events: the newest events, newest first."""
    return {"events": list(reversed(events))}
