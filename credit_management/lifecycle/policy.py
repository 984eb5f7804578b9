"""The agent lifecycle as pure functions: given a record, what was observed and `now`,
return the new record and the actions to carry out.

No I/O and no clock reads happen here; `credit_monitor.py` gathers observations, calls these
functions and applies the actions (state file, event log, hooks, tmux sends).

    active ──limit──▶ exhausted ──reset reached──▶ resuming ──answer──▶ active
                          ▲                            │
                          └──── still limited ◀────────┘   (bounded, then needs_attention)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from credit_management.detect.resets import format_until, next_cycle_reset
from credit_management.errors import InputError
from credit_management.models import (
    AgentRecord,
    Kind,
    Signal,
    Status,
    clone,
    iso,
    parse_iso,
    set_status,
)
from credit_management.records import Record

# "not_an_agent": the pane due for a test message shows a shell, an editor or a pager.
Outcome = Literal["answered", "limited", "silent", "gone", "not_an_agent"]
# `last_seen` moves at most this often: an agent that changed in nothing else then costs no
# rewrite of the state file on every sweep (the last sweep's own time is in last_sweep.json).
LAST_SEEN_STEP = timedelta(hours=1)


@dataclass(frozen=True, repr=False)
class PolicyConfig(Record):
    """The knobs of the lifecycle, already resolved from settings and the state file."""

    resume_margin: timedelta = timedelta(seconds=60)
    max_resume_attempts: int = 5
    retry_backoff: timedelta = timedelta(minutes=15)
    attention_recheck: timedelta = timedelta(minutes=30)
    warning_threshold: timedelta = timedelta(minutes=10)
    auto_resume_grace: timedelta = timedelta(minutes=15)
    # A test message older than this with no outcome recorded: the run that sent it died.
    verification_stale: timedelta = timedelta(minutes=3)
    cycle_hours: float = 5.0
    reset_times: tuple[str, ...] = ()
    timezone: str = "UTC"


@dataclass(frozen=True, repr=False)
class Observation(Record):
    """What one sweep saw of one agent's window."""

    present: bool
    alive: bool = True
    signal: Signal = field(default_factory=lambda: Signal(Kind.NONE))
    window_name: str | None = None
    pane_id: str | None = None
    command: str | None = None


# --- actions -------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Emit(Record):
    """Write an event to the log and fire the hooks subscribed to it."""

    event: str
    message: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, repr=False)
class TellOrchestrator(Record):
    """One short line for the orchestrator window."""

    text: str


@dataclass(frozen=True, repr=False)
class StartResume(Record):
    """Send the test message of a verified resume now."""


@dataclass(frozen=True, repr=False)
class DeliverQueued(Record):
    """Deliver the messages held for this agent, in order."""


@dataclass(frozen=True, repr=False)
class OpenAlert(Record):
    """Open the dashboard's out-of-credits alert for this incident (if none is open)."""

    kind: str
    message: str


@dataclass(frozen=True, repr=False)
class ResolveAlert(Record):
    """Resolve the open alert: "resumed", "dismissed" or "manual"."""

    resolution: str


Action = Emit | TellOrchestrator | StartResume | DeliverQueued | OpenAlert | ResolveAlert


@dataclass(frozen=True, repr=False)
class Decision(Record):
    """The new record and what to do about it."""

    record: AgentRecord
    actions: tuple[Action, ...] = ()


# --- helpers -------------------------------------------------------------------------------


def _moved(
    record: AgentRecord,
    status: Status,
    now: datetime,
    reason: str,
    evidence: str | None = None,
    actor: str = "monitor",
) -> AgentRecord:
    """A copy of `record` in `status`, with the change appended to its history."""
    new = clone(record)
    set_status(new, status, now=now, reason=reason, actor=actor, evidence=evidence or None)
    new.since = iso(now)  # a move to the same status (a new stop) starts a new period
    return new


def _fields(record: AgentRecord, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "provider": record.provider,
        "model": record.model,
        "status": record.status.value,
        "scheduled_resume": record.scheduled_resume,
        "reset_at": record.reset_at,
        "evidence": record.evidence,
    }
    base.update(extra)
    return base


def _who(target: str, record: AgentRecord) -> str:
    return f"{target} ({record.provider})" if record.provider else target


