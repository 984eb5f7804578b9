"""Typing into panes and delivering held messages.

`courier` is the one `messaging.delivery.Courier` of the supervisor; `_type` types under the
pane's typist lock after a look at its foreground process; `deliver_due` moves due notes into
their agent's queue and `deliver_queued` drains a queue; `_nudge` types the nudge into an
agent stalled on a transient error.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING

from credit_management.errors import LockBusy
from credit_management.lifecycle import policy
from credit_management.models import AgentRecord, QueuedMessage, Status, parse_iso
from credit_management.monitor.base import SupervisorBase
from credit_management.monitor.report import SweepReport, policy_config
from credit_management.store.locks import typist_lock
from credit_management.store.state import State
from credit_management.tmux.foreground import refusal

# Typing and queueing load on first use: a sweep with nothing to deliver never needs them.
if TYPE_CHECKING:
    from credit_management.messaging.delivery import Courier
    from credit_management.tmux.typist import Delivery


class Delivering(SupervisorBase):
    """How the supervisor types into panes and delivers what is held for its agents."""

    @functools.cached_property
    def courier(self) -> Courier:
        """Every path that types into a pane goes through the courier's per-pane typist lock,
        shared with every other process (a `send`, a second monitor), threads included."""
        from credit_management.messaging.delivery import Courier

        return Courier(
            self.store,
            self.log,
            self.tmux,
            self.clock,
            self.host_tz,
            config_of=lambda state: policy_config(self.settings, state),
            on_stop=self._stopped_by_answer,
            reaction_seconds=self.settings.answer_watch_seconds,
            settle_seconds=self.settings.enter_settle_seconds,
            pause_seconds=self.settings.enter_pause_seconds,
        )

    def _type(self, pane_id: str, text: str) -> Delivery:
        """`deliver` under the pane's typist lock (held for the whole text-pause-Enter-verify
        sequence, across processes); never into a shell, an editor or a pager (NotAnAgent)."""
        with self._typist(pane_id):
            return self._type_locked(pane_id, text)

    @contextlib.contextmanager
    def _typist(self, pane_id: str) -> Iterator[None]:
        """Hold the pane's typist lock; LockBusy when another process keeps it too long."""
        with typist_lock(self.paths.data_dir, pane_id, self.courier.lock_wait) as lock:
            if not lock.locked:
                holder = lock.read_owner()
                raise LockBusy(f"pane {pane_id} is being typed into by pid {holder or 'unknown'}")
            yield

    def _type_locked(self, pane_id: str, text: str) -> Delivery:
        """`deliver`, the typist lock already held; looks at the foreground process first."""
        from credit_management.messaging.delivery import NotAnAgent
        from credit_management.tmux.typist import Delivery, deliver

        pane = self.tmux.pane(pane_id)
        if pane is None:
            return Delivery(False, 0, "the pane closed before anything was typed")
        problem = refusal(pane)
        if problem is not None:
            raise NotAnAgent(f"{problem}: nothing typed")
        return deliver(
            self.tmux, pane_id, text, self.clock,
            settle=self.settings.enter_settle_seconds, pause=self.settings.enter_pause_seconds,
        )  # fmt: skip

    def deliver_queued(self, target: str) -> int:
        """Deliver the messages held for an agent that can take them, in order; returns how
        many went. The courier types each under the pane's typist lock, after a look at the
        pane (a limit or error on screen keeps them queued) and watching the answer (a refused
        one goes back to the head of the queue and the agent is stopped at once)."""
        pane = self._pane_of(target)
        if pane is None:
            return 0
        drained = self.courier.drain(target, pane)
        self._mark_unreachable(target, drained.reason if drained.refused else None)
        return sum(1 for typed in drained.typed if typed.outcome == "delivered")

    def _mark_unreachable(self, target: str, why: str | None) -> None:
        """Remember (for `status` and `health`) why nothing can be typed into a window that
        has messages waiting, or that it can be again; written only when it changes."""
        record = self.store.load().agents.get(target)
        if record is None or record.unreachable == why:
            return
        with self.store.transaction() as state:
            state.agent(target).unreachable = why

    def deliver_due(self, report: SweepReport, known: State | None = None) -> None:
        """Move scheduled notes that are due into their agent's queue, then deliver.

        `known` is the state as just saved, when the caller has it (no second read)."""
        now = self.clock.now()
        due_targets: set[str] = set()
        known = known if known is not None else self.store.load()
        waiting = any(record.queued for record in known.agents.values())
        if not waiting and not any(
            (due := parse_iso(note.due_at)) is not None and due <= now for note in known.schedules
        ):
            return  # nothing to deliver: no write of the state file
        held: list[tuple[str, QueuedMessage, Status]] = []
        with self.store.transaction() as state:
            keep = []
            for note in state.schedules:
                due = parse_iso(note.due_at)
                if due is not None and due <= now:
                    message = QueuedMessage(
                        note.id, note.text, note.created_at, "schedule", note.due_at
                    )
                    record = state.agent(note.target)
                    record.queued.append(message)
                    held.append((note.target, message, record.status))
                    due_targets.add(note.target)
                else:
                    keep.append(note)
            state.schedules = keep
            for target, record in state.agents.items():
                if record.status is Status.ACTIVE and record.queued:
                    due_targets.add(target)
        for target, message, status in held:
            if status.holds_messages:
                # Due while the agent is stopped: it waits for the verified resume.
                self.log.append(
                    "message.queued", now=now, target=target, id=message.id,
                    source="schedule", status=status.value, text=message.text,
                    reason=f"scheduled note due while {status.value}",
                )  # fmt: skip
        for target in sorted(due_targets):
            try:
                report.delivered += self.deliver_queued(target)
            except Exception as error:
                report.errors.append(f"{target}: {type(error).__name__}: {error}")

    def _nudge(self, target: str, pane_id: str, record: AgentRecord, report: SweepReport) -> None:
        """Type the nudge into an agent stalled on a transient error (through `_type`, the
        one typing path), and say so."""
        message = self.settings.nudge_message
        try:
            result = self._type(pane_id, message)
        except Exception as error:  # one pane must not stop the sweep
            report.errors.append(f"{target}: nudge not sent: {type(error).__name__}: {error}")
            return
        stall = record.stall or {}
        who = f"{target} ({record.provider})" if record.provider else target
        text = (
            f"{who} sat idle on a transient error; "
            f"sent {message!r} (nudge {stall.get('nudges', 1)} of {self.settings.max_nudges})"
        )
        fields = {
            "error": stall.get("error"),
            "retry_at": stall.get("retry_at"),
            "nudges": stall.get("nudges"),
            "sent": message,
            "delivered": getattr(result, "delivered", None),
            "provider": record.provider,
        }
        self.emit(target, record, policy.Emit("agent.nudged", text, fields), self.clock.now())
        report.changes.append(f"{target}: nudged ({message})")
