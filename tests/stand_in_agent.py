"""A stand-in agent for the nudge tests: it prints a real Gemini CLI transient error (the
"exhausted your capacity … reset after Ns" line as Gemini CLI renders it) and sits at its
prompt, as agents do when their own retry gives up.

    python stand_in_agent.py LOG MODE [SECONDS]

MODE "obeys": a line typed in starts work (a line of output every 0.2 s for a while).
MODE "deaf": typed lines are logged and nothing else happens.
MODE "retrying": Claude Code's 529 overload with its retry spinner redrawing under it (the
screen never settles).
Every line received is appended to LOG as JSON.
"""

from __future__ import annotations

import json
import sys
import threading
import time

ERROR = (
    "✕ [API Error: You have exhausted your capacity on this model. "
    "Your quota will reset after {seconds}s.]"
)
OVERLOADED = (
    '  ⎿  API Error: 529 {"type":"error","error":{"type":"overloaded_error",'
    '"message":"Overloaded"}} · Retrying in 7 seconds… (attempt 4/10)'
)
SPINNER = "✻✶✳✢✽"


def main() -> None:
    log, mode = sys.argv[1], sys.argv[2]
    seconds = sys.argv[3] if len(sys.argv) > 3 else "5"
    if mode == "retrying":
        print("⏺ Reading src/parser.py")
        print(OVERLOADED)
        print()
        for tick in range(100000):
            glyph = SPINNER[tick % len(SPINNER)]
            sys.stdout.write(f"\r{glyph} Retrying… ({tick // 5}s · esc to interrupt) ")
            sys.stdout.flush()
            time.sleep(0.2)
    print("✦ Reading src/parser.py and planning the change.")
    print(ERROR.format(seconds=seconds))
    print()
    sys.stdout.write("> ")
    sys.stdout.flush()
    for line in sys.stdin:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"event": "prompt", "prompt": line.rstrip("\n")}) + "\n")
        if mode == "obeys":
            threading.Thread(target=work, daemon=True).start()
        else:  # a fresh, empty input line, as an agent redraws its input box
            sys.stdout.write("> ")
            sys.stdout.flush()


def work() -> None:
    for step in range(1, 200):
        print(f"✦ Continuing the parser change, step {step}.")
        time.sleep(0.2)


if __name__ == "__main__":
    main()
