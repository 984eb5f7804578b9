"""The watch loop: sweep, then sleep until the next interval or the next due instant.

`watch` repeats the supervisor's healing sweep under the run lock; `next_due` asks
`lifecycle.due` when something falls due next; `wake` ends a wait from another thread, and a
change by another process ends it through `store.wakeup`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime

from credit_management.errors import LockBusy, StateError, TmuxError
from credit_management.lifecycle import due as due_times
from credit_management.monitor.base import SupervisorBase
from credit_management.monitor.report import SweepReport, nudge_config, policy_config
from credit_management.store import wakeup
from credit_management.store.state import StateCorrupt, run_lock


class Watching(SupervisorBase):
    """The supervisor's watch loop and its wake-ups."""

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
