"""Time one whole `credit-monitor run` over 200 agent windows against the seed's loop.

(a) `credit-monitor run` as cron starts it: a new process that imports the package, lists the
    panes, captures all of them in one tmux process, classifies each capture, decides and
    writes the state file.
(b) the seed's detection loop on the same windows: one `tmux capture-pane -p -t <target>` and
    one `grep -E` per window (the shell pipeline `tmux capture-pane | grep` costs both), and
    no state written at all.

The windows come from bench_capture.py (50 lines of work each, every tenth ending on a limit
banner) on a private server that is killed at the end. The first run marks the limited windows
exhausted; the timed runs are the steady state that cron repeats every few minutes.
Usage: python bench/bench_sweep.py [--windows 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_capture import seed_loop, start_server, timed, wait_ready

from credit_management.tmux.gateway import Tmux

CLI = Path(sys.executable).with_name("credit-monitor")


def monitor_run(socket: str, home: str) -> float:
    """Wall time of one `credit-monitor run`, process start to exit."""
    started = time.perf_counter()
    done = subprocess.run(
        [str(CLI), "--home", home, "--socket", socket, "run"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"credit-monitor run failed: {done.stderr.strip()}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--windows", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    tmux = shutil.which("tmux")
    if tmux is None:
        print("tmux is not installed", file=sys.stderr)
        return 1
    socket = f"cmbench-{uuid.uuid4().hex[:10]}"
    with tempfile.TemporaryDirectory(prefix="cmbench-") as scratch:
        os.environ["TMUX_TMPDIR"] = scratch
        os.environ.pop("TMUX", None)
        home = str(Path(scratch) / "home")
        Path(home).mkdir()
        # The second look before acting on a stop is a deliberate pause; it is not work.
        (Path(home) / "config.toml").write_text("confirm_seconds = 0\n", encoding="utf-8")
        try:
            start_server(tmux, socket, scratch, options.windows)
            wait_ready(Tmux(socket), options.windows)
            first = monitor_run(socket, home)
            runs = [monitor_run(socket, home) for _ in range(options.rounds)]
            theirs, _ = timed(options.rounds, lambda: seed_loop(tmux, socket))
        finally:
            subprocess.run(
                [tmux, "-L", socket, "kill-server"], capture_output=True, check=False, timeout=10
            )
    ours = statistics.median(runs)
    print(f"windows: {options.windows}, rounds: {options.rounds} (median shown)")
    print(f"(a) credit-monitor run, whole process: {ours * 1000:8.0f} ms (first run {first:.2f} s)")
    print(f"(b) seed loop, capture-pane | grep:    {theirs * 1000:8.0f} ms")
    print(f"ratio (b)/(a): {theirs / ours:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
