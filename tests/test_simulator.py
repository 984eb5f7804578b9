"""The simulated agent: its state machine on a fake clock, its banners, and its terminal loop in
a real tmux pane (typed text, a separate Enter, the limit, the reset)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from conftest import TmuxTestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_management.cli import cli
from credit_management.clock import FakeClock, local_zone_name
from credit_management.errors import InputError
from credit_management.sim.agent import (
    SimConfig,
    Simulator,
    codex_duration,
    gemini_duration,
    limit_banner,
    ordinal,
    prompt_box,
)
from credit_management.sim.runner import Keys

START = datetime(2026, 7, 1, 14, 2, 10, tzinfo=UTC)  # Lisbon 15:02:10, Los Angeles 07:02:10


def make(clock: FakeClock | None = None, **options: Any) -> tuple[Simulator, FakeClock]:
    fake = clock or FakeClock(START)
    options.setdefault("provider", "claude")
    options.setdefault("tz_name", "Europe/Lisbon")
    return Simulator(SimConfig(**options), fake), fake


def screen(sim: Simulator, width: int = 100) -> str:
    """What the pane shows: the transcript, then the empty input box."""
    box, _, _ = prompt_box(sim.config.provider, "", width, sim.config.label)
    return "\n".join([*sim.transcript, "", *box])


# ---------------------------------------------------------------------------------------------
# The state machine.


def test_answers_n_prompts_then_limits_and_refuses_until_the_reset() -> None:
    sim, clock = make(limit_after=2, reset_in=170)
    sim.start()
    first = sim.enter("Fix the failing tests")
    assert first.consumed and first.think
    assert first.echo[-1] == "> Fix the failing tests"
    assert first.lines == ["⏺ Done: fix the failing tests"]
    second = sim.enter("Add a changelog entry")
    assert second.lines[0] == "⏺ Done: add a changelog entry"
    assert "You've hit your session limit · resets 3:05pm (Europe/Lisbon)" in second.lines[-2]
    assert sim.status == "limited"
    assert sim.reset_at == START + timedelta(seconds=170)

    clock.advance(169)
    refused = sim.enter("Try once more")
    assert refused.lines == second.lines[-2:]  # the same banner, the same reset
    assert [r["result"] for r in refused.records if r["event"] == "prompt"] == ["refused"]

    clock.advance(1)
    assert sim.tick().records[0]["event"] == "reset"
    assert sim.status == "active"
    for word in ("one", "two", "three", "four"):
        assert sim.enter(word).lines == [f"⏺ Done: {word}"]  # one limit only by default
    assert sim.limits_hit == 1


def test_limit_after_zero_is_limited_from_the_start() -> None:
    sim, _ = make(limit_after=0, reset_in=60)
    start = sim.start()
    assert any("You've hit your session limit" in line for line in start.lines)
    assert [r["event"] for r in start.records] == ["started", "limit"]
    assert "resets" in sim.enter("hello").lines[0]


def test_limit_again_limits_after_n_more_prompts_with_a_new_reset() -> None:
    sim, clock = make(limit_after=1, reset_in=60, limit_again=True)
    sim.start()
    sim.enter("a")
    first_reset = sim.reset_at
    clock.advance(61)
    assert sim.enter("b").lines[0] == "⏺ Done: b"
    assert sim.limits_hit == 2 and sim.reset_at is not None and first_reset is not None
    assert sim.reset_at - first_reset == timedelta(seconds=61)


def test_limit_again_with_limit_after_zero_refuses_the_first_prompt_after_a_reset() -> None:
    sim, clock = make(limit_after=0, reset_in=30, limit_again=True, provider="codex")
    sim.start()
    clock.advance(31)
    reply = sim.enter("are you back?")
    assert reply.lines and reply.lines[0].startswith("■ You've hit your usage limit.")
    assert [r["event"] for r in reply.records] == ["reset", "prompt", "limit"]
    assert reply.records[1]["result"] == "refused"


def test_late_reset_keeps_refusing_after_the_printed_time() -> None:
    sim, clock = make(limit_after=0, reset_in=60, late=30)
    sim.start()
    clock.advance(75)
    assert "resets" in sim.enter("now?").lines[0]
    clock.advance(15)
    assert sim.enter("now?").lines == ["⏺ Done: now?"]


def test_prompt_records_say_what_the_agent_got_and_did() -> None:
    sim, clock = make(limit_after=1, reset_in=10)
    sim.start()
    sim.enter("first")
    clock.advance(1)
    records = sim.enter("second\nwith a second line").records
    assert records[0]["prompt"] == "second\nwith a second line"
    assert records[0]["result"] == "refused"
    assert records[0]["n"] == 2
    assert records[0]["reset_at"] == (START + timedelta(seconds=10)).isoformat()
    assert records[0]["time"] == (START + timedelta(seconds=1)).isoformat()


def test_multi_line_prompt_echoes_every_line() -> None:
    sim, _ = make()
    reply = sim.enter("line one\nline two")
    assert reply.echo[-2:] == ["> line one", "  line two"]
    assert reply.lines == ["⏺ Done: line one"]


def test_empty_enter_does_nothing() -> None:
    sim, _ = make()
    reply = sim.enter("   ")
    assert reply.consumed and not reply.lines and not reply.records and sim.received == 0


def test_swallow_first_enter_only_for_the_first_message() -> None:
    sim, _ = make(swallow_enters=1)
    swallowed = sim.enter("hello")
    assert not swallowed.consumed and not swallowed.lines
    assert swallowed.records[0]["event"] == "enter_swallowed"
    assert sim.enter("hello").lines == ["⏺ Done: hello"]
    assert sim.enter("next").consumed


def test_swallow_every_enter() -> None:
    sim, _ = make(swallow_enters=-1)
    for text in ("one", "two"):
        assert not sim.enter(text).consumed
        assert sim.enter(text).lines == [f"⏺ Done: {text}"]


def test_crash_after_n_prompts() -> None:
    sim, _ = make(crash_after=2)
    assert sim.enter("one").exit_code is None
    reply = sim.enter("two")
    assert reply.exit_code == 1 and reply.records[-1]["event"] == "crash"


def test_work_interval_prints_work_but_not_while_limited() -> None:
    sim, clock = make(limit_after=1, reset_in=100, work_interval=5)
    sim.start()
    assert sim.tick().lines == []
    clock.advance(5)
    assert sim.tick().lines == ["⏺ Bash(pytest -q)", "  ⎿  12 passed in 0.41s"]
    clock.advance(5)
    assert sim.tick().lines[0] == "⏺ Read(src/app.py)"
    sim.enter("hit it")
    for _ in range(5):
        clock.advance(5)
        assert sim.tick().lines == []  # limited: silent
    clock.advance(80)
    assert sim.tick().lines == []  # just reset
    clock.advance(5)
    assert sim.tick().lines  # working again


def test_auto_continue_waits_then_continues_by_itself() -> None:
    sim, clock = make(limit_after=1, reset_in=170, auto_continue=True)
    lines = sim.enter("long task").lines
    assert lines[-4:] == [
        "  ⎿  You've hit your session limit · resets 3:05pm (Europe/Lisbon)",
        "     /upgrade to increase your usage limit.",
        "",
        "⏺ Usage limit reached · continuing automatically at 3:05pm · esc or type to cancel",
    ]
    assert sim.status == "auto_waiting"
    clock.advance(100)
    assert sim.tick().lines == []
    clock.advance(70)
    reply = sim.tick()
    assert reply.lines[1] == "⏺ Continuing where I left off."
    assert reply.records[0]["event"] == "auto_continue"
    assert sim.status == "active"


def test_a_prompt_or_escape_during_the_auto_continue_wait_cancels_it() -> None:
    sim, clock = make(limit_after=1, reset_in=170, auto_continue=True)
    sim.enter("long task")
    refused = sim.enter("continue")
    assert [r["event"] for r in refused.records] == ["auto_continue_cancelled", "prompt"]
    assert not any("continuing automatically" in line for line in refused.lines)
    assert sim.status == "limited"
    clock.advance(170)
    assert [r["event"] for r in sim.tick().records] == ["reset"]  # no continuation by itself

    other, _ = make(limit_after=0, reset_in=60, auto_continue=True)
    other.start()
    assert other.press("escape").consumed and other.status == "limited"


def test_limit_menu_takes_the_keyboard_until_escape_or_enter() -> None:
    sim, clock = make(limit_after=0, reset_in=60, limit_menu=True)
    start = sim.start()
    assert start.lines[-1] == "/rate-limit-options"
    assert sim.menu is not None and "❯ 1. Stop and wait for limit to reset" in sim.menu
    for char in "Are you there?":
        assert sim.press(char).consumed  # lost in the menu
    closed = sim.press("enter")
    assert closed.records[0]["event"] == "menu_closed"
    assert closed.records[0]["ignored"] == "Are you there?"
    assert sim.menu is None and sim.received == 0
    assert not sim.press("x").consumed  # back to the input box
    sim.enter("hello")  # refused again: the menu comes back
    assert sim.menu is not None
    assert sim.press("escape").records[0]["choice"] == "cancel"
    clock.advance(60)
    assert sim.enter("hello").lines == ["⏺ Done: hello"] and sim.menu is None


def test_gemini_limit_menu_is_the_quota_dialog() -> None:
    sim, _ = make(
        provider="gemini", tz_name="America/Los_Angeles", limit_after=0, reset_in=170,
        reset_style="clock", limit_menu=True,
    )  # fmt: skip
    start = sim.start()
    assert "Your quota will reset after 0h2m50s." in start.lines[-1]
    assert sim.menu is not None
    assert "│ Access resets at 7:05 AM PDT.".ljust(59) + "│" in sim.menu
    assert any("● 1. Keep trying" in line for line in sim.menu)
    assert sim.press("3").records[0]["choice"] == "3"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"provider": "codex", "reset_style": "epoch"}, "never prints a 'epoch' reset"),
        ({"provider": "gemini", "auto_continue": True}, "--auto-continue"),
        ({"provider": "claude", "reset_style": "epoch", "auto_continue": True}, "clock"),
        ({"provider": "claude", "tz_name": "Mars/Olympus"}, "unknown timezone"),
        ({"provider": "claude", "reset_in": float("nan")}, "--reset-in"),
        ({"provider": "aider"}, "unknown provider"),
        ({"provider": "codex", "limit_menu": True}, "Codex shows no limit menu"),
    ],
)
def test_config_refuses_what_no_agent_does(options: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        SimConfig(**options).validate()


# ---------------------------------------------------------------------------------------------
# Banner formats.


def banner(
    provider: str,
    reset_in: float,
    now: datetime = START,
    *,
    tz_name: str,
    reset_style: str | None = None,
) -> str:
    config = SimConfig(provider=provider, tz_name=tz_name, reset_style=reset_style).validate()
    return "\n".join(limit_banner(config, now, now + timedelta(seconds=reset_in)))


def test_claude_banner_formats() -> None:
    lisbon = "Europe/Lisbon"
    assert banner("claude", 170, tz_name=lisbon) == (
        "  ⎿  You've hit your session limit · resets 3:05pm (Europe/Lisbon)\n"
        "     /upgrade to increase your usage limit."
    )
    # 14:02:10 + 30 s is 14:02:40: the printed minute is rounded up, never before the reset.
    assert "resets 3:03pm (Europe/Lisbon)" in banner("claude", 30, tz_name=lisbon)
    assert "resets 4pm (Europe/Lisbon)" in banner("claude", 3470, tz_name=lisbon)
    assert "resets Jul 3 at 3:03pm (Europe/Lisbon)" in banner(
        "claude", 2 * 86400 + 30, tz_name=lisbon
    )
    new_year = datetime(2026, 12, 30, 12, 0, tzinfo=UTC)
    assert "resets Jan 2, 2027 at 12pm" in banner("claude", 3 * 86400, new_year, tz_name=lisbon)
    epoch = banner("claude", 30.5, reset_style="epoch", tz_name=lisbon)
    assert epoch == f"  ⎿  Claude AI usage limit reached|{int(START.timestamp()) + 31}"
    assert "resets" not in banner("claude", 30, reset_style="none", tz_name=lisbon)


def test_codex_banner_formats() -> None:
    new_york = "America/New_York"  # 10:02:10 EDT
    upgrade = "■ You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing)"
    assert banner("codex", 170, tz_name=new_york) == f"{upgrade} or try again at 10:05 AM."
    assert banner("codex", 3 * 86400, tz_name=new_york).endswith(
        "try again at Jul 4th, 2026 10:03 AM."
    )
    assert banner("codex", 125, reset_style="duration", tz_name=new_york).endswith(
        "or try again in 3 minutes."
    )
    assert banner("codex", 0, reset_style="none", tz_name=new_york).endswith("or try again later.")
    assert codex_duration(timedelta(days=5, hours=22, minutes=11)) == "5 days 22 hours 11 minutes"
    assert codex_duration(timedelta(seconds=61)) == "2 minutes"
    assert codex_duration(timedelta(hours=1)) == "1 hour"
    assert [ordinal(day) for day in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st"
    ]  # fmt: skip


def test_gemini_banner_formats() -> None:
    assert banner("gemini", 125, tz_name="UTC") == (
        "✕ [API Error: You have exhausted your capacity on this model."
        " Your quota will reset after 0h2m5s.]"
    )
    assert gemini_duration(timedelta(hours=21, minutes=39, seconds=56, milliseconds=1)) == (
        "21h39m57s"
    )
    assert "Access resets at 7:05 AM PDT." in banner(
        "gemini", 170, reset_style="clock", tz_name="America/Los_Angeles"
    )
    winter = datetime(2026, 1, 15, 23, 43, tzinfo=UTC)
    assert "Access resets at 3:45 PM PST." in banner(
        "gemini", 120, winter, reset_style="clock", tz_name="America/Los_Angeles"
    )
    assert "Access resets at 4:05 PM GMT+2." in banner(
        "gemini", 170, reset_style="clock", tz_name="Europe/Berlin"
    )
    assert "Access resets at 7:35 PM GMT+5:30." in banner(
        "gemini", 170, reset_style="clock", tz_name="Asia/Kolkata"
    )
    assert "Access resets at 2:05 PM UTC." in banner(
        "gemini", 170, reset_style="clock", tz_name="UTC"
    )
    assert "reset" not in banner("gemini", 10, reset_style="none", tz_name="UTC")


def _read_claude_time(text: str, zone: ZoneInfo, day: datetime) -> datetime:
    match = re.search(r"resets (\d{1,2})(?::(\d\d))?(am|pm) \(", text)
    assert match, text
    hour = int(match.group(1)) % 12 + (12 if match.group(3) == "pm" else 0)
    local_day = day.astimezone(zone)
    moment = datetime(
        local_day.year, local_day.month, local_day.day, hour, int(match.group(2) or 0), tzinfo=zone
    )
    return moment if moment >= local_day - timedelta(minutes=1) else moment + timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(
    now=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
    reset_in=st.floats(min_value=0, max_value=20 * 3600),
    zone=st.sampled_from(["Europe/Lisbon", "Asia/Kolkata", "America/Denver", "UTC"]),
)
def test_printed_claude_time_is_never_before_the_reset(
    now: datetime, reset_in: float, zone: str
) -> None:
    config = SimConfig(provider="claude", tz_name=zone).validate()
    reset_at = now + timedelta(seconds=reset_in)
    printed = _read_claude_time(limit_banner(config, now, reset_at)[0], ZoneInfo(zone), now)
    # A DST change between now and the reset can shift the read-back wall time by an hour; the
    # rounding rule is about the minute.
    assert timedelta(0) <= (printed - reset_at) % timedelta(hours=1) < timedelta(minutes=1)


# ---------------------------------------------------------------------------------------------
# What the supervisor's classifier makes of the screen (skipped until signals.py exists).

SCREENS: list[tuple[str, dict[str, Any]]] = [
    ("claude", {}),
    ("claude", {"reset_style": "epoch"}),
    ("claude", {"limit_menu": True}),
    ("codex", {}),
    ("codex", {"reset_style": "duration"}),
    # Gemini's "reset after" of five minutes or less is per-minute throttling to signals.py.
    ("gemini", {"reset_in": 3600}),
    ("gemini", {"reset_style": "clock"}),
    ("gemini", {"reset_style": "clock", "limit_menu": True}),
]


@pytest.mark.parametrize(("provider", "options"), SCREENS)
def test_classify_reads_the_simulated_limit(provider: str, options: dict[str, Any]) -> None:
    signals = pytest.importorskip("credit_management.detect.signals")
    from credit_management.models import Kind

    zone = "America/Los_Angeles"
    options = {"reset_in": 170, **options}
    sim, clock = make(provider=provider, tz_name=zone, limit_after=1, **options)
    sim.start()
    sim.enter("Refactor the parser")
    assert sim.reset_at is not None
    clock.advance(20)
    sim.press("escape")  # close a limit menu
    sim.enter("and now?")  # refused: the banner shows twice, the later one is current
    text = screen(sim) if sim.menu is None else "\n".join([*sim.transcript, "", *sim.menu])
    signal = signals.classify(text, clock.now(), ZoneInfo(zone))
    assert signal.kind == Kind.EXHAUSTED, signal
    assert signal.provider in (provider, {"claude": "anthropic", "codex": "openai"}.get(provider))
    assert signal.reset_at is not None
    # Printed times are rounded up to the minute (Codex durations too), never down.
    assert timedelta(0) <= signal.reset_at - sim.reset_at < timedelta(minutes=1), signal.reset_at


def test_classify_reads_auto_continue_and_plain_answers() -> None:
    signals = pytest.importorskip("credit_management.detect.signals")
    from credit_management.models import Kind

    zone = ZoneInfo("Europe/Lisbon")
    sim, clock = make(limit_after=1, reset_in=170, auto_continue=True)
    sim.start()
    assert signals.classify(screen(sim), clock.now(), zone).kind == Kind.NONE
    sim.enter("long task")
    signal = signals.classify(screen(sim), clock.now(), zone)
    assert signal.kind == Kind.AUTO_RESUME, signal
    assert signal.reset_at == START.replace(minute=5, second=0)


# ---------------------------------------------------------------------------------------------
# The terminal loop, without tmux.


def test_keys_edit_the_box_and_enter_submits() -> None:
    got: list[str] = []
    seen: list[str] = []

    def take(text: str) -> bool:
        got.append(text)
        return True

    def key(name: str) -> bool:
        seen.append(name)
        return False

    keys = Keys(take, key)
    assert keys.feed("helo\x7flo\x1b[D wor\nld")
    assert keys.buffer == "hello wor\nld" and not got
    keys.feed("\r")
    assert got == ["hello wor\nld"] and keys.buffer == ""
    # An Escape (as a supervisor sends to close a menu) right before text eats nothing.
    seen.clear()
    keys.feed("\x1bAre you there?\x1bOpen")
    assert keys.buffer == "Are you there?Open"
    assert seen[0] == "escape" and seen.count("escape") == 2
    keys.feed("\x1b")
    assert seen[-1] == "escape"
    keys.feed("\x15")
    assert keys.buffer == ""
    assert keys.feed("\x04") is False


def test_keys_keep_the_text_when_enter_is_swallowed_and_give_keys_to_a_menu() -> None:
    answers = iter([False, True])
    keys = Keys(lambda text: next(answers))
    keys.feed("hello\r")
    assert keys.buffer == "hello"
    keys.feed("\r")
    assert keys.buffer == ""
    menu_keys: list[str] = []

    def menu_key(key: str) -> bool:
        menu_keys.append(key)
        return True

    keys = Keys(lambda text: True, menu_key)
    keys.feed("ab\r")
    assert keys.buffer == "" and menu_keys == ["a", "b", "enter"]


def test_local_zone_name_prefers_tz_and_falls_back_to_utc() -> None:
    assert local_zone_name({"TZ": ":Asia/Tokyo"}) == "Asia/Tokyo"
    ZoneInfo(local_zone_name({"TZ": "Not/AZone"}))  # whatever the host has, it is a real zone


def run_module(
    args: list[str], stdin: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "credit_management", "simulate", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **(env or {})},
    )


def test_pipe_mode_answers_limits_and_logs(tmp_path: Path) -> None:
    state = tmp_path / "sim.jsonl"
    done = run_module(
        [
            "--provider",
            "claude",
            "--limit-after",
            "1",
            "--think",
            "0",
            "--tz",
            "UTC",
            "--state-file",
            str(state),
        ],
        "hello there\nsecond\n",
        env={"CREDIT_MONITOR_NOW": "2026-07-01T14:02:10+00:00"},
    )
    assert done.returncode == 0, done.stderr
    assert "⏺ Done: hello there" in done.stdout
    assert "You've hit your session limit · resets 2:05pm (UTC)" in done.stdout
    assert done.stdout.count("resets 2:05pm") == 2
    records = [json.loads(line) for line in state.read_text().splitlines()]
    prompts = [(r["prompt"], r["result"]) for r in records if r["event"] == "prompt"]
    assert prompts == [("hello there", "answered"), ("second", "refused")]
    assert records[0]["time"] == "2026-07-01T14:02:10+00:00"
    assert (records[-1]["event"], records[-1]["code"], records[-1]["reason"]) == ("exit", 0, "eof")


def test_pipe_mode_swallowed_enter_needs_a_second_one() -> None:
    done = run_module(
        ["--provider", "codex", "--think", "0", "--swallow-first-enter"], "first\n\nnext\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("• Done:") == 2
    assert "• Done: first" in done.stdout and "• Done: next" in done.stdout


def test_crash_exits_non_zero_and_eof_exits_quietly() -> None:
    crashed = run_module(["--provider", "gemini", "--think", "0", "--crash-after", "1"], "a\nb\n")
    assert crashed.returncode == 1
    assert "✦ Done: a" in crashed.stdout and "Done: b" not in crashed.stdout
    assert "crashed after 1 prompts" in crashed.stderr
    quiet = run_module(["--provider", "gemini"], "")
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_bad_invocations_are_usage_errors(isolated_home: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["simulate", "--provider", "codex", "--reset-style", "epoch"])
    assert result.exit_code == 2
    assert "codex never prints a 'epoch' reset" in result.output
    result = runner.invoke(cli, ["simulate", "--provider", "claude", "--tz", "Nowhere/Land"])
    assert result.exit_code == 2 and "unknown timezone: 'Nowhere/Land'" in result.output
    bad_clock = run_module(
        ["--provider", "claude"], "", env={"CREDIT_MONITOR_CLOCK_OFFSET": "soon"}
    )
    assert bad_clock.returncode == 2 and "bad clock setting" in bad_clock.stderr
    assert "Traceback" not in bad_clock.stderr


# ---------------------------------------------------------------------------------------------
# In a real tmux pane.


def start_agent(
    server: TmuxTestServer, name: str, args: list[str], env: dict[str, str] | None = None
) -> str:
    command = ["new-window", "-d", "-P", "-F", "#{session_name}:#{window_index}"]
    command += ["-t", "main:", "-n", name]
    for key, value in (env or {}).items():
        command += ["-e", f"{key}={value}"]
    command += [sys.executable, "-m", "credit_management", "simulate", "--name", name, *args]
    target = server.cmd(*command).stdout.strip()
    server.cmd("set-option", "-w", "-t", target, "remain-on-exit", "on")
    return target


def type_and_enter(server: TmuxTestServer, target: str, text: str) -> None:
    server.cmd("send-keys", "-t", target, "-l", "--", text)
    time.sleep(0.1)
    server.cmd("send-keys", "-t", target, "Enter")


def read_records(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def pane_is_dead(server: TmuxTestServer, target: str) -> bool:
    return pane_dead_status(server, target).startswith("1:")


def pane_dead_status(server: TmuxTestServer, target: str) -> str:
    return server.cmd(
        "display-message", "-p", "-t", target, "#{pane_dead}:#{pane_dead_status}"
    ).stdout.strip()


def test_claude_in_tmux_limits_refuses_and_answers_after_the_reset(
    tmux_server: TmuxTestServer, tmp_path: Path
) -> None:
    state = tmp_path / "claude.jsonl"
    target = start_agent(
        tmux_server,
        "claude",
        [
            "--provider",
            "claude",
            "--limit-after",
            "1",
            "--reset-in",
            "2",
            "--think",
            "0.05",
            "--tz",
            "Europe/Lisbon",
            "--state-file",
            str(state),
        ],
    )
    tmux_server.wait_for_text(target, "Welcome to Claude Code")
    tmux_server.cmd("send-keys", "-t", target, "-l", "Refactor the parser")
    box = tmux_server.wait_for_text(target, "│ > Refactor the parser")
    assert "Done:" not in box  # typed, not yet submitted
    time.sleep(0.1)
    tmux_server.cmd("send-keys", "-t", target, "Enter")
    text = tmux_server.wait_for_text(target, "/upgrade to increase your usage limit.")
    assert "> Refactor the parser\n⏺ Done: refactor the parser" in text
    assert re.search(
        r"⎿  You've hit your session limit · resets \d{1,2}(:\d\d)?[ap]m \(Europe", text
    )
    assert re.search(r"╭─+╮\n│ > +│\n╰─+╯", text)  # the box is empty again, under the banner

    type_and_enter(tmux_server, target, "Are you there?")
    wait_until(lambda: any(r.get("prompt") == "Are you there?" for r in read_records(state)))
    limit = next(r for r in read_records(state) if r["event"] == "limit")
    assert datetime.fromisoformat(limit["reset_at"]) - datetime.fromisoformat(
        limit["time"]
    ) == timedelta(seconds=2)

    wait_until(lambda: any(r["event"] == "reset" for r in read_records(state)), timeout=5)
    type_and_enter(tmux_server, target, "Are you there now?")
    tmux_server.wait_for_text(target, "⏺ Done: are you there now?")
    results = [(r["prompt"], r["result"]) for r in read_records(state) if r["event"] == "prompt"]
    assert results == [
        ("Refactor the parser", "answered"),
        ("Are you there?", "refused"),
        ("Are you there now?", "answered"),
    ]


@pytest.mark.parametrize(
    ("provider", "args", "needle"),
    [
        ("codex", [], "■ You've hit your usage limit. Upgrade to Pro"),
        ("codex", ["--reset-style", "duration"], "or try again in 2 minutes."),
        ("gemini", [], "Your quota will reset after 0h1m5"),
        ("gemini", ["--reset-style", "clock", "--tz", "UTC"], "│ Access resets at"),
    ],
)
def test_other_agents_show_their_banner_in_tmux(
    tmux_server: TmuxTestServer, provider: str, args: list[str], needle: str
) -> None:
    target = start_agent(
        tmux_server,
        provider,
        ["--provider", provider, "--limit-after", "1", "--reset-in", "65", "--think", "0", *args],
    )
    tmux_server.wait_for_text(target, "context left" if provider == "gemini" else "⏎ send")
    type_and_enter(tmux_server, target, "Write the docs")
    glyph = "•" if provider == "codex" else "✦"
    text = tmux_server.wait_for_text(target, needle)
    assert f"{glyph} Done: write the docs" in text


def test_clock_offset_moves_the_printed_reset(tmux_server: TmuxTestServer, tmp_path: Path) -> None:
    state = tmp_path / "offset.jsonl"
    target = start_agent(
        tmux_server,
        "later",
        [
            "--provider",
            "claude",
            "--limit-after",
            "0",
            "--reset-in",
            "60",
            "--tz",
            "UTC",
            "--state-file",
            str(state),
        ],
        env={"CREDIT_MONITOR_CLOCK_OFFSET": "7200"},
    )
    tmux_server.wait_for_text(target, "You've hit your session limit")
    wait_until(lambda: len(read_records(state)) >= 2)
    started = datetime.fromisoformat(read_records(state)[0]["time"])
    assert timedelta(hours=2) - timedelta(seconds=30) < started - datetime.now(UTC)
    assert started - datetime.now(UTC) < timedelta(hours=2)


def test_swallowed_enter_leaves_the_text_in_the_box_until_enter_again(
    tmux_server: TmuxTestServer, tmp_path: Path
) -> None:
    state = tmp_path / "swallow.jsonl"
    target = start_agent(
        tmux_server,
        "paste",
        [
            "--provider",
            "claude",
            "--swallow-first-enter",
            "--think",
            "0",
            "--state-file",
            str(state),
        ],
    )
    tmux_server.wait_for_text(target, "? for shortcuts")
    type_and_enter(tmux_server, target, "line one\nline two")
    wait_until(lambda: any(r["event"] == "enter_swallowed" for r in read_records(state)))
    text = tmux_server.capture(target)
    assert "│ > line one" in text and "│   line two" in text and "Done:" not in text
    tmux_server.cmd("send-keys", "-t", target, "Enter")
    text = tmux_server.wait_for_text(target, "⏺ Done: line one")
    assert "> line one\n  line two\n⏺ Done: line one" in text
    prompts = [r["prompt"] for r in read_records(state) if r["event"] == "prompt"]
    assert prompts == ["line one\nline two"]


def test_auto_continue_in_tmux(tmux_server: TmuxTestServer, tmp_path: Path) -> None:
    target = start_agent(
        tmux_server,
        "auto",
        [
            "--provider",
            "claude",
            "--limit-after",
            "1",
            "--reset-in",
            "1.5",
            "--auto-continue",
            "--think",
            "0",
        ],
    )
    tmux_server.wait_for_text(target, "? for shortcuts")
    type_and_enter(tmux_server, target, "Long task")
    tmux_server.wait_for_text(target, "Usage limit reached · continuing automatically at")
    text = tmux_server.wait_for_text(target, "⏺ Continuing where I left off.", timeout=6)
    assert text.index("continuing automatically") < text.index("Continuing where I left off")


def test_crash_ctrl_c_and_eof_end_the_process(tmux_server: TmuxTestServer, tmp_path: Path) -> None:
    # tmux 3.3a sometimes marks a pane dead before it reaps the process, leaving
    # #{pane_dead_status} empty, so how the process ended is read from its state file.
    states = {name: tmp_path / f"{name}.jsonl" for name in ("crash", "interrupt", "eof")}
    crash = start_agent(
        tmux_server,
        "crash",
        ["--provider", "codex", "--crash-after", "1", "--state-file", str(states["crash"])],
    )
    interrupt = start_agent(
        tmux_server, "interrupt", ["--provider", "claude", "--state-file", str(states["interrupt"])]
    )
    eof = start_agent(
        tmux_server, "eof", ["--provider", "gemini", "--state-file", str(states["eof"])]
    )
    for target in (crash, interrupt, eof):
        tmux_server.wait_for_text(target, "Gemini CLI" if target == eof else "│")
    type_and_enter(tmux_server, crash, "Do it")
    tmux_server.cmd("send-keys", "-t", interrupt, "C-c")
    tmux_server.cmd("send-keys", "-t", eof, "C-d")
    for target in (crash, interrupt, eof):
        wait_until(partial(pane_is_dead, tmux_server, target))
    exits = {name: read_records(path)[-1] for name, path in states.items()}
    assert {name: (r["event"], r["code"], r["reason"]) for name, r in exits.items()} == {
        "crash": ("exit", 1, "crash"),
        "interrupt": ("exit", 0, "interrupt"),
        "eof": ("exit", 0, "eof"),
    }
    assert "• Done: do it" in tmux_server.capture(crash)
    assert "crash: crashed after 1 prompts" in tmux_server.capture(crash)
    for target in (interrupt, eof):
        assert "Traceback" not in tmux_server.capture(target)


def test_limit_menu_in_tmux_eats_typed_text_until_closed(
    tmux_server: TmuxTestServer, tmp_path: Path
) -> None:
    state = tmp_path / "menu.jsonl"
    target = start_agent(
        tmux_server,
        "menu",
        [
            "--provider",
            "claude",
            "--limit-after",
            "0",
            "--limit-menu",
            "--think",
            "0",
            "--state-file",
            str(state),
        ],
    )
    text = tmux_server.wait_for_text(target, "Enter to confirm · Esc to cancel")
    assert "❯ 1. Stop and wait for limit to reset" in text and "│ >" not in text
    type_and_enter(tmux_server, target, "Are you there?")
    wait_until(lambda: any(r["event"] == "menu_closed" for r in read_records(state)))
    closed = next(r for r in read_records(state) if r["event"] == "menu_closed")
    assert (closed["choice"], closed["ignored"]) == ("1", "Are you there?")
    tmux_server.wait_for_text(target, "? for shortcuts")
    assert not any(r["event"] == "prompt" for r in read_records(state))

    type_and_enter(tmux_server, target, "hello")  # refused: the menu is back
    wait_until(lambda: sum(r["event"] == "menu_opened" for r in read_records(state)) == 2)
    tmux_server.cmd("send-keys", "-t", target, "Escape")
    tmux_server.cmd("send-keys", "-t", target, "-l", "typed after Escape")
    text = tmux_server.wait_for_text(target, "│ > typed after Escape")
    assert "What do you want to do?" not in text
    assert [r.get("choice") for r in read_records(state) if r["event"] == "menu_closed"] == [
        "1",
        "cancel",
    ]
    signals = pytest.importorskip("credit_management.detect.signals")
    assert not signals.limit_menu_open(text)


def test_credit_monitor_simulate_and_sigterm(tmp_path: Path) -> None:
    script = Path(sys.executable).with_name("credit-monitor")
    if not script.exists():
        pytest.skip("the credit-monitor console script is not installed")
    state = tmp_path / "term.jsonl"
    process = subprocess.Popen(
        [str(script), "simulate", "--provider", "codex", "--state-file", str(state)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert "OpenAI Codex" in process.stdout.readline() + process.stdout.readline()
        process.terminate()
        _, err = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0 and "Traceback" not in err
    assert read_records(state)[-1]["reason"] == "terminated"
