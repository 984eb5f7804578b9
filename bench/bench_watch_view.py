"""CPU time of one redraw of the live `watch` view, which rich repeats once a second.

Draws a team of N agents (a third of them out of usage, every one with five-hour and weekly
usage bars) into a recording console of a fixed size, and prints the median CPU time per
redraw and what that is as a share of one core at one redraw a second.
Usage: python bench/bench_watch_view.py [--agents 20] [--width 120] [--redraws 50]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from datetime import UTC, datetime, timedelta

from rich.console import Console

from credit_management.cli.live import WatchView
from credit_management.models import Status, iso
from credit_management.store.state import State

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def team(size: int) -> State:
    state = State()
    for index in range(size):
        record = state.agent(f"team:{index}")
        record.window_name, record.provider = f"agent-{index}", "claude"
        record.usage = {
            "five_hour": {"used_percent": 40.0 + index, "resets_at": iso(NOW + timedelta(hours=2))},
            "seven_day": {"used_percent": 20.0, "resets_at": iso(NOW + timedelta(days=3))},
        }
        if index % 3 == 0:
            record.status = Status.EXHAUSTED
            record.scheduled_resume = iso(NOW + timedelta(hours=1))
            record.last_signal = {"kind": "exhausted", "message": "5-hour limit reached"}
    return state


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--width", type=int, default=120)
    parser.add_argument("--redraws", type=int, default=50)
    options = parser.parse_args()
    view = WatchView(lambda: NOW, 300.0, utc=True, title="credit-monitor watch")
    view.update(team(options.agents), [], NOW - timedelta(seconds=20))
    console = Console(width=options.width, height=60, file=io.StringIO(), force_terminal=True)
    for _ in range(5):
        console.print(view)
    samples = []
    for _ in range(options.redraws):
        started = time.process_time()
        console.print(view)
        samples.append(time.process_time() - started)
    median = statistics.median(samples) * 1000
    print(f"{options.agents} agents, {options.width} columns: {median:.1f} ms CPU per redraw")
    print(f"at one redraw a second: {median / 10:.2f}% of one core")


if __name__ == "__main__":
    main()
