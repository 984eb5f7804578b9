"""Time what `credit-monitor run` imports before it can sweep, and check it imports nothing else.

Each round is a new interpreter (`python -X importtime -c "import credit_management.cli.fast,
credit_management.cli.once"`, what `credit-monitor run` loads without click), as cron starts
one, with the garbage collector on (`run` itself turns it off, so it pays less): the figure is
the sum of the top-level imports after the interpreter's own start-up (`site`), in ms. The
median of the rounds is printed with the slowest modules of the median round (self time) and
any module the run path must not pull in (the web server, other commands, the simulator,
rich, dateutil, pytz).

Usage: python bench/bench_import.py [--rounds 15] [--top 12] [--target 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

# What `credit-monitor run` imports: the entry point, its click-free fast path and the sweep.
ENTRY = "credit_management.cli.fast, credit_management.cli.once"
FORBIDDEN = (
    "credit_management.web",
    "credit_management.sim",
    "credit_management.control",
    "credit_management.cli.watch",
    "credit_management.cli.status",
    "credit_management.cli.live",
    "credit_management.cli.render",
    "rich",
    "dateutil",
    "pytz",
    "libtmux",
    "http.server",
)
# Bytecode is written as on any installed copy (a shell with PYTHONDONTWRITEBYTECODE would
# otherwise time the compiler on every round).
ENVIRON = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
CHECK = (
    f"import {ENTRY}, sys; "
    f"print('\\n'.join(m for m in sys.modules if m.split('.')[0] in ('credit_management', "
    "'rich', 'dateutil', 'pytz', 'libtmux', 'http')))"
)


def one_round() -> tuple[float, list[tuple[int, str]]]:
    """(milliseconds for the run path's imports, [(self microseconds, module)])."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {ENTRY}"],
        capture_output=True,
        text=True,
        check=True,
        env=ENVIRON,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative, name = line.split("|")
        rows.append((int(self_us.split(":")[-1]), int(cumulative), name.rstrip()[1:]))
    # Top-level entries after `site` are what `import ENTRY` cost.
    start = max(i for i, (_, _, name) in enumerate(rows) if name.strip() == "site") + 1
    ours = rows[start:]
    total = sum(cumulative for _, cumulative, name in ours if not name.startswith("  "))
    return total / 1000, [(self_us, name.strip()) for self_us, _, name in ours]


def loaded_modules() -> list[str]:
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True)
    return done.stdout.split()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--target", type=float, default=60.0, help="milliseconds")
    options = parser.parse_args()
    one_round()  # warm the file cache and the bytecode
    rounds = sorted((one_round() for _ in range(options.rounds)), key=lambda item: item[0])
    median_ms, modules = rounds[len(rounds) // 2]
    spread = [ms for ms, _ in rounds]
    print(f"import {ENTRY}: median {median_ms:.1f} ms over {options.rounds} new interpreters")
    print(f"  min {min(spread):.1f} ms, max {max(spread):.1f} ms, ", end="")
    print(f"stdev {statistics.pstdev(spread):.1f} ms; target < {options.target:g} ms: ", end="")
    print("met" if median_ms < options.target else "NOT met")
    print("slowest modules of the median round (self time):")
    for self_us, name in sorted(modules, reverse=True)[: options.top]:
        print(f"  {self_us / 1000:7.1f} ms  {name}")
    loaded = loaded_modules()
    unwanted = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    print(f"{sum(1 for m in loaded if m.startswith('credit_management'))} project modules loaded")
    print("modules the run path must not load: " + (", ".join(unwanted) or "none"))
    if unwanted:
        sys.exit(1)


if __name__ == "__main__":
    main()
