"""Sources found from the pane's processes, on a real tmux server: the Codex rollout the
simulated Codex holds open, and the Claude transcript found from the Claude process's working
directory with no set-up at all.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from conftest import TmuxTestServer
from monitor_support import (
    READY,
    advance_past,
    events,
    load_state,
    monitor,
    records,
    sim_command,
    type_and_enter,
    wait_for_record,
    wait_until,
)

from credit_management.cli import cli
from credit_management.clock import SystemClock
from credit_management.models import Status, parse_iso
from credit_management.sources import codex_rollout, procs
from credit_management.sources.claude_transcript import find_transcript
from credit_management.store.samples import SampleStore


def start_in(
    server: TmuxTestServer, cwd: Path, env: dict[str, str], command: list[str], ready: str
) -> str:
    args = ["new-window", "-d", "-P", "-F", "#{session_name}:#{window_index}", "-t", "main:"]
    args += ["-n", "agent", "-c", str(cwd)]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    target = server.cmd(*args, *command).stdout.strip()
    server.wait_for_text(target, ready)
    return target


def codex_at_its_limit(
    server: TmuxTestServer, tmp_path: Path, reset_in: int
) -> tuple[str, Path, Path]:
    """A simulated Codex in its own project, stopped by its limit after one prompt; the screen
    names no reset (only the rollout knows it). Its window, its CODEX_HOME and its log."""
    project, codex_home, log = tmp_path / "proj", tmp_path / "codex", tmp_path / "agent.jsonl"
    project.mkdir()
    args = ["--provider", "codex", "--limit-after", "1", "--reset-in", str(reset_in)]
    args += ["--reset-style", "none"]
    target = start_in(
        server, project, {"CODEX_HOME": str(codex_home)},
        sim_command("agent", args, log), READY["codex"],
    )  # fmt: skip
    type_and_enter(server, target, "write the parser")
    wait_for_record(log, "limit")
    server.wait_for_text(target, "try again later")
    return target, codex_home, log


def pane_pid(server: TmuxTestServer, target: str) -> int:
    return int(server.cmd("display-message", "-p", "-t", target, "#{pane_pid}").stdout)


def test_a_codex_rollout_held_open_by_the_pane_pauses_at_its_resets_at(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    target, codex_home, _ = codex_at_its_limit(tmux_server, tmp_path, reset_in=3600)

    held = procs.open_files(
        [p.pid for p in procs.tree(pane_pid(tmux_server, target), procs.children_map())]
    )
    rollouts = [path for path in held if codex_rollout.is_rollout(path)]
    assert len(rollouts) == 1 and rollouts[0].startswith(str(codex_home / "sessions"))
    lines = [json.loads(line) for line in Path(rollouts[0]).read_text().splitlines()]
    counts = [line for line in lines if line["payload"].get("type") == "token_count"]
    primary = counts[-1]["payload"]["rate_limits"]["primary"]
    assert (primary["used_percent"], primary["window_minutes"]) == (100.0, 300)

    report = monitor(isolated_home, tmux_server, SystemClock({})).sweep()

    assert report.changes == [f"{target}: active -> exhausted"]
    record = load_state(isolated_home).agents[target]
    reset = datetime.fromtimestamp(primary["resets_at"], UTC)
    assert parse_iso(record.reset_at) == reset
    assert parse_iso(record.scheduled_resume) == reset + timedelta(seconds=1)
    assert record.usage["five_hour"]["source"] == "codex-rollout"
    assert record.evidence is not None and "[codex-rollout]" in record.evidence


def test_a_claude_transcript_is_found_from_the_process_cwd(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    project, config, log = tmp_path / "my_proj.v2", tmp_path / "claude", tmp_path / "a.jsonl"
    project.mkdir()
    args = ["--provider", "claude", "--limit-after", "1", "--reset-in", "3600"]
    args += ["--reset-style", "none"]  # "You've hit your session limit" with no reset
    target = start_in(
        tmux_server, project, {"CLAUDE_CONFIG_DIR": str(config)},
        sim_command("agent", args, log), READY["claude"],
    )  # fmt: skip
    type_and_enter(tmux_server, target, "tidy the imports")
    wait_for_record(log, "limit")
    tmux_server.wait_for_text(target, "You've hit your session limit")

    transcript = find_transcript(str(project), config)
    assert transcript is not None
    assert transcript.parent.name == re.sub(r"[^A-Za-z0-9]", "-", str(project))
    assert transcript.parent.name.endswith("-my-proj-v2")
    wait_until(lambda: "isApiErrorMessage" in transcript.read_text(), what="the error record")
    error = json.loads(transcript.read_text().splitlines()[-1])
    assert (error["type"], error["error"], error["isApiErrorMessage"]) == (
        "assistant", "rate_limit", True,
    )  # fmt: skip

    report = monitor(isolated_home, tmux_server, SystemClock({})).sweep()

    assert report.changes == [f"{target}: active -> exhausted"]
    record = load_state(isolated_home).agents[target]
    assert record.status is Status.EXHAUSTED
    reset = datetime.fromtimestamp(error["quotaLimits"]["resetsAt"], UTC)
    assert parse_iso(record.reset_at) == reset  # exact, though the screen named no reset
    assert record.evidence is not None and record.evidence.endswith("[claude-transcript]")
    assert [r["event"] for r in records(log)].count("limit") == 1


def test_the_simulated_claude_runs_what_integrate_set_up(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    project, config, log = tmp_path / "proj", tmp_path / "claude", tmp_path / "agent.jsonl"
    project.mkdir()
    env = {"CLAUDE_CONFIG_DIR": str(config)}
    result = CliRunner().invoke(cli, ["integrate", "claude"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    args = ["--provider", "claude", "--limit-after", "2", "--reset-in", "3600"]
    args += ["--reset-style", "none"]
    target = start_in(tmux_server, project, env, sim_command("agent", args, log), READY["claude"])
    store = SampleStore.under(isolated_home / "data")

    def samples() -> list[dict[str, Any]]:
        files = list(store.folder.glob("*.jsonl")) if store.folder.exists() else []
        return [json.loads(line) for f in files for line in f.read_text().splitlines()]

    for prompt in ("first", "second"):
        type_and_enter(tmux_server, target, prompt)
        tmux_server.wait_for_text(target, f"Done: {prompt}")
    wait_until(lambda: any(s.get("event") == "StopFailure" for s in samples()), 20, "StopFailure")
    climbing = [s["five_hour"][0] for s in samples() if "five_hour" in s]
    assert climbing[0] == 50.0 and climbing[-1] == 100.0
    failure = next(s for s in samples() if s.get("event") == "StopFailure")
    assert failure["error"] == "rate_limit"
    assert failure["message"] == "You've hit your session limit"

    monitor(isolated_home, tmux_server, SystemClock({})).sweep()

    record = load_state(isolated_home).agents[target]
    assert record.status is Status.EXHAUSTED
    published = [s for s in samples() if s.get("kind") == "statusline"][-1]["five_hour"][1]
    assert parse_iso(record.reset_at) == datetime.fromtimestamp(published, UTC)
    assert record.evidence is not None and record.evidence.endswith("[claude-hook]")


def test_after_the_rollouts_reset_the_agent_resumes_and_its_old_100_percent_is_history(
    tmux_server: TmuxTestServer, isolated_home: Path, tmp_path: Path
) -> None:
    target, _, log = codex_at_its_limit(tmux_server, tmp_path, reset_in=2)
    clock = SystemClock({})
    supervisor = monitor(isolated_home, tmux_server, clock)
    supervisor.sweep()
    resume = parse_iso(load_state(isolated_home).agents[target].scheduled_resume)
    assert resume is not None
    wait_for_record(log, "reset")  # the simulated limit lifts at the rollout's resets_at
    advance_past(clock, resume)  # and the monitor's margin after it: its clock moves past that

    assert supervisor.sweep().resumed == [target]
    supervisor.sweep()  # the rollout still ends at 100%, with a reset now past
    record = load_state(isolated_home).agents[target]
    assert record.status is Status.ACTIVE
    names = [e["event"] for e in events(isolated_home, target)]
    assert names.count("credit.exhausted") == 1 and "credit.resolved" in names
