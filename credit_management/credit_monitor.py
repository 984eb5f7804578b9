"""The monitor: one sweep over every agent pane, and the watch loop that repeats it.

A sweep lists the panes and captures them all (one tmux process once the panes are known),
classifies only what is new since each agent's last resume and only screens that changed since
the last sweep (`monitor.look`), takes a second look before acting on a stop, asks `policy`
what that means, and applies the answer: the state file, the event log, hooks, the
orchestrator, verified resumes and held messages; it nudges agents stalled on a transient error
(`lifecycle.nudge`) and records that it ran (`store.liveness`). The watch loop sleeps until the
next due instant (`lifecycle.due`) or a wake-up from another process (`store.wakeup`), and
rebuilds an unreadable state file from the journal (`heal`).

`Supervisor` composes the parts in `monitor/`: `watching` (the loop), `resuming` (the verified
resume, pause and forced resume), `telling` (state, events, hooks, the orchestrator) and
`delivering` (typing and held messages); the sweep itself and discovery stay here.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from credit_management.clock import Clock, host_zone
from credit_management.lifecycle import nudge, policy, structured
from credit_management.models import AgentRecord, Kind, Signal, Status
from credit_management.monitor.delivering import Delivering
from credit_management.monitor.look import Look, look, read_signal
from credit_management.monitor.report import SweepReport, nudge_config, policy_config
from credit_management.monitor.resuming import Resuming
from credit_management.monitor.telling import Telling
from credit_management.monitor.watching import Watching
from credit_management.notify.hooks import HookBatch
from credit_management.store import liveness, wakeup
from credit_management.store.config import Settings
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.samples import SampleStore, pane_reader, server_key, socket_path
from credit_management.store.screens import ScreenCache
from credit_management.store.state import State, StateCorrupt, StateStore
from credit_management.tmux.gateway import PaneInfo, Tmux

# Rebuilding loads on first use, as typing, queueing and thread pools do in the parts: a sweep
# with nothing to deliver, as most of cron's are, never needs them (`bench/bench_import.py`).
if TYPE_CHECKING:
    from credit_management.store.rebuild import Rebuilt

__all__ = ["SHELLS", "Supervisor", "SweepReport", "main", "nudge_config", "policy_config"]

SHELLS = frozenset({"bash", "zsh", "sh", "fish", "dash", "ksh", "tcsh", "csh", "login"})


class Supervisor(Watching, Resuming, Telling, Delivering):
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
        # The panes, and the captures of those the last sweep captured, in one tmux process.
        cache = ScreenCache(self.paths)
        listed, captured = self.tmux.list_and_capture(cache.captured)
        panes = self.discover(listed)
        # Windows that exist but are not watched (config `watch`/`ignore`, our own window) are
        # left alone: a record for one of them is neither missing nor acted on.
        unwatched = {pane.target for pane in listed} - set(panes)
        known_raw, known = self.store.load_known()  # the sweep's one read of the state file
        sight = self._look(panes, known, now, cache, captured)
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

    def _look(
        self,
        panes: dict[str, PaneInfo],
        known: State,
        now: datetime,
        cache: ScreenCache,
        captured: dict[str, str],
    ) -> Look:
        """Every pane captured (most with the listing, `captured`), and what the running agents'
        screens show (`monitor.look`: an unchanged quiet screen is not parsed again). Exhausted,
        paused and resuming agents are not read: an old banner re-read after its reset would
        resolve to tomorrow, and the policy ignores their panes anyway."""
        unread = (Status.EXHAUSTED, Status.PAUSED, Status.RESUMING)
        marks = {
            target: record.resume_mark
            for target in panes
            if (record := known.agents.get(target) or AgentRecord()).status not in unread
        }
        seen = look(self.tmux, panes, marks, cache, now, self.host_tz, captured)
        cache.save()
        return seen

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

    def _pane_of(self, target: str) -> PaneInfo | None:
        return self.discover().get(target) or _find_window(self.tmux.list_panes(), target)


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
