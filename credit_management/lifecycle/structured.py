"""Structured usage data in the lifecycle: when it beats the screen, and what it warns about.

`observe` wraps `policy.observe`. A verdict read from the agents' own records (a StopFailure, a
transcript error, a Codex window at 100%) replaces the screen's when it is fresh, that is newer
than the agent's last resume; the screen stays the fallback. A screen and data that disagree
are logged once as `signal.disagreement` with both readings. The record gets the `usage`
figures, `cost_usd` and `predicted_exhaustion`, and `credit.warning` fires once per window and
cycle at each threshold and when the window is predicted to run out before its reset.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from credit_management.lifecycle import policy
from credit_management.models import AgentRecord, Kind, Signal, Status, clone, iso, parse_iso
from credit_management.records import Record

DEFAULT_THRESHOLDS: tuple[float, ...] = (80.0, 95.0)
# A limit read from a banner (no exact reset) is trusted for one cycle at most.
BANNER_MAX_AGE = timedelta(hours=5)
TRANSIENT_MAX_AGE = timedelta(minutes=10)
NOTES_KEPT = 40
_QUIET = (Status.EXHAUSTED, Status.PAUSED, Status.RESUMING)


@dataclass(frozen=True, repr=False)
class UsageObservation(Record):
    """What the structured sources said about one agent in this sweep."""

    provider: str | None = None
    # window name -> {"used_percent", "resets_at", "source", "seen_at", "burn_rate",
    # "predicted_exhaustion"} (JSON values)
    usage: dict[str, dict[str, Any]] = field(default_factory=dict)
    cost_usd: float | None = None
    signal: Signal | None = None
    signal_at: datetime | None = None
    signal_source: str | None = None


def last_resume(record: AgentRecord) -> datetime | None:
    """When the agent last went back to work (a resume, a forced resume, coming back)."""
    for entry in reversed(record.history):
        if entry.get("to") == Status.ACTIVE.value and entry.get("from") != Status.ACTIVE.value:
            try:
                return parse_iso(entry.get("time"))
            except (TypeError, ValueError):
                return None
    return None


def fresh_verdict(
    record: AgentRecord, seen: UsageObservation | None, now: datetime
) -> Signal | None:
    """The structured verdict when it is newer than the last resume and still current."""
    if seen is None or seen.signal is None or seen.signal_at is None:
        return None
    resumed = last_resume(record)
    if resumed is not None and seen.signal_at <= resumed:
        return None
    signal = seen.signal
    if not signal.kind.stops_agent and now - seen.signal_at > TRANSIENT_MAX_AGE:
        return None  # a passing error long ago says nothing about the screen now
    if signal.kind is Kind.EXHAUSTED:
        if signal.reset_at is not None and signal.reset_at <= now:
            return None  # the window it names has reset since
        if signal.reset_at is None and now - seen.signal_at > BANNER_MAX_AGE:
            return None
    return signal


def _fresh_windows(record: AgentRecord, seen: UsageObservation | None) -> dict[str, dict[str, Any]]:
    if seen is None:
        return {}
    resumed = last_resume(record)
    result = {}
    for name, window in seen.usage.items():
        at = parse_iso(window.get("seen_at"))
        if at is not None and (resumed is None or at > resumed):
            result[name] = window
    return result


def _note_once(record: AgentRecord, key: str) -> bool:
    """True the first time `key` is noted on the record (bounded memory of what was said)."""
    if key in record.usage_warned:
        return False
    record.usage_warned.append(key)
    del record.usage_warned[:-NOTES_KEPT]
    return True


def _data_text(windows: dict[str, dict[str, Any]]) -> str:
    parts = [f"{name} {float(w['used_percent']):.0f}%" for name, w in windows.items()]
    return ", ".join(parts) or "no usage figures"


def observe(
    target: str,
    record: AgentRecord,
    obs: policy.Observation,
    seen: UsageObservation | None,
    now: datetime,
    cfg: policy.PolicyConfig,
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS,
) -> policy.Decision:
    """`policy.observe` with the structured verdict merged in and the usage figures kept."""
    if seen is None:
        return policy.observe(target, record, obs, now, cfg)
    record = clone(record)
    if not isinstance(record.usage_warned, list):  # a hand-edited state file
        record.usage_warned = []
    screen = obs.signal
    notes: list[policy.Action] = []
    signal = screen
    if record.status not in _QUIET and obs.present and obs.alive:
        signal, notes = _merge(target, record, screen, seen, now)
    decision = policy.observe(target, record, replace(obs, signal=signal), now, cfg)
    new = decision.record
    new.usage_warned = list(record.usage_warned)
    _keep_usage(new, seen)
    if new.status is Status.ACTIVE:
        notes += _warnings(target, new, seen, thresholds)
    return policy.Decision(new, decision.actions + tuple(notes))


def _merge(
    target: str, record: AgentRecord, screen: Signal, seen: UsageObservation, now: datetime
) -> tuple[Signal, list[policy.Action]]:
    verdict = fresh_verdict(record, seen, now)
    windows = _fresh_windows(record, seen)
    data = verdict.to_dict() if verdict is not None else None
    conflict: str | None = None
    if verdict is not None:
        if verdict.kind.stops_agent != screen.kind.stops_agent:
            conflict = f"{screen.kind.value}/{verdict.kind.value}@{iso(seen.signal_at)}"
        chosen = verdict
        if verdict.kind is screen.kind or (verdict.kind.stops_agent and screen.kind.stops_agent):
            # Both stop the agent: the banner's words and kind (it tells an auto-continue or
            # a billing stop apart), the data's exact reset.
            chosen = replace(
                screen,
                reset_at=verdict.reset_at or screen.reset_at,
                evidence=f"{screen.evidence} [{seen.signal_source}]",
            )
    else:
        chosen = screen
        full = [w for w in windows.values() if float(w.get("used_percent", 0)) >= 100]
        if screen.kind is Kind.EXHAUSTED and windows and not full:
            conflict = f"screen-limit/{_data_text(windows)}@{iso(screen.reset_at)}"
        elif not screen.kind.stops_agent and full:
            resets = ",".join(str(w.get("resets_at")) for w in full)
            conflict = f"data-full/{screen.kind.value}@{resets}"
    if conflict is None or not _note_once(record, f"disagree:{conflict}"):
        return chosen, []
    message = (
        f"{target}: the screen says {screen.kind.value}, the agent's data says "
        + (verdict.kind.value if verdict is not None else _data_text(windows))
        + f"; acting on {'the data' if chosen is verdict else 'the screen'}"
    )
    fields = {
        "screen": screen.to_dict(),
        "data": data,
        "usage": windows,
        "source": seen.signal_source,
        "chosen": "data" if chosen is verdict else "screen",
    }
    return chosen, [policy.Emit("signal.disagreement", message, fields)]


def _keep_usage(record: AgentRecord, seen: UsageObservation) -> None:
    if not isinstance(record.usage, dict):  # a hand-edited state file
        record.usage = {}
    if seen.usage:
        record.usage = {name: dict(window) for name, window in seen.usage.items()}
    if seen.cost_usd is not None:
        record.cost_usd = seen.cost_usd
    if seen.provider and not record.provider:
        record.provider = seen.provider
    record.predicted_exhaustion = earliest_exhaustion(record.usage)


def earliest_exhaustion(usage: dict[str, dict[str, Any]]) -> str | None:
    """The first instant a window is predicted to run out before it resets, if any."""
    predictions = [
        moment
        for window in usage.values()
        if isinstance(window, dict)
        and (moment := parse_iso(window.get("predicted_exhaustion"))) is not None
        and ((reset := parse_iso(window.get("resets_at"))) is None or moment < reset)
    ]
    return iso(min(predictions)) if predictions else None


def _warnings(
    target: str, record: AgentRecord, seen: UsageObservation, thresholds: tuple[float, ...]
) -> list[policy.Action]:
    actions: list[policy.Action] = []
    for name, window in seen.usage.items():
        used = float(window.get("used_percent", 0))
        cycle = f"{name}:{window.get('resets_at')}"
        crossed = [t for t in sorted(thresholds) if used >= t]
        fresh = [t for t in crossed if _note_once(record, f"warn:{cycle}:{t:g}")]
        base = {
            "kind": "usage",
            "window": name,
            "used_percent": used,
            "resets_at": window.get("resets_at"),
            "source": window.get("source"),
            "burn_rate": window.get("burn_rate"),
            "predicted_exhaustion": window.get("predicted_exhaustion"),
            "provider": record.provider,
            "status": record.status.value,
        }
        if fresh:
            text = f"{target}: {name} usage at {used:.0f}% (threshold {max(fresh):g}%)"
            if window.get("resets_at"):
                text += f"; resets {window['resets_at']}"
            fields = {**base, "threshold": max(fresh), "message": text}
            actions.append(policy.Emit("credit.warning", text, fields))
        predicted = parse_iso(window.get("predicted_exhaustion"))
        reset = parse_iso(window.get("resets_at"))
        if (
            used < 100
            and predicted is not None
            and reset is not None
            and predicted < reset
            and _note_once(record, f"predict:{cycle}")
        ):
            text = (
                f"{target}: {name} predicted to run out at {iso(predicted)}, "
                f"before its reset at {iso(reset)}"
            )
            fields = {**base, "kind": "prediction", "message": text}
            actions.append(policy.Emit("credit.warning", text, fields))
    return actions


def exact_reset(record: AgentRecord, now: datetime) -> datetime | None:
    """The reset the agent's own data gave: the stop's, when it was read from the data, else
    the first window reset still ahead (for an agent still working). None when unknown."""
    sources = ("claude-statusline", "claude-hook", "claude-transcript", "codex-rollout")
    evidence = record.evidence or ""
    if record.status is not Status.ACTIVE:
        stopped_by_data = any(name in evidence for name in sources)
        return parse_iso(record.reset_at) if stopped_by_data else None
    usage = record.usage if isinstance(record.usage, dict) else {}
    ahead = [
        moment
        for window in usage.values()
        if isinstance(window, dict)
        and (moment := parse_iso(window.get("resets_at"))) is not None
        and moment > now
    ]
    return min(ahead) if ahead else None
