"""Delivering an agent's queue so that each message arrives once, in order, and is accepted.

`Courier.drain` types the messages held for one agent, oldest first, each under the pane's
typist lock (no other process types into that input box meanwhile). Before each message it
looks at the pane (`reading.look`): a visible limit, refusal menu or transient error with a
retry instant keeps the rest queued, with the reason. It records the attempt in the state file
before typing, types (`tmux.typist`), and watches the answer (`reading.answer`): a refusal puts
the message back at the head of the queue and reports the stop at once. An attempt found
recorded while the lock is free belongs to a run that died mid-delivery; it is settled from the
pane (typed or not, submitted or not) before anything else is typed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from typing import Any, Literal

from credit_management.clock import Clock
from credit_management.errors import InputError, LockBusy
from credit_management.lifecycle import policy
from credit_management.messaging.queue import describe_hold, hold_of
from credit_management.messaging.reading import answer, look, stop_reason, transient_until
from credit_management.messaging.text import preview
from credit_management.models import AgentRecord, Kind, QueuedMessage, Signal, Status, iso
from credit_management.records import Record
from credit_management.store.journal import EventLog
from credit_management.store.locks import typist_lock
from credit_management.store.state import State, StateStore
from credit_management.tmux.foreground import refusal
from credit_management.tmux.gateway import PaneInfo, Tmux
from credit_management.tmux.typist import (
    PAUSE_SECONDS,
    SETTLE_SECONDS,
    InputRow,
    deliver,
    shows_typed,
    submit,
)

Outcome = Literal["delivered", "requeued", "unconfirmed"]
LOCK_WAIT_SECONDS = 30.0  # another typist holds a pane for one message, seconds at most
REACTION_SECONDS = 6.0  # how long the answer to a message is watched for a refusal
REACTION_POLL_SECONDS = 0.25  # a reply must stay unchanged this long to count
PENDING_POLL_SECONDS = 0.1  # between looks while nothing has answered yet
QUIET_SECONDS = 3.0  # the previous answer may take this long to settle before the next message
ATTEMPT_ROWS = 20  # rows of the pane kept with an attempt (the input box is near the bottom)

StopHandler = Callable[[str, PaneInfo, Signal], None]


class NotAnAgent(InputError):
    """The pane runs a shell, an editor or a pager: typing would run or edit the text."""


class _Dropped(Exception):
    """The message left the queue (`queue drop`) while waiting for its turn: do not type it."""


@dataclass(frozen=True, repr=False)
class Typed(Record):
    """One message typed into a pane, and what became of it."""

    message: QueuedMessage
    outcome: Outcome
    enter_presses: int = 0
    detail: str = ""
    signal: Signal | None = None  # the limit or error the agent answered with, if any
    reconciled: bool = False  # settled after a run died mid-delivery


@dataclass(frozen=True, repr=False)
class Drained(Record):
    """What one `drain` did: the messages typed, and why the rest (if any) still waits."""

    typed: tuple[Typed, ...] = ()
    waiting: int = 0
    reason: str | None = None
    until: datetime | None = None
    refused: bool = False  # the pane runs a shell, an editor or a pager: nothing was typed


def _tail(text: str) -> str:
    return "\n".join(text.split("\n")[-ATTEMPT_ROWS:])


class Courier:
    """Types the held messages of agents into their panes; one per tmux server and home."""

    def __init__(
        self,
        store: StateStore,
        log: EventLog,
        tmux: Tmux,
        clock: Clock,
        host_tz: tzinfo,
        *,
        config_of: Callable[[State], policy.PolicyConfig] | None = None,
        on_stop: StopHandler | None = None,
        lock_wait: float = LOCK_WAIT_SECONDS,
        reaction_seconds: float = REACTION_SECONDS,
        settle_seconds: float = SETTLE_SECONDS,
        pause_seconds: float = PAUSE_SECONDS,
    ) -> None:
        self.store = store
        self.log = log
        self.tmux = tmux
        self.clock = clock
        self.host_tz = host_tz
        self.config_of = config_of or _default_config
        self.on_stop = on_stop or self.record_stop
        self.lock_wait = lock_wait
        self.reaction_seconds = reaction_seconds
        self.settle_seconds = settle_seconds
        self.pause_seconds = pause_seconds
        # The last capture of a pane whose answer `react` saw stop changing: the next
        # `quiet` look starts from it rather than watching the pane settle again.
        self._settled: dict[str, str] = {}

    # -- the queue -----------------------------------------------------------------------------

    def drain(
        self,
        target: str,
        pane: PaneInfo,
        *,
        last: str | None = None,
        force: bool = False,
        lock_wait: float | None = None,
    ) -> Drained:
        """Type `target`'s held messages into `pane`, oldest first, until the queue is empty,
        the message `last` is done, or something says the rest must wait.

        `force` types even when a shell, an editor or a pager is in front of the pane.
        """
        problem = None if force else refusal(pane)
        if problem is not None:
            waiting = len(self._record(target).queued)
            return Drained((), waiting, problem, None, refused=True)
        typed: list[Typed] = []
        self._settled.pop(pane.pane_id, None)  # only a capture from this drain counts
        while True:
            wait = self.lock_wait if lock_wait is None else lock_wait
            with typist_lock(self.store.paths.data_dir, pane.pane_id, wait) as lock:
                if not lock.locked:
                    holder = lock.read_owner()
                    reason = f"another process (pid {holder or 'unknown'}) is typing into it"
                    return self._waiting(target, typed, reason)
                step = self._one(target, pane, quiet=bool(typed))
            if step is None:
                continue  # the head message was dropped meanwhile: on to the next one
            if isinstance(step, Drained):
                return replace(step, typed=(*typed, *step.typed))
            typed.append(step)
            if step.outcome != "delivered" or step.signal is not None:
                reason = "the agent refused it" if step.outcome == "requeued" else step.detail
                if step.outcome == "delivered" and step.signal is not None:
                    reason = stop_reason(step.signal, self.clock.now(), self.host_tz)
                until = step.signal.reset_at if step.signal is not None else None
                return self._waiting(target, typed, reason, until)
            if step.message.id == last:
                return self._waiting(target, typed, None)

    def type_now(
        self, target: str, pane: PaneInfo, message: QueuedMessage, *, force: bool = False
    ) -> Typed:
        """Type one message that is in no queue (`send --now`) under the pane's lock, and
        watch the reaction; refused, it joins the head of the queue."""
        problem = None if force else refusal(pane)
        if problem is not None:
            raise NotAnAgent(f"{problem}: nothing typed (--force types anyway)")
        with typist_lock(self.store.paths.data_dir, pane.pane_id, self.lock_wait) as lock:
            if not lock.locked:
                holder = lock.read_owner()
                raise LockBusy(f"another process (pid {holder or 'unknown'}) is typing into it")
            before: list[str] = []
            delivery = deliver(
                self.tmux, pane.pane_id, message.text, self.clock,
                settle=self.settle_seconds, pause=self.pause_seconds, on_before=before.append,
            )  # fmt: skip
            if delivery.enter_presses == 0:
                return Typed(message, "unconfirmed", 0, delivery.detail)
            return self._settle(
                target, pane, message, delivery.delivered, delivery.enter_presses,
                delivery.detail, before[0] if before else "",
            )  # fmt: skip

    def _record(self, target: str) -> AgentRecord:
        return self.store.load().agents.get(target) or AgentRecord()

    def _waiting(
        self, target: str, typed: list[Typed], reason: str | None, until: datetime | None = None
    ) -> Drained:
        waiting = len(self._record(target).queued)
        return Drained(tuple(typed), waiting, reason if waiting else None, until)

    def _one(self, target: str, pane: PaneInfo, quiet: bool) -> Typed | Drained | None:
        """Under the pane's lock: settle or type the message at the head of the queue."""
        record = self._record(target)
        if not record.queued:
            return Drained()
        now = self.clock.now()
        hold = hold_of(record)
        if hold is not None:
            why = describe_hold(hold, now, self.host_tz)
            return Drained((), len(record.queued), why, hold.until)
        if record.status is not Status.ACTIVE:  # missing or crashed: the sweep decides first
            return Drained((), len(record.queued), f"the agent is {record.status.value}", None)
        message = record.queued[0]
        if message.attempt is not None:
            settled = self._reconcile(target, pane, message)
            if settled is not None:
                return settled
        text = self.quiet(pane.pane_id) if quiet else self._capture(pane.pane_id)
        if text is None:
            return Drained((), len(record.queued), "the window closed", None)
        seen = look(text, record.resume_mark, self.clock.now(), self.host_tz, record.stall)
        if not seen.ready:
            return Drained((), len(record.queued), seen.reason, seen.until)
        return self._type(target, pane, message, text if quiet else None)

    # -- one message ---------------------------------------------------------------------------

    def _type(
        self, target: str, pane: PaneInfo, message: QueuedMessage, quiet: str | None = None
    ) -> Typed | Drained | None:
        before_seen: list[str] = []

        def on_before(before: str) -> None:
            before_seen.append(before)
            progress = {"stage": "typing", "before": _tail(before)}
            self._attempt(target, pane, message, progress)

        def on_typed(probe: InputRow) -> None:
            self._attempt(
                target,
                pane,
                message,
                {
                    "stage": "typed",
                    "before": _tail(before_seen[0]),
                    "typed": _tail(probe.typed),
                    "row": probe.row,
                },
            )

        try:
            delivery = deliver(
                self.tmux, pane.pane_id, message.text, self.clock,
                settle=self.settle_seconds, pause=self.pause_seconds, on_before=on_before,
                on_typed=on_typed, quiet=quiet,
            )  # fmt: skip
        except _Dropped:
            return None
        if delivery.enter_presses == 0:
            self._attempt(target, pane, message, None)
            return Drained((), len(self._record(target).queued), delivery.detail, None)
        return self._settle(
            target, pane, message, delivery.delivered, delivery.enter_presses,
            delivery.detail, before_seen[0] if before_seen else "",
        )  # fmt: skip

    def _settle(
        self,
        target: str,
        pane: PaneInfo,
        message: QueuedMessage,
        taken: bool,
        presses: int,
        detail: str,
        before: str,
        reconciled: bool = False,
    ) -> Typed:
        """Record what became of a typed message: delivered, refused (back at the head of
        the queue) or unconfirmed (Enter never took it: dropped, never typed twice)."""
        signal: Signal | None = None
        outcome: Outcome = "unconfirmed"
        if taken:
            reaction, seen = self.react(pane.pane_id, message.text, before)
            stopped = seen.kind.stops_agent or transient_until(seen, self.clock.now()) is not None
            signal = seen if stopped else None
            outcome = "requeued" if reaction == "refused" else "delivered"
            detail = (
                "refused: " + (seen.evidence or seen.message) if reaction == "refused" else detail
            )
        now = self.clock.now()
        with self.store.transaction() as state:
            record = state.agent(target)
            if outcome == "requeued":
                for index, held in enumerate(record.queued):
                    if held.id == message.id:
                        record.queued[index] = replace(held, attempt=None)
                        break
                else:  # typed with --now, never queued: first in line for the next delivery
                    record.queued.insert(0, replace(message, attempt=None))
            else:
                record.queued = [m for m in record.queued if m.id != message.id]
                if outcome == "delivered" and message.source != "resume":
                    record.stalled_resumes = 0  # held work moved
            if outcome == "delivered":
                record.unreachable = None
        fields: dict[str, Any] = {
            "id": message.id,
            "source": message.source,
            "pane_id": pane.pane_id,
            "enter_presses": presses,
            "preview": preview(message.text),
        }
        if reconciled:
            fields["reconciled"] = True
        if outcome == "requeued" and signal is not None:
            fields.update(
                kind=signal.kind.value, evidence=signal.evidence, until=iso(signal.reset_at)
            )
        if outcome == "unconfirmed":
            fields["detail"] = detail
        self.log.append(f"message.{outcome}", now=now, target=target, **fields)
        typed = Typed(message, outcome, presses, detail, signal, reconciled)
        if signal is not None and signal.kind.stops_agent:
            self.on_stop(target, pane, signal)
        return typed

    def _attempt(
        self,
        target: str,
        pane: PaneInfo,
        message: QueuedMessage,
        progress: dict[str, Any] | None,
    ) -> None:
        """Write how far the delivery of `message` got, before the step it names happens."""
        with self.store.transaction() as state:
            record = state.agent(target)
            for index, held in enumerate(record.queued):
                if held.id == message.id:
                    attempt = None
                    if progress is not None:
                        attempt = {"at": iso(self.clock.now()), "pane_id": pane.pane_id, **progress}
                    record.queued[index] = replace(held, attempt=attempt)
                    return
        if progress is not None and progress.get("stage") == "typing":
            raise _Dropped

    def _reconcile(self, target: str, pane: PaneInfo, message: QueuedMessage) -> Typed | None:
        """A delivery recorded but never finished (its run was killed): find out from the pane
        whether the message went. None when it was never typed (type it now)."""
        attempt = message.attempt or {}
        now_text = self._capture(pane.pane_id)
        before = str(attempt.get("before") or "")
        if now_text is None or attempt.get("pane_id") != pane.pane_id:
            self._attempt(target, pane, message, None)
            return None
        current = _tail(now_text)
        stage = attempt.get("stage")
        probe: InputRow | None = None
        if stage == "typed" and isinstance(attempt.get("typed"), str):
            row = attempt.get("row")
            probe = InputRow(str(attempt["typed"]), row if isinstance(row, int) else None)
            if probe.taken(current):
                return self._settle(target, pane, message, True, 0, "submitted", before, True)
        elif stage == "typing":
            # Enter is pressed only after the "typed" stage is written: never submitted here.
            probe = shows_typed(before, current, message.text)
        if probe is None:
            self._attempt(target, pane, message, None)
            return None
        # Typed but Enter never taken: press it now rather than typing the text a second time.
        delivery = submit(self.tmux, pane.pane_id, probe, self.clock, settle=self.settle_seconds)
        return self._settle(
            target, pane, message, delivery.delivered, delivery.enter_presses,
            delivery.detail, before, True,
        )  # fmt: skip

    # -- looking at the pane ---------------------------------------------------------------------

    def _capture(self, pane_id: str) -> str | None:
        return self.tmux.capture_panes([pane_id]).get(pane_id)

    def quiet(self, pane_id: str) -> str | None:
        """The pane once it stopped changing, or as it is after a few seconds of steady
        output (an agent at work, not one refusing); None when it closed."""
        polls = max(1, math.ceil(QUIET_SECONDS / REACTION_POLL_SECONDS))
        previous = self._settled.pop(pane_id, None)
        for poll in range(polls + 1):
            text = self._capture(pane_id)
            if text is None or text == previous or poll == polls:
                return text
            previous = text
            self.clock.sleep(REACTION_POLL_SECONDS)
        return previous

    def react(self, pane_id: str, text: str, before: str) -> tuple[str, Signal]:
        """Watch the answer to a submitted message: ("refused", the stop) when the agent
        answers it with a limit, a refusal menu or a transient error and nothing else;
        ("accepted", what shows) when it replies or keeps working; ("gone", none) when the
        pane closed. Counted in the waits it makes, so a frozen clock cannot make it wait for
        ever; it looks often until something answers, then waits for the reply to settle."""
        waited = 0.0
        previous: str | None = None
        signal = Signal(Kind.NONE)
        while waited < self.reaction_seconds:
            captured = self._capture(pane_id)
            if captured is None:
                return "gone", Signal(Kind.NONE)
            seen = answer(captured, text, before, self.clock.now(), self.host_tz)
            signal = seen.signal
            if seen.verdict in ("refused", "accepted"):
                return seen.verdict, signal
            # A reply counts once it has stopped changing (not a spinner mid-answer).
            if seen.verdict == "replied" and seen.after == previous:
                self._settled[pane_id] = captured
                return "accepted", signal
            previous = seen.after
            pause = REACTION_POLL_SECONDS if seen.verdict == "replied" else PENDING_POLL_SECONDS
            self.clock.sleep(pause)
            waited += pause
        return "accepted", signal

    # -- the default stop handler (the monitor brings its own, with hooks and notes) ------------

    def record_stop(self, target: str, pane: PaneInfo, signal: Signal) -> None:
        """Mark the agent stopped from a banner seen just now (no second look: it answered the
        message typed into it) and journal the change."""
        now = self.clock.now()
        with self.store.transaction() as state:
            record = state.agent(target)
            obs = answer_observation(pane, signal)
            decision = policy.observe(target, record, obs, now, self.config_of(state))
            state.agents[target] = decision.record
        for action in decision.actions:
            if isinstance(action, policy.Emit):
                fields = dict(action.fields)
                fields.setdefault("message", action.message)
                self.log.append(action.event, now=now, target=target, **fields)


def answer_observation(pane: PaneInfo, signal: Signal) -> policy.Observation:
    """What the lifecycle is shown when an agent answers a message just typed with `signal`:
    the pane there and alive, the banner fresh (it needs no second look)."""
    return policy.Observation(
        present=True,
        alive=True,
        signal=signal,
        window_name=pane.window_name,
        pane_id=pane.pane_id,
        command=pane.current_command,
    )


def _default_config(state: State) -> policy.PolicyConfig:
    return policy.PolicyConfig(reset_times=tuple(state.reset_times), timezone=state.timezone)
