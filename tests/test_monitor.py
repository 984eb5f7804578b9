"""The supervisor end to end, in process: simulated agents on a real private tmux server and a
monitor whose clock jumps ahead (`SystemClock.advance`) to be "after the reset" while the agents
lift their limits after a second or two of real time.

Every assertion reads what really happened: the state file, the event log, the prompts each
simulated agent logged (its --state-file) and the text of the panes.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import TmuxTestServer
from monitor_support import (
    advance_past,
    ceil_minute,
    event_names,
    events,
    limit_records,
    load_state,
    monitor,
    prompts,
    records,
    results,
    scheduled,
    sim_command,
    start_agent,
    start_program,
    type_and_enter,
    wait_for_record,
    wait_until,
)

from credit_management.clock import SystemClock
from credit_management.errors import TmuxError
from credit_management.lifecycle import policy
from credit_management.messaging.send import send_or_queue
from credit_management.models import Status, parse_iso
from credit_management.store.config import DEFAULT_RESUME_MESSAGE, DEFAULT_TEST_MESSAGE
from credit_management.tmux.gateway import Tmux

TEST = DEFAULT_TEST_MESSAGE
RESUME = DEFAULT_RESUME_MESSAGE
CLAUDE_NOW = ["--provider", "claude", "--limit-after", "0", "--tz", "UTC"]


def stopped_claude(
    server: TmuxTestServer, tmp_path: Path, name: str = "worker"
) -> tuple[str, Path]:
    """A Claude agent that answered one prompt, then hit its session limit (lifts in 1 s)."""
    log = tmp_path / f"{name}.jsonl"
    args = ["--provider", "claude", "--limit-after", "1", "--reset-in", "1", "--tz", "UTC"]
    target = start_agent(server, name, args, log)
    type_and_enter(server, target, "Refactor the parser")
    server.wait_for_text(target, "/upgrade to increase your usage limit.")
    return target, log


# --- pause on sight ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "args", "banner"),
    [
        (
            "claude",
            ["--reset-style", "clock", "--tz", "America/New_York"],
            "You've hit your session limit · resets",
        ),
        ("codex", ["--tz", "UTC"], "You've hit your usage limit."),
        ("gemini", [], "Your quota will reset after"),
    ],
)
def test_pause_on_sight(
    tmux_server: TmuxTestServer,
    isolated_home: Path,
    tmp_path: Path,
    provider: str,
    args: list[str],
    banner: str,
) -> None:
    log, orch_log = tmp_path / "agent.jsonl", tmp_path / "orch.jsonl"
    limited = ["--provider", provider, "--limit-after", "0", "--reset-in", "3600", *args]
    agent = start_agent(tmux_server, "agent", limited, log)
    orch = start_agent(
        tmux_server, "orch", ["--provider", "claude", "--limit-after", "99"], orch_log
    )
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock, orchestrator=orch)

    report = supervisor.sweep()

    assert report.changes == [f"{agent}: active -> exhausted"], report
    record = load_state(isolated_home).agents[agent]
    assert record.status is Status.EXHAUSTED
    assert record.provider == provider
    assert record.evidence is not None and banner in record.evidence
    assert banner in tmux_server.capture(agent)
    printed = parse_iso(limit_records(log)[0]["reset_at"])
    assert printed is not None
    reset_at, resume = parse_iso(record.reset_at), parse_iso(record.scheduled_resume)
    assert reset_at is not None and resume is not None
    if provider == "gemini":  # a duration, read against the monitor's clock a moment later
        assert timedelta(0) <= reset_at - printed <= timedelta(seconds=5)
    else:
        assert reset_at == ceil_minute(printed)
    assert resume == reset_at + timedelta(seconds=1)
    assert parse_iso(record.exhausted_at) is not None

    state = load_state(isolated_home)
    open_alerts = [alert for alert in state.alerts if alert.open]
    assert [(a.target, a.kind, a.scheduled_resume) for a in open_alerts] == [
        (agent, "exhausted", record.scheduled_resume)
    ]
    exhausted = [e for e in events(isolated_home, agent) if e["event"] == "credit.exhausted"]
    assert len(exhausted) == 1
    assert exhausted[0]["evidence"] == record.evidence
    assert exhausted[0]["scheduled_resume"] == record.scheduled_resume
    assert exhausted[0]["provider"] == provider

    wait_until(lambda: len(prompts(orch_log)) == 1, what="the orchestrator's note")
    note = prompts(orch_log)[0]
    assert note.startswith(f"[credit-monitor] {agent} ({provider}) is out of usage; resumes ")
    assert prompts(log) == []  # the stopped agent itself was sent nothing


def test_a_banner_gone_at_the_second_look_is_not_a_stop(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    flag = tmp_path / "redrawn"
    script = (
        "printf '  ⎿  You'\"'\"'ve hit your session limit · resets 3pm (UTC)\\n'; "
        f"while [ ! -e {flag} ]; do sleep 0.02; done; clear; printf '⏺ Done: all good\\n'; "
        "exec sleep 600"
    )
    agent = start_program(tmux_server, "flicker", script)
    tmux_server.wait_for_text(agent, "hit your session limit")

    class RedrawingClock(SystemClock):
        """The banner is redrawn away while the monitor waits for its second look."""

        def sleep(self, seconds: float) -> None:
            flag.touch()
            super().sleep(seconds)
            tmux_server.wait_for_text(agent, "Done: all good")

    supervisor = monitor(isolated_home, tmux_server, RedrawingClock({}))
    supervisor.sweep()
    assert flag.exists()  # the second look happened
    assert load_state(isolated_home).agents[agent].status is Status.ACTIVE
    assert "credit.exhausted" not in event_names(isolated_home)


# --- while exhausted ---------------------------------------------------------------------------


def test_nothing_is_sent_while_exhausted(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "agent.jsonl"
    agent = start_agent(tmux_server, "agent", [*CLAUDE_NOW, "--reset-in", "3600"], log)
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    supervisor.sweep()
    assert load_state(isolated_home).agents[agent].status is Status.EXHAUSTED

    for text in ("first held", "second held"):
        sent = send_or_queue(supervisor.store, supervisor.log, supervisor.tmux, clock, agent, text)
        assert sent.outcome == "queued"
    for _ in range(3):
        clock.advance(600)  # half an hour in all, still well before the reset
        report = supervisor.sweep()
        assert report.resumed == [] and report.delivered == 0 and report.errors == []

    assert prompts(log) == []
    record = load_state(isolated_home).agents[agent]
    assert record.status is Status.EXHAUSTED
    assert [m.text for m in record.queued] == ["first held", "second held"]
    assert event_names(isolated_home, agent).count("credit.exhausted") == 1


# --- the resume --------------------------------------------------------------------------------


def test_resume_after_the_reset_and_only_then(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    agent, log = stopped_claude(tmux_server, tmp_path)
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    supervisor.sweep()
    resume_at = scheduled(isolated_home, agent)
    for text in ("first held", "second held"):
        queued = send_or_queue(
            supervisor.store, supervisor.log, supervisor.tmux, clock, agent, text
        )
        assert queued.outcome == "queued"

    wait_for_record(log, "reset")  # the agent would answer now; the monitor's reset is later
    assert clock.now() < resume_at
    report = supervisor.sweep()
    assert report.resumed == [] and report.delivered == 0
    assert prompts(log) == ["Refactor the parser"]
    assert load_state(isolated_home).agents[agent].status is Status.EXHAUSTED

    advance_past(clock, resume_at)
    report = supervisor.sweep()

    assert report.resumed == [agent], report
    assert report.errors == []
    assert report.delivered == 3  # the resume nudge and the two held messages
    assert results(log) == [
        ("Refactor the parser", "answered"),
        (TEST, "answered"),
        (RESUME, "answered"),
        ("first held", "answered"),
        ("second held", "answered"),
    ]
    state = load_state(isolated_home)
    record = state.agents[agent]
    assert record.status is Status.ACTIVE
    assert record.queued == [] and record.scheduled_resume is None and record.attempts == 0
    assert [(h["from"], h["to"]) for h in record.history] == [
        ("active", "exhausted"),
        ("exhausted", "resuming"),
        ("resuming", "active"),
    ]
    assert [(a.target, a.resolution) for a in state.alerts] == [(agent, "resumed")]
    names = event_names(isolated_home, agent)
    assert names.index("credit.exhausted") < names.index("credit.resolved")
    assert names.index("credit.resolved") < names.index("message.delivered")
    delivered = [e for e in events(isolated_home, agent) if e["event"] == "message.delivered"]
    assert [e["source"] for e in delivered] == ["resume", "send", "send"]


def test_the_orchestrator_hears_of_the_stop_and_of_the_resume(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    orch_log = tmp_path / "orch.jsonl"
    agent, log = stopped_claude(tmux_server, tmp_path)
    orch = start_agent(
        tmux_server, "orch", ["--provider", "claude", "--limit-after", "99"], orch_log
    )
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock, orchestrator=orch)
    supervisor.sweep()
    wait_until(lambda: len(prompts(orch_log)) == 1, what="the orchestrator's first note")
    assert f"[credit-monitor] {agent} (claude) is out of usage; resumes " in prompts(orch_log)[0]

    wait_for_record(log, "reset")
    advance_past(clock, scheduled(isolated_home, agent))
    assert supervisor.sweep().resumed == [agent]

    assert results(log)[1:] == [(TEST, "answered"), (RESUME, "answered")]
    wait_until(lambda: len(prompts(orch_log)) == 2, what="the orchestrator's second note")
    assert prompts(orch_log)[1].startswith(f"[credit-monitor] {agent} (claude) is working again")
    assert results(orch_log) == [(note, "answered") for note in prompts(orch_log)]


def test_a_stale_banner_never_pauses_again(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    agent, log = stopped_claude(tmux_server, tmp_path)
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    supervisor.sweep()
    wait_for_record(log, "reset")
    advance_past(clock, scheduled(isolated_home, agent))
    assert supervisor.sweep().resumed == [agent]
    banner = "You've hit your session limit · resets"
    assert banner in tmux_server.capture(agent)  # still in the scrollback

    supervisor.sweep()
    clock.advance(3 * 3600)  # the old "resets 12:31am" now reads as a reset hours ahead
    supervisor.sweep()
    type_and_enter(tmux_server, agent, "Write the docs")
    tmux_server.wait_for_text(agent, "Done: write the docs")
    supervisor.sweep()
    restarted = monitor(isolated_home, tmux_server, clock)  # the mark survives a restart
    restarted.sweep()

    assert banner in tmux_server.capture(agent)
    assert load_state(isolated_home).agents[agent].status is Status.ACTIVE
    assert event_names(isolated_home, agent).count("credit.exhausted") == 1
    assert prompts(log).count(TEST) == 1


def test_look_alike_text_never_pauses(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    prose = tmp_path / "prose.txt"
    prose.write_text(
        "$ grep -rn 'usage limit' docs/ src/\n"
        'docs/limits.md:12:When you see "You\'ve hit your session limit · resets 3pm", wait.\n'
        "src/detect.py:40:    BANNER = 'Claude usage limit reached|1767225600'\n"
        "$ git diff\n"
        "--- a/tests/corpus/claude.txt\n"
        "+++ b/tests/corpus/claude.txt\n"
        "-  ⎿  Claude usage limit reached. Your limit will reset at 3pm (America/New_York).\n"
        "+  ⎿  You've hit your weekly limit · resets May 28 at 7pm (Europe/Madrid)\n"
        "The agent prints '5-hour limit reached ∙ resets 3am' when it runs out; we then wait\n"
        "until the limit resets, which our docs call 'Credit balance too low' handling.\n",
        encoding="utf-8",
    )
    shell = start_program(tmux_server, "notes", f"cat {prose}; exec sleep 600")
    tmux_server.wait_for_text(shell, "which our docs call")
    log = tmp_path / "agent.jsonl"
    agent = start_agent(tmux_server, "agent", ["--provider", "claude", "--limit-after", "9"], log)
    question = "Why did I hit my usage limit · resets 3pm (UTC) yesterday? Check the docs."
    type_and_enter(tmux_server, agent, question)
    tmux_server.wait_for_text(agent, "Done: why did I hit")

    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    for _ in range(3):
        assert supervisor.sweep().changes == []
        clock.advance(300)

    state = load_state(isolated_home)
    assert {target: record.status for target, record in state.agents.items()} == {
        shell: Status.ACTIVE,
        agent: Status.ACTIVE,
    }
    assert state.alerts == []
    assert not {"credit.exhausted", "agent.needs_attention"} & set(event_names(isolated_home))
    assert prompts(log) == [question]


def test_a_warning_is_told_once_and_never_pauses(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    screen = tmp_path / "warning.txt"
    screen.write_text(
        "⏺ Update(app/handlers.py)\n"
        "  ⎿  Updated app/handlers.py with 3 additions\n\n"
        "╭────────────────────────────────────────────╮\n"
        "│ >                                          │\n"
        "╰────────────────────────────────────────────╯\n"
        "  Approaching usage limit · resets at 11pm\n",
        encoding="utf-8",
    )
    agent = start_program(tmux_server, "near", f"cat {screen}; exec sleep 600")
    tmux_server.wait_for_text(agent, "Approaching usage limit")
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    for _ in range(3):
        assert supervisor.sweep().changes == []
        clock.advance(60)

    assert load_state(isolated_home).agents[agent].status is Status.ACTIVE
    assert event_names(isolated_home, agent) == ["credit.warning"]
    assert load_state(isolated_home).alerts == []


def test_a_missed_resume_is_caught_up_once_after_downtime(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    agent, log = stopped_claude(tmux_server, tmp_path)
    clock = SystemClock({})
    monitor(isolated_home, tmux_server, clock).sweep()
    wait_for_record(log, "reset")

    clock.advance(6 * 3600)  # the machine slept through the reset and hours more
    later = monitor(isolated_home, tmux_server, clock)
    assert later.sweep().resumed == [agent]
    for _ in range(3):
        clock.advance(3600)
        assert later.sweep().resumed == []

    assert prompts(log).count(TEST) == 1
    assert load_state(isolated_home).agents[agent].status is Status.ACTIVE
    assert event_names(isolated_home, agent).count("credit.resolved") == 1


def test_a_limit_still_on_at_the_test_message_reschedules_then_needs_a_person(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    # Each reset brings a new limit at the first prompt: "try again in 1 minute" again (the
    # agent's limit really lifts 1 s after each one).
    log = tmp_path / "codex.jsonl"
    args = ["--provider", "codex", "--limit-after", "0", "--reset-in", "1", "--limit-again"]
    agent = start_agent(tmux_server, "codex", [*args, "--reset-style", "duration"], log)
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock, max_resume_attempts=2)
    supervisor.sweep()
    assert load_state(isolated_home).agents[agent].status is Status.EXHAUSTED

    wait_for_record(log, "reset")
    advance_past(clock, scheduled(isolated_home, agent))
    before = clock.now()
    report = supervisor.sweep()
    assert report.resumed == []
    record = load_state(isolated_home).agents[agent]
    assert record.status is Status.EXHAUSTED
    assert record.attempts == 1
    assert results(log) == [(TEST, "refused")]
    assert len(limit_records(log)) == 2  # a second limit, not the first one still on
    # Rescheduled from the new banner ("try again in 1 minute"), not from a backoff.
    reset_at, resume = parse_iso(record.reset_at), parse_iso(record.scheduled_resume)
    assert reset_at is not None and resume is not None
    assert timedelta(minutes=1) <= reset_at - before <= timedelta(minutes=1, seconds=15)
    assert resume == reset_at + timedelta(seconds=1)
    assert "agent.resume_failed" in event_names(isolated_home, agent)

    wait_for_record(log, "reset", count=2)
    advance_past(clock, resume)
    supervisor.sweep()
    record = load_state(isolated_home).agents[agent]
    assert record.status is Status.NEEDS_ATTENTION
    assert record.attempts == 2 and record.scheduled_resume is None
    assert "agent.needs_attention" in event_names(isolated_home, agent)

    for _ in range(2):  # bounded: no more test messages until a person acts
        clock.advance(3 * 3600)
        supervisor.sweep()
    assert results(log) == [(TEST, "refused"), (TEST, "refused")]


def test_a_late_reset_backs_off_instead_of_waiting_a_day(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    # The agent prints the same "resets 12:31am" again because its limit lifts late: that
    # is not tomorrow's reset; try again after the backoff.
    log = tmp_path / "late.jsonl"
    args = [*CLAUDE_NOW, "--reset-in", "1", "--late", "3600"]
    agent = start_agent(tmux_server, "late", args, log)
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock, retry_backoff_minutes=2)
    supervisor.sweep()
    advance_past(clock, scheduled(isolated_home, agent))
    before = clock.now()
    supervisor.sweep()

    record = load_state(isolated_home).agents[agent]
    assert results(log) == [(TEST, "refused")]
    assert record.status is Status.EXHAUSTED and record.attempts == 1
    resume = parse_iso(record.scheduled_resume)
    assert resume is not None
    assert timedelta(minutes=2) <= resume - before <= timedelta(minutes=2, seconds=15)

    advance_past(clock, resume)  # minutes after the printed 12:31am, which now reads "tomorrow"
    before = clock.now()
    supervisor.sweep()
    record = load_state(isolated_home).agents[agent]
    assert results(log) == [(TEST, "refused"), (TEST, "refused")]
    assert record.status is Status.EXHAUSTED and record.attempts == 2
    resume = parse_iso(record.scheduled_resume)
    assert resume is not None
    assert timedelta(minutes=4) <= resume - before <= timedelta(minutes=4, seconds=15)


# --- stops that are not usage limits -------------------------------------------------------------


def test_billing_and_auth_need_a_person(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    billing = start_program(
        tmux_server,
        "billing",
        "printf '  ⎿  Credit balance too low · Add funds: "
        "https://console.anthropic.com/settings/billing\\n'; exec sleep 600",
    )
    auth = start_program(
        tmux_server, "auth", "printf '  ⎿  Invalid API key · Please run /login\\n'; exec sleep 600"
    )
    tmux_server.wait_for_text(billing, "Credit balance too low")
    tmux_server.wait_for_text(auth, "Please run /login")
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock, attention_recheck_minutes=30)
    supervisor.sweep()

    state = load_state(isolated_home)
    bill, login = state.agents[billing], state.agents[auth]
    assert bill.status is Status.NEEDS_ATTENTION and login.status is Status.NEEDS_ATTENTION
    recheck = parse_iso(bill.scheduled_resume)
    assert recheck is not None
    assert timedelta(minutes=29) < recheck - clock.now() <= timedelta(minutes=30)
    assert login.scheduled_resume is None  # a login needs a person at the keyboard
    assert [(a.target, a.kind) for a in state.alerts if a.open] == [(billing, "billing")]
    assert "agent.needs_attention" in event_names(isolated_home, billing)
    assert "agent.needs_attention" in event_names(isolated_home, auth)
    assert "credit.exhausted" not in event_names(isolated_home, auth)

    supervisor.sweep()  # before the re-check: nothing changes, nothing is typed
    assert "Quick check" not in tmux_server.capture(billing)
    assert load_state(isolated_home).agents[billing].status is Status.NEEDS_ATTENTION


def test_claude_auto_continue_is_left_alone(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "auto.jsonl"
    args = [*CLAUDE_NOW, "--reset-in", "3", "--auto-continue"]
    agent = start_agent(tmux_server, "auto", args, log)
    tmux_server.wait_for_text(agent, "continuing automatically at")
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    supervisor.sweep()
    record = load_state(isolated_home).agents[agent]
    assert record.status is Status.WAITING_SELF
    assert "agent.auto_resume" in event_names(isolated_home, agent)
    queued = send_or_queue(supervisor.store, supervisor.log, supervisor.tmux, clock, agent, "next")
    assert queued.outcome == "queued"
    supervisor.sweep()
    assert prompts(log) == []  # no "continue", no test message: it resumes itself

    wait_for_record(log, "auto_continue")
    tmux_server.wait_for_text(agent, "Continuing where I left off.")
    advance_past(clock, scheduled(isolated_home, agent))
    supervisor.sweep()
    assert load_state(isolated_home).agents[agent].status is Status.ACTIVE
    assert prompts(log) == ["next"]  # only what was held, once it works again
    assert not any(r["event"] == "auto_continue_cancelled" for r in records(log))


# --- windows and processes -----------------------------------------------------------------------


def test_a_closed_window_is_missing_not_exhausted(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    agent = start_agent(tmux_server, "agent", ["--provider", "codex"], tmp_path / "a.jsonl")
    supervisor = monitor(isolated_home, tmux_server, SystemClock({}))
    supervisor.sweep()
    tmux_server.cmd("kill-window", "-t", agent)
    report = supervisor.sweep()

    assert report.changes == [f"{agent}: active -> missing"]
    record = load_state(isolated_home).agents[agent]
    assert record.status is Status.MISSING and record.exhausted_at is None
    assert event_names(isolated_home, agent) == ["agent.missing"]
    supervisor.sweep()
    assert event_names(isolated_home, agent) == ["agent.missing"]  # told once


def test_a_crashed_agent_in_a_dead_pane_is_crashed(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "crash.jsonl"
    args = ["--provider", "claude", "--crash-after", "1"]
    agent = start_agent(tmux_server, "crashy", args, log, remain_on_exit=True)
    supervisor = monitor(isolated_home, tmux_server, SystemClock({}))
    supervisor.sweep()
    type_and_enter(tmux_server, agent, "Do the thing")
    wait_for_record(log, "exit")
    wait_until(
        lambda: tmux_server.cmd("display", "-p", "-t", agent, "#{pane_dead}").stdout.strip() == "1",
        what="the pane to be dead",
    )
    supervisor.sweep()

    record = load_state(isolated_home).agents[agent]
    assert record.status is Status.CRASHED
    assert event_names(isolated_home, agent) == ["agent.crashed"]


def test_an_agent_that_left_a_shell_prompt_is_crashed_even_when_limited(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "inshell.jsonl"
    shell = tmux_server.new_window("main", "inshell", ["bash", "--norc", "--noprofile"])
    command = " ".join(
        [
            *sim_command("inshell", [], log),
            *CLAUDE_NOW,
            "--reset-in",
            "3600",
            "--crash-after",
            "1",
        ]
    )
    type_and_enter(tmux_server, shell, command)
    tmux_server.wait_for_text(shell, "? for shortcuts")
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    supervisor.sweep()
    assert load_state(isolated_home).agents[shell].status is Status.EXHAUSTED

    # Sent by hand (the monitor holds work): the agent crashes and bash shows its prompt.
    type_and_enter(tmux_server, shell, "hello?")
    wait_for_record(log, "exit")
    wait_until(
        lambda: (
            tmux_server.cmd("display", "-p", "-t", shell, "#{pane_current_command}").stdout.strip()
            == "bash"
        ),
        what="bash in front again",
    )
    supervisor.sweep()
    record = load_state(isolated_home).agents[shell]
    assert record.status is Status.CRASHED
    assert "agent.crashed" in event_names(isolated_home, shell)


def test_a_pane_in_copy_mode_is_resumed(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    agent, log = stopped_claude(tmux_server, tmp_path)
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    supervisor.sweep()
    wait_for_record(log, "reset")
    tmux_server.cmd("copy-mode", "-t", agent)
    tmux_server.cmd("send-keys", "-t", agent, "-X", "cursor-up")
    assert tmux_server.cmd("display", "-p", "-t", agent, "#{pane_in_mode}").stdout.strip() == "1"

    advance_past(clock, scheduled(isolated_home, agent))
    assert supervisor.sweep().resumed == [agent]
    assert results(log)[1:3] == [(TEST, "answered"), (RESUME, "answered")]
    assert tmux_server.cmd("display", "-p", "-t", agent, "#{pane_in_mode}").stdout.strip() == "0"


def test_the_tmux_server_gone_raises_a_clear_error_and_keeps_the_state(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    start_agent(tmux_server, "agent", [*CLAUDE_NOW, "--reset-in", "3600"], tmp_path / "a.jsonl")
    supervisor = monitor(isolated_home, tmux_server, SystemClock({}))
    supervisor.sweep()
    state_file = supervisor.paths.state_file
    before = state_file.read_bytes()
    tmux_server.cmd("kill-server")
    wait_until(
        lambda: "no server running" in tmux_server.cmd("list-sessions", check=False).stderr,
        what="the server to be gone",
    )
    with pytest.raises(TmuxError, match=f"no tmux server running on socket '{tmux_server.socket}'"):
        supervisor.sweep()
    assert state_file.read_bytes() == before


def test_one_sweep_over_many_panes_is_one_capture_process(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    windows = [
        start_program(tmux_server, f"busy{n}", f"printf 'working on task {n}\\n'; exec sleep 600")
        for n in range(12)
    ]
    agent = start_agent(tmux_server, "limited", [*CLAUDE_NOW, "--reset-in", "3600"], tmp_path / "l")
    tmux = Tmux(tmux_server.socket)
    supervisor = monitor(isolated_home, tmux_server, SystemClock({}))
    supervisor.tmux = tmux
    tmux_server.wait_for_text(windows[-1], "working on task 11")

    report = supervisor.sweep()
    assert report.agents == 13
    # list-panes, one capture of all 13 panes, one second look at the limited one.
    assert tmux.calls == 3
    assert load_state(isolated_home).agents[agent].status is Status.EXHAUSTED

    tmux.calls = 0
    supervisor.sweep()
    # Nothing new to confirm, and the panes are the last sweep's: the listing and every
    # capture are one tmux process.
    assert tmux.calls == 1

    tmux_server.cmd("resize-window", "-t", windows[0], "-y", "30")  # a taller pane
    start_program(tmux_server, "new", "printf 'a new window\\n'; exec sleep 600")  # a new one
    tmux.calls = 0
    assert supervisor.sweep().agents == 14
    assert tmux.calls == 2  # the listing with the known panes, then the two that changed


def test_a_forced_resume_ignores_the_old_banner_but_not_a_new_one(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "forced.jsonl"
    args = ["--provider", "claude", "--limit-after", "1", "--reset-in", "1", "--limit-again"]
    agent = start_agent(tmux_server, "forced", [*args, "--tz", "UTC"], log)
    type_and_enter(tmux_server, agent, "Refactor the parser")
    tmux_server.wait_for_text(agent, "/upgrade to increase your usage limit.")
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    supervisor.sweep()
    wait_for_record(log, "reset")

    record = supervisor.force_resume(agent)  # `resume --force`: a person says it works
    assert record.status is Status.ACTIVE
    for _ in range(2):
        clock.advance(120)
        supervisor.sweep()
    assert load_state(isolated_home).agents[agent].status is Status.ACTIVE
    assert prompts(log) == ["Refactor the parser"]

    type_and_enter(tmux_server, agent, "Next task")  # answered, then a second limit
    wait_for_record(log, "limit", count=2)
    tmux_server.wait_for_text(agent, "Done: next task")
    supervisor.sweep()
    assert load_state(isolated_home).agents[agent].status is Status.EXHAUSTED
    assert event_names(isolated_home, agent).count("credit.exhausted") == 2


def test_an_open_limit_menu_is_closed_before_the_test_message(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "menu.jsonl"
    args = [*CLAUDE_NOW, "--reset-in", "1", "--limit-menu"]
    agent = start_agent(tmux_server, "menu", args, log, ready="Stop and wait for limit to reset")
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    supervisor.sweep()
    wait_for_record(log, "reset")
    advance_past(clock, scheduled(isolated_home, agent))
    assert supervisor.sweep().resumed == [agent]

    closed = [r for r in records(log) if r["event"] == "menu_closed"]
    assert [(r["choice"], r["ignored"]) for r in closed] == [("cancel", "")]
    assert results(log)[:2] == [(TEST, "answered"), (RESUME, "answered")]


def test_billing_is_rechecked_slowly_and_boundedly(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    banner = (
        "  ⎿  Credit balance too low · Add funds: https://console.anthropic.com/settings/billing"
    )
    # An agent (not a shell: nothing is typed into one) that answers every line with it.
    say = f"print({banner!r}, flush=True)"
    script = f"import sys\n{say}\nfor _ in sys.stdin: {say}"
    agent = tmux_server.new_window("main", "billing", [sys.executable, "-c", script])
    tmux_server.wait_for_text(agent, "Credit balance too low")
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock, max_resume_attempts=2)
    supervisor.sweep()
    assert load_state(isolated_home).agents[agent].status is Status.NEEDS_ATTENTION

    for attempt in (1, 2):
        advance_past(clock, scheduled(isolated_home, agent))
        supervisor.sweep()
        record = load_state(isolated_home).agents[agent]
        assert record.status is Status.NEEDS_ATTENTION, record.history[-3:]
        assert record.attempts == attempt
        assert tmux_server.capture(agent).count("Quick check") == attempt

    clock.advance(24 * 3600)
    supervisor.sweep()
    assert tmux_server.capture(agent).count("Quick check") == 2
    assert load_state(isolated_home).agents[agent].status is Status.NEEDS_ATTENTION


def test_a_verification_left_by_a_killed_run_is_redone_but_one_in_flight_is_not(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    agent, log = stopped_claude(tmux_server, tmp_path)
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    supervisor.sweep()
    wait_for_record(log, "reset")
    advance_past(clock, scheduled(isolated_home, agent))
    # What a run killed right after typing the test message leaves in the state file.
    with supervisor.store.transaction() as state:
        state.agents[agent] = policy.resume_started(state.agents[agent], clock.now(), TEST)

    assert supervisor.sweep().resumed == []  # it may still be waiting for the answer
    assert supervisor.resume(agent) is False  # and a manual resume must not send another
    assert prompts(log) == ["Refactor the parser"]

    clock.advance(10 * 60)  # long past any verification: that run is gone
    assert supervisor.sweep().resumed == [agent]
    assert prompts(log)[:2] == ["Refactor the parser", TEST]
    assert load_state(isolated_home).agents[agent].status is Status.ACTIVE


def test_an_orchestrator_named_by_window_name_is_not_told_about_itself_and_queues_when_stopped(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    orch_log, worker_log = tmp_path / "orch.jsonl", tmp_path / "worker.jsonl"
    orch = start_agent(tmux_server, "orch", [*CLAUDE_NOW, "--reset-in", "3600"], orch_log)
    worker = start_agent(tmux_server, "worker", [*CLAUDE_NOW, "--reset-in", "7200"], worker_log)
    supervisor = monitor(isolated_home, tmux_server, SystemClock({}), orchestrator="main:orch")
    supervisor.sweep()

    state = load_state(isolated_home)
    assert state.agents[orch].status is Status.EXHAUSTED
    notes = [m.text for m in state.agents[orch].queued]
    assert len(notes) == 1 and notes[0].startswith(f"[credit-monitor] {worker} (claude) is out")
    assert prompts(orch_log) == []  # held for the stopped orchestrator, not typed
    assert prompts(worker_log) == []
    assert "main:orch" not in state.agents


def test_held_messages_stop_at_a_new_limit_during_their_delivery(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    # The agent answers two prompts after each reset, then hits a new limit: after the test
    # message and the nudge to carry on, the held messages must wait for the next reset.
    log = tmp_path / "again.jsonl"
    args = ["--provider", "claude", "--limit-after", "2", "--reset-in", "1", "--limit-again"]
    agent = start_agent(tmux_server, "again", [*args, "--tz", "UTC"], log)
    for text in ("one", "two"):
        type_and_enter(tmux_server, agent, text)
        tmux_server.wait_for_text(agent, f"Done: {text}")
    wait_for_record(log, "limit")
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    supervisor.sweep()
    for text in ("first held", "second held"):
        queued = send_or_queue(
            supervisor.store, supervisor.log, supervisor.tmux, clock, agent, text
        )
        assert queued.outcome == "queued"
    wait_for_record(log, "reset")
    advance_past(clock, scheduled(isolated_home, agent))

    assert supervisor.sweep().resumed == [agent]
    assert prompts(log) == ["one", "two", TEST, RESUME]
    assert len(limit_records(log)) == 2
    supervisor.sweep()
    record = load_state(isolated_home).agents[agent]
    assert record.status is Status.EXHAUSTED
    assert [m.text for m in record.queued] == ["first held", "second held"]
    assert event_names(isolated_home, agent).count("credit.exhausted") == 2
