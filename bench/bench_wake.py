"""How soon after a reset does `credit-monitor watch` send the test message?

A real watcher (`credit-monitor watch --interval 300`, the default five minutes, as the service
runs it) supervises simulated Claude Code agents on a private tmux server. Each round starts
an agent that hits its limit at once and prints an exact reset a few seconds ahead; the
latency is the time from the reset plus the resume margin to the moment the agent received
the test message (its own log). A second measure: a `pause --until T` typed in another process
while the watcher sleeps; the latency is from T to the test message that lifts the pause.

With a fixed five-minute tick both would average 150 s (300 s at worst); the target is under
2 s. Usage: python bench/bench_wake.py [--rounds 5] [--margin 1]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

CLI = Path(sys.executable).with_name("credit-monitor")
TEST = "Quick check: reply with OK if you can work again."


def records(log: Path) -> list[dict[str, object]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]


def arrival(log: Path, timeout: float) -> datetime:
    """When the agent received the test message (waits for it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in records(log):
            if record.get("event") == "prompt" and record.get("prompt") == TEST:
                return datetime.fromisoformat(str(record["time"]))
        time.sleep(0.05)
    raise SystemExit(f"no test message within {timeout:g}s ({log})")


def wait_text(tmux: list[str], target: str, needle: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        shown = subprocess.run([*tmux, "capture-pane", "-p", "-J", "-t", target],
                               capture_output=True, text=True, check=False).stdout  # fmt: skip
        if needle in shown:
            return
        time.sleep(0.05)
    raise SystemExit(f"{needle!r} never showed in {target}")


def new_agent(tmux: list[str], name: str, log: Path, extra: list[str]) -> str:
    simulator = [str(CLI), "simulate", "--provider", "claude", "--name", name, "--think", "0.05",
                 "--tz", "UTC", "--state-file", str(log), *extra]  # fmt: skip
    target = subprocess.run(
        [*tmux, "new-window", "-d", "-P", "-F", "#{session_name}:#{window_index}",
         "-t", "bench:", "-n", name, *simulator],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    wait_text(tmux, target, "? for shortcuts")
    return target


def state_of(home: Path, target: str) -> dict[str, object]:
    path = home / "data" / "credit_schedule.json"
    try:
        agents = json.loads(path.read_text(encoding="utf-8")).get("agents", {})
    except (OSError, ValueError):
        return {}
    found = agents.get(target, {})
    return found if isinstance(found, dict) else {}


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--margin", type=float, default=1.0)
    options = parser.parse_args()
    found = shutil.which("tmux")
    if found is None:
        raise SystemExit("tmux is not installed")
    folder = Path(tempfile.mkdtemp(prefix="bench-wake-"))
    home = folder / "cm"
    home.mkdir()
    (home / "config.toml").write_text(
        f"confirm_seconds = 0.3\nresume_margin_seconds = {options.margin}\n"
        'verify_timeout_seconds = 10\nignore = ["bench:0"]\n',
        encoding="utf-8",
    )
    socket = f"bench-wake-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "HOME": str(folder), "TMUX_TMPDIR": str(folder)}
    env.pop("TMUX", None)
    os.environ.update({"TMUX_TMPDIR": str(folder)})
    tmux = [found, "-L", socket, "-f", "/dev/null"]
    subprocess.run([*tmux, "new-session", "-d", "-s", "bench", "-x", "200", "-y", "50"],
                   check=True, env=env)  # fmt: skip
    watcher = subprocess.Popen(
        [str(CLI), "--home", str(home), "--socket", socket, "watch", "--interval", "300"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    resets: list[float] = []
    pauses: list[float] = []
    try:
        for number in range(options.rounds):
            log = folder / f"limited-{number}.jsonl"
            limited = ["--limit-after", "0", "--reset-in", "8", "--reset-style", "epoch"]
            target = new_agent(tmux, f"limited{number}", log, limited)
            # The stop is seen by a sweep (here a `run`, as cron or the watcher's next tick would
            # do; a run that finds the watcher sweeping skips, so try again); its save wakes the
            # watcher, which then sleeps until the reset plus the margin.
            record: dict[str, object] = {}
            for _ in range(120):
                subprocess.run([str(CLI), "--home", str(home), "--socket", socket, "run"],
                               capture_output=True, env=env, check=True)  # fmt: skip
                record = state_of(home, target)
                if record.get("status") == "exhausted":
                    break
                time.sleep(0.5)
            reset = datetime.fromisoformat(str(record["reset_at"]))
            got = arrival(log, timeout=60)
            resets.append((got - reset).total_seconds() - options.margin)

            log = folder / f"paused-{number}.jsonl"
            target = new_agent(tmux, f"paused{number}", log, [])
            # Far enough ahead that the pause command (a new process) has saved it by then.
            until = datetime.now(UTC) + timedelta(seconds=10)
            subprocess.run(
                [str(CLI), "--home", str(home), "--socket", socket, "pause", target,
                 "--until", until.isoformat()],
                capture_output=True, env=env, check=True,
            )  # fmt: skip
            got = arrival(log, timeout=60)
            pauses.append((got - until).total_seconds())
            print(f"round {number + 1}: reset -> test message {resets[-1]:+.2f}s after the "
                  f"margin; --until -> test message {pauses[-1]:+.2f}s")  # fmt: skip
    finally:
        watcher.terminate()
        watcher.wait(timeout=30)
        subprocess.run([*tmux, "kill-server"], capture_output=True, check=False)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"watch --interval 300, margin {options.margin:g}s, {options.rounds} rounds")
    for label, values in (("reset + margin -> test message", resets),
                          ("pause --until -> test message", pauses)):  # fmt: skip
        print(f"  {label}: median {statistics.median(values):.2f}s, "
              f"max {max(values):.2f}s (a fixed 300 s tick: 150 s on average)")  # fmt: skip
    return 0 if max(resets) <= 2.0 and max(pauses) <= 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