def _reset_for(signal: Signal, now: datetime, cfg: PolicyConfig) -> tuple[datetime, bool]:
    """The reset instant to plan on, and whether the agent printed it (else the cycle)."""
    if signal.reset_at is not None:
        return signal.reset_at, True
    try:
        fallback = next_cycle_reset(now, cfg.reset_times, cfg.timezone, cfg.cycle_hours, now)
    except InputError:
        # The state file's `timezone` is a hand-edited field the monitor cannot read: its
        # reset slots mean nothing, but one agent's stop must not fail the whole sweep.
        fallback = now + timedelta(hours=cfg.cycle_hours)
    return fallback, False


def _resume_at(reset: datetime, now: datetime, cfg: PolicyConfig) -> datetime:
    """Reset plus the margin; a reset already past resumes after the margin from now."""
    return max(reset, now) + cfg.resume_margin


def backoff_delay(attempts: int, cfg: PolicyConfig) -> timedelta:
    """Doubling delay after failed resumes, capped at one cycle."""
    doubled: timedelta = cfg.retry_backoff * (2 ** max(0, attempts - 1))
    return min(doubled, timedelta(hours=cfg.cycle_hours))


LATE_RETRY = timedelta(minutes=2)


def late_delay(attempts: int, cfg: PolicyConfig) -> timedelta:
    """A reset that is merely late (the agent printed the same reset again) lifts within
    minutes: retry after 2, 4, 8 ... minutes, never later than the ordinary backoff."""
    doubled: timedelta = LATE_RETRY * (2 ** max(0, attempts - 1))
    return min(doubled, backoff_delay(attempts, cfg))


# --- the sweep -----------------------------------------------------------------------------


def observe(
    target: str, record: AgentRecord, obs: Observation, now: datetime, cfg: PolicyConfig
) -> Decision:
    """Decide what one sweep's observation means for the agent at `target`."""
    record = clone(record)
    seen = parse_iso(record.last_seen)
    if obs.present and (seen is None or not timedelta(0) <= now - seen < LAST_SEEN_STEP):
        record.last_seen = iso(now)
    # Another program in a new window at a closed window's index: nothing it reported is ours.
    replaced = (
        obs.present
        and record.status in (Status.MISSING, Status.CRASHED)
        and record.pane_id is not None
        and obs.pane_id is not None
        and obs.pane_id != record.pane_id
    )
    if replaced:
        _forget_the_old_process(record)
    if obs.present:
        record.window_name = obs.window_name or record.window_name
        record.pane_id = obs.pane_id or record.pane_id
        if obs.alive and obs.command:
            record.command = obs.command
    # While waiting for a reset the banner on screen is the one already acted on; read again
    # after its time it names tomorrow, which must not replace what was recorded at the stop.
    waiting = record.status in (Status.EXHAUSTED, Status.RESUMING)
    if obs.signal.kind is not Kind.NONE and not waiting:
        record.last_signal = obs.signal.to_dict()
        record.provider = obs.signal.provider or record.provider
        record.model = obs.signal.model or record.model

    status = record.status
    if status is Status.PAUSED:
        return _observe_paused(target, record, now)
    if not obs.present:
        return _gone(target, record, now, Status.MISSING, "window closed")
    if not obs.alive:
        return _gone(target, record, now, Status.CRASHED, "agent process ended")
    if status in (Status.MISSING, Status.CRASHED):
        back = _moved(record, Status.ACTIVE, now, "agent is back in its window")
        decision = Decision(back, (Emit("agent.found", f"{target} is back", _fields(back)),))
        return _chain(decision, target, obs, now, cfg)
    if status is Status.ACTIVE:
        return _observe_active(target, record, obs, now, cfg)
    if status is Status.EXHAUSTED:
        return _observe_waiting(target, record, now, cfg)
    if status is Status.WAITING_SELF:
        return _observe_waiting_self(target, record, obs, now, cfg)
    if status is Status.NEEDS_ATTENTION:
        return _observe_attention(target, record, obs, now, cfg)
    if status is Status.RESUMING:
        # One not yet sent starts when due; one under way is left to the run that sent it,
        # unless that run died before recording the outcome (killed mid-verification).
        if record.resume_sent_at is None:
            return Decision(record, (StartResume(),) if _due(record, now) else ())
        if verification_in_flight(record, now, cfg):
            return Decision(record)
        return Decision(record, (StartResume(),))
    return Decision(record)


