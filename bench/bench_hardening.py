"""The figures behind the dashboard's and the hooks' limits.

(a) Threads of a real `credit-monitor web` process before and after N idle connections (the
    stdlib's ThreadingHTTPServer starts one thread per connection), and how long an API request
    takes while they are open.
(b) Wall time of three events fired in one sweep, each with a hook that hangs past its
    time-out: the hooks of one sweep run side by side (one `HookBatch`), against one after
    another (three `fire_hooks` calls, as a sweep fired them before).
(c) A hook that detaches with `setsid`: is anything of it left after the time-out?

Usage: python bench/bench_hardening.py [--sockets 1200] [--hook-timeout 5]
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from credit_management.models import HookSpec
from credit_management.notify.hooks import HookBatch, fire_hooks
from credit_management.store.journal import EventLog

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
EVENTS = ("credit.exhausted", "agent.paused", "agent.missing")


def threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def idle_sockets(count: int) -> None:
    home = Path(tempfile.mkdtemp(prefix="credit-bench-"))
    cli = Path(sys.executable).with_name("credit-monitor")
    process = subprocess.Popen(
        [str(cli), "--home", str(home), "web", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    clients: list[socket.socket] = []
    try:
        assert process.stdout is not None
        select.select([process.stdout], [], [], 20)
        url = urllib.parse.urlsplit(process.stdout.readline().split()[2])
        token = urllib.parse.parse_qs(url.query)["token"][0]
        request = urllib.request.Request(
            f"http://127.0.0.1:{url.port}/api/agents",
            headers={"Authorization": f"Bearer {token}"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()  # the workers are up
        before = threads(process.pid)
        for _ in range(count):
            clients.append(socket.create_connection(("127.0.0.1", url.port or 0), timeout=10))
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
        answered = time.perf_counter() - started
        print(
            f"(a) threads: {before} before, {threads(process.pid)} with {count} idle sockets; "
            f"an API request meanwhile took {answered * 1000:.1f} ms"
        )
    finally:
        for client in clients:
            client.close()
        process.terminate()
        process.wait(10)
        shutil.rmtree(home, ignore_errors=True)


def hanging_hooks(timeout: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="credit-bench-"))
    log = EventLog(folder / "events.log")
    hook = HookSpec(command=["sleep", "300"], timeout=timeout)
    payload = {"target": "main:1"}
    started = time.perf_counter()
    for event in EVENTS:
        fire_hooks(event, payload, [hook], log, NOW)
    one_by_one = time.perf_counter() - started
    started = time.perf_counter()
    batch = HookBatch(log)
    for event in EVENTS:
        batch.fire(event, payload, [hook], NOW)
    batch.wait()
    together = time.perf_counter() - started
    print(
        f"(b) three events, a hook hanging past its {timeout:g}s time-out: "
        f"{one_by_one:.1f} s one after another, {together:.1f} s in one sweep's batch"
    )
    shutil.rmtree(folder, ignore_errors=True)


def detached_hook() -> None:
    folder = Path(tempfile.mkdtemp(prefix="credit-bench-"))
    marker = f"300.{os.getpid()}"
    hook = HookSpec(command=["setsid", "sleep", marker], timeout=1)
    fire_hooks("credit.exhausted", {"target": "main:1"}, [hook], EventLog(folder / "e"), NOW)
    left = subprocess.run(["pgrep", "-f", f"sleep {marker}"], capture_output=True, text=True)
    print(f"(c) `setsid sleep` hook, 1 s time-out: {len(left.stdout.split())} process(es) left")
    shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1200)
    parser.add_argument("--hook-timeout", type=float, default=5.0)
    args = parser.parse_args()
    idle_sockets(args.sockets)
    hanging_hooks(args.hook_timeout)
    detached_hook()


if __name__ == "__main__":
    main()
