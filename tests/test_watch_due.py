"""When the watcher must next look (`lifecycle.due`), and what the journal keeps of a save."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from credit_management.lifecycle.due import next_due
from credit_management.lifecycle.nudge import NudgeConfig
from credit_management.lifecycle.policy import PolicyConfig
from credit_management.models import AgentRecord, ScheduledNote, Status, iso
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
CFG = PolicyConfig(warning_threshold=timedelta(minutes=10))


def at(minutes: float) -> str:
    moment = iso(NOW + timedelta(minutes=minutes))
    assert moment is not None
    return moment


def test_the_earliest_of_resumes_pauses_notes_and_the_notice_before_a_resume() -> None:
    agents = {
        "a:1": AgentRecord(status=Status.EXHAUSTED, scheduled_resume=at(60)),
        "a:2": AgentRecord(status=Status.PAUSED, paused_until=at(45)),
        "a:3": AgentRecord(status=Status.PAUSED),  # paused until a person says: never due
    }
    notes = [ScheduledNote("n1", "a:3", "check CI", at(70), at(0))]
    # The "resumes soon" notice 10 minutes before a:1's resume comes after a:2's pause ends.
    assert next_due(agents, notes, NOW, CFG, NudgeConfig()) == NOW + timedelta(minutes=45)
    later = NOW + timedelta(minutes=45)
    assert next_due(agents, notes, later, CFG, NudgeConfig()) == NOW + timedelta(minutes=50)
    assert next_due(agents, notes, NOW + timedelta(minutes=60), CFG, NudgeConfig()) == (
        NOW + timedelta(minutes=70)
    )
    # What was due by the last sweep is not due again (no spinning on a past instant).
    assert next_due(agents, notes, NOW + timedelta(hours=2), CFG, NudgeConfig()) is None


def test_a_pending_nudge_is_due_and_none_once_the_nudges_are_spent() -> None:
    stall = {"error": "x", "retry_at": at(1), "screen": "s", "changed_at": at(0), "nudges": 0}
    agents = {"a:1": AgentRecord(stall=stall)}
    assert next_due(agents, [], NOW, CFG, NudgeConfig()) == NOW + timedelta(seconds=90)
    spent = {"a:1": AgentRecord(stall={**stall, "nudges": 2})}
    assert next_due(spent, [], NOW, CFG, NudgeConfig()) is None
    assert next_due(agents, [], NOW, CFG, NudgeConfig(enabled=False)) is None


def test_a_save_that_only_moves_last_seen_is_not_journaled(tmp_path: Path) -> None:
    paths = Paths(tmp_path, "--home")
    store = StateStore(paths)
    log = EventLog(paths.events_log)
    with store.transaction() as state:
        state.agent("a:1").reason = "first"
    with store.transaction() as state:
        state.agent("a:1").last_seen = at(1)
    with store.transaction() as state:
        state.agent("a:1").status = Status.PAUSED
    records, skipped = log.read_journal()
    assert [r["event"] for r in records] == ["state.snapshot", "state.changed"]
    assert records[1]["agents"]["a:1"]["status"] == "paused"
    assert skipped == 0
    assert log.read() == []  # journal lines are not events a person reads