def _forget_the_old_process(record: AgentRecord) -> None:
    """Drop what belonged to the process of a closed pane (its usage, warnings, signals), keeping
    what was addressed to the target: held messages, history and any manual hold."""
    record.provider = record.model = record.command = None
    record.last_signal = record.pending_signal = record.stall = None
    record.resume_mark = record.predicted_exhaustion = record.warned_reset = None
    record.cost_usd = None
    record.usage = {}
    record.usage_warned = []


def _chain(
    first: Decision, target: str, obs: Observation, now: datetime, cfg: PolicyConfig
) -> Decision:
    """Apply `observe` again on an agent that just came back, keeping the first actions."""
    second = observe(target, first.record, obs, now, cfg)
    return Decision(second.record, first.actions + second.actions)


def verification_in_flight(record: AgentRecord, now: datetime, cfg: PolicyConfig) -> bool:
    """Whether a test message went out recently enough that its run may still be waiting
    for the answer (so nobody else may send another)."""
    sent = parse_iso(record.resume_sent_at)
    return (
        record.status is Status.RESUMING
        and sent is not None
        and now - sent < cfg.verification_stale
    )


def _due(record: AgentRecord, now: datetime) -> bool:
    scheduled = parse_iso(record.scheduled_resume)
    return scheduled is None or now >= scheduled


def _gone(target: str, record: AgentRecord, now: datetime, status: Status, reason: str) -> Decision:
    if record.status is status:
        return Decision(record)
    event = "agent.missing" if status is Status.MISSING else "agent.crashed"
    new = _moved(record, status, now, reason)
    new.resume_sent_at = None
    text = f"{_who(target, record)}: {reason}; not exhausted, needs a look"
    return Decision(new, (Emit(event, text, _fields(new)), TellOrchestrator(text)))


def _observe_paused(target: str, record: AgentRecord, now: datetime) -> Decision:
    until = parse_iso(record.paused_until)
    if until is not None and now >= until:
        return Decision(record, (StartResume(),))
    return Decision(record)


def _observe_active(
    target: str, record: AgentRecord, obs: Observation, now: datetime, cfg: PolicyConfig
) -> Decision:
    signal = obs.signal
    kind = signal.kind
    if kind is Kind.EXHAUSTED:
        return stop(target, record, signal, now, cfg)
    if kind in (Kind.BILLING, Kind.AUTH):
        return _needs_person(target, record, signal, now, cfg)
    if kind is Kind.AUTO_RESUME:
        reset, _ = _reset_for(signal, now, cfg)
        new = _moved(record, Status.WAITING_SELF, now, signal.message, signal.evidence)
        new.exhausted_at = iso(now)
        new.reset_at = iso(reset)
        new.scheduled_resume = iso(_resume_at(reset, now, cfg))
        new.evidence = signal.evidence
        text = f"{_who(target, new)} waits for its own auto-continue at {iso(reset)}; holding work"
        return Decision(
            new, (Emit("agent.auto_resume", text, _fields(new)), TellOrchestrator(text))
        )
    if kind in (Kind.WARNING, Kind.FALLBACK):
        key = f"{kind.value}:{signal.evidence}"
        if record.warned_reset == key:
            return Decision(record)
        record.warned_reset = key
        fields = _fields(record, kind=kind.value, message=signal.message)
        return Decision(record, (Emit("credit.warning", f"{target}: {signal.message}", fields),))
    return Decision(record)


