"""The monitor: one sweep over every agent pane, and the watch loop that repeats it.

A sweep lists the panes (one tmux call), captures them all (one tmux process), classifies only
what is new since each agent's last resume, takes a second look before acting on a stop, asks
`policy` what that means, and applies the answer: the state file, the event log, hooks, the
orchestrator, verified resumes and held messages.
"""

from __future__ import annotations

import fnmatch
import math
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo

from credit_management.clock import Clock, host_zone
from credit_management.detect.marks import stale_mark
from credit_management.detect.signals import (
    at_shell_prompt,
    classify,
    has_reply,
    limit_menu_open,
    text_since,
)
from credit_management.errors import LockBusy, TargetError, TmuxError
from credit_management.lifecycle import policy
from credit_management.messaging.queue import enqueue
from credit_management.models import (
    AgentRecord,
    Alert,
    Kind,
    QueuedMessage,
    Signal,
    Status,
    iso,
    parse_iso,
)
from credit_management.notify.hooks import fire_hooks, make_payload
from credit_management.store.config import Settings
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.state import State, StateStore, run_lock
from credit_management.tmux.gateway import PaneInfo, Tmux
from credit_management.tmux.typist import Delivery, deliver

SHELLS = frozenset({"bash", "zsh", "sh", "fish", "dash", "ksh", "tcsh", "csh", "login"})
ORCHESTRATOR_PREFIX = "[credit-monitor] "
MAX_PARALLEL_RESUMES = 8
ANSWER_POLL_SECONDS = 0.5  # between looks at a pane waiting for the test message's answer
# How long the answer to a held message may take to settle before the next one goes: a refusal
# comes at once, while steady output means the agent is at work.
QUIET_SECONDS = 3.0


@dataclass
class SweepReport:
    """What one sweep did, for `run`'s output and the demo's table."""

    agents: int = 0
    changes: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    delivered: int = 0
    errors: list[str] = field(default_factory=list)


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


