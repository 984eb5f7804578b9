"""What a sweep reports, and the lifecycle's knobs read from the settings.

`SweepReport` counts what one sweep did (for `run`'s output and the demo's table);
`nudge_config` and `policy_config` turn the effective settings into the pure core's configs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import timedelta

from credit_management.lifecycle import nudge, policy
from credit_management.records import Record
from credit_management.store.config import Settings
from credit_management.store.state import State


@dataclass(repr=False)
class SweepReport(Record):
    """What one sweep did, for `run`'s output and the demo's table."""

    agents: int = 0
    changes: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    delivered: int = 0
    errors: list[str] = field(default_factory=list)

    def merge(self, other: SweepReport) -> None:
        """Add what `other` counted (each parallel resume keeps its own report: threads
        adding to one counter lose updates)."""
        for item in dataclass_fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if isinstance(mine, list):
                mine.extend(theirs)
            elif isinstance(mine, int | float) and not isinstance(mine, bool):
                setattr(self, item.name, mine + theirs)


def nudge_config(settings: Settings) -> nudge.NudgeConfig:
    """The nudge knobs from the effective settings (off with `nudge = false` or 0 nudges)."""
    return nudge.NudgeConfig(
        enabled=settings.nudge and settings.max_nudges > 0,
        stall=timedelta(seconds=settings.stall_seconds),
        message=settings.nudge_message,
        max_nudges=settings.max_nudges,
    )


def policy_config(settings: Settings, state: State) -> policy.PolicyConfig:
    """The lifecycle knobs from the effective settings and the state file's reset cycle."""
    return policy.PolicyConfig(
        resume_margin=timedelta(seconds=settings.resume_margin_seconds),
        max_resume_attempts=settings.max_resume_attempts,
        retry_backoff=timedelta(minutes=settings.retry_backoff_minutes),
        attention_recheck=timedelta(minutes=settings.attention_recheck_minutes),
        warning_threshold=timedelta(minutes=settings.warning_threshold_minutes),
        cycle_hours=settings.cycle_hours,
        reset_times=tuple(state.reset_times),
        timezone=state.timezone,
        # The verification itself, the message deliveries around it, and slack for a slow host.
        verification_stale=timedelta(seconds=2 * settings.verify_timeout_seconds + 60),
    )
