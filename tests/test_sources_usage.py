"""Foresight and the structured lifecycle rules, pure: burn rate and predicted exhaustion
from samples, fresh data over the screen, disagreements and warnings once (no tmux, no clock).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from credit_management.lifecycle import policy
from credit_management.lifecycle.structured import UsageObservation, observe
from credit_management.models import AgentRecord, Kind, Signal, Status, iso
from credit_management.sources.readings import Point, Window
from credit_management.sources.usage import burn_rate, predicted_exhaustion

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
RESET = NOW + timedelta(hours=3)
CFG = policy.PolicyConfig(resume_margin=timedelta(seconds=60))


def test_burn_rate_and_prediction_from_one_cycle() -> None:
    points = [
        Point(NOW - timedelta(minutes=90), 5.0, RESET - timedelta(hours=5)),  # the cycle before
        Point(NOW - timedelta(minutes=30), 40.0, RESET),
        Point(NOW - timedelta(minutes=15), 45.0, RESET + timedelta(seconds=20)),
        Point(NOW, 50.0, RESET),
    ]
    window = Window("five_hour", 50.0, RESET, "claude-statusline", NOW)
    rate = burn_rate(points, window)
    assert rate == 20.0  # 10 points in half an hour
    assert predicted_exhaustion(window, rate) == NOW + timedelta(hours=2.5)


def test_no_prediction_without_a_rise_or_enough_time() -> None:
    window = Window("five_hour", 50.0, RESET, "codex-rollout", NOW)
    flat = [Point(NOW - timedelta(minutes=10), 50.0, RESET), Point(NOW, 50.0, RESET)]
    assert burn_rate(flat, window) == 0.0
    assert predicted_exhaustion(window, 0.0) is None
    assert burn_rate([Point(NOW, 50.0, RESET)], window) is None
    full = Window("five_hour", 100.0, RESET, "codex-rollout", NOW)
    assert predicted_exhaustion(full, None) == NOW


def usage(used: float, seen: datetime = NOW, predicted: datetime | None = None) -> dict:
    return {
        "five_hour": {
            "used_percent": used,
            "resets_at": iso(RESET),
            "source": "claude-statusline",
            "seen_at": iso(seen),
            "burn_rate": 10.0,
            "predicted_exhaustion": iso(predicted),
        }
    }


def present(signal: Signal | None = None) -> policy.Observation:
    return policy.Observation(present=True, alive=True, signal=signal or Signal.none())


def limit(at: datetime) -> UsageObservation:
    verdict = Signal(Kind.EXHAUSTED, "claude", RESET, "claude-hook: rate_limit", "limit")
    return UsageObservation("claude", usage(100), 1.5, verdict, at, "claude-hook")


def test_a_fresh_verdict_stops_at_its_exact_reset_and_logs_the_disagreement() -> None:
    decision = observe("main:1", AgentRecord(), present(), limit(NOW), NOW, CFG)
    record = decision.record
    assert record.status is Status.EXHAUSTED
    assert record.reset_at == iso(RESET)
    assert record.scheduled_resume == iso(RESET + timedelta(seconds=60))
    assert record.cost_usd == 1.5
    events = [a.event for a in decision.actions if isinstance(a, policy.Emit)]
    assert "credit.exhausted" in events and events.count("signal.disagreement") == 1


def test_a_verdict_older_than_the_last_resume_is_ignored() -> None:
    record = AgentRecord()
    record.history.append(
        {"time": iso(NOW - timedelta(minutes=5)), "from": "resuming", "to": "active"}
    )
    decision = observe("main:1", record, present(), limit(NOW - timedelta(minutes=6)), NOW, CFG)
    assert decision.record.status is Status.ACTIVE


def test_the_screen_stands_when_data_only_has_figures_and_the_disagreement_is_told_once() -> None:
    banner = Signal(Kind.EXHAUSTED, "claude", RESET, "You've hit your limit", "limit")
    seen = UsageObservation("claude", usage(40))
    record = AgentRecord(status=Status.WAITING_SELF)
    first = observe("main:1", record, present(banner), seen, NOW, CFG)
    assert first.record.status is Status.EXHAUSTED  # the screen's stop stands
    told = [a for a in first.actions if isinstance(a, policy.Emit)]
    disagreement = [a for a in told if a.event == "signal.disagreement"]
    assert len(disagreement) == 1 and disagreement[0].fields["chosen"] == "screen"


def test_warnings_at_thresholds_and_prediction_once_per_cycle() -> None:
    seen = UsageObservation("claude", usage(82, predicted=RESET - timedelta(hours=1)))
    first = observe("main:1", AgentRecord(), present(), seen, NOW, CFG)
    kinds = [a.fields["kind"] for a in first.actions if isinstance(a, policy.Emit)]
    assert kinds == ["usage", "prediction"]
    assert first.record.predicted_exhaustion == iso(RESET - timedelta(hours=1))
    again = observe("main:1", first.record, present(), seen, NOW, CFG)
    assert [a for a in again.actions if isinstance(a, policy.Emit)] == []
    higher = UsageObservation("claude", usage(96, predicted=RESET - timedelta(hours=1)))
    third = observe("main:1", again.record, present(), higher, NOW, CFG)
    thresholds = [a.fields.get("threshold") for a in third.actions if isinstance(a, policy.Emit)]
    assert thresholds == [95.0]


def test_a_transient_verdict_goes_stale_and_the_screen_stop_stands() -> None:
    overloaded = Signal(Kind.OVERLOADED, "claude", None, "claude-hook: overloaded", "529")
    banner = Signal(Kind.EXHAUSTED, "claude", RESET, "You've hit your limit", "limit")
    fresh = UsageObservation("claude", {}, None, overloaded, NOW, "claude-hook")
    assert observe("main:1", AgentRecord(), present(banner), fresh, NOW, CFG).record.status is (
        Status.ACTIVE
    )
    old = UsageObservation("claude", {}, None, overloaded, NOW - timedelta(hours=1), "claude-hook")
    assert observe("main:1", AgentRecord(), present(banner), old, NOW, CFG).record.status is (
        Status.EXHAUSTED
    )