class Supervisor:
    """Watches the agents of one tmux server and carries them through their limits."""

    def __init__(
        self,
        paths: Paths,
        settings: Settings,
        tmux: Tmux,
        clock: Clock,
        host_tz: tzinfo | None = None,
    ) -> None:
        self.paths = paths
        self.settings = settings
        self.tmux = tmux
        self.clock = clock
        self.host_tz = host_tz or host_zone(None)
        self.store = StateStore(paths)
        self.log = EventLog(paths.events_log)
        # Resumes run in parallel; two of them must never type into one pane at once (the
        # orchestrator's, when both tell it something).
        self._pane_locks: dict[str, threading.Lock] = {}
        self._pane_locks_guard = threading.Lock()

    def _type(self, pane_id: str, text: str) -> Delivery:
        """`deliver`, holding the pane's lock for the whole text-pause-Enter sequence."""
        with self._pane_locks_guard:
            lock = self._pane_locks.setdefault(pane_id, threading.Lock())
        with lock:
            return deliver(self.tmux, pane_id, text, self.clock)

    # -- discovery and observation ---------------------------------------------------------

    def discover(self, panes: Iterable[PaneInfo] | None = None) -> dict[str, PaneInfo]:
        """Agent windows by `session:window_index`: watched, not ignored, not our own."""
        listed = list(self.tmux.list_panes() if panes is None else panes)
        own = self.tmux.own_pane_id()
        own_windows = {p.target for p in listed if p.pane_id == own}
        by_window: dict[str, list[PaneInfo]] = {}
        for pane in listed:
            if pane.target in own_windows or not self._watched(pane):
                continue
            by_window.setdefault(pane.target, []).append(pane)
        return {target: _agent_pane(group) for target, group in by_window.items()}

    def _watched(self, pane: PaneInfo) -> bool:
        names = (pane.target, f"{pane.session}:{pane.window_name}", pane.pane_id)

        def hit(patterns: Iterable[str]) -> bool:
            return any(fnmatch.fnmatchcase(name, p) for p in patterns for name in names)

        return hit(self.settings.watch) and not hit(self.settings.ignore)

    def current_signal(self, record: AgentRecord | None, text: str, now: datetime) -> Signal:
        """What the pane shows now, reading only what came after the agent's last resume."""
        mark = record.resume_mark if record is not None else None
        return classify(text_since(text, mark), now, self.host_tz)

    def is_alive(self, pane: PaneInfo, record: AgentRecord | None, text: str) -> bool:
        """False when the pane is dead or an agent that ran there left a shell prompt behind."""
        if pane.dead:
            return False
        if pane.current_command not in SHELLS:
            return True
        # A shell in front is normal for agents launched through a wrapper; only a window
        # that ran an agent before and now shows a shell prompt has lost its agent.
        had_agent = record is not None and record.command not in (None, *SHELLS)
        return not (had_agent and at_shell_prompt(text))

    # -- the sweep -------------------------------------------------------------------------

    def sweep(self) -> SweepReport:
        """Look at every agent once and act on what changed; then resumes and due messages."""
        report = SweepReport()
        now = self.clock.now()
        listed = self.tmux.list_panes()
        panes = self.discover(listed)
        # Windows that exist but are not watched (config `watch`/`ignore`, our own window) are
        # left alone: a record for one of them is neither missing nor acted on.
        unwatched = {pane.target for pane in listed} - set(panes)
        texts = self.tmux.capture_panes([pane.pane_id for pane in panes.values()])
        known = self.store.load()
        # Exhausted, paused and resuming agents are not re-read: an old banner re-read after
        # its reset would resolve to tomorrow, and the policy ignores their panes anyway.
        unread = (Status.EXHAUSTED, Status.PAUSED, Status.RESUMING)
        signals = {
            target: self.current_signal(known.agents.get(target), texts.get(pane.pane_id, ""), now)
            for target, pane in panes.items()
            if (known.agents.get(target) or AgentRecord()).status not in unread
        }
        signals = self._second_look(panes, known, signals)
        report.agents = len(panes)

        decisions: dict[str, policy.Decision] = {}
        with self.store.transaction() as state:
            now = self.clock.now()
            cfg = policy_config(self.settings, state)
            for target in sorted((set(panes) | set(state.agents)) - unwatched):
                record = state.agents.get(target) or AgentRecord()
                pane = panes.get(target)
                text = texts.get(pane.pane_id, "") if pane else ""
                obs = policy.Observation(
                    present=pane is not None and pane.pane_id in texts,
                    alive=pane is not None and self.is_alive(pane, record, text),
                    signal=signals.get(target, Signal(Kind.NONE)),
                    window_name=pane.window_name if pane else None,
                    pane_id=pane.pane_id if pane else None,
                    command=pane.current_command if pane else None,
                )
                if not obs.present and target not in state.agents:
                    continue
                decision = policy.observe(target, record, obs, now, cfg)
                self.apply_to_state(state, target, decision, now)
                decisions[target] = decision
                if decision.record.status is not record.status:
                    report.changes.append(
                        f"{target}: {record.status.value} -> {decision.record.status.value}"
                    )
        due: dict[str, AgentRecord] = {}
        for target, decision in decisions.items():
            if policy.StartResume() in decision.actions:
                due[target] = decision.record
            rest = tuple(a for a in decision.actions if not isinstance(a, policy.StartResume))
            self.carry_out(target, replace(decision, actions=rest), now, report)
        self._resume_all(due, report)
        self.deliver_due(report)
        return report

    def _resume_all(self, due: dict[str, AgentRecord], report: SweepReport) -> None:
        """Verified resumes of every due agent at once: ten agents on one account reset
        together, and each may wait the whole verification timeout for its answer."""
        targets = list(due)

        def one(target: str) -> None:
            try:
                if self.resume(target, decided=due[target], report=report):
                    report.resumed.append(target)
            except Exception as error:  # one agent's failure must not stop the others
                report.errors.append(f"{target}: {type(error).__name__}: {error}")

        if len(targets) <= 1:
            for target in targets:
                one(target)
            return
        with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_RESUMES, len(targets))) as pool:
            list(pool.map(one, targets))

    def _second_look(
        self, panes: dict[str, PaneInfo], known: State, signals: dict[str, Signal]
    ) -> dict[str, Signal]:
        """Re-read panes that show a new stop: a banner being redrawn is not a stop."""
        acting = (Status.ACTIVE, Status.WAITING_SELF, Status.MISSING, Status.CRASHED)
        suspects = [
            target
            for target, signal in signals.items()
            if signal.kind.stops_agent
            and (known.agents.get(target) or AgentRecord()).status in acting
        ]
        if not suspects:
            return signals
        self.clock.sleep(self.settings.confirm_seconds)
        again = self.tmux.capture_panes([panes[t].pane_id for t in suspects])
        now = self.clock.now()
        confirmed = dict(signals)
        for target in suspects:
            text = again.get(panes[target].pane_id)
            second = (
                self.current_signal(known.agents.get(target), text, now)
                if text is not None
                else Signal(Kind.NONE)
            )
            confirmed[target] = second if second.kind is signals[target].kind else Signal(Kind.NONE)
        return confirmed

    # -- applying decisions ----------------------------------------------------------------

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
        fire_hooks(action.event, payload, self.settings.hooks, self.log, now)

    # -- verified resume -------------------------------------------------------------------

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
        message = self.settings.test_message
        now = self.clock.now()
        with self.store.transaction() as state:
            record = state.agent(target)
            if policy.verification_in_flight(record, now, policy_config(self.settings, state)):
                return False
            if decided is not None and (record.status, record.since) != (
                decided.status,
                decided.since,
            ):
                return False
            state.agents[target] = policy.resume_started(record, now, message)
        self.tmux.exit_copy_mode(pane.pane_id)
        if limit_menu_open(self.tmux.capture_pane(pane.pane_id)):
            self.tmux.send_key(pane.pane_id, "Escape")
            self.clock.sleep(0.3)
        self._type(pane.pane_id, message)
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
        # Counted in polls, not clock time: a frozen clock (CREDIT_MONITOR_NOW) must not make
        # a silent agent wait forever.
        polls = max(1, math.ceil(self.settings.verify_timeout_seconds / ANSWER_POLL_SECONDS))
        previous: str | None = None
        for _ in range(polls):
            captured = self.tmux.capture_panes([pane_id])
            if pane_id not in captured:
                return "gone", Signal(Kind.NONE)
            after = text_since(captured[pane_id], mark)
            signal = classify(after, self.clock.now(), self.host_tz)
            if signal.kind.stops_agent:
                return "limited", signal
            # A reply counts once it has stopped changing (not a spinner mid-answer).
            if has_reply(after, mark) and after == previous:
                return "answered", signal
            previous = after
            self.clock.sleep(ANSWER_POLL_SECONDS)
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
        return decision.record.status is Status.ACTIVE

    def _pane_of(self, target: str) -> PaneInfo | None:
        return self.discover().get(target) or _find_window(self.tmux.list_panes(), target)

    # -- messages --------------------------------------------------------------------------

    def deliver_queued(self, target: str) -> int:
        """Send the messages held for an active agent, in order; returns how many went."""
        sent = 0
        now = self.clock.now()
        while True:
            with self.store.transaction() as state:
                record = state.agents.get(target)
                if record is None or record.status is not Status.ACTIVE or not record.queued:
                    return sent
                message = record.queued[0]
            pane = self._pane_of(target)
            if pane is None:
                return sent
            # A stop on screen (say, the answer to the message before) is not confirmed yet,
            # but typing into it would lose the message: leave the rest to the next sweep.
            text = (
                self._quiet(pane.pane_id)
                if sent
                else self.tmux.capture_panes([pane.pane_id]).get(pane.pane_id)
            )
            if text is None or self.current_signal(record, text, now).kind.stops_agent:
                return sent
            result = self._type(pane.pane_id, message.text)
            now = self.clock.now()
            if result.enter_presses == 0:
                # The window closed before the message was submitted: it stays first in the
                # queue for when the agent is back, rather than being dropped unsent.
                self.log.append(
                    "message.queued", now=now, target=target, id=message.id,
                    source=message.source, reason=result.detail,
                )  # fmt: skip
                return sent
            with self.store.transaction() as state:
                record = state.agent(target)
                record.queued = [m for m in record.queued if m.id != message.id]
            self.log.append(
                "message.delivered" if result.delivered else "message.unconfirmed",
                now=now,
                target=target,
                id=message.id,
                source=message.source,
                enter_presses=result.enter_presses,
            )
            sent += 1

    def _quiet(self, pane_id: str) -> str | None:
        """The pane once it stopped changing, or as it is after a few seconds of steady
        output (an agent at work, not one refusing); None when it closed."""
        wait = min(self.settings.verify_timeout_seconds, QUIET_SECONDS)
        # Counted in polls, not clock time: a frozen clock (CREDIT_MONITOR_NOW) or one set
        # back must not keep a busy pane (a spinner, a ticking status line) here for ever.
        polls = max(1, math.ceil(wait / ANSWER_POLL_SECONDS))
        previous = None
        for poll in range(polls + 1):
            text = self.tmux.capture_panes([pane_id]).get(pane_id)
            if text is None or text == previous or poll == polls:
                return text
            previous = text
            self.clock.sleep(ANSWER_POLL_SECONDS)
        return previous  # not reached: the last poll returns

    def deliver_due(self, report: SweepReport) -> None:
        """Move scheduled notes that are due into their agent's queue, then deliver."""
        now = self.clock.now()
        due_targets: set[str] = set()
        known = self.store.load()
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
                    source="schedule", status=status.value,
                )  # fmt: skip
        for target in sorted(due_targets):
            try:
                report.delivered += self.deliver_queued(target)
            except Exception as error:
                report.errors.append(f"{target}: {type(error).__name__}: {error}")

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
                source="orchestrator", status=status,
            )  # fmt: skip
            return
        pane = self.tmux.resolve_target(target)
        self._type(pane.pane_id, line)

    # -- the loop --------------------------------------------------------------------------

    def watch(
        self,
        interval: float,
        duration: float | None = None,
        stop: threading.Event | None = None,
        on_sweep: Callable[[SweepReport], None] | None = None,
        on_skip: Callable[[LockBusy], None] | None = None,
        on_error: Callable[[TmuxError], None] | None = None,
    ) -> None:
        """Sweep every `interval` seconds until `duration` passes or `stop` is set.

        Each sweep takes the run lock, so a cron `run` and a watcher never act at once. A tmux
        failure on the first sweep raises (a wrong socket is a mistake to report); later ones
        go to `on_error` and the watch goes on, so a restarted tmux server is picked up again.
        """
        stop = stop or threading.Event()
        started = time.monotonic()
        swept = False
        while not stop.is_set():
            try:
                with run_lock(self.paths):
                    report = self.sweep()
            except LockBusy as busy:
                if on_skip is not None:
                    on_skip(busy)
            except TmuxError as error:
                if not swept or on_error is None:
                    raise
                on_error(error)
            else:
                swept = True
                if on_sweep is not None:
                    on_sweep(report)
            if duration is not None and time.monotonic() - started >= duration:
                return
            stop.wait(interval)


def _agent_pane(group: list[PaneInfo]) -> PaneInfo:
    """The pane that runs the agent in a window: a non-shell one first, else the active one."""
    for pane in group:
        if pane.current_command not in SHELLS and not pane.dead:
            return pane
    for pane in group:
        if pane.active:
            return pane
    return group[0]


def _find_window(panes: Iterable[PaneInfo], target: str) -> PaneInfo | None:
    group = [pane for pane in panes if pane.target == target]
    return _agent_pane(group) if group else None


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


def main() -> None:
    """`python -m credit_management.credit_monitor [watch options]`: the watcher, as the
    original `credit_monitor.py` script ran."""
    from credit_management.cli import watch_main

    watch_main()


if __name__ == "__main__":
    main()
