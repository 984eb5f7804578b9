"""Time `signals.classify` on plain, log-heavy and worst-case panes: 100 windows of each.

Every window is a distinct 50-row capture at the same pane width, so that no pane costs less
because another one warmed a cache:
- plain: agents at ordinary work (Claude Code, Codex, Gemini CLI and Aider rows), some ending
  in a limit banner, some in an old banner worked past, some quoting limits in prose;
- log-heavy: a tool printing server logs full of status codes, "rate", "tokens" and "quota";
- worst: every row filled to the pane's width with status codes and limit words, not owned
  by any message, starting the way errors and banners start.
Cold: each capture read as if for the first time (caches of rows and lines emptied first, as a
`run` from cron reads them); warm: read again (as `watch` does). Prints the milliseconds per 100
windows (best of the rounds, taken in turns, CPU time) and each kind's ratio to the plain panes.
Usage: python bench/bench_classify.py [--windows 100] [--rounds 5] [--width 80 120 200] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from credit_management.detect.signals import classify, forget_cached

ZONE = ZoneInfo("Europe/Lisbon")
NOW = datetime(2026, 11, 21, 14, 30, tzinfo=ZONE)
ROWS = 50

WORK = [
    "⏺ Bash(pytest -q tests/test_orders.py)",
    "  ⎿  ........................................ [100%]",
    "     {n} passed in 3.21s",
    "⏺ Read(src/orders/service_{n}.py)",
    "  ⎿  Read {n} lines (ctrl+r to expand)",
    "⏺ I'll refactor the pagination helper so the cursor is validated before use ({n}).",
    "⏺ Update(src/orders/service.py)",
    "  ⎿  Updated src/orders/service.py with {n} additions and 2 removals",
    "       {n} -      page = int(request.args.get('page', 1))",
    "       {n} +      page = _page_number(request.args)",
    "• Ran rg -n 'retry' src/",
    "  └ src/http.py:{n}:    for attempt in range(retries):",
    "✦ The failing test expects a 429 to be retried, which the client now does ({n}).",
    "Tokens: {n}k sent, 1.1k received. Cost: $0.04 message, $0.31 session.",
    "Applied edit to src/report_{n}.py",
]
LOOKALIKES = [
    '⏺ When the quota runs out Claude prints "You\'ve hit your session limit · resets 3pm".',
    "  ⎿  logs/agent.log:88:5-hour limit reached ∙ resets 3am",
    '       12 +  BANNER = "Claude usage limit reached. Your limit will reset at 3pm."',
    "> why does it say You've hit your usage limit. Try again at 3:28 PM.?",
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
LOG = (
    "{ts} ERROR 429 Too Many Requests POST /v1/messages rate_limit_error tokens={n} quota=daily "
    "retry-after=30 upstream 503 502 401 403 credit balance usage limit overloaded capacity"
)
WORST_STARTS = (
    "Error: 429 ", "Rate limiting ", "Usage of quota ", "429 rate ", "Quota usage ", "API usage ",
    "Limit exceeded? ", "Tokens ", "Overloaded? ", "Credit ", "Error 401 ", "Retry ",
)  # fmt: skip
WORST_WORDS = (
    "429 rate limit tokens quota usage 401 403 402 500 502 503 504 529 exhausted capacity "
    "overloaded credit balance billing limit reached resets 3pm retry-after quota exceeded "
    "rate limit error token usage limit spend cap api key login unauthorized demand "
)


def _footer(width: int) -> list[str]:
    return ["", "─" * width, "❯ ", "─" * width, "  ? for shortcuts"]


def plain(rng: random.Random, width: int, window: int) -> str:
    """One agent pane: work (with look-alikes), then maybe a banner, then the input box."""
    shape = rng.choice(("work", "limit", "stale", "lookalike"))
    rows: list[str] = []
    banner = rng.choice(BANNERS)
    while len(rows) < ROWS - 11:
        rows.append(rng.choice(WORK).format(n=rng.randrange(10_000) + window))
        if shape == "lookalike" and rng.random() < 0.3:
            rows.append(rng.choice(LOOKALIKES))
        if rng.random() < 0.2:
            rows.append("")
    if shape in ("limit", "stale"):
        rows += ["", *banner]
    if shape == "stale":
        rows += ["", "> continue", "", rng.choice(WORK).format(n=window)]
    return "\n".join(_fit([*rows, *_footer(width)], width))


def log_heavy(rng: random.Random, width: int, window: int) -> str:
    """A tool's output of server logs under one call, wrapped at the pane's width."""
    rows = ["⏺ Bash(tail -n 60 logs/gateway.log)"]
    while len(rows) < ROWS - 6:
        stamp = f"2026-11-21T10:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z"
        line = LOG.format(ts=stamp, n=rng.randrange(100_000) + window)
        prefix = "  ⎿  " if len(rows) == 1 else "     "
        rows += _fit([prefix + line], width)
    return "\n".join([*rows[: ROWS - 5], *_footer(width)])


def worst(rng: random.Random, width: int, window: int) -> str:
    """Every row filled to the pane's width with status codes and limit words, each one a
    row a banner could start on."""
    rows = []
    words = WORST_WORDS.split()
    for index in range(ROWS):
        row = rng.choice(WORST_STARTS) + f"{window}-{index} "
        while len(row) < width:
            row += rng.choice(words) + " "
        rows.append(row[:width])
    return "\n".join(rows)


def _fit(rows: list[str], width: int) -> list[str]:
    """Rows as tmux shows them in a pane `width` columns wide (long ones wrapped)."""
    out: list[str] = []
    for row in rows:
        while len(row) > width:
            out.append(row[:width])
            row = row[width:]
        out.append(row)
    return out


KINDS: dict[str, Callable[[random.Random, int, int], str]] = {
    "plain": plain,
    "log-heavy": log_heavy,
    "worst": worst,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--width", type=int, nargs="+", default=[80, 120, 200])
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    for width in args.width:
        _measure(width, args.windows, args.rounds, random.Random(args.seed))


def _measure(width: int, windows: int, rounds: int, rng: random.Random) -> None:
    panes = {
        name: [build(rng, width, window) for window in range(windows)]
        for name, build in KINDS.items()
    }
    print(
        f"{windows} windows of each kind, {ROWS} rows, {width} columns, "
        f"best of {rounds} rounds (CPU ms per {windows} windows)"
    )
    for name, captures in panes.items():
        kinds = Counter(classify(text, NOW, ZONE).kind.value for text in captures)
        print(f"  {name:9} kinds: {dict(sorted(kinds.items()))}")
    for label, forget in (("cold", True), ("warm", False)):
        figures = _best(panes, rounds, forget)
        base = figures["plain"]
        shown = "  ".join(f"{name} {ms:7.1f} ms ({ms / base:.2f}x)" for name, ms in figures.items())
        print(f"  {label}: {shown}")


def _best(panes: dict[str, list[str]], rounds: int, forget: bool) -> dict[str, float]:
    """Each kind's least disturbed round, in CPU milliseconds for all its captures. The kinds
    take turns round by round, so a busy moment on the machine weighs on all of them alike."""
    for captures in panes.values():  # compile what the first read compiles, outside the timing
        for text in captures:
            classify(text, NOW, ZONE)
    best = dict.fromkeys(panes, float("inf"))
    for _ in range(rounds):
        for name, captures in panes.items():
            if not forget:  # warm: these captures' rows were read just before, as by `watch`
                for text in captures:
                    classify(text, NOW, ZONE)
            start = time.process_time()
            for text in captures:
                if forget:
                    forget_cached()
                classify(text, NOW, ZONE)
            best[name] = min(best[name], (time.process_time() - start) * 1000)
    return best


if __name__ == "__main__":
    main()
