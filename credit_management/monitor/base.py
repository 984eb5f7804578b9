"""What every part of the supervisor shares: the attributes `Supervisor.__init__` sets and,
for the type checker only, the methods one part calls on another. The parts (`watching`,
`telling`, `delivering`, `resuming`) are mixins of this class; `credit_monitor.Supervisor`
composes them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from credit_management.clock import Clock
from credit_management.notify.hooks import HookBatch
from credit_management.store import wakeup
from credit_management.store.config import Settings
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.state import State, StateStore
from credit_management.tmux.gateway import PaneInfo, Tmux

if TYPE_CHECKING:
    from credit_management.lifecycle import policy, structured
    from credit_management.messaging.delivery import Courier
    from credit_management.models import AgentRecord, Signal
    from credit_management.monitor.report import SweepReport
    from credit_management.tmux.typist import Delivery


class SupervisorBase:
    """The supervisor's attributes, and the signatures its parts rely on in one another."""

    paths: Paths
    settings: Settings
    tmux: Tmux
    clock: Clock
    host_tz: tzinfo
    store: StateStore
    log: EventLog
    _hook_batch: HookBatch | None
    sweep_interval: float
    swept_by: str
    _waker: wakeup.Waker | None

    if TYPE_CHECKING:
        # Defined by the parts and by `Supervisor`; declared here so each part type-checks alone.

        @property
        def courier(self) -> Courier: ...

        def _typist(self, pane_id: str) -> contextlib.AbstractContextManager[None]: ...

        def _type_locked(self, pane_id: str, text: str) -> Delivery: ...

        def deliver_queued(self, target: str) -> int: ...

        def resume(
            self,
            target: str,
            decided: AgentRecord | None = None,
            report: SweepReport | None = None,
        ) -> bool: ...

        def _stopped_by_answer(self, target: str, pane: PaneInfo, signal: Signal) -> None: ...

        def emit(
            self,
            target: str | None,
            record: AgentRecord | None,
            action: policy.Emit,
            now: datetime,
        ) -> None: ...

        def apply_to_state(
            self, state: State, target: str, decision: policy.Decision, now: datetime
        ) -> None: ...

        def carry_out(
            self,
            target: str,
            decision: policy.Decision,
            now: datetime,
            report: SweepReport | None = None,
        ) -> None: ...

        def sweep_healing(self) -> SweepReport: ...

        def _pane_of(self, target: str) -> PaneInfo | None: ...

        def _readings(
            self, panes: Iterable[PaneInfo], now: datetime
        ) -> dict[str, structured.UsageObservation]: ...
