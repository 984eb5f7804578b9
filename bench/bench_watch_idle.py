"""What `credit-monitor watch` costs while nothing happens, and whether its memory stays flat.

20 agent windows (each printed 150 lines of ordinary work and sits idle) on a private tmux
server that is killed at the end; nothing is limited, so every sweep is the quiet case a
watcher repeats all day.

(a) CPU: a real `credit-monitor watch` process, piped as under a service manager. Its CPU time
    (utime + stime from /proc/PID/stat) is read after its first sweep and again `--seconds`
    later, twice: once with `--interval 5s` (many sweeps: the cost of one sweep) and once at
    the default interval (the cost of waiting). The share of a core at the default interval is
    the wait's share plus one sweep's CPU spread over the interval.
(b) Memory: a `Supervisor` in this process sweeps the same windows `--sweeps` times on a clock
    moved on by the default interval after each sweep (288 sweeps are a day); the resident set
    size (/proc/self/statm) is printed as it goes, and its growth after the first 20 sweeps.

Targets: under 0.5% of a core at the default interval; no growth in (b) beyond noise.
Usage: python bench/bench_watch_idle.py [--windows 20] [--seconds 60] [--sweeps 576]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_capture import private_server, start_server, wait_ready

from credit_management.clock import SystemClock, host_zone
from credit_management.credit_monitor import Supervisor
from credit_management.store.config import load_settings
from credit_management.store.paths import Paths
from credit_management.tmux.gateway import Tmux

CLI = Path(sys.executable).with_name("credit-monitor")
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
DEFAULT_INTERVAL = 300.0  # check_interval_minutes = 5
# Ordinary agent output, longer than the 50-row screen, then nothing more.
WINDOW_SCRIPT = (
    'i=1; while [ $i -le 150 ]; do echo "⏺ agent $0, step $i: edited src/module_$i.py, tests'
    ' pass"; i=$((i+1)); done; echo "╭──╮"; echo "│ > │"; echo "╰──╯"; exec sleep 86400'
)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mib() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE / 2**20


def watcher_cpu(socket: str, home: str, interval: str | None, seconds: float) -> tuple[float, int]:
    """(CPU seconds of a watcher over `seconds` after its first sweep, sweeps in that time)."""
    command = [str(CLI), "--home", home, "--socket", socket, "watch", "--json"]
    if interval is not None:
        command += ["--interval", interval]
    out = Path(home) / f"watch-{interval}.jsonl"
    with out.open("wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not out.read_bytes().count(b"\n"):  # the first sweep is done
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the watcher did not sweep: {out.read_text()}")
            time.sleep(0.05)
        before, lines = cpu_seconds(process.pid), out.read_bytes().count(b"\n")
        time.sleep(seconds)
        spent, swept = cpu_seconds(process.pid) - before, out.read_bytes().count(b"\n") - lines
    finally:
        process.terminate()
        process.wait(timeout=30)
    return spent, swept


def memory(socket: str, home: str, sweeps: int) -> list[tuple[int, float]]:
    """(sweeps done, RSS in MiB) while one supervisor sweeps on a clock moved on each time."""
    paths = Paths(Path(home), "--home")
    settings = load_settings(paths, {"confirm_seconds": 0}, environ={})
    clock = SystemClock({})
    supervisor = Supervisor(paths, settings, Tmux(socket), clock, host_zone("UTC"))
    marks: list[tuple[int, float]] = []
    for done in range(1, sweeps + 1):
        supervisor.sweep()
        clock.advance(DEFAULT_INTERVAL)
        if done in (1, 20) or done % 48 == 0 or done == sweeps:
            marks.append((done, rss_mib()))
    return marks


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--windows", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--sweeps", type=int, default=576, help="288 are a day")
    options = parser.parse_args()
    tmux = shutil.which("tmux")
    if tmux is None:
        print("tmux is not installed", file=sys.stderr)
        return 1
    with private_server(tmux, "cmidle") as (socket, scratch):
        home = str(Path(scratch) / "home")
        Path(home).mkdir()
        (Path(home) / "config.toml").write_text("confirm_seconds = 0\n", encoding="utf-8")
        start_server(tmux, socket, scratch, options.windows, WINDOW_SCRIPT)
        wait_ready(Tmux(socket), options.windows, ready="│ > │")
        print(f"{options.windows} windows, nproc {os.cpu_count()}, ", end="")
        print(f"load average {os.getloadavg()[0]:.2f}")
        busy, sweeps = watcher_cpu(socket, home, "5s", options.seconds)
        per_sweep = busy / max(sweeps, 1)
        idle, idle_sweeps = watcher_cpu(socket, home, None, options.seconds)
        waiting = idle / options.seconds
        share = waiting + per_sweep / DEFAULT_INTERVAL
        print(f"(a) one sweep: {per_sweep * 1000:.1f} ms CPU ({sweeps} sweeps in ", end="")
        print(f"{options.seconds:g} s at --interval 5s)")
        print(f"    waiting: {idle * 1000:.0f} ms CPU in {options.seconds:g} s at the ", end="")
        print(f"default interval ({idle_sweeps} sweeps) = {waiting * 100:.3f}% of a core")
        verdict = "met" if share < 0.005 else "NOT met"
        print(f"    at the default 5 min interval: {share * 100:.3f}% of a core ", end="")
        print(f"(target < 0.5%: {verdict})")
        marks = memory(socket, home, options.sweeps)
        print("(b) RSS after n sweeps, the clock moved 5 min after each:")
        print("    " + ", ".join(f"{n}: {mib:.1f} MiB" for n, mib in marks))
        settled = next(mib for n, mib in marks if n == 20)
        print(f"    growth from sweep 20 to {marks[-1][0]} ", end="")
        print(f"({marks[-1][0] * DEFAULT_INTERVAL / 86400:.1f} days): ", end="")
        print(f"{marks[-1][1] - settled:+.2f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
