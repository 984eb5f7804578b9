"""Time one whole `credit-monitor run` against the seed's loop at 50, 200 and 1000 windows.

(a) `credit-monitor run` as cron starts it: a new process that imports the package, lists the
    panes, captures all of them in one tmux process, classifies each capture, decides and
    writes the state file.
(b) the seed's detection loop on the same windows: one `tmux capture-pane -p -t <target>` and
    one `grep -E` per window (the shell pipeline `tmux capture-pane | grep` costs both), and
    no state written at all.

The windows come from bench_capture.py (50 lines of work each, every tenth ending on a limit
banner) on a private server that is killed at the end. The first run marks the limited windows
exhausted; the timed runs are the steady state that cron repeats every few minutes. The two are
interleaved (ours, theirs, ours, ...) so that a busy moment of the machine hits both alike, and
the medians are compared. Targets: 2x at 50 windows, 5x at 200, 10x at 1000.
Usage: python bench/bench_sweep.py [--windows 50 200 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_capture import private_server, seed_loop, start_server, timed, wait_ready

from credit_management.tmux.gateway import Tmux

CLI = Path(sys.executable).with_name("credit-monitor")


def monitor_run(socket: str, home: str) -> float:
    """Wall time of one `credit-monitor run`, process start to exit."""
    # As cron runs it: bytecode is written and read as on any installed copy (a shell that sets
    # PYTHONDONTWRITEBYTECODE would otherwise time the compiler on every run).
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    done = subprocess.run(
        [str(CLI), "--home", home, "--socket", socket, "run"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=environ,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"credit-monitor run failed: {done.stderr.strip()}")
    return elapsed


TARGETS = {50: 2.0, 200: 5.0, 1000: 10.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--windows", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    tmux = shutil.which("tmux")
    if tmux is None:
        print("tmux is not installed", file=sys.stderr)
        return 1
    print(f"rounds: {options.rounds}, interleaved, medians; load average {os.getloadavg()[0]:.2f}")
    print(f"{'windows':>8} {'run (a)':>10} {'seed (b)':>10} {'(b)/(a)':>8} {'target':>7}")
    for windows in options.windows:
        ours, theirs, first = measure(tmux, windows, options.rounds)
        target = TARGETS.get(windows)
        goal = f"{target:.0f}x" if target else "-"
        print(
            f"{windows:>8} {ours * 1000:>8.0f}ms {theirs * 1000:>8.0f}ms "
            f"{theirs / ours:>7.1f}x {goal:>7}   (first run {first:.2f} s)"
        )
    return 0


def measure(tmux: str, windows: int, rounds: int) -> tuple[float, float, float]:
    """Medians of `credit-monitor run` and the seed loop over `windows` fresh windows."""
    with private_server(tmux, "cmbench") as (socket, scratch):
        home = str(Path(scratch) / "home")
        Path(home).mkdir()
        # The second look before acting on a stop is a deliberate pause; it is not work.
        (Path(home) / "config.toml").write_text("confirm_seconds = 0\n", encoding="utf-8")
        start_server(tmux, socket, scratch, windows)
        wait_ready(Tmux(socket), windows, timeout=max(60.0, windows * 0.2))
        first = monitor_run(socket, home)
        ours: list[float] = []
        theirs: list[float] = []
        for _ in range(rounds):
            ours.append(monitor_run(socket, home))
            theirs.append(timed(1, lambda: seed_loop(tmux, socket))[0])
    return statistics.median(ours), statistics.median(theirs), first


if __name__ == "__main__":
    raise SystemExit(main())
