"""`credit-monitor classify`: input from a file or stdin, --now/--tz/--json, and bad input
answered with one clear line (never a traceback) in bounded time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from credit_management.cli import cli

BANNER = "  ⎿  You've hit your session limit · resets 5:20am (America/Denver)\n"
NOW = "2026-11-21T13:30:00-07:00"
EXE = Path(sys.executable).parent / "credit-monitor"


def run(*args: str, stdin: str | bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["classify", *args], input=stdin)
    return result.exit_code, result.output


def test_json_from_stdin_is_exactly_the_issue_example() -> None:
    code, out = run("--now", NOW, "--tz", "America/Denver", "--json", stdin=BANNER)
    assert code == 0
    data = json.loads(out)
    assert {key: data[key] for key in ("kind", "provider", "reset_at", "evidence", "message")} == {
        "kind": "exhausted",
        "provider": "claude",
        "reset_at": "2026-11-22T05:20:00-07:00",
        "evidence": "You've hit your session limit · resets 5:20am (America/Denver)",
        "message": "Claude session limit; resets in 15h50m",
    }
    assert set(data) <= {"kind", "provider", "reset_at", "evidence", "message", "scope", "model"}


def test_file_argument_and_dash_for_stdin(tmp_path: Path) -> None:
    capture = tmp_path / "pane.txt"
    capture.write_text(BANNER, encoding="utf-8")
    from_file = run(str(capture), "--now", NOW, "--tz", "America/Denver", "--json")
    from_dash = run("-", "--now", NOW, "--tz", "America/Denver", "--json", stdin=BANNER)
    assert from_file == from_dash
    assert json.loads(from_file[1])["kind"] == "exhausted"


def test_readable_output_is_one_or_two_lines() -> None:
    code, out = run("--now", NOW, "--tz", "America/Denver", stdin=BANNER)
    lines = out.strip().splitlines()
    assert code == 0 and 1 <= len(lines) <= 2
    assert lines[0] == "exhausted (claude): Claude session limit; resets in 15h50m"
    assert "2026-11-22T05:20:00-07:00" in lines[1]
    code, out = run("--now", NOW, "--tz", "UTC", stdin="⏺ All tests pass.\n")
    assert (code, out.strip()) == (0, "none: nothing about credits or limits")


def test_tz_is_used_for_times_printed_without_a_zone() -> None:
    codex = "■ You've hit your usage limit. Try again at 3:28 PM.\n"
    _, out = run("--now", "2026-11-21T12:00:00+09:00", "--tz", "Asia/Tokyo", "--json", stdin=codex)
    assert json.loads(out)["reset_at"] == "2026-11-21T15:28:00+09:00"


def test_a_now_without_an_offset_is_a_wall_time_in_tz() -> None:
    _, out = run("--now", "2026-11-21T13:30:00", "--tz", "America/Denver", "--json", stdin=BANNER)
    assert json.loads(out)["message"] == "Claude session limit; resets in 15h50m"


def test_defaults_read_the_clock_and_the_local_zone() -> None:
    result = CliRunner().invoke(
        cli,
        ["classify", "--json"],
        input=BANNER,
        env={"CREDIT_MONITOR_NOW": "2026-11-21T20:30:00Z"},
    )
    assert result.exit_code == 0
    assert json.loads(result.output)["kind"] == "exhausted"


def test_unknown_zone_is_one_clear_line() -> None:
    code, out = run("--tz", "Mars/Olympus_Mons", stdin=BANNER)
    assert (code, out) == (1, "Error: --tz: unknown timezone: 'Mars/Olympus_Mons'\n")


def test_malformed_now_is_one_clear_line() -> None:
    code, out = run("--now", "yesterday-ish", "--tz", "UTC", stdin=BANNER)
    assert code == 1
    assert out == (
        "Error: --now: 'yesterday-ish' is not an ISO 8601 instant"
        " (e.g. 2026-11-21T14:30:00-07:00)\n"
    )


def test_a_malformed_clock_override_is_one_clear_line() -> None:
    result = CliRunner().invoke(
        cli, ["classify", "--tz", "UTC"], input=BANNER, env={"CREDIT_MONITOR_NOW": "soon"}
    )
    assert result.exit_code == 1
    assert result.output == (
        "Error: CREDIT_MONITOR_NOW: not an ISO 8601 instant with an offset: 'soon'\n"
    )


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    code, out = run(str(tmp_path / "nope.txt"), "--tz", "UTC")
    assert code == 2 and "does not exist" in out


def test_binary_garbage_is_read_as_text_and_is_none() -> None:
    code, out = run("--now", NOW, "--tz", "UTC", "--json", stdin=bytes(range(256)) * 100)
    assert code == 0 and json.loads(out)["kind"] == "none"


def test_ten_megabytes_in_bounded_time(tmp_path: Path) -> None:
    capture = tmp_path / "big.txt"
    capture.write_bytes(os.urandom(5_000_000) + b"\n" + b"x" * 5_000_000 + b"\n" + BANNER.encode())
    started = time.perf_counter()
    code, out = run(str(capture), "--now", NOW, "--tz", "America/Denver", "--json")
    assert time.perf_counter() - started < 2.0
    assert code == 0 and json.loads(out)["kind"] == "exhausted"


def test_the_installed_command_never_shows_a_traceback(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "CREDIT_MONITOR_DEBUG"}
    cases = [
        (["--tz", "Nowhere/Land"], b"x"),
        (["--now", "13:30 tomorrow"], b"x"),
        (["--now", NOW, "--tz", "UTC"], os.urandom(200_000)),
        ([str(tmp_path)], b""),
    ]
    for args, stdin in cases:
        done = subprocess.run(
            [str(EXE), "classify", *args], input=stdin, capture_output=True, timeout=60, env=env
        )
        assert b"Traceback" not in done.stderr + done.stdout, args
        if done.returncode:  # one "Error: ..." line (click adds the usage for a bad call)
            assert done.stderr.decode().strip().splitlines()[-1].startswith("Error: ")
    good = subprocess.run(
        [str(EXE), "classify", "--now", NOW, "--tz", "America/Denver", "--json"],
        input=BANNER.encode(),
        capture_output=True,
        timeout=60,
        env=env,
    )
    assert good.returncode == 0 and json.loads(good.stdout)["kind"] == "exhausted"