def stop(
    target: str, record: AgentRecord, signal: Signal, now: datetime, cfg: PolicyConfig
) -> Decision:
    """A confirmed usage limit: exhausted until the reset plus the margin."""
    reset, printed = _reset_for(signal, now, cfg)
    resume = _resume_at(reset, now, cfg)
    reason = signal.message or "usage limit reached"
    new = _moved(record, Status.EXHAUSTED, now, reason, signal.evidence)
    new.exhausted_at = iso(now)
    new.reset_at = iso(reset)
    new.scheduled_resume = iso(resume)
    new.evidence = signal.evidence
    new.resume_sent_at = None
    new.provider = signal.provider or new.provider
    source = "as printed" if printed else "from the reset cycle"
    text = (
        f"{_who(target, new)} is out of usage; resumes {iso(resume)} "
        f"(in {format_until(resume - now)}, {source})"
    )
    fields = _fields(new, kind=signal.kind.value, message=reason, reset_source=source)
    return Decision(
        new,
        (
            Emit("credit.exhausted", text, fields),
            OpenAlert(signal.kind.value, reason),
            TellOrchestrator(text),
        ),
    )


def _needs_person(
    target: str, record: AgentRecord, signal: Signal, now: datetime, cfg: PolicyConfig
) -> Decision:
    reason = signal.message or f"{signal.kind.value} problem"
    new = _moved(record, Status.NEEDS_ATTENTION, now, reason, signal.evidence)
    new.exhausted_at = iso(now) if signal.kind is Kind.BILLING else new.exhausted_at
    new.evidence = signal.evidence
    new.reset_at = None
    new.resume_sent_at = None
    # Billing may be fixed by someone topping up: re-check slowly. Auth needs a person at the
    # keyboard, whose own typing will show as new output and bring the agent back.
    recheck = now + cfg.attention_recheck if signal.kind is Kind.BILLING else None
    new.scheduled_resume = iso(recheck)
    text = f"{_who(target, new)} needs a person: {reason}"
    actions: list[Action] = []
    fields = _fields(new, kind=signal.kind.value, message=reason)
    if signal.kind is Kind.BILLING:
        actions += [Emit("credit.exhausted", text, fields), OpenAlert(signal.kind.value, reason)]
    actions += [Emit("agent.needs_attention", text, fields), TellOrchestrator(text)]
    return Decision(new, tuple(actions))


def _observe_waiting(
    target: str, record: AgentRecord, now: datetime, cfg: PolicyConfig
) -> Decision:
    """Exhausted: the pane is not re-read (the old banner would re-resolve to tomorrow)."""
    scheduled = parse_iso(record.scheduled_resume)
    if scheduled is None or now >= scheduled:
        return Decision(record, (StartResume(),))
    if scheduled - now <= cfg.warning_threshold and record.warned_reset != record.scheduled_resume:
        record.warned_reset = record.scheduled_resume
        text = f"{_who(target, record)} resumes in {format_until(scheduled - now)}"
        fields = _fields(record, kind="resume_soon", message=text)
        # Its own event: `credit.warning` means only "about to run out".
        return Decision(record, (Emit("credit.resume_soon", text, fields),))
    return Decision(record)


def _observe_waiting_self(
    target: str, record: AgentRecord, obs: Observation, now: datetime, cfg: PolicyConfig
) -> Decision:
    kind = obs.signal.kind
    if kind is Kind.AUTO_RESUME:
        scheduled = parse_iso(record.scheduled_resume)
        if scheduled is not None and now >= scheduled + cfg.auto_resume_grace:
            reason = "the agent did not continue on its own after its reset"
            new = _moved(record, Status.NEEDS_ATTENTION, now, reason, record.evidence)
            new.scheduled_resume = None
            text = f"{_who(target, new)} needs a person: {reason}"
            return Decision(
                new, (Emit("agent.needs_attention", text, _fields(new)), TellOrchestrator(text))
            )
        return Decision(record)
    if kind is Kind.EXHAUSTED:
        return stop(target, record, obs.signal, now, cfg)
    if kind in (Kind.BILLING, Kind.AUTH):
        return _needs_person(target, record, obs.signal, now, cfg)
    # The banner is gone or stale: the agent continued by itself.
    return back_to_work(target, record, now, "continued on its own", "resumed")


def _observe_attention(
    target: str, record: AgentRecord, obs: Observation, now: datetime, cfg: PolicyConfig
) -> Decision:
    signal = obs.signal
    if signal.kind is Kind.NONE and signal.evidence:
        # The stop is still on screen but the agent has worked past it: a person dealt with it.
        return back_to_work(target, record, now, "the agent is working again", "manual")
    if record.scheduled_resume is not None and _due(record, now):
        if record.attempts < cfg.max_resume_attempts:
            return Decision(record, (StartResume(),))
    return Decision(record)


