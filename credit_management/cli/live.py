"""The live `watch` view on a terminal, drawn with rich: one row per agent (target, name,
provider, status in colour, usage bars, a ticking "resets in" countdown, the last signal) and
a footer with the last and next sweep and the next due event.

Only `watch` on a terminal imports this module (rich costs start-up time that cron's `run`
must not pay). The view is a renderable: rich's refresh thread redraws it every second, so
the countdowns tick between sweeps while the loop itself only calls `update` after each one.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.live import Live
from rich.table import Table
from rich.text import Text

from credit_management.cli.render import (
    STATUS_COLOURS,
    Times,
    as_instant,
    countdown,
    one_line,
    signal_text,
)
from credit_management.models import AgentRecord, Status, target_order
from credit_management.store.state import State

RECENT_LINES = 5
BAR_CELLS = 10
# Names the agents give their usage windows, shortened for a narrow column.
WINDOW_LABELS = {
    "five_hour": "5h",
    "seven_day": "7d",
    "seven_day_opus": "7d opus",
    "primary": "5h",
    "secondary": "wk",
}
_PERCENT_KEYS = ("used_percentage", "used_percent", "percent", "used")
_RESET_KEYS = ("resets_at", "reset_at", "resets")


class WatchView:
    """What the watcher shows; `update` after a sweep, rendered whenever rich refreshes."""

    def __init__(
        self, now: Callable[[], datetime], interval: float, utc: bool = False, title: str = ""
    ) -> None:
        self._now = now
        self.interval = interval
        self.utc = utc
        self.title = title
        self.state: State | None = None
        self.last_sweep: datetime | None = None
        self.recent: deque[str] = deque(maxlen=RECENT_LINES)
        self._lock = threading.Lock()

    def update(self, state: State, changes: Iterable[str], swept_at: datetime) -> None:
        """A sweep finished: the state as it left it and the changes it made."""
        times = Times.for_display(swept_at, self.utc)
        with self._lock:
            self.state = state
            self.last_sweep = swept_at
            for change in changes:
                self.recent.append(f"{times.stamp(swept_at)} {change}")

    def note(self, text: str) -> None:
        """A line for the recent list (a skipped sweep, a warning)."""
        now = self._now()
        with self._lock:
            self.recent.append(f"{Times.for_display(now, self.utc).stamp(now)} {text}")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        """The view at this instant, as wide as the terminal allows: a narrow one loses the
        provider column, then the name column, rather than cutting the table off."""
        with self._lock:
            now = self._now()
            for columns in ((True, True), (True, False), (False, False)):
                if self._needed_width(*columns) <= options.max_width:
                    break
            yield self.around(self.table(now, *columns), now)

    def render(self, now: datetime) -> RenderableType:
        """The whole view at `now`, every column shown."""
        return self.around(self.table(now), now)

    def _needed_width(self, show_name: bool, show_provider: bool) -> int:
        """The narrowest the table can be with these columns (the signal wrapped to 12)."""
        agents = list(self.state.agents.items()) if self.state is not None else []
        widths = [max([6, *(len(target) for target, _ in agents)])]
        if show_name:
            widths.append(min(16, max([4, *(len(r.window_name or "-") for _, r in agents)])))
        if show_provider:
            widths.append(8)
        widths.append(max([6, *(len(r.status.value) for _, r in agents)]))
        if any(usage_windows(record) for _, record in agents):
            widths.append(4 + BAR_CELLS + 5)
        widths += [len("RESETS IN"), 12]
        return sum(widths) + 3 * len(widths) + 1  # a space each side and a border each

    def around(self, table: Table, now: datetime) -> RenderableType:
        """The table with its footer and the recent changes below it."""
        parts: list[RenderableType] = [table, self._footer(now, Times.for_display(now, self.utc))]
        if self.recent:
            parts.append(Text("\n".join(self.recent), style="dim"))
        return Group(*parts)

    def table(self, now: datetime, show_name: bool = True, show_provider: bool = True) -> Table:
        """One row per agent at `now`."""
        times = Times.for_display(now, self.utc)
        table = Table(
            title=self.title or None,
            title_justify="left",
            expand=False,
            header_style="bold",
            caption=f"times in {times.label}",
            caption_justify="left",
        )
        state = self.state
        agents = (
            sorted(state.agents.items(), key=lambda item: target_order(item[0]))
            if state is not None
            else []
        )
        # Usage bars only when some agent publishes usage: the column is wide.
        with_usage = any(usage_windows(record) for _, record in agents)
        statuses = [record.status.value for _, record in agents]
        # What must stay whole keeps its width; names shrink first and the signal wraps.
        widest = max((len(target) for target, _ in agents), default=6)
        table.add_column("TARGET", no_wrap=True, min_width=max(6, widest))
        if show_name:
            table.add_column("NAME", no_wrap=True, overflow="ellipsis", max_width=16)
        if show_provider:
            table.add_column("PROVIDER", no_wrap=True, overflow="ellipsis", max_width=8)
        table.add_column("STATUS", no_wrap=True, min_width=max(map(len, statuses), default=6))
        if with_usage:
            table.add_column("USAGE", no_wrap=True, min_width=4 + BAR_CELLS + 5)
        table.add_column("RESETS IN", no_wrap=True, min_width=len("RESETS IN"))
        table.add_column("LAST SIGNAL", min_width=12, overflow="fold")
        for target, record in agents:
            cells: list[RenderableType] = [target]
            if show_name:
                cells.append(record.window_name or "-")
            if show_provider:
                cells.append(record.provider or "-")
            cells.append(
                Text(record.status.value, style=STATUS_COLOURS.get(record.status.value, ""))
            )
            if with_usage:
                cells.append(usage_bars(record, now))
            cells += [_resets_in(record, now), one_line(signal_text(record.last_signal), 48)]
            table.add_row(*cells)
        if not agents:
            waiting = "waiting for the first sweep" if state is None else "no agents found yet"
            table.add_row(Text(waiting, style="dim"), *[""] * (len(table.columns) - 1))
        return table

    def _footer(self, now: datetime, times: Times) -> Text:
        footer = Text()
        if self.last_sweep is None:
            footer.append("first sweep under way")
        else:
            following = self.last_sweep + timedelta(seconds=self.interval)
            footer.append(f"last sweep {times.stamp(self.last_sweep)}")
            footer.append(" · next sweep in ")
            footer.append(countdown((following - now).total_seconds()), style="bold")
        due = next_due(self.state, now) if self.state is not None else None
        if due is not None:
            moment, what = due
            footer.append(f" · next: {what} at {times.at(moment)} (")
            footer.append(countdown((moment - now).total_seconds()), style="bold")
            footer.append(")")
        footer.append(" · Ctrl-C stops", style="dim")
        return footer


def _resets_in(record: AgentRecord, now: datetime) -> Text:
    """The countdown to the agent's next resume, else to its soonest usage reset."""
    moment = as_instant(_next_resume(record))
    if moment is None:
        resets = [reset for _, _, reset in usage_windows(record) if reset and reset > now]
        moment = min(resets) if resets else None
    if moment is None:
        return Text("-" if record.status is not Status.PAUSED else "by hand", style="dim")
    left = (moment - now).total_seconds()
    return Text(countdown(left), style="bold yellow" if left <= 0 else "")


