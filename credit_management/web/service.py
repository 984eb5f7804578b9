"""What the dashboard does for each API call: read the views, dismiss alerts, pause, resume
("Retry now", in the background) and send the model switch to an agent's pane.

State changes go through `StateStore.transaction` and the event log like every other command.
Pause and the verified resume belong to the supervisor (`credit_monitor.Supervisor`), so the page
and the CLI share one lifecycle; `make_supervisor` is the only place that reaches it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from credit_management.clock import Clock, SystemClock
from credit_management.control.times import parse_user_time
from credit_management.detect.resets import get_zone
from credit_management.errors import (
    CreditError,
    InputError,
    LockBusy,
    StateError,
    TargetError,
    TmuxError,
)
from credit_management.messaging.delivery import LOCK_WAIT_SECONDS, NotAnAgent
from credit_management.models import AgentRecord, Status, iso
from credit_management.records import Record
from credit_management.store.config import Settings
from credit_management.store.journal import EventLog
from credit_management.store.liveness import last_sweep
from credit_management.store.locks import typist_lock
from credit_management.store.paths import Paths
from credit_management.store.state import State, StateStore
from credit_management.tmux.foreground import refusal
from credit_management.tmux.gateway import Tmux
from credit_management.tmux.typist import deliver
from credit_management.web import views

DISMISSED = "dismissed"
SOURCE = "dashboard"
# Retry now makes no sense for these: the agent works already, or a resume is under way.
_NOT_RESUMABLE = {Status.ACTIVE: "is already active", Status.RESUMING: "is already resuming"}


class ApiError(CreditError):
    """A request the dashboard refuses, with the HTTP status to answer it with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class SupervisorLike(Protocol):
    """The two supervisor operations the dashboard's buttons need."""

    def resume_now(self, target: str) -> object: ...

    def pause(self, target: str, reason: str | None, until: datetime | None) -> AgentRecord: ...


SupervisorFactory = Callable[[], SupervisorLike]


def make_supervisor(
    paths: Paths, settings: Settings, socket: str | None, clock: Clock
) -> SupervisorLike:
    """A supervisor for one button press: the dashboard's only link to `credit_monitor`."""
    from credit_management.credit_monitor import Supervisor

    supervisor: SupervisorLike = Supervisor(paths, settings, Tmux(socket), clock)
    return supervisor


