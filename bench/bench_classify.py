"""Time `signals.classify` on realistic 50-line pane captures: captures per second.

Builds captures the way agent panes look (Claude Code, Codex, Gemini CLI and Aider screens of
ordinary work, some ending in a limit banner, some in an old banner worked past, some full of
text that only mentions limits), classifies them in rounds and prints the throughput and the
time for 200 captures (the issue asks for well under a second).
Usage: python bench/bench_classify.py [--captures 200] [--rounds 5] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from credit_management.detect.signals import classify, forget_cached

ZONE = ZoneInfo("Europe/Lisbon")
NOW = datetime(2026, 11, 21, 14, 30, tzinfo=ZONE)
RULE = "─" * 100

WORK = [
    "⏺ Bash(pytest -q tests/test_orders.py)",
    "  ⎿  ........................................ [100%]",
    "     42 passed in 3.21s",
    "⏺ Read(src/orders/service.py)",
    "  ⎿  Read 214 lines (ctrl+r to expand)",
    "⏺ I'll refactor the pagination helper so the cursor is validated before use.",
    "⏺ Update(src/orders/service.py)",
    "  ⎿  Updated src/orders/service.py with 6 additions and 2 removals",
    "       40 -      page = int(request.args.get('page', 1))",
    "       41 +      page = _page_number(request.args)",
    "• Ran rg -n 'retry' src/",
    "  └ src/http.py:12:    for attempt in range(retries):",
    "✦ The failing test expects a 429 to be retried, which the client now does.",
    "Tokens: 12k sent, 1.1k received. Cost: $0.04 message, $0.31 session.",
    "Applied edit to src/report.py",
]
LOOKALIKES = [
    '⏺ When the quota runs out Claude prints "You\'ve hit your session limit · resets 3pm".',
    "  ⎿  logs/agent.log:88:5-hour limit reached ∙ resets 3am",
    '       12 +  BANNER = "Claude usage limit reached. Your limit will reset at 3pm."',
    "> why does it say You've hit your usage limit. Try again at 3:28 PM.?",
    "npm ERR! 429 Too Many Requests - GET https://registry.npmjs.org/left-pad",
    "| You've hit your weekly limit · resets Mon 12:00am | stop until Monday |",
]
BANNERS = [
    ["  ⎿  You've hit your session limit · resets 5:20am (America/Denver)",
     "     /upgrade to increase your usage limit."],
    ["  ⎿  5-hour limit reached ∙ resets 3am"],
    ["■ You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing), "
     "visit https://chatgpt.com/codex/settings/usage to purchase more credits or try again "
     "at 3:28 PM."],
    ["✕ [API Error: You have exhausted your capacity on this model. Your quota will reset "
     "after 21h39m57s.]"],
    ["Usage limit reached · continuing automatically at 7pm · esc to cancel"],
    ["⚠ Heads up, you've used over 75% of your 5h limit. Run /status for a breakdown."],
    ['  ⎿  API Error: 529 {"type":"error","error":{"type":"overloaded_error",'
     '"message":"Overloaded"}}'],
]  # fmt: skip
FOOTER = ["", RULE, "❯ ", RULE, "  ? for shortcuts"]


def capture(rng: random.Random) -> str:
    """One 50-row pane: work (with look-alikes), then maybe a banner, then the input box."""
    shape = rng.choice(("work", "limit", "stale", "lookalike"))
    rows: list[str] = []
    banner = rng.choice(BANNERS)
    while len(rows) < 50 - len(FOOTER) - 6:
        rows.append(rng.choice(WORK))
        if shape == "lookalike" and rng.random() < 0.3:
            rows.append(rng.choice(LOOKALIKES))
        if rng.random() < 0.2:
            rows.append("")
    if shape in ("limit", "stale"):
        rows += ["", *banner]
    if shape == "stale":
        rows += ["", "> continue", "", rng.choice(WORK)]
    rows += FOOTER
    return "\n".join(rows[-50:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    captures = [capture(rng) for _ in range(args.captures)]
    kinds = Counter(classify(text, NOW, ZONE).kind.value for text in captures)
    print(f"{len(captures)} captures of 50 rows, {args.rounds} rounds")
    print(f"kinds: {dict(sorted(kinds.items()))}")
    # Cold: every capture seen for the first time (the caches of rows and lines emptied before
    # each). Warm: a monitor looking again at panes whose rows it has mostly seen before.
    for label, forget in (("cold", True), ("warm", False)):
        cpu, wall = _rounds(captures, args.rounds, forget)
        per_200 = 200 / len(captures) * 1000
        print(
            f"{label}: {len(captures) / cpu:,.0f} captures/second; 200 captures in "
            f"{cpu * per_200:.1f} ms CPU ({wall * per_200:.1f} ms wall)"
        )


def _rounds(captures: list[str], rounds: int, forget: bool) -> tuple[float, float]:
    """The best round's CPU and wall time. CPU time is what classifying costs; wall time also
    counts other processes' turns on a busy machine, so the least disturbed round is kept."""
    cpus, walls = [], []
    for _ in range(rounds):
        cpu, wall = time.process_time(), time.perf_counter()
        for text in captures:
            if forget:
                forget_cached()
            classify(text, NOW, ZONE)
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return min(cpus), min(walls)


if __name__ == "__main__":
    main()
