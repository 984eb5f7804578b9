"""The monitor: one sweep over every agent pane, and the watch loop that repeats it.

A sweep lists the panes (one tmux call), captures them all (one tmux process), classifies only
what is new since each agent's last resume, takes a second look before acting on a stop, asks
`policy` what that means, and applies the answer: the state file, the event log, hooks, the
orchestrator, verified resumes and held messages; it nudges agents stalled on a transient error
(`lifecycle.nudge`) and records that it ran (`store.liveness`). The watch loop sleeps until the
next due instant (`lifecycle.due`) or a wake-up from another process (`store.wakeup`), and
rebuilds an unreadable state file from the journal (`heal`).
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from credit_management.clock import Clock, host_zone
from credit_management.errors import LockBusy, StateError, TargetError, TmuxError
from credit_management.lifecycle import due as due_times
from credit_management.lifecycle import nudge, policy, structured
from credit_management.models import (
    STALL_RESUMES,
    AgentRecord,
    Alert,
    Kind,
    QueuedMessage,
    Signal,
    Status,
    clone,
    iso,
    parse_iso,
)
from credit_management.monitor.look import Look, look, read_signal
from credit_management.notify.hooks import HookBatch, fire_hooks, make_payload
from credit_management.records import Record
from credit_management.store import liveness, wakeup
from credit_management.store.config import Settings
from credit_management.store.journal import EventLog
from credit_management.store.locks import typist_lock
from credit_management.store.paths import Paths
from credit_management.store.samples import SampleStore, pane_reader, server_key, socket_path
from credit_management.store.screens import ScreenCache
from credit_management.store.state import State, StateCorrupt, StateStore, run_lock
from credit_management.tmux.foreground import refusal
from credit_management.tmux.gateway import PaneInfo, Tmux

# Typing, queueing, rebuilding and thread pools load on first use: a sweep with nothing to
# deliver, as most of cron's are, never needs them (`bench/bench_import.py`).
if TYPE_CHECKING:
    from credit_management.messaging.delivery import Courier
    from credit_management.store.rebuild import Rebuilt
    from credit_management.tmux.typist import Delivery

SHELLS = frozenset({"bash", "zsh", "sh", "fish", "dash", "ksh", "tcsh", "csh", "login"})
ORCHESTRATOR_PREFIX = "[credit-monitor] "
MAX_PARALLEL_RESUMES = 8
ANSWER_POLL_SECONDS = 0.5  # between looks at a pane waiting for the test message's answer


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
        # The hooks of the sweep under way, waited for together at its end.
        self._hook_batch: HookBatch | None = None
        # What the liveness record says about the sweeps to expect (`watch` sets its own).
        self.sweep_interval = settings.check_interval_minutes * 60
        self.swept_by = "run"
        self._waker: wakeup.Waker | None = None

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
        return read_signal(text, record.resume_mark if record else None, now, self.host_tz)

    def is_alive(self, pane: PaneInfo, record: AgentRecord | None, text: str) -> bool:
        """False when the pane is dead or an agent that ran there left a shell prompt behind."""
        if pane.dead:
            return False
        if pane.current_command not in SHELLS:
            return True
        # A shell in front is normal for agents launched through a wrapper; only a window
        # that ran an agent before and now shows a shell prompt has lost its agent.
        had_agent = record is not None and record.command not in (None, *SHELLS)
        if not had_agent:
            return True
        from credit_management.detect.signals import at_shell_prompt

        return not at_shell_prompt(text)

    # -- the sweep -------------------------------------------------------------------------

    def sweep(self) -> SweepReport:
        """Look at every agent once and act on what changed; then resumes and due messages.

        The hooks its events fire run side by side and are waited for once, at the end.
        """
        batch = self._hook_batch = HookBatch(self.log)
        try:
            return self._sweep()
        finally:
            self._hook_batch = None
            batch.wait()

    def _sweep(self) -> SweepReport:
        report = SweepReport()
        now = self.clock.now()
        listed = self.tmux.list_panes()
        panes = self.discover(listed)
        # Windows that exist but are not watched (config `watch`/`ignore`, our own window) are
        # left alone: a record for one of them is neither missing nor acted on.
        unwatched = {pane.target for pane in listed} - set(panes)
        known_raw, known = self.store.load_known()  # the sweep's one read of the state file
        sight = self._look(panes, known, now)
        texts = sight.texts
        signals = self._second_look(panes, known, sight.signals)
        readings = self._readings(panes.values(), now)
        report.agents = len(panes)

        decisions: dict[str, policy.Decision] = {}
        stalled: list[tuple[str, str, AgentRecord]] = []
        nudging = nudge_config(self.settings)
        # `known` is unchanged so far: decoded again only if the file changed meanwhile.
        with self.store.transaction(known=(known_raw, known)) as state:
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
                seen = readings.get(pane.pane_id) if pane else None
                warn_at = self.settings.usage_warning_percents
                decision = structured.observe(target, record, obs, seen, now, cfg, warn_at)
                self.apply_to_state(state, target, decision, now)
                decisions[target] = decision
                if pane is not None and obs.present:
                    looked = nudge.decide(
                        decision.record.stall, decision.record.status, obs.signal,
                        nudge.screen_key(text), now, nudging,
                    )  # fmt: skip
                    decision.record.stall = looked.stall
                    if looked.nudge:
                        stalled.append((target, pane.pane_id, decision.record))
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
        # What the sweep saved is still what the file says unless a resume wrote to it since.
        self.deliver_due(report, known=None if due else state)
        for target, pane_id, stalled_record in stalled:
            self._nudge(target, pane_id, stalled_record, report)
        self._report_refusal_stops(decisions, report)
        liveness.record_sweep(self.paths, self.clock.now(), self.sweep_interval, self.swept_by)
        return report

    def _report_refusal_stops(
        self, decisions: dict[str, policy.Decision], report: SweepReport
    ) -> None:
        """An agent that refused a held message was stopped after its decision was taken: list
        that stop with the sweep's changes (`watch` printed "resumed" and never the new stop).
        Read only when a resume or a delivery of held messages could have done it."""
        candidates = {
            target
            for target, decision in decisions.items()
            if target in report.resumed or decision.record.queued
        }
        if not candidates:
            return
        final = self.store.load().agents
        for target in sorted(candidates):
            after = final.get(target)
            before = Status.ACTIVE if target in report.resumed else decisions[target].record.status
            if after is not None and after.status is Status.EXHAUSTED and before is Status.ACTIVE:
                report.changes.append(f"{target}: active -> exhausted (refused a held message)")

    def _look(self, panes: dict[str, PaneInfo], known: State, now: datetime) -> Look:
        """Every pane captured in one tmux process, and what the running agents' screens show
        (`monitor.look`: an unchanged quiet screen is not parsed again). Exhausted, paused and
        resuming agents are not read: an old banner re-read after its reset would resolve to
        tomorrow, and the policy ignores their panes anyway."""
        unread = (Status.EXHAUSTED, Status.PAUSED, Status.RESUMING)
        marks = {
            target: record.resume_mark
            for target in panes
            if (record := known.agents.get(target) or AgentRecord()).status not in unread
        }
        cache = ScreenCache(self.paths)
        seen = look(self.tmux, panes, marks, cache, now, self.host_tz)
        cache.save()
        return seen

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

    def sweep_healing(self) -> SweepReport:
        """`sweep`, first rebuilding the state file from the journal if it is unreadable."""
        try:
            return self.sweep()
        except StateCorrupt:
            self.heal()
            return self.sweep()

    def heal(self, force: bool = False) -> Rebuilt | None:
        """Rebuild an unreadable state file from the journal (the bad bytes kept aside), log
        `state.corrupt`, fire its hooks and tell the orchestrator. None when it reads fine."""
        from credit_management.store.rebuild import rebuild

        result = rebuild(self.store, force=force)
        if result is None:
            return None
        now = self.clock.now()
        kept = f"kept as {result.backup}" if result.backup else "nothing to keep"
        why = f"unreadable ({result.reason})" if result.reason else "rebuilt on request"
        text = f"the state file was {why}; {kept}; {result.summary()}"
        fields = {
            "backup": str(result.backup) if result.backup else None,
            "reason": result.reason,
            "agents": len(result.state.agents),
            "queued": result.queued,
            "schedules": len(result.state.schedules),
            "journal_records": result.journal_lines,
            "skipped_lines": result.skipped_lines,
            "skipped_records": result.skipped_records,
        }
        self.emit(None, None, policy.Emit("state.corrupt", text, fields), now)
        try:
            self.tell_orchestrator(text)
        except Exception:  # the note is a courtesy; the rebuilt state is what matters
            pass
        return result

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

    def _readings(
        self, panes: Iterable[PaneInfo], now: datetime
    ) -> dict[str, structured.UsageObservation]:
        """What the agents' own data says (samples, transcripts, rollouts), by pane id. The
        readers load only when a pane has samples or runs Claude or Codex."""
        from credit_management.sources import procs

        panes = list(panes)
        store = SampleStore.under(self.paths.data_dir)
        store.prune()  # the files of panes long gone
        sampled = store.pane_ids(server_key(socket_path(self.tmux.socket)))
        if not any(pane.pane_id in sampled for pane in panes) and not procs.runs_an_agent(
            pane.pid for pane in panes
        ):
            return {}
        from credit_management.sources.gather import observe_panes

        return observe_panes(panes, pane_reader(store, self.tmux.socket), now, self.host_tz)

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
        batch = self._hook_batch
        if batch is not None:
            batch.fire(action.event, payload, self.settings.hooks, now)
        else:
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
        problem = refusal(pane)
        if problem is not None:  # never type the test message into a shell
            if report is not None:
                report.errors.append(f"{target}: test message not sent: {problem}")
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
        if outcome != "gone":
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

    def _pane_of(self, target: str) -> PaneInfo | None:
        return self.discover().get(target) or _find_window(self.tmux.list_panes(), target)

    # -- messages --------------------------------------------------------------------------

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

    def _quiet(self, pane_id: str) -> str | None:
        """The pane once it stopped changing (see `Courier.quiet`)."""
        return self.courier.quiet(pane_id)

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
        """Sweep until `duration` passes or `stop` is set (then call `wake` to end a wait).

        Between sweeps it sleeps until the earliest of the next interval and the next due
        instant (`next_due`: a resume, a pause's end, a note, a nudge), and wakes early when
        another process changes the state (`store.wakeup`), so a new earlier due time is met.
        Each sweep takes the run lock, so a cron `run` and a watcher never act at once. A tmux
        failure on the first sweep raises (a wrong socket is a mistake to report); later ones
        go to `on_error` and the watch goes on, so a restarted tmux server is picked up again.
        An unreadable state file is rebuilt from the journal (`heal`) and the watch goes on.
        """
        stop = stop or threading.Event()
        started = time.monotonic()
        swept = False
        self.sweep_interval, self.swept_by = interval, "watch"
        with wakeup.Waker(self.paths) as waker:
            self._waker = waker
            try:
                while not stop.is_set():
                    waker.drain()  # our own sweep's saves poke the FIFO too
                    swept_at = self.clock.now()
                    try:
                        with run_lock(self.paths):
                            report = self.sweep_healing()
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
                    self._sleep_until_due(waker, swept_at, interval, started, duration, stop)
            finally:
                self._waker = None

    def _sleep_until_due(
        self,
        waker: wakeup.Waker,
        swept_at: datetime,
        interval: float,
        started: float,
        duration: float | None,
        stop: threading.Event,
    ) -> None:
        """Wait for the next interval or the next due instant, whichever is first; a wake-up
        from another process makes it look again at what is due."""
        tick = time.monotonic() + interval
        while not stop.is_set():
            wait = tick - time.monotonic()
            if duration is not None:
                wait = min(wait, started + duration - time.monotonic())
            due = self._due_or_now(swept_at)
            if due is not None:
                wait = min(wait, (due - self.clock.now()).total_seconds())
            if wait <= 0 or not waker.wait(wait):
                return

    def _due_or_now(self, after: datetime) -> datetime | None:
        try:
            return self.next_due(after)
        except StateCorrupt:
            return self.clock.now()  # the next sweep rebuilds it
        except StateError:
            return None

    def next_due(self, after: datetime) -> datetime | None:
        """The earliest instant later than `after` at which something falls due."""
        state = self.store.load()
        return due_times.next_due(
            state.agents,
            state.schedules,
            after,
            policy_config(self.settings, state),
            nudge_config(self.settings),
        )

    def wake(self) -> None:
        """End the watcher's current wait now (from a signal handler or another thread)."""
        waker = self._waker
        if waker is not None:
            waker.interrupt()


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
    original `credit_monitor.py` script ran. It becomes `python -m credit_management watch`
    (the command line lives above the monitor, so the monitor does not import it)."""
    import os
    import sys

    command = [sys.executable, "-m", "credit_management", "watch", *sys.argv[1:]]
    os.execv(sys.executable, command)


if __name__ == "__main__":
    main()
