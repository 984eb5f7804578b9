"""Time capturing 200 agent windows: one chained tmux process against per-window loops.

(a) `Tmux.list_panes` + `Tmux.capture_panes`: two tmux processes in all.
(c) libtmux's object API: `server.panes`, then `pane.capture_pane()` for each pane (one tmux
    process a pane), the figure behind keeping the sweep on the gateway.
(b) the seed's way: list the windows, then for each window one `tmux capture-pane -p -t
    <target>` and one `grep -E` fed the capture on stdin (two processes a window, as the
    shell pipeline `tmux capture-pane -p -t T | grep -E '...'` costs).

Runs on its own private server (`-L` random name, `-f /dev/null`, HOME and TMUX_TMPDIR in a
temp folder) and kills it at the end.
Usage: python bench/bench_capture.py [--windows 200] [--rounds 5]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator

import libtmux

from credit_management.tmux.gateway import Tmux

# What the seed grepped for: the limit banners and the hints printed next to them.
SEED_PATTERN = r"usage limit|limit reached|credits will reset|/upgrade|resets [0-9]"

# Each window prints 50 lines of ordinary agent output; every tenth one ends on a banner.
WINDOW_SCRIPT = (
    'i=1; while [ $i -le 50 ]; do echo "agent $0: step $i of the task, editing src/module_$i.py";'
    " i=$((i+1)); done;"
    ' if [ $(($0 % 10)) -eq 0 ]; then echo "5-hour limit reached ∙ resets 3am"; fi;'
    " echo READY; exec sleep 3600"
)


@contextlib.contextmanager
def private_server(tmux: str, prefix: str) -> Iterator[tuple[str, str]]:
    """A fresh socket name and a temp folder (for HOME, and TMUX_TMPDIR so the socket goes with
    it: tmux 3.3a leaves the socket file behind after kill-server); the server dies at the end."""
    socket = f"{prefix}-{uuid.uuid4().hex[:10]}"
    with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as scratch:
        os.environ["TMUX_TMPDIR"] = scratch
        os.environ.pop("TMUX", None)
        try:
            yield socket, scratch
        finally:
            subprocess.run(
                [tmux, "-L", socket, "kill-server"], capture_output=True, check=False, timeout=10
            )


def start_server(
    tmux: str, socket: str, home: str, windows: int, script: str = WINDOW_SCRIPT
) -> None:
    """`windows` windows in session `agents`, each running `script` with its number as $0."""
    env = {**os.environ, "HOME": home}

    def run(*args: str) -> None:
        subprocess.run(
            [tmux, "-L", socket, *args], env=env, check=True, timeout=60, capture_output=True
        )

    run("-f", "/dev/null", "new-session", "-d", "-s", "agents", "-n", "a0", "-x", "200", "-y", "50")
    run("set-option", "-g", "history-limit", "2000")
    run("respawn-window", "-k", "-t", "agents:0", "sh", "-c", script, "0")
    # Chains of new-window keep the setup fast; tmux refuses a chain over 16 KiB.
    chain: list[str] = []
    for n in range(1, windows):
        chain += ["new-window", "-d", "-t", "agents:", "-n", f"a{n}", "sh", "-c"]
        chain += [script, str(n), ";"]
        if len(chain) > 400 or n == windows - 1:
            run(*chain[:-1])
            chain = []


def wait_ready(gateway: Tmux, windows: int, timeout: float = 60.0, ready: str = "READY") -> None:
    """Wait until all `windows` windows show `ready` (their script is done printing)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        panes = gateway.list_panes()
        captured = gateway.capture_panes([p.pane_id for p in panes])
        if len(panes) == windows and all(ready in text for text in captured.values()):
            return
        time.sleep(0.2)
    raise SystemExit("the benchmark windows did not start in time")


def chained(gateway: Tmux) -> int:
    panes = gateway.list_panes()
    captured = gateway.capture_panes([p.pane_id for p in panes])
    return sum("limit reached" in text for text in captured.values())


def libtmux_loop(server: libtmux.Server) -> int:
    hits = 0
    for pane in server.panes:
        hits += any("limit reached" in line for line in pane.capture_pane())
    return hits


def seed_loop(tmux: str, socket: str) -> int:
    listing = subprocess.run(
        [tmux, "-L", socket, "list-windows", "-a", "-F", "#{session_name}:#{window_index}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    hits = 0
    for target in listing.stdout.split():
        capture = subprocess.run(
            [tmux, "-L", socket, "capture-pane", "-p", "-t", target],
            capture_output=True,
            check=True,
            timeout=10,
        )
        grep = subprocess.run(
            ["grep", "-E", "-i", SEED_PATTERN],
            input=capture.stdout,
            capture_output=True,
            check=False,
            timeout=10,
        )
        hits += grep.returncode == 0
    return hits


def timed(rounds: int, action: Callable[[], int]) -> tuple[float, int]:
    times: list[float] = []
    result = 0
    for _ in range(rounds):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    tmux = shutil.which("tmux")
    if tmux is None:
        print("tmux is not installed", file=sys.stderr)
        return 1
    with private_server(tmux, "cmbench") as (socket, home):
        start_server(tmux, socket, home, options.windows)
        gateway = Tmux(socket)
        wait_ready(gateway, options.windows)
        before = gateway.calls
        chained_time, chained_hits = timed(options.rounds, lambda: chained(gateway))
        per_round = (gateway.calls - before) // options.rounds
        server = libtmux.Server(socket_name=socket)
        libtmux_time, libtmux_hits = timed(options.rounds, lambda: libtmux_loop(server))
        seed_time, seed_hits = timed(options.rounds, lambda: seed_loop(tmux, socket))
    windows = options.windows
    print(f"windows: {windows}, rounds: {options.rounds} (median shown)")
    print(
        f"(a) list_panes + capture_panes: {chained_time * 1000:8.1f} ms "
        f"({per_round} tmux processes, {chained_hits} windows with a banner)"
    )
    print(
        f"(c) libtmux pane.capture_pane(): {libtmux_time * 1000:8.1f} ms "
        f"({1 + windows} tmux processes, {libtmux_hits} windows with a banner)"
    )
    print(
        f"(b) per-window capture | grep:   {seed_time * 1000:8.1f} ms "
        f"({1 + 2 * windows} processes, {seed_hits} windows matched)"
    )
    print(f"ratio (c)/(a): {libtmux_time / chained_time:.1f}x")
    print(f"ratio (b)/(a): {seed_time / chained_time:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