# --- resumes -------------------------------------------------------------------------------


def resume_started(record: AgentRecord, now: datetime, mark: str) -> AgentRecord:
    """The test message went out: `resuming` until the monitor sees the answer or a limit."""
    new = _moved(record, Status.RESUMING, now, "verifying with a test message")
    new.resume_sent_at = iso(now)
    new.resume_mark = mark
    new.paused_until = None
    return new


def back_to_work(
    target: str, record: AgentRecord, now: datetime, reason: str, resolution: str
) -> Decision:
    """Active again: deliver what was held, resolve the alert, tell everyone."""
    new = _moved(record, Status.ACTIVE, now, reason)
    stopped_at = parse_iso(record.exhausted_at)
    new.exhausted_at = None
    new.scheduled_resume = None
    new.reset_at = None
    new.resume_sent_at = None
    new.paused_until = None
    new.attempts = 0
    new.warned_reset = None
    lost = f" after {format_until(now - stopped_at)}" if stopped_at else ""
    text = f"{_who(target, new)} is working again{lost} ({reason})"
    fields = _fields(new, message=reason, held=len(new.queued))
    return Decision(
        new,
        (
            Emit("credit.resolved", text, fields),
            Emit("agent.resumed", text, fields),
            ResolveAlert(resolution),
            DeliverQueued(),
            TellOrchestrator(text),
        ),
    )


def verified(
    target: str,
    record: AgentRecord,
    outcome: Outcome,
    signal: Signal,
    now: datetime,
    cfg: PolicyConfig,
) -> Decision:
    """The end of a verified resume: the agent answered, hit a limit again, or stayed silent."""
    if outcome == "answered":
        return back_to_work(target, record, now, "answered the test message", "resumed")
    if outcome == "gone":
        return _gone(target, record, now, Status.MISSING, "window closed during the resume")
    if outcome == "not_an_agent":
        return _not_an_agent(target, record, signal.message or "no agent in the pane", now, cfg)
    attempts = record.attempts + 1
    if outcome == "limited" and signal.kind in (Kind.BILLING, Kind.AUTH):
        decision = _needs_person(target, record, signal, now, cfg)
        return _counted(decision, attempts, cfg)
    if outcome == "silent" and _resumed_from(record) is Status.NEEDS_ATTENTION:
        # The slow re-check of an agent that needs a person got no answer: it still does.
        reason = "no answer to the re-check"
        new = _moved(record, Status.NEEDS_ATTENTION, now, reason)
        new.scheduled_resume = iso(now + cfg.attention_recheck)
        new.resume_sent_at = None
        text = f"{_who(target, new)}: {reason}; still needs a person"
        fields = _fields(new, message=reason, attempts=attempts)
        return _counted(Decision(new, (Emit("agent.resume_failed", text, fields),)), attempts, cfg)
    if attempts >= cfg.max_resume_attempts:
        reason = f"{attempts} resume attempts failed"
        new = _moved(record, Status.NEEDS_ATTENTION, now, reason, signal.evidence or None)
        new.attempts = attempts
        new.scheduled_resume = None
        new.resume_sent_at = None
        text = f"{_who(target, new)} needs a person: {reason}"
        fields = _fields(new, message=reason, attempts=attempts)
        return Decision(
            new,
            (
                Emit("agent.resume_failed", text, fields),
                Emit("agent.needs_attention", text, fields),
                TellOrchestrator(text),
            ),
        )
    late = _same_reset_again(parse_iso(record.reset_at), signal.reset_at)
    if outcome == "limited" and signal.reset_at is not None and signal.reset_at > now and not late:
        resume = signal.reset_at + cfg.resume_margin
        why = f"still limited; the agent now says it resets {iso(signal.reset_at)}"
    elif outcome == "limited" and late:
        resume = now + late_delay(attempts, cfg)
        why = "still limited; the reset is late"
    else:
        resume = now + backoff_delay(attempts, cfg)
        why = "still limited" if outcome == "limited" else "no answer to the test message"
    new = _moved(record, Status.EXHAUSTED, now, why, signal.evidence or None)
    new.attempts = attempts
    new.scheduled_resume = iso(resume)
    if outcome == "limited" and not late:
        # A late reset's banner, re-read, names tomorrow ("resets in 23h59m"): keep the one
        # whose reset just passed, which is what the agent is still waiting for.
        new.last_signal = signal.to_dict()
    if outcome == "limited" and signal.reset_at is not None and not late:
        new.reset_at = iso(signal.reset_at)
    new.resume_sent_at = None
    new.warned_reset = None
    text = f"{_who(target, new)}: resume attempt {attempts} failed ({why}); next try {iso(resume)}"
    return Decision(new, (Emit("agent.resume_failed", text, _fields(new, attempts=attempts)),))


