"""When the watcher must next look: the earliest instant at which something falls due.

A scheduled resume (and the "resumes soon" notice before it), a pause's `--until`, a
verification whose run may have died, an auto-continue that may not have happened, a
scheduled note, a pending nudge. Pure: the records, the notes and `after` (the instant of the
sweep just done) in, one instant or None out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from credit_management.lifecycle import nudge
from credit_management.lifecycle.policy import PolicyConfig
from credit_management.models import AgentRecord, ScheduledNote, Status, parse_iso


def _instant(text: str | None) -> datetime | None:
    try:
        return parse_iso(text)
    except ValueError:
        return None


def agent_due(record: AgentRecord, cfg: PolicyConfig, nudges: nudge.NudgeConfig) -> list[datetime]:
    """Every instant at which this agent's record asks for a look."""
    scheduled = _instant(record.scheduled_resume)
    found: list[datetime | None] = []
    status = record.status
    if status is Status.EXHAUSTED and scheduled is not None:
        found += [scheduled, scheduled - cfg.warning_threshold]
    elif status is Status.RESUMING:
        sent = _instant(record.resume_sent_at)
        found.append(sent + cfg.verification_stale if sent is not None else scheduled)
    elif status is Status.PAUSED:
        found.append(_instant(record.paused_until))
    elif status is Status.WAITING_SELF and scheduled is not None:
        found.append(scheduled + cfg.auto_resume_grace)
    elif status is Status.NEEDS_ATTENTION:
        found.append(scheduled)
    elif status is Status.ACTIVE:
        found.append(nudge.due_at(record.stall, nudges))
    return [moment for moment in found if moment is not None]


def next_due(
    agents: Mapping[str, AgentRecord],
    notes: Iterable[ScheduledNote],
    after: datetime,
    cfg: PolicyConfig,
    nudges: nudge.NudgeConfig,
) -> datetime | None:
    """The earliest due instant later than `after` (what was due by then was handled by the
    sweep at `after`, or cannot be: it must not make the watcher spin)."""
    moments: list[datetime] = []
    for record in agents.values():
        moments += agent_due(record, cfg, nudges)
    for note in notes:
        due = _instant(note.due_at)
        if due is not None:
            moments.append(due)
    later = [moment for moment in moments if moment > after]
    return min(later) if later else None