def _next_resume(record: AgentRecord) -> str | None:
    if record.status is Status.PAUSED:
        return record.paused_until
    if record.status in (Status.ACTIVE, Status.MISSING, Status.CRASHED):
        return None
    return record.scheduled_resume


def next_due(state: State | None, now: datetime) -> tuple[datetime, str] | None:
    """The soonest thing the monitor will do on its own: a resume or a scheduled note."""
    if state is None:
        return None
    candidates: list[tuple[datetime, str]] = []
    for target, record in state.agents.items():
        moment = as_instant(_next_resume(record))
        if moment is not None:
            candidates.append((moment, f"{target} resumes"))
    for note in state.schedules:
        moment = as_instant(note.due_at)
        if moment is not None:
            candidates.append((moment, f"note {note.id} for {note.target}"))
    return min(candidates, key=lambda item: item[0]) if candidates else None


def usage_windows(record: AgentRecord) -> list[tuple[str, float, datetime | None]]:
    """(label, percent used, reset) for each usage window the agent published, if any.

    Read defensively: the record may have no `usage` at all, a mapping of windows, or
    objects with the same fields.
    """
    usage = getattr(record, "usage", None)
    if usage is None:
        return []
    if hasattr(usage, "to_dict"):
        usage = usage.to_dict()
    if not isinstance(usage, Mapping):
        return []
    windows = []
    for name, raw in usage.items():
        data = raw.to_dict() if hasattr(raw, "to_dict") else raw
        if not isinstance(data, Mapping):
            data = getattr(raw, "__dict__", {})
        percent = _first_number(data, _PERCENT_KEYS)
        if percent is None:
            continue
        reset = next((as_instant(data[key]) for key in _RESET_KEYS if data.get(key)), None)
        if reset is None:
            reset = _epoch(data)
        windows.append((WINDOW_LABELS.get(str(name), str(name)), percent, reset))
    return windows


def _first_number(data: Mapping[str, Any], keys: Iterable[str]) -> float | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _epoch(data: Mapping[str, Any]) -> datetime | None:
    """Some sources give the reset as epoch seconds (`resets_at: 1764000000`)."""
    for key in _RESET_KEYS:
        value = data.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), UTC)
    return None


def usage_bars(record: AgentRecord, now: datetime) -> RenderableType:
    """ "5h ███████░░░ 72%" per usage window, one per line; "-" when none is known."""
    windows = usage_windows(record)
    if not windows:
        return Text("-", style="dim")
    lines = Text()
    for index, (label, percent, _reset) in enumerate(windows):
        if index:
            lines.append("\n")
        filled = max(0, min(BAR_CELLS, round(percent / 100 * BAR_CELLS)))
        colour = "red" if percent >= 90 else "yellow" if percent >= 70 else "green"
        lines.append(f"{label:<3} ")
        lines.append("█" * filled, style=colour)
        lines.append("░" * (BAR_CELLS - filled), style="dim")
        lines.append(f" {percent:3.0f}%")
    return lines


def live(view: WatchView, console: Console | None = None) -> Live:
    """A rich Live display of `view`, redrawn every second until the block ends."""
    return Live(view, console=console, refresh_per_second=1, transient=False)
