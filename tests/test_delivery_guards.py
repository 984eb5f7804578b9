"""What `send` and the monitor look at before and after typing, on a real tmux server with
simulated agents: the queue is first in first out, a visible stop keeps a message queued, a
refusal puts it back at the head of the queue and stops the agent at once, and nothing is ever
typed into a shell.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import TmuxTestServer
from messaging_support import CLI, invoke, run_cli, start_sim, supervisor
from monitor_support import prompts, records

from credit_management.clock import SystemClock
from credit_management.credit_monitor import Supervisor
from credit_management.models import Status
from credit_management.store.journal import EventLog
from credit_management.store.paths import Paths
from credit_management.store.state import StateStore
from credit_management.tmux.foreground import group_commands, refusal, runs_a_script
from credit_management.tmux.gateway import PaneInfo, Tmux

REFUSING = ["--provider", "claude", "--refuse-at-limit", "--reset-style", "epoch"]


def state_of(home: Path) -> StateStore:
    return StateStore(Paths(home, "--home"))


def events(home: Path, target: str) -> list[dict[str, object]]:
    return EventLog(Paths(home, "--home").events_log).read(target=target)


def refused(server: TmuxTestServer, home: Path, target: str, text: str, runs: str) -> None:
    """`send TARGET TEXT` to a pane that runs `runs` fails with one line and types nothing."""
    before = server.capture(target)
    done = run_cli(home, server, "send", target, text)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"Error: {target} runs {runs}, not an agent: nothing typed (--force types anyway)"
    )
    assert server.capture(target) == before


def test_a_refused_message_goes_back_to_the_head_and_the_agent_stops_at_once(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "agent.jsonl"
    agent = start_sim(tmux_server, "worker", [*REFUSING, "--limit-after", "1"], log)
    supervisor(isolated_home, tmux_server, SystemClock(environ={}))  # writes config.toml

    first = json.loads(invoke(isolated_home, tmux_server, "send", "--json", agent, "one").output)
    assert first["result"] == "delivered" and first["exit_code"] == 0

    second = invoke(isolated_home, tmux_server, "send", "--json", agent, "two")
    assert second.exit_code == 0, second.output
    refused = json.loads(second.output)
    assert refused["result"] == "requeued", refused
    assert refused["until"] is not None  # the reset the banner printed
    assert "Claude AI usage limit reached|" in refused["detail"]
    # The agent got "two" once and refused it; the monitor knows at once, no sweep needed.
    assert [(r["prompt"], r["result"]) for r in records(log) if r["event"] == "prompt"] == [
        ("one", "answered"),
        ("two", "refused"),
    ]
    record = state_of(isolated_home).load().agents[agent]
    assert record.status is Status.EXHAUSTED
    assert [m.text for m in record.queued] == ["two"]
    assert record.queued[0].attempt is None

    # A newer message queues behind it, and nothing more is typed into the refusing agent.
    third = invoke(isolated_home, tmux_server, "send", agent, "three")
    assert third.output.startswith(f"queued for {agent} (exhausted until "), third.output
    assert [m.text for m in state_of(isolated_home).load().agents[agent].queued] == [
        "two",
        "three",
    ]
    assert prompts(log) == ["one", "two"]
    names = [e["event"] for e in events(isolated_home, agent) if str(e["event"]).startswith("m")]
    assert names == ["message.delivered", "message.requeued", "message.queued"]


def test_a_banner_on_screen_keeps_the_message_queued_though_no_sweep_confirmed_it(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "agent.jsonl"
    agent = start_sim(
        tmux_server, "worker", [*REFUSING, "--limit-after", "0", "--reset-in", "600"], log
    )
    tmux_server.wait_for_text(agent, "Claude AI usage limit reached|")
    done = run_cli(isolated_home, tmux_server, "send", "--json", agent, "do the work")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["result"] == "queued"
    assert result["reason"].startswith("a usage limit is on screen; it resets ")
    assert result["until"] is not None and result["queue_position"] == 1
    assert prompts(log) == []  # looked, not typed
    assert [m.text for m in state_of(isolated_home).load().agents[agent].queued] == ["do the work"]


def test_send_never_overtakes_held_messages(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "agent.jsonl"
    agent = start_sim(tmux_server, "worker", ["--provider", "claude", "--limit-after", "99"], log)
    assert invoke(isolated_home, tmux_server, "pause", agent).exit_code == 0
    for text in ("held 1", "held 2"):
        assert invoke(isolated_home, tmux_server, "send", agent, text).output.startswith("queued")
    # Back to work by hand, no monitor sweep yet: the held messages still wait.
    with state_of(isolated_home).transaction() as state:
        state.agents[agent].status = Status.ACTIVE
    sent = invoke(isolated_home, tmux_server, "send", agent, "new one")
    assert sent.exit_code == 0, sent.output
    assert sent.output.splitlines() == [
        "delivered 2 older held message(s) first",
        f"delivered to {agent} (worker)",
    ]
    assert prompts(log) == ["held 1", "held 2", "new one"]  # each its own prompt, in order
    assert state_of(isolated_home).load().agents[agent].queued == []


def test_nothing_is_typed_into_a_shell_unless_forced(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    shell = tmux_server.new_window("main", "shell", ["bash", "--norc", "--noprofile"])
    tmux_server.wait_for_text(shell, "bash-")
    refused(tmux_server, isolated_home, shell, "echo typed-into-bash", "bash (a shell)")
    assert not Path(isolated_home, "data", "credit_schedule.json").exists()

    forced = run_cli(isolated_home, tmux_server, "send", "--force", shell, "echo typed-into-bash")
    assert forced.returncode == 0, forced.stderr
    tmux_server.wait_for_text(shell, "\ntyped-into-bash")


def test_an_orchestrator_in_a_shell_gets_no_note_and_it_is_logged(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    shell = tmux_server.new_window("main", "orch", ["bash", "--norc", "--noprofile"])
    tmux_server.wait_for_text(shell, "bash-")
    before = tmux_server.capture(shell)
    log = tmp_path / "worker.jsonl"
    worker = start_sim(tmux_server, "worker", [*REFUSING, "--limit-after", "0"], log)
    tmux_server.wait_for_text(worker, "Claude AI usage limit reached|")
    monitor = supervisor(
        isolated_home, tmux_server, SystemClock(environ={}), orchestrator=shell, ignore=[shell]
    )
    report = monitor.sweep()
    assert report.errors == []
    assert state_of(isolated_home).load().agents[worker].status is Status.EXHAUSTED
    assert tmux_server.capture(shell) == before
    told = [e for e in events(isolated_home, shell) if e["event"] == "orchestrator.unreachable"]
    assert len(told) == 1
    assert told[0]["reason"] == f"{shell} runs bash (a shell), not an agent"
    assert str(told[0]["note"]).startswith(f"[credit-monitor] {worker} (claude) is out of usage")
    shown = json.loads(invoke(isolated_home, tmux_server, "status", "--json").output)
    view = next(agent for agent in shown["agents"] if agent["target"] == shell)
    assert view["unreachable"] == f"{shell} runs bash (a shell), not an agent"
    said = invoke(isolated_home, tmux_server, "health").output
    assert f"{shell}: nothing is typed into it: {shell} runs bash (a shell)" in said


def test_an_agent_started_by_a_wrapper_shell_still_gets_its_messages(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "agent.jsonl"
    script = tmp_path / "run-agent.sh"
    script.write_text(
        f"{sys.executable} -m credit_management simulate --provider claude --think 0.05 "
        f"--state-file {log}\n"
    )
    agent = tmux_server.new_window("main", "wrapped", ["bash", str(script)])
    tmux_server.wait_for_text(agent, "? for shortcuts")
    assert tmux_server.cmd("display", "-p", "-t", agent, "#{pane_current_command}").stdout == (
        "bash\n"
    )
    sent = invoke(isolated_home, tmux_server, "send", agent, "hello")
    assert sent.exit_code == 0, sent.output
    assert prompts(log) == ["hello"]


def test_a_transient_error_holds_messages_until_its_retry_time(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    got = tmp_path / "got.txt"
    error = (
        "✕ [API Error: You have exhausted your capacity on this model. "
        "Your quota will reset after 33s.]"
    )
    script = (
        f"import sys\nprint('✦ Reading the parser', flush=True)\nprint({error!r}, flush=True)\n"
        f"for line in sys.stdin:\n    open({str(got)!r}, 'a').write(line)\n"
        "    print('✦ Done: ' + line.strip(), flush=True)\n"
    )
    agent = tmux_server.new_window("main", "gemini", [sys.executable, "-c", script])
    tmux_server.wait_for_text(agent, "reset after 33s")
    monitor = supervisor(isolated_home, tmux_server, SystemClock(environ={}))
    monitor.sweep()  # sees the error and fixes its retry instant (now + 33 s)
    assert state_of(isolated_home).load().agents[agent].status is Status.ACTIVE

    done = run_cli(isolated_home, tmux_server, "send", "--json", agent, "next step")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["result"] == "queued"
    assert result["reason"].startswith("a rate limit error is on screen; it asks to retry at ")
    assert not got.exists()

    later = run_cli(isolated_home, tmux_server, "run", CREDIT_MONITOR_CLOCK_OFFSET="45")
    assert later.returncode == 0, later.stderr
    assert "1 message(s) delivered" in later.stdout
    assert got.read_text() == "next step\n"
    assert state_of(isolated_home).load().agents[agent].queued == []


def test_a_pager_gets_nothing_either(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    page = tmp_path / "page.txt"
    page.write_text("".join(f"line {n}\n" for n in range(200)))
    pager = tmux_server.new_window("main", "pager", ["less", str(page)])
    tmux_server.wait_for_text(pager, "line 0")
    refused(tmux_server, isolated_home, pager, "q", "less (a pager)")


def test_sends_from_several_processes_at_once_each_arrive_as_their_own_prompt(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "agent.jsonl"
    agent = start_sim(tmux_server, "worker", ["--provider", "claude", "--limit-after", "99"], log)
    texts = [f"parallel task {n}" for n in range(1, 5)]
    command = [str(CLI), "--home", str(isolated_home), "--socket", tmux_server.socket, "send"]
    running = [
        subprocess.Popen([*command, agent, text], stdout=subprocess.PIPE, text=True)
        for text in texts
    ]
    outputs = [process.communicate(timeout=60)[0] for process in running]
    assert all(process.returncode == 0 for process in running), outputs
    received = prompts(log)
    assert sorted(received) == texts  # one prompt each: nothing merged, nothing doubled
    # Each logged as delivered once, in the order the agent got them.
    delivered = [e for e in events(isolated_home, agent) if e["event"] == "message.delivered"]
    assert [e["preview"] for e in delivered] == received
    assert len({e["id"] for e in delivered}) == 4


def due_for_a_resume(
    home: Path, server: TmuxTestServer, target: str, clock: SystemClock | None = None
) -> Supervisor:
    """A monitor whose state has `target` exhausted with its resume long due."""
    monitor = supervisor(home, server, clock or SystemClock(environ={}))
    with monitor.store.transaction() as state:
        record = state.agent(target)
        record.status = Status.EXHAUSTED
        record.scheduled_resume = "2020-01-01T00:00:00+00:00"
    return monitor


def test_no_test_message_goes_into_a_shell(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    shell = tmux_server.new_window("main", "was-agent", ["bash", "--norc", "--noprofile"])
    tmux_server.wait_for_text(shell, "bash-")
    before = tmux_server.capture(shell)
    clock = SystemClock(environ={})
    monitor = due_for_a_resume(isolated_home, tmux_server, shell, clock)
    report = monitor.sweep()
    problem = f"{shell} runs bash (a shell), not an agent"
    assert report.resumed == [] and report.errors == []
    assert report.changes == [f"{shell}: exhausted -> needs_attention ({problem})"]
    assert tmux_server.capture(shell) == before
    record = state_of(isolated_home).load().agents[shell]
    assert record.status is Status.NEEDS_ATTENTION
    assert record.reason == f"{problem}: nothing typed"
    told = EventLog(Paths(isolated_home, "--home").events_log).read(target=shell)
    assert [e["event"] for e in told].count("agent.needs_attention") == 1

    # Told once: the next sweeps, and the slow re-check when it falls due, stay quiet.
    assert monitor.sweep().changes == []
    clock.advance(31 * 60)
    again = monitor.sweep()
    assert again.changes == [] and again.errors == []
    assert tmux_server.capture(shell) == before
    events_after = EventLog(Paths(isolated_home, "--home").events_log).read(target=shell)
    assert [e["event"] for e in events_after].count("agent.needs_attention") == 1
    assert state_of(isolated_home).load().agents[shell].status is Status.NEEDS_ATTENTION


@pytest.mark.parametrize(
    ("argv", "script"),
    [
        (["bash"], False),
        (["-bash"], False),
        (["bash", "-l"], False),
        (["zsh", "-o", "vi"], False),
        (["bash", "--rcfile", "/home/me/.bashrc", "-i"], False),
        (["bash", "--norc", "--noprofile"], False),
        (["bash", "run-agent.sh"], True),
        (["/bin/sh", "-c", "claude --resume"], True),
        (["bash", "-lc", "cd src && codex"], True),
        (["bash", "--", "run.sh"], True),
        (["bash", "--"], False),
    ],
)
def test_a_persons_shell_is_told_from_a_wrapper(
    tmp_path: Path, argv: list[str], script: bool
) -> None:
    (tmp_path / "42").mkdir()
    (tmp_path / "42" / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    assert runs_a_script(42, tmp_path) is script
    assert runs_a_script(43, tmp_path) is None


def test_nothing_is_typed_into_a_new_shell_while_its_start_up_files_run(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    # A person's shell runs helpers from its start-up files in its own process group: they are
    # not an agent behind a wrapper script.
    rc = tmp_path / "rc"
    rc.write_text("sleep 3\n")
    shell = tmux_server.new_window("main", "fresh", ["bash", "--rcfile", str(rc), "-i"])
    deadline = time.monotonic() + 5
    while (
        "sleep"
        not in (group_commands(pane := Tmux(tmux_server.socket).resolve_target(shell)) or [])
        and time.monotonic() < deadline
    ):
        time.sleep(0.02)
    assert group_commands(pane) == ["bash", "sleep"]
    assert refusal(pane) == f"{shell} runs bash (a shell), not an agent"
    sent = invoke(isolated_home, tmux_server, "send", shell, "echo typed")
    assert sent.exit_code == 1
    assert "runs bash (a shell), not an agent: nothing typed" in sent.stderr


def test_an_answer_from_a_shell_left_behind_is_no_agents_answer(
    tmux_server: TmuxTestServer, isolated_home: Path
) -> None:
    # The program in front takes the test message and exits; the shell it leaves answers.
    script = "python3 -c 'input(); print(\"bye\")'; PS1='$ ' exec bash --norc --noprofile -i"
    target = tmux_server.new_window("main", "leaving", ["bash", "-c", script])
    deadline = time.monotonic() + 10
    while "python3" not in (group_commands(Tmux(tmux_server.socket).resolve_target(target)) or []):
        assert time.monotonic() < deadline, "python never came to the front"
        time.sleep(0.05)
    assert refusal(Tmux(tmux_server.socket).resolve_target(target)) is None
    monitor = due_for_a_resume(isolated_home, tmux_server, target)

    report = monitor.sweep()

    record = state_of(isolated_home).load().agents[target]
    said = [
        (e["event"], e.get("message"))
        for e in EventLog(Paths(isolated_home, "--home").events_log).read(target=target)
    ]
    assert record.status is Status.NEEDS_ATTENTION, (report, said, tmux_server.capture(target))
    assert report.resumed == []
    tmux_server.wait_for_text(target, "bye")
    assert record.reason == (
        f"{target} runs bash (a shell), not an agent: the program that took the test message "
        "has left"
    )


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("tmux", "main:3 runs tmux (a terminal multiplexer), not an agent"),
        ("screen", "main:3 runs screen (a terminal multiplexer), not an agent"),
        ("", "main:3 shows no program yet"),
        ("node", None),
        ("2.1.96", None),
    ],
)
def test_a_pane_whose_program_has_not_started_yet_takes_nothing(
    command: str, said: str | None
) -> None:
    # Between tmux forking a new pane's process and that process starting the program, the
    # pane's command is tmux itself; a nested tmux or screen client is no agent either.
    pane = PaneInfo("%3", "main", 3, "new", 0, command, -1, False, False, 80, 24, True)
    assert refusal(pane) == said
