"""The lifecycle, pure: records, observations and a fixed clock; no tmux, no files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from credit_management.lifecycle import policy
from credit_management.lifecycle.policy import (
    DeliverQueued,
    Emit,
    Observation,
    OpenAlert,
    PolicyConfig,
    ResolveAlert,
    StartResume,
    TellOrchestrator,
)
from credit_management.models import (
    HISTORY_LIMIT,
    AgentRecord,
    Kind,
    QueuedMessage,
    Signal,
    Status,
    parse_iso,
)

NOW = datetime(2026, 11, 21, 20, 0, tzinfo=UTC)
CFG = PolicyConfig(resume_margin=timedelta(seconds=60), max_resume_attempts=3)
T = "main:1"


def limit(reset: datetime | None = NOW + timedelta(hours=2), kind: Kind = Kind.EXHAUSTED) -> Signal:
    return Signal(
        kind,
        provider="claude",
        reset_at=reset,
        evidence="You've hit your session limit · resets 10pm (UTC)",
        message="Claude session limit",
    )


def seen(signal: Signal | None = None, **kwargs: object) -> Observation:
    values: dict[str, object] = {"present": True, "alive": True, "command": "claude"}
    values.update(kwargs)
    return Observation(signal=signal or Signal(Kind.NONE), **values)  # type: ignore[arg-type]


def events(decision: policy.Decision) -> list[str]:
    return [a.event for a in decision.actions if isinstance(a, Emit)]


def exhausted_record() -> AgentRecord:
    return policy.observe(T, AgentRecord(), seen(limit()), NOW, CFG).record


def test_limit_exhausts_with_reset_plus_margin() -> None:
    decision = policy.observe(T, AgentRecord(), seen(limit()), NOW, CFG)
    record = decision.record
    assert record.status is Status.EXHAUSTED
    assert parse_iso(record.scheduled_resume) == NOW + timedelta(hours=2, seconds=60)
    assert parse_iso(record.reset_at) == NOW + timedelta(hours=2)
    assert parse_iso(record.exhausted_at) == NOW
    assert record.history[-1]["from"] == "active" and record.history[-1]["to"] == "exhausted"
    assert events(decision) == ["credit.exhausted"]
    assert any(isinstance(a, OpenAlert) for a in decision.actions)
    assert any(isinstance(a, TellOrchestrator) for a in decision.actions)


def test_limit_without_printed_reset_uses_the_cycle() -> None:
    cfg = PolicyConfig(reset_times=("18:00", "23:00", "04:00", "09:00", "14:00"), timezone="UTC")
    decision = policy.observe(T, AgentRecord(), seen(limit(reset=None)), NOW, cfg)
    assert parse_iso(decision.record.reset_at) == datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
    cfg_cycle = PolicyConfig(cycle_hours=5)
    decision = policy.observe(T, AgentRecord(), seen(limit(reset=None)), NOW, cfg_cycle)
    assert parse_iso(decision.record.reset_at) == NOW + timedelta(hours=5)


def test_a_reset_already_past_resumes_after_the_margin_only() -> None:
    decision = policy.observe(T, AgentRecord(), seen(limit(NOW - timedelta(minutes=5))), NOW, CFG)
    assert parse_iso(decision.record.scheduled_resume) == NOW + timedelta(seconds=60)


def test_exhausted_waits_and_ignores_the_old_banner_until_due() -> None:
    record = exhausted_record()
    later = NOW + timedelta(hours=1)
    # The same banner, re-read an hour later, must not move the resume.
    decision = policy.observe(T, record, seen(limit()), later, CFG)
    assert decision.record.scheduled_resume == record.scheduled_resume
    assert not any(isinstance(a, StartResume) for a in decision.actions)


def test_due_resume_starts_once_even_hours_late() -> None:
    record = exhausted_record()
    decision = policy.observe(T, record, seen(limit()), NOW + timedelta(days=2), CFG)
    assert [a for a in decision.actions if isinstance(a, StartResume)] == [StartResume()]
    started = policy.resume_started(decision.record, NOW + timedelta(days=2), "check")
    assert started.status is Status.RESUMING
    # While the verification runs, a sweep does not start another.
    again = policy.observe(T, started, seen(), NOW + timedelta(days=2, seconds=5), CFG)
    assert not any(isinstance(a, StartResume) for a in again.actions)


def test_warning_before_the_reset_fires_once() -> None:
    record = exhausted_record()
    soon = parse_iso(record.scheduled_resume)
    assert soon is not None
    first = policy.observe(T, record, seen(), soon - timedelta(minutes=5), CFG)
    assert events(first) == ["credit.resume_soon"]
    second = policy.observe(T, first.record, seen(), soon - timedelta(minutes=4), CFG)
    assert events(second) == []


def test_answered_resume_goes_active_and_delivers_held_messages() -> None:
    record = exhausted_record()
    record.queued.append(QueuedMessage("1", "next task", NOW.isoformat()))
    started = policy.resume_started(record, NOW + timedelta(hours=3), "check")
    decision = policy.verified(T, started, "answered", Signal(Kind.NONE), NOW, CFG)
    assert decision.record.status is Status.ACTIVE
    assert decision.record.scheduled_resume is None and decision.record.attempts == 0
    assert ResolveAlert("resumed") in decision.actions
    assert DeliverQueued() in decision.actions
    assert events(decision) == ["credit.resolved", "agent.resumed"]


def test_still_limited_reschedules_from_the_new_banner() -> None:
    started = policy.resume_started(exhausted_record(), NOW, "check")
    new_reset = NOW + timedelta(hours=30)
    decision = policy.verified(T, started, "limited", limit(new_reset), NOW, CFG)
    assert decision.record.status is Status.EXHAUSTED
    assert parse_iso(decision.record.scheduled_resume) == new_reset + timedelta(seconds=60)
    assert decision.record.attempts == 1
    assert events(decision) == ["agent.resume_failed"]


def test_silent_agent_backs_off_and_is_bounded() -> None:
    record = exhausted_record()
    delays = []
    for _ in range(CFG.max_resume_attempts):
        started = policy.resume_started(record, NOW, "check")
        decision = policy.verified(T, started, "silent", Signal(Kind.NONE), NOW, CFG)
        record = decision.record
        if record.status is Status.EXHAUSTED:
            resume = parse_iso(record.scheduled_resume)
            assert resume is not None
            delays.append(resume - NOW)
    assert delays == [timedelta(minutes=15), timedelta(minutes=30)]
    assert record.status is Status.NEEDS_ATTENTION
    assert "agent.needs_attention" in events(decision)
    # Needs attention with no planned re-check: nothing more is sent.
    idle = policy.observe(T, record, seen(limit()), NOW + timedelta(days=1), CFG)
    assert not any(isinstance(a, StartResume) for a in idle.actions)


@pytest.mark.parametrize("kind", [Kind.BILLING, Kind.AUTH])
def test_billing_and_auth_need_a_person(kind: Kind) -> None:
    decision = policy.observe(T, AgentRecord(), seen(limit(None, kind)), NOW, CFG)
    assert decision.record.status is Status.NEEDS_ATTENTION
    assert "agent.needs_attention" in events(decision)
    if kind is Kind.BILLING:
        assert parse_iso(decision.record.scheduled_resume) == NOW + CFG.attention_recheck
    else:
        assert decision.record.scheduled_resume is None


def test_needs_attention_clears_when_the_agent_works_past_the_banner() -> None:
    record = policy.observe(T, AgentRecord(), seen(limit(None, Kind.AUTH)), NOW, CFG).record
    still = policy.observe(T, record, seen(limit(None, Kind.AUTH)), NOW, CFG)
    assert still.record.status is Status.NEEDS_ATTENTION
    nothing = policy.observe(T, record, seen(Signal(Kind.NONE)), NOW, CFG)
    assert nothing.record.status is Status.NEEDS_ATTENTION
    stale = Signal(Kind.NONE, evidence="Please run /login")
    fixed = policy.observe(T, record, seen(stale), NOW, CFG)
    assert fixed.record.status is Status.ACTIVE


def test_warning_and_fallback_notify_once_and_never_pause() -> None:
    warn = Signal(Kind.WARNING, "claude", None, "Approaching usage limit", "near the limit")
    first = policy.observe(T, AgentRecord(), seen(warn), NOW, CFG)
    assert first.record.status is Status.ACTIVE and events(first) == ["credit.warning"]
    second = policy.observe(T, first.record, seen(warn), NOW, CFG)
    assert events(second) == []
    fallback = Signal(Kind.FALLBACK, "claude", None, "now using Sonnet", "fell back")
    third = policy.observe(T, second.record, seen(fallback), NOW, CFG)
    assert third.record.status is Status.ACTIVE and events(third) == ["credit.warning"]


@pytest.mark.parametrize("kind", [Kind.RATE_LIMIT, Kind.OVERLOADED, Kind.NONE])
def test_transient_kinds_change_nothing(kind: Kind) -> None:
    decision = policy.observe(T, AgentRecord(), seen(Signal(kind, "claude")), NOW, CFG)
    assert decision.record.status is Status.ACTIVE and decision.actions == ()


def test_auto_resume_waits_and_sends_nothing() -> None:
    auto = Signal(Kind.AUTO_RESUME, "claude", NOW + timedelta(hours=1), "continuing at 9pm", "auto")
    decision = policy.observe(T, AgentRecord(), seen(auto), NOW, CFG)
    assert decision.record.status is Status.WAITING_SELF
    assert events(decision) == ["agent.auto_resume"]
    later = policy.observe(T, decision.record, seen(auto), NOW + timedelta(hours=1, minutes=5), CFG)
    assert not any(isinstance(a, StartResume) for a in later.actions)
    done = policy.observe(T, decision.record, seen(), NOW + timedelta(hours=1, minutes=2), CFG)
    assert done.record.status is Status.ACTIVE
    assert DeliverQueued() in done.actions
    stuck = policy.observe(T, decision.record, seen(auto), NOW + timedelta(hours=2), CFG)
    assert stuck.record.status is Status.NEEDS_ATTENTION


def test_window_closed_is_missing_and_process_gone_is_crashed() -> None:
    missing = policy.observe(T, AgentRecord(), Observation(present=False), NOW, CFG)
    assert missing.record.status is Status.MISSING and events(missing) == ["agent.missing"]
    crashed = policy.observe(T, AgentRecord(), seen(alive=False), NOW, CFG)
    assert crashed.record.status is Status.CRASHED and events(crashed) == ["agent.crashed"]
    again = policy.observe(T, crashed.record, seen(alive=False), NOW, CFG)
    assert events(again) == []
    back = policy.observe(T, crashed.record, seen(), NOW, CFG)
    assert back.record.status is Status.ACTIVE and events(back) == ["agent.found"]


def test_manual_pause_is_never_lifted_without_until() -> None:
    paused = policy.manual_pause(T, AgentRecord(), NOW, "lunch", None).record
    assert paused.status is Status.PAUSED
    later = policy.observe(T, paused, seen(), NOW + timedelta(days=3), CFG)
    assert later.record.status is Status.PAUSED and later.actions == ()
    # Even a closed window leaves a manual pause alone.
    gone = policy.observe(T, paused, Observation(present=False), NOW, CFG)
    assert gone.record.status is Status.PAUSED


def test_manual_pause_with_until_resumes_verified_when_due() -> None:
    until = NOW + timedelta(hours=1)
    paused = policy.manual_pause(T, AgentRecord(), NOW, None, until).record
    early = policy.observe(T, paused, seen(), NOW + timedelta(minutes=30), CFG)
    assert early.actions == ()
    due = policy.observe(T, paused, seen(), until, CFG)
    assert StartResume() in due.actions


def test_forced_resume_is_active_at_once() -> None:
    decision = policy.manual_resume_forced(T, exhausted_record(), NOW)
    assert decision.record.status is Status.ACTIVE
    assert ResolveAlert("manual") in decision.actions


def test_history_is_bounded() -> None:
    record = AgentRecord()
    for step in range(HISTORY_LIMIT + 20):
        moment = NOW + timedelta(minutes=step)
        record = policy.manual_pause(T, record, moment, None, None).record
    assert len(record.history) == HISTORY_LIMIT


def test_the_same_printed_reset_seen_again_is_late_not_tomorrow() -> None:
    record = exhausted_record()  # resets 22:00 as printed
    planned = parse_iso(record.reset_at)
    assert planned is not None
    after = planned + timedelta(minutes=20)
    started = policy.resume_started(record, after, "check")
    # "resets 10pm" read 20 minutes after 10pm resolves to 10pm tomorrow: the same reset.
    again = limit(planned + timedelta(days=1))
    decision = policy.verified(T, started, "limited", again, after, CFG)
    assert decision.record.status is Status.EXHAUSTED
    # Late, not a new limit: tried again within minutes, not after the long backoff.
    assert parse_iso(decision.record.scheduled_resume) == after + policy.LATE_RETRY
    assert decision.record.reset_at == record.reset_at
    second = policy.resume_started(decision.record, after + policy.LATE_RETRY, "check")
    again_late = policy.verified(T, second, "limited", again, after + policy.LATE_RETRY, CFG)
    assert parse_iso(again_late.record.scheduled_resume) == after + 3 * policy.LATE_RETRY
    # A different reset is news and is planned on.
    other = limit(planned + timedelta(hours=5))
    decision = policy.verified(T, started, "limited", other, after, CFG)
    resume = planned + timedelta(hours=5) + CFG.resume_margin
    assert parse_iso(decision.record.scheduled_resume) == resume


def test_a_verification_is_redone_only_once_its_run_must_have_died() -> None:
    cfg = PolicyConfig(verification_stale=timedelta(minutes=3))
    started = policy.resume_started(exhausted_record(), NOW, "check")
    assert policy.verification_in_flight(started, NOW + timedelta(minutes=2), cfg)
    waiting = policy.observe(T, started, seen(), NOW + timedelta(minutes=2), cfg)
    assert waiting.actions == ()
    assert not policy.verification_in_flight(started, NOW + timedelta(minutes=4), cfg)
    redo = policy.observe(T, started, seen(), NOW + timedelta(minutes=4), cfg)
    assert redo.actions == (StartResume(),)


def test_a_silent_recheck_of_billing_still_needs_a_person_and_is_bounded() -> None:
    billing = limit(None, Kind.BILLING)
    record = policy.observe(T, AgentRecord(), seen(billing), NOW, CFG).record
    moments = []
    for attempt in range(1, CFG.max_resume_attempts + 1):
        due = parse_iso(record.scheduled_resume)
        assert due is not None
        assert policy.observe(T, record, seen(billing), due, CFG).actions == (StartResume(),)
        started = policy.resume_started(record, due, "check")
        record = policy.verified(T, started, "silent", Signal(Kind.NONE), due, CFG).record
        assert record.status is Status.NEEDS_ATTENTION and record.attempts == attempt
        moments.append(due)
    assert record.scheduled_resume is None
    later = policy.observe(T, record, seen(billing), NOW + timedelta(days=3), CFG)
    assert later.actions == ()
    assert moments[1] - moments[0] == CFG.attention_recheck


def test_a_forced_resume_keeps_the_mark_it_is_given() -> None:
    decision = policy.manual_resume_forced(T, exhausted_record(), NOW, "⏺ Done\nresets 10pm")
    assert decision.record.resume_mark == "⏺ Done\nresets 10pm"


def test_the_banner_acted_on_is_kept_while_waiting() -> None:
    record = exhausted_record()
    stored = record.last_signal
    tomorrow = limit(NOW + timedelta(days=1, hours=2))  # the same banner read after its time
    decision = policy.observe(T, record, seen(tomorrow), NOW + timedelta(hours=3), CFG)
    assert decision.record.last_signal == stored


def test_last_seen_moves_at_most_hourly_so_a_quiet_sweep_changes_nothing() -> None:
    first = policy.observe(T, AgentRecord(), seen(), NOW, CFG).record
    assert parse_iso(first.last_seen) == NOW
    later = policy.observe(T, first, seen(), NOW + timedelta(minutes=5), CFG)
    assert later.record == first and later.actions == ()
    hour = policy.observe(T, later.record, seen(), NOW + policy.LAST_SEEN_STEP, CFG).record
    assert parse_iso(hour.last_seen) == NOW + policy.LAST_SEEN_STEP
    # A clock set back is not a reason to keep a last_seen from the future.
    back = policy.observe(T, first, seen(), NOW - timedelta(minutes=5), CFG).record
    assert parse_iso(back.last_seen) == NOW - timedelta(minutes=5)
    gone = policy.observe(T, first, seen(present=False), NOW + timedelta(hours=3), CFG).record
    assert gone.last_seen == first.last_seen
