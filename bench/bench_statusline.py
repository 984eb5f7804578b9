"""Time `credit-monitor statusline` as Claude Code runs it: a new process per update.

Pipes a statusline payload shaped like Claude Code's (rate_limits, cost, model, ...) into the
installed `credit-monitor statusline` with $TMUX and $TMUX_PANE set, so each run records a
sample, and prints the median and 90th percentile wall time next to a bare `python -c pass`
(the floor any Python command pays) and the import of the click command group (the floor of
every `credit-monitor` command). The issue's target is under 80 ms.
Usage: python bench/bench_statusline.py [--runs 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from credit_management.sim.publish import statusline_payload

# Claude Code's documented statusLine JSON, five-hour window at 42%.
PAYLOAD = statusline_payload(
    "00893aaf-19fa-41d2-8238-13269b9b3ca0",
    "/home/dev/.claude/projects/-home-dev-project/00893aaf.jsonl",
    "/home/dev/project",
    (42, 1738425600, 15, 1738857600),
)


def _time(argv: list[str], data: bytes, env: dict[str, str], runs: int) -> list[float]:
    times = []
    for index in range(runs):
        payload = json.loads(data)
        payload["rate_limits"]["five_hour"]["used_percentage"] = 40 + index % 50
        started = time.perf_counter()
        subprocess.run(argv, input=json.dumps(payload).encode(), env=env, check=True,
                       capture_output=True)  # fmt: skip
        times.append((time.perf_counter() - started) * 1000)
    return times


def _report(name: str, times: list[float]) -> None:
    times = sorted(times)
    p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
    print(f"{name:<28} median {statistics.median(times):6.1f} ms   p90 {p90:6.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    program = Path(sys.executable).parent / "credit-monitor"
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, CREDIT_MANAGEMENT_HOME=home, TMUX="/tmp/tmux-bench,1,0")
        env["TMUX_PANE"] = "%1"
        data = json.dumps(PAYLOAD).encode()
        _report("python -c pass", _time([sys.executable, "-c", "pass"], data, env, args.runs))
        floor = [sys.executable, "-c", "import credit_management.cli"]
        _report("import the CLI (click)", _time(floor, data, env, args.runs))
        _report("credit-monitor statusline", _time([str(program), "statusline"], data, env,
                                                   args.runs))  # fmt: skip
        samples = list(Path(home, "data", "samples").glob("*.jsonl"))
        lines = sum(len(p.read_text().splitlines()) for p in samples)
        print(f"samples recorded: {lines} lines in {len(samples)} file(s)")


if __name__ == "__main__":
    main()