class ResumeJobs:
    """Verified resumes running in background threads, at most one per target."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads: dict[str, threading.Thread] = {}

    def start(self, target: str, work: Callable[[], None]) -> bool:
        """Run `work` in a thread unless a resume of `target` is running; True when started."""
        with self._lock:
            running = self._threads.get(target)
            if running is not None and running.is_alive():
                return False
            thread = threading.Thread(
                target=self._run, args=(target, work), name=f"resume {target}", daemon=True
            )
            self._threads[target] = thread
            thread.start()
            return True

    def _run(self, target: str, work: Callable[[], None]) -> None:
        try:
            work()
        finally:
            with self._lock:
                if self._threads.get(target) is threading.current_thread():
                    del self._threads[target]

    def running(self) -> frozenset[str]:
        """Targets with a resume under way."""
        with self._lock:
            return frozenset(t for t, thread in self._threads.items() if thread.is_alive())

    def join(self, timeout: float | None = None) -> None:
        """Wait for the running resumes (tests, and a clean shutdown)."""
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)


@dataclass(repr=False)
class Dashboard(Record):
    """Everything the API routes do, independent of HTTP."""

    paths: Paths
    settings: Settings
    socket: str | None = None
    clock: Clock | None = None
    supervisor_factory: SupervisorFactory | None = None

    def __post_init__(self) -> None:
        self._clock: Clock = self.clock if self.clock is not None else SystemClock()
        self.store = StateStore(self.paths, self._clock)
        self.log = EventLog(self.paths.events_log)
        self.jobs = ResumeJobs()

    # -- reads -----------------------------------------------------------------------------

    def agents(self) -> dict[str, Any]:
        """GET /api/agents."""
        return views.agents_payload(
            self.store.load(), self._clock.now(), self.jobs.running(), last_sweep(self.paths)
        )

    def alerts(self) -> dict[str, Any]:
        """GET /api/credit-alerts: the unresolved alerts."""
        return views.alerts_payload(self.store.load())

    def events(self, limit: int) -> dict[str, Any]:
        """GET /api/events?limit=N: the newest N events, newest first."""
        return views.events_payload(self.log.read(limit=limit))

    # -- alerts ----------------------------------------------------------------------------

    def dismiss(self, alert_id: str) -> dict[str, Any]:
        """Resolve one alert as dismissed; the agent itself is left as it is."""
        if not views.valid_alert_id(alert_id):
            raise ApiError(404, f"no alert with id {alert_id[:80]!r}")
        now = self._clock.now()
        with self.store.transaction() as state:
            alert = views.find_alert(state, alert_id)
            if alert is None:
                raise ApiError(404, f"no alert with id {alert_id!r}")
            newly = alert.open
            if newly:
                alert.resolution = DISMISSED
                alert.resolved_at = iso(now)
            target, resolution = alert.target, alert.resolution
        if newly:
            self._log(
                "alert.dismissed",
                target,
                message=f"{target}: out-of-credits alert dismissed on the dashboard",
                alert=alert_id,
            )
        return {"ok": True, "id": alert_id, "resolution": resolution}

    # -- agents ----------------------------------------------------------------------------

    def _known(self, state: State, target: str) -> AgentRecord:
        record = state.agents.get(target)
        if record is None:
            raise ApiError(404, f"no agent {target!r} in the state file")
        return record

    def _supervisor(self) -> SupervisorLike:
        factory = self.supervisor_factory or (
            lambda: make_supervisor(self.paths, self.settings, self.socket, self._clock)
        )
        try:
            return factory()
        except ImportError as error:
            raise ApiError(503, f"the supervisor is not available: {error}") from error

    def resume(self, raw_target: str) -> dict[str, Any]:
        """Retry now: start a verified resume in the background and answer at once."""
        target = views.parse_target(raw_target)
        record = self._known(self.store.load(), target)
        refusal = _NOT_RESUMABLE.get(record.status)
        if refusal is not None:
            since = record.resume_sent_at or record.since
            if record.status is Status.RESUMING and since:
                refusal = f"is already resuming: a resume is under way since {since}"
            raise ApiError(409, f"{target} {refusal}")
        self._refuse_typing_into(target)
        supervisor = self._supervisor()

        def work() -> None:
            try:
                supervisor.resume_now(target)
            except Exception as error:  # a background thread has no one else to tell
                self._log(
                    "agent.resume_failed",
                    target,
                    message=f"{target}: resume from the dashboard failed: {error}",
                    error=f"{type(error).__name__}: {error}",
                )

        if not self.jobs.start(target, work):
            raise ApiError(409, f"a resume of {target} is already running")
        return {"ok": True, "status": "resuming", "target": target}

    def pause(self, raw_target: str, body: dict[str, Any]) -> dict[str, Any]:
        """Pause an agent (optionally with a reason and an ISO 8601 `until`)."""
        target = views.parse_target(raw_target)
        reason = body.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason) > 500):
            raise InputError("reason must be a string of at most 500 characters")
        state = self.store.load()
        until = _parse_until(body.get("until"), self._clock.now(), state.timezone)
        self._known(state, target)
        record = self._supervisor().pause(target, reason or "paused on the dashboard", until)
        alert = views.latest_alerts(self.store.load().alerts).get(target)
        return {
            "ok": True,
            "agent": views.agent_view(target, record, alert, target in self.jobs.running()),
        }

    def switch_model(self, raw_target: str) -> dict[str, Any]:
        """Change AI model: type the configured switch (e.g. "/model sonnet") into the pane."""
        target = views.parse_target(raw_target)
        self._known(self.store.load(), target)
        text = self.settings.model_switch_message
        tmux = Tmux(self.socket)
        pane = tmux.resolve_target(target)
        tmux.exit_copy_mode(pane.pane_id)
        # The same per-pane typist lock and foreground check as every other typing path.
        with typist_lock(self.paths.data_dir, pane.pane_id, LOCK_WAIT_SECONDS) as lock:
            if not lock.locked:
                raise LockBusy(f"another process is typing into {target}; try again")
            problem = refusal(pane)
            if problem is not None:
                raise NotAnAgent(f"{problem}: nothing typed")
            result = deliver(
                tmux, pane.pane_id, text, self._clock,
                settle=self.settings.enter_settle_seconds,
                pause=self.settings.enter_pause_seconds,
            )  # fmt: skip
        self._log(
            "agent.model_switch",
            target,
            message=f"{target}: sent {text!r} from the dashboard",
            text=text,
            delivered=result.delivered,
        )
        return {"ok": True, "target": target, "sent": text, "delivered": result.delivered}

    def _refuse_typing_into(self, target: str) -> None:
        """A 400 now, not an "ok" for a resume that would type nothing: the test message never
        goes into a shell, an editor or a pager. A pane tmux cannot show is left to the resume."""
        try:
            pane = Tmux(self.socket).resolve_target(target)
        except (TargetError, TmuxError):
            return
        problem = refusal(pane)
        if problem is not None:
            raise NotAnAgent(f"{problem}: no test message typed")

    def _log(self, event: str, target: str, **fields: Any) -> None:
        try:
            self.log.append(event, now=self._clock.now(), target=target, source=SOURCE, **fields)
        except StateError:
            pass  # the change itself is done; a full disk must not turn it into an error


def _parse_until(raw: object, now: datetime, zone_name: str) -> datetime | None:
    """The pause's end as the CLI reads `--until`: in the future, else a 400."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > 100:
        raise InputError("until must be an ISO 8601 instant with an offset")
    return parse_user_time(raw, now, get_zone(zone_name) or UTC, what="until")
