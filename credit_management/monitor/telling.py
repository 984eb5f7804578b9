"""Deciding's consequences outside the sweep's loop: the state file's alerts, the events and
hooks, and the orchestrator.

`apply_to_state` stores a decision (and opens or resolves its alert), `carry_out` performs
its other actions, `emit` journals an event and fires its hooks (batched during a sweep), and
`tell_orchestrator` types a short line to the orchestrator window, or queues it while it is
stopped.
"""

from __future__ import annotations

from datetime import datetime

from credit_management.errors import TargetError, TmuxError
from credit_management.lifecycle import policy
from credit_management.models import AgentRecord, Alert, Status, clone, iso, parse_iso
from credit_management.monitor.base import SupervisorBase
from credit_management.monitor.report import SweepReport
from credit_management.notify.hooks import fire_hooks, make_payload
from credit_management.store.state import State
from credit_management.tmux.foreground import refusal

ORCHESTRATOR_PREFIX = "[credit-monitor] "


class Telling(SupervisorBase):
    """How the supervisor applies decisions, journals events and tells the orchestrator."""

    def apply_to_state(
        self, state: State, target: str, decision: policy.Decision, now: datetime
    ) -> None:
        """Store the decision's record and the actions that live in the state file (alerts)."""
        record = decision.record
        state.agents[target] = record
        for action in decision.actions:
            if isinstance(action, policy.OpenAlert) and state.open_alert(target) is None:
                state.alerts.append(
                    Alert(
                        id=f"{target}@{iso(now)}",
                        target=target,
                        kind=action.kind,
                        message=action.message,
                        created_at=iso(now) or "",
                        provider=record.provider,
                        model=record.model,
                        scheduled_resume=record.scheduled_resume,
                    )
                )
            elif isinstance(action, policy.ResolveAlert):
                alert = state.open_alert(target)
                if alert is not None:
                    alert.resolution = action.resolution
                    alert.resolved_at = iso(now)
            elif isinstance(action, policy.OpenAlert):
                alert = state.open_alert(target)
                if alert is not None:
                    alert.scheduled_resume = record.scheduled_resume

    def carry_out(
        self,
        target: str,
        decision: policy.Decision,
        now: datetime,
        report: SweepReport | None = None,
    ) -> None:
        """The actions outside the state file: events, hooks, tmux sends. Never raises."""
        report = report if report is not None else SweepReport()
        for action in decision.actions:
            try:
                if isinstance(action, policy.Emit):
                    self.emit(target, decision.record, action, now)
                elif isinstance(action, policy.TellOrchestrator):
                    self.tell_orchestrator(action.text, exclude=target)
                elif isinstance(action, policy.StartResume):
                    if self.resume(target, report=report):
                        report.resumed.append(target)
                elif isinstance(action, policy.DeliverQueued):
                    report.delivered += self.deliver_queued(target)
            except Exception as error:  # one pane or hook must not stop the others
                report.errors.append(f"{target}: {type(error).__name__}: {error}")

    def emit(
        self, target: str | None, record: AgentRecord | None, action: policy.Emit, now: datetime
    ) -> None:
        """Write the event and fire the hooks subscribed to it."""
        fields = dict(action.fields)
        fields.setdefault("message", action.message)
        last = record.history[-1] if record is not None and record.history else None
        if last is not None and last.get("time") == iso(now):
            fields.setdefault("from", last.get("from"))
            fields.setdefault("to", last.get("to"))
            fields.setdefault("actor", last.get("actor"))
        if record is not None:
            fields.setdefault("window_name", record.window_name)
        self.log.append(action.event, now=now, target=target, **fields)
        payload = make_payload(
            action.event,
            now=now,
            target=target,
            provider=record.provider if record else None,
            model=record.model if record else None,
            role="orchestrator" if self._is_orchestrator(target, record) else "agent",
            message=action.message,
            reset_time=record.scheduled_resume if record else None,
            **{k: v for k, v in fields.items() if k not in ("provider", "model", "message")},
        )
        batch = self._hook_batch
        if batch is not None:
            batch.fire(action.event, payload, self.settings.hooks, now)
        else:
            fire_hooks(action.event, payload, self.settings.hooks, self.log, now)

    def orchestrator_target(self) -> str | None:
        """The orchestrator as its agents are keyed (`session:window_index`), though the
        setting may name it by window name or pane id; the setting as given when tmux does
        not know it (a closed window)."""
        named = self.settings.orchestrator
        if not named:
            return None
        try:
            return self.tmux.resolve_target(named).target
        except (TargetError, TmuxError):
            return named

    def _is_orchestrator(self, target: str | None, record: AgentRecord | None) -> bool:
        """Whether `target` is the orchestrator, by the names the setting may use (no tmux)."""
        named = self.settings.orchestrator
        if not named or target is None:
            return False
        names = {target}
        if record is not None:
            names.add(record.pane_id or target)
            if record.window_name:
                names.add(f"{target.split(':', 1)[0]}:{record.window_name}")
        return named in names

    def tell_orchestrator(self, text: str, exclude: str | None = None) -> None:
        """One short line to the orchestrator window, queued while it is itself stopped."""
        from credit_management.messaging.queue import enqueue

        target = self.orchestrator_target()
        if not target or target == exclude:
            return
        line = ORCHESTRATOR_PREFIX + text
        now = self.clock.now()
        with self.store.transaction() as state:
            line += _first_back(state, target)
            record = state.agents.get(target)
            if record is not None and record.status.holds_messages:
                message = enqueue(state, target, line, "orchestrator", now=now)
                status = record.status.value
            else:
                message = None
        if message is not None:
            self.log.append(
                "message.queued", now=now, target=target, id=message.id,
                source="orchestrator", status=status, text=line,
            )  # fmt: skip
            return
        try:
            pane = self.tmux.resolve_target(target)
        except (TargetError, TmuxError) as error:
            self._unreachable(target, line, str(error))
            return
        problem = refusal(pane)
        if problem is not None:
            self._unreachable(target, line, problem)
            return
        # In line behind anything still held for it, then delivered in order.
        with self.store.transaction() as state:
            message = enqueue(state, target, line, "orchestrator", now=now)
        drained = self.courier.drain(target, pane, last=message.id)
        if drained.refused:  # a shell came to the front meanwhile
            self._unreachable(target, line, drained.reason or "not an agent")

    def _unreachable(self, target: str, line: str, why: str) -> None:
        """An orchestrator note that cannot be typed (a shell in front, the window gone)."""
        text = f"orchestrator {target} not told: {why}"
        fields = {"reason": why, "note": line}
        with self.store.transaction() as state:
            state.agent(target).unreachable = why
            record = clone(state.agents[target])
        self.emit(
            target, record, policy.Emit("orchestrator.unreachable", text, fields), self.clock.now()
        )


def _first_back(state: State, orchestrator: str) -> str:
    """When every agent is stopped, say which comes back first and when."""
    others = {t: r for t, r in state.agents.items() if t != orchestrator}
    if not others or any(r.status is Status.ACTIVE for r in others.values()):
        return ""
    planned = [
        (moment, target)
        for target, record in others.items()
        if (moment := parse_iso(record.scheduled_resume)) is not None
    ]
    if not planned:
        return "; every agent is stopped and none has a resume planned"
    moment, target = min(planned)
    return f"; every agent is stopped, the first back is {target} at {iso(moment)}"