def _not_an_agent(
    target: str, record: AgentRecord, reason: str, now: datetime, cfg: PolicyConfig
) -> Decision:
    """The pane shows no agent (a shell, an editor or a pager is in front). A person is told
    once; the pane is looked at again every `attention_recheck` (an agent started there again
    is resumed then)."""
    again = record.status is Status.NEEDS_ATTENTION
    new = clone(record) if again else _moved(record, Status.NEEDS_ATTENTION, now, reason)
    new.scheduled_resume = iso(now + cfg.attention_recheck)
    new.resume_sent_at = None
    if again:
        return Decision(new, ())
    text = f"{_who(target, new)} needs a person: {reason}"
    fields = _fields(new, message=reason)
    return Decision(new, (Emit("agent.needs_attention", text, fields), TellOrchestrator(text)))


def _resumed_from(record: AgentRecord) -> Status | None:
    """The status the agent was in when its current verification started."""
    last = record.history[-1] if record.history else None
    if record.status is not Status.RESUMING or last is None or last.get("to") != "resuming":
        return None
    try:
        return Status(str(last.get("from")))
    except ValueError:
        return None


def _counted(decision: Decision, attempts: int, cfg: PolicyConfig) -> Decision:
    """Record one more failed attempt; after the bound no re-check is planned any more."""
    decision.record.attempts = attempts
    if attempts >= cfg.max_resume_attempts:
        decision.record.scheduled_resume = None
    return decision


def _same_reset_again(planned: datetime | None, printed: datetime | None) -> bool:
    """Whether a banner seen at the test message names the reset that just passed.

    An agent whose limit lifts late prints the same "resets 3pm" (or "May 28 at 7pm") again;
    read after that moment, it resolves to the same wall time a whole number of days later.
    That is a late reset, to retry after a backoff, not a new one to wait a day or a year for.
    An hour of slack covers a change of daylight saving time in between.
    """
    if planned is None or printed is None or printed <= planned:
        return False
    gap = printed - planned
    days = round(gap / timedelta(days=1))
    return days >= 1 and abs(gap - timedelta(days=days)) <= timedelta(hours=1)


# --- people's commands ---------------------------------------------------------------------


def manual_pause(
    target: str, record: AgentRecord, now: datetime, reason: str | None, until: datetime | None
) -> Decision:
    """`pause_agent`: paused until a person (or `--until`) says otherwise."""
    why = reason or "paused by a person"
    new = _moved(record, Status.PAUSED, now, why, actor="user")
    new.paused_until = iso(until)
    new.scheduled_resume = iso(until)
    new.resume_sent_at = None
    text = f"{target} paused: {why}" + (f" until {iso(until)}" if until else "")
    return Decision(new, (Emit("agent.paused", text, _fields(new, reason=why, actor="user")),))


def manual_resume_forced(
    target: str, record: AgentRecord, now: datetime, mark: str | None = None
) -> Decision:
    """`resume_agent --force`: active at once, no test message. `mark` (the pane's last rows
    now) makes whatever is on screen, the old banner included, history."""
    decision = back_to_work(target, record, now, "resumed by a person (--force)", "manual")
    if mark:
        decision.record.resume_mark = mark
    return decision


def manual_resume_requested(record: AgentRecord, now: datetime) -> AgentRecord:
    """`resume_agent`: a verified resume at the next chance (or at once by the caller)."""
    new = _moved(
        record, Status.RESUMING, now, "verified resume requested by a person", None, "user"
    )
    new.scheduled_resume = iso(now)
    new.resume_sent_at = None
    new.paused_until = None
    return new
