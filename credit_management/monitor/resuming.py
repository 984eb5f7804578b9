"""The verified resume, and the manual pause and forced resume.

`resume` types the test message under the pane's typist lock, waits for the answer
(`_await_answer`) and records the outcome (`_finish`: the resume message and held messages go
out, a queue that does not move is reported); `_resume_all` runs a sweep's due resumes side by
side; `_stopped_by_answer` stops an agent that answered a message with a limit.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from credit_management.lifecycle import policy, structured
from credit_management.models import (
    STALL_RESUMES,
    AgentRecord,
    Kind,
    QueuedMessage,
    Signal,
    Status,
    clone,
    iso,
)
from credit_management.monitor.base import SupervisorBase
from credit_management.monitor.report import SweepReport, policy_config
from credit_management.tmux.foreground import refusal
from credit_management.tmux.gateway import PaneInfo

MAX_PARALLEL_RESUMES = 8
# Between looks at a pane waiting for the test message's answer: often while nothing shows,
# then long enough apart that a reply seen twice has stopped changing.
PENDING_POLL_SECONDS = 0.1
ANSWER_POLL_SECONDS = 0.25


class Resuming(SupervisorBase):
    """How the supervisor brings a stopped agent back, verified, and stops one by hand."""

    def resume(
        self,
        target: str,
        decided: AgentRecord | None = None,
        report: SweepReport | None = None,
    ) -> bool:
        """Send the test message to a due agent and wait for its answer; True when active.

        False at once, sending nothing, when another process is verifying this agent now
        (a manual resume during a sweep, a dashboard "Retry now"), or when `decided` (the
        record a sweep found due) is no longer the agent's state: a person paused or
        resumed it while the resume waited for its turn.
        """
        pane = self._pane_of(target)
        if pane is None:
            self._finish(target, "gone", Signal(Kind.NONE), report)
            return False
        problem = refusal(pane)
        if problem is not None:  # never type the test message into a shell: a person is told
            why = Signal(Kind.NONE, message=f"{problem}: nothing typed")
            self._finish(target, "not_an_agent", why, report)
            was = decided.status if decided is not None else None
            if report is not None and was is not None and was is not Status.NEEDS_ATTENTION:
                report.changes.append(f"{target}: {was.value} -> needs_attention ({problem})")
            return False
        message = self.settings.test_message
        # The typist lock is held from the test message to its answer: no `send` or note
        # may land in the pane while the agent is being verified.
        with self._typist(pane.pane_id):
            now = self.clock.now()
            with self.store.transaction() as state:
                record = state.agent(target)
                cfg = policy_config(self.settings, state)
                if policy.verification_in_flight(record, now, cfg):
                    return False
                if decided is not None and (record.status, record.since) != (
                    decided.status,
                    decided.since,
                ):
                    return False
                state.agents[target] = policy.resume_started(record, now, message)
            self.tmux.exit_copy_mode(pane.pane_id)
            from credit_management.detect.signals import limit_menu_open

            if limit_menu_open(self.tmux.capture_pane(pane.pane_id)):
                self.tmux.send_key(pane.pane_id, "Escape")
                self.clock.sleep(0.3)
            self._type_locked(pane.pane_id, message)
            outcome, signal = self._await_answer(pane.pane_id, message)
        return self._finish(target, outcome, signal, report)

    def resume_now(self, target: str) -> bool:
        """A verified resume at once, whatever the schedule says ("Retry now")."""
        return self.resume(target)

    def pause(self, target: str, reason: str | None, until: datetime | None) -> AgentRecord:
        """A manual pause: never lifted by the monitor unless `until` says when."""
        now = self.clock.now()
        with self.store.transaction() as state:
            decision = policy.manual_pause(target, state.agent(target), now, reason, until)
            self.apply_to_state(state, target, decision, now)
        self.carry_out(target, decision, now)
        return decision.record

    def force_resume(self, target: str) -> AgentRecord:
        """Active at once, no test message; held messages go out now.

        The pane's last rows become the resume mark, so the banner still at its bottom is
        old news from now on (otherwise the next sweep would stop the agent again).
        """
        from credit_management.detect.marks import stale_mark

        pane = self._pane_of(target)
        text = self.tmux.capture_panes([pane.pane_id]).get(pane.pane_id) if pane else None
        mark = stale_mark(text, self.clock.now(), self.host_tz) if text else None
        now = self.clock.now()
        with self.store.transaction() as state:
            decision = policy.manual_resume_forced(target, state.agent(target), now, mark)
            self.apply_to_state(state, target, decision, now)
        self.carry_out(target, decision, now)
        return decision.record

    def _await_answer(self, pane_id: str, mark: str) -> tuple[policy.Outcome, Signal]:
        """Poll until the text after the test message shows a reply or a limit, or time out."""
        from credit_management.detect.signals import classify, has_reply, text_since

        # Counted in the waits made, not clock time: a frozen clock (CREDIT_MONITOR_NOW) must
        # not make a silent agent wait forever.
        waited = 0.0
        previous: str | None = None
        signal = Signal(Kind.NONE)
        while waited < self.settings.verify_timeout_seconds:
            captured = self.tmux.capture_panes([pane_id])
            if pane_id not in captured:
                return "gone", Signal(Kind.NONE)
            after = text_since(captured[pane_id], mark)
            signal = classify(after, self.clock.now(), self.host_tz)
            if signal.kind.stops_agent:
                return "limited", signal
            # A reply counts once it has stopped changing (not a spinner mid-answer), and only
            # from an agent: a shell back in front (the agent exited) answers with its errors.
            replied = has_reply(after, mark)
            if replied and after == previous:
                pane = self.tmux.pane(pane_id)
                problem = refusal(pane) if pane is not None else None
                if problem is not None:
                    left = f"{problem}: the program that took the test message has left"
                    return "not_an_agent", Signal(Kind.NONE, message=left)
                return "answered", signal
            previous = after
            pause = ANSWER_POLL_SECONDS if replied else PENDING_POLL_SECONDS
            self.clock.sleep(pause)
            waited += pause
        return "silent", signal

    def _finish(
        self,
        target: str,
        outcome: policy.Outcome,
        signal: Signal,
        report: SweepReport | None = None,
    ) -> bool:
        """Record the verification's outcome and carry out what follows (held messages go
        out here, counted in the sweep's `report`)."""
        now = self.clock.now()
        with self.store.transaction() as state:
            record = state.agent(target)
            held_before = [m.id for m in record.queued if m.source != "resume"]
            if outcome == "answered" and record.exhausted_at and self.settings.resume_message:
                # The agent stopped mid-task: tell it to carry on before anything queued.
                nudge = QueuedMessage(
                    f"resume-{now.timestamp():.3f}",
                    self.settings.resume_message,
                    iso(now) or "",
                    "resume",
                )
                # Only one nudge waits: an earlier one still queued (the agent stopped again
                # before it went) would otherwise be typed twice.
                record.queued = [nudge, *(m for m in record.queued if m.source != "resume")]
            decision = policy.verified(
                target, record, outcome, signal, now, policy_config(self.settings, state)
            )
            self.apply_to_state(state, target, decision, now)
        self.carry_out(target, decision, now, report)
        if outcome not in ("gone", "not_an_agent"):
            self._count_stall(target, held_before)
        return decision.record.status is Status.ACTIVE

    def _count_stall(self, target: str, held_before: list[str]) -> None:
        """After a verified resume: did the messages held for the agent move? Three resumes
        in a row without one of them delivered fire `queue.stalled` (the test and resume
        messages may use up all that each cycle allows)."""
        now = self.clock.now()
        with self.store.transaction() as state:
            record = state.agent(target)
            held = [m.id for m in record.queued if m.source != "resume"]
            if not held_before or held[:1] != held_before[:1]:
                record.stalled_resumes = 0
                return
            record.stalled_resumes += 1
            count = record.stalled_resumes
            snapshot = clone(record)
        if count != STALL_RESUMES:
            return
        hint = "" if not self.settings.resume_message else '; resume_message = "" frees it'
        text = (
            f"{target}: {len(held)} held message(s) have not moved for {count} resumes in a "
            f"row (the cycle is spent on the test and resume messages{hint})"
        )
        fields = {"held": len(held), "resumes": count, "oldest": held[0]}
        self.emit(target, snapshot, policy.Emit("queue.stalled", text, fields), now)

    def _stopped_by_answer(self, target: str, pane: PaneInfo, signal: Signal) -> None:
        """The agent answered a message with a limit: it is stopped at once from that fresh
        banner (no second look: it is the answer to what was just typed)."""
        from credit_management.messaging.delivery import answer_observation

        now = self.clock.now()
        with self.store.transaction() as state:
            obs = answer_observation(pane, signal)
            cfg = policy_config(self.settings, state)
            seen = self._readings([pane], now).get(pane.pane_id)
            decision = structured.observe(target, state.agent(target), obs, seen, now, cfg)
            self.apply_to_state(state, target, decision, now)
        later = (policy.StartResume, policy.DeliverQueued)
        rest = tuple(a for a in decision.actions if not isinstance(a, later))
        self.carry_out(target, replace(decision, actions=rest), now)

    def _resume_all(self, due: dict[str, AgentRecord], report: SweepReport) -> None:
        """Verified resumes of every due agent at once: ten agents on one account reset
        together, and each may wait the whole verification timeout for its answer."""
        targets = list(due)

        def one(target: str) -> SweepReport:
            own = SweepReport()  # this thread's own counts, merged below
            try:
                if self.resume(target, decided=due[target], report=own):
                    own.resumed.append(target)
            except Exception as error:  # one agent's failure must not stop the others
                own.errors.append(f"{target}: {type(error).__name__}: {error}")
            return own

        if len(targets) <= 1:
            for target in targets:
                report.merge(one(target))
            return
        from concurrent.futures import ThreadPoolExecutor

        self.courier  # made once, before the threads share it  # noqa: B018
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_RESUMES, len(targets))) as pool:
            for own in pool.map(one, targets):
                report.merge(own)
