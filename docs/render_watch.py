"""Draw the live `watch` view of a state file to an SVG, for the README's picture.

The view is the one `credit-monitor watch` shows on a terminal, drawn by rich into a recording
console of a fixed size instead of the screen.
Usage: python docs/render_watch.py STATE_FILE OUT.svg [--now ISO8601] [--width 110] [--utc]
"""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from credit_management.cli.live import WatchView
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("state_file", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--now", help="the instant to draw at (default: now)")
    parser.add_argument("--width", type=int, default=110)
    parser.add_argument("--interval", type=float, default=60.0)
    parser.add_argument("--last-sweep-ago", type=float, default=20.0, help="seconds")
    parser.add_argument("--utc", action="store_true")
    options = parser.parse_args()
    now = datetime.fromisoformat(options.now) if options.now else datetime.now(UTC)
    home = options.state_file.resolve().parent.parent
    state = StateStore(Paths(home, "--home")).load()
    view = WatchView(lambda: now, options.interval, options.utc, "credit-monitor watch")
    changes = [f"{target}: active -> {record.status.value}" for target, record in
               sorted(state.agents.items()) if record.status.value != "active"]  # fmt: skip
    view.update(state, changes, now - timedelta(seconds=options.last_sweep_ago))
    console = Console(width=options.width, record=True, force_terminal=True, file=io.StringIO())
    console.print(view)
    print(console.export_text(clear=False))
    options.out.write_text(console.export_svg(title="credit-monitor watch"), encoding="utf-8")


if __name__ == "__main__":
    main()
