"""Configuration: defaults, config.toml, environment, options, and clear errors for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from credit_management.errors import ConfigError
from credit_management.models import HookSpec
from credit_management.store.config import (
    DEFAULT_RESUME_MESSAGE,
    Settings,
    load_settings,
    setting_names,
)
from credit_management.store.paths import Paths

CLI = Path(sys.executable).with_name("credit-monitor")
CYCLE = "a duration from 1m to 7d (90s, 5m, 1h; a plain number is hours)"
INTERVAL = "a duration from 10s to 1d (90s, 5m, 1h; a plain number is minutes)"
WARNING = "a duration from 0s to 1d (90s, 5m, 1h; a plain number is minutes)"


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    home = tmp_path / "cm"
    home.mkdir()
    return Paths(home, "--home")


def write_config(paths: Paths, text: str) -> None:
    paths.config_file.write_text(text, encoding="utf-8")


def test_defaults_when_there_is_no_file_or_environment(paths: Paths) -> None:
    settings = load_settings(paths, environ={})
    assert settings == Settings()
    assert settings.cycle_hours == 5 and settings.check_interval_minutes == 5
    assert settings.warning_threshold_minutes == 10
    assert settings.watch == ("*",) and settings.ignore == ()
    assert settings.orchestrator is None
    assert settings.resume_message == DEFAULT_RESUME_MESSAGE
    assert (settings.resume_margin_seconds, settings.verify_timeout_seconds) == (60, 90)
    assert (settings.confirm_seconds, settings.max_resume_attempts) == (3, 5)
    assert settings.model_switch_message == "/model sonnet"
    assert set(settings.sources) == set(setting_names())
    assert set(settings.sources.values()) == {"default"}


def test_every_key_can_come_from_the_file(paths: Paths) -> None:
    write_config(
        paths,
        """
        watch = ["proj:*", "*:claude*"]
        ignore = ["*:shell"]
        orchestrator = "proj:0"
        test_message = "ping?"
        resume_message = "go on"
        model_switch_message = "/model haiku"
        resume_margin_seconds = 0
        verify_timeout_seconds = 30.5
        confirm_seconds = 1
        answer_watch_seconds = "2s"
        enter_settle_seconds = 0.4
        enter_pause_seconds = 0.15
        max_resume_attempts = 2
        retry_backoff_minutes = 1
        attention_recheck_minutes = 7
        cycle_hours = 4
        check_interval_minutes = 0.5
        warning_threshold_minutes = 0
        nudge = false
        stall_seconds = "45s"
        nudge_message = "go on then"
        max_nudges = 1
        usage_warning_percents = [90, 70]

        [[hooks]]
        events = ["credit.*", "agent.needs_attention"]
        command = ["notify-send", "credit"]
        timeout = 3

        [[hooks]]
        url = "http://127.0.0.1:9/hook"
        retries = 0
        """.replace("\n        ", "\n"),
    )
    settings = load_settings(paths, environ={})
    assert settings.watch == ("proj:*", "*:claude*") and settings.ignore == ("*:shell",)
    assert settings.orchestrator == "proj:0"
    assert settings.test_message == "ping?" and settings.resume_message == "go on"
    assert settings.resume_margin_seconds == 0 and settings.verify_timeout_seconds == 30.5
    assert settings.max_resume_attempts == 2 and settings.check_interval_minutes == 0.5
    assert settings.warning_threshold_minutes == 0
    assert settings.answer_watch_seconds == 2 and settings.enter_settle_seconds == 0.4
    assert settings.enter_pause_seconds == 0.15
    assert settings.usage_warning_percents == (70.0, 90.0)
    assert settings.hooks == (
        HookSpec(
            events=("credit.*", "agent.needs_attention"),
            command=("notify-send", "credit"),
            timeout=3,
            retries=2,
        ),
        HookSpec(events=("*",), url="http://127.0.0.1:9/hook", retries=0),
    )
    assert all(source == str(paths.config_file) for source in settings.sources.values())


@pytest.mark.parametrize(
    ("file_value", "env_value", "option_value", "expected", "source"),
    [
        (None, None, None, 5.0, "default"),
        ("3", None, None, 3.0, "file"),
        ("3", "7", None, 7.0, "environment CLAUDE_CREDIT_CYCLE_HOURS"),
        ("3", "7", "9", 9.0, "command option"),
        (None, None, "2.5", 2.5, "command option"),
        (None, "6", None, 6.0, "environment CLAUDE_CREDIT_CYCLE_HOURS"),
    ],
)
def test_precedence_option_then_environment_then_file_then_default(
    paths: Paths,
    file_value: str | None,
    env_value: str | None,
    option_value: str | None,
    expected: float,
    source: str,
) -> None:
    if file_value is not None:
        write_config(paths, f"cycle_hours = {file_value}\n")
    environ = {"CLAUDE_CREDIT_CYCLE_HOURS": env_value} if env_value is not None else {}
    overrides = {"cycle_hours": option_value}
    settings = load_settings(paths, overrides, environ)
    assert settings.cycle_hours == expected
    if source == "file":
        source = str(paths.config_file)
    assert settings.sources["cycle_hours"] == source


def test_all_three_seed_variables_and_the_orchestrator_variable(paths: Paths) -> None:
    environ = {
        "CLAUDE_CREDIT_CYCLE_HOURS": "4",
        "CLAUDE_CREDIT_CHECK_INTERVAL": "2",
        "CLAUDE_CREDIT_WARNING_THRESHOLD": "15",
        "CREDIT_MONITOR_ORCHESTRATOR": "proj:0",
        "CLAUDE_CREDIT_UNRELATED": "ignored",
    }
    settings = load_settings(paths, environ=environ)
    assert (settings.cycle_hours, settings.check_interval_minutes) == (4, 2)
    assert settings.warning_threshold_minutes == 15
    assert settings.orchestrator == "proj:0"
    assert settings.sources["check_interval_minutes"] == "environment CLAUDE_CREDIT_CHECK_INTERVAL"


def test_empty_environment_variable_counts_as_unset(paths: Paths) -> None:
    write_config(paths, "cycle_hours = 3\n")
    settings = load_settings(paths, environ={"CLAUDE_CREDIT_CYCLE_HOURS": "  "})
    assert settings.cycle_hours == 3


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "CLAUDE_CREDIT_CYCLE_HOURS",
            "abc",
            f"CLAUDE_CREDIT_CYCLE_HOURS: must be {CYCLE}, got 'abc' (environment)",
        ),
        (
            "CLAUDE_CREDIT_CYCLE_HOURS",
            "0",
            f"CLAUDE_CREDIT_CYCLE_HOURS: must be {CYCLE}, got '0' (environment)",
        ),
        (
            "CLAUDE_CREDIT_CHECK_INTERVAL",
            "-5",
            f"CLAUDE_CREDIT_CHECK_INTERVAL: must be {INTERVAL}, got '-5' (environment)",
        ),
        (
            "CLAUDE_CREDIT_WARNING_THRESHOLD",
            "nan",
            f"CLAUDE_CREDIT_WARNING_THRESHOLD: must be {WARNING}, got 'nan' (environment)",
        ),
        (
            "CREDIT_MONITOR_ORCHESTRATOR",
            "two words",
            "CREDIT_MONITOR_ORCHESTRATOR: must be a target such as 'main:0', or empty, "
            "got 'two words' (environment)",
        ),
    ],
)
def test_bad_environment_values_name_the_variable(
    paths: Paths, variable: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(paths, environ={variable: value})
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("cycle_hours = 'abc'", f"cycle_hours: must be {CYCLE}, got 'abc'"),
        ("max_resume_attempts = 2.5", "max_resume_attempts: must be a whole number from 1 to 100"),
        ("max_resume_attempts = true", "max_resume_attempts: must be a whole number from 1 to"),
        ("max_resume_attempts = 1000", "max_resume_attempts: must be a whole number from 1 to"),
        (
            "resume_margin_seconds = 1e308",
            "resume_margin_seconds: must be a duration from 0s to 1d",
        ),
        ("resume_margin_seconds = '2d'", "resume_margin_seconds: must be a duration from 0s"),
        ("check_interval_minutes = '5s'", "check_interval_minutes: must be a duration from 10s"),
        ("verify_timeout_seconds = [1]", "verify_timeout_seconds: must be a duration from 1s"),
        ("watch = 'a,'", "watch: must be a list of non-empty patterns"),
        ("watch = [1, 2]", "watch: must be a list of non-empty patterns"),
        ('test_message = "two\\nlines"', "test_message: must be a non-empty single line"),
        ("nudge_message = ''", "nudge_message: must be a non-empty single line"),
        ("stall_seconds = '2d'", "stall_seconds: must be a duration from 1s to 1d"),
        ("max_nudges = 21", "max_nudges: must be a whole number from 0 to 20"),
        ("confirm_seconds = -1", "confirm_seconds: must be a duration from 0s to 1m"),
    ],
)
def test_bad_file_values_name_the_key_and_the_file(paths: Paths, text: str, fragment: str) -> None:
    write_config(paths, text + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(paths, environ={})
    message = str(caught.value)
    assert fragment in message
    assert f"({paths.config_file})" in message
    assert "\n" not in message


def test_unknown_key_is_a_warning_with_a_suggestion(paths: Paths) -> None:
    write_config(paths, "cycle_hour = 5\n[[hooks]]\ncommand = ['x']\ntimout = 3\n")
    settings = load_settings(paths, environ={})
    assert settings.cycle_hours == 5.0  # the misspelt key changed nothing
    assert settings.warnings == (
        f"{paths.config_file}: unknown key 'cycle_hour' (did you mean 'cycle_hours'?); ignored",
        f"{paths.config_file}: hooks #1: unknown key 'timout' (did you mean 'timeout'?); ignored",
    )


def test_invalid_toml_names_the_file_and_line(paths: Paths) -> None:
    write_config(paths, "watch = ['a']\ncycle_hours = = 5\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(paths, environ={})
    message = str(caught.value)
    assert message.startswith(f"{paths.config_file}: invalid TOML: ")
    assert "line 2" in message


@pytest.mark.parametrize(
    ("table", "fragment"),
    [
        ("command = 'notify-send hi'", "command must be an argument list"),
        ("command = []", "command must be an argument list"),
        ("url = 'ftp://example.com/x'", "url must be an http:// or https:// URL"),
        ("command = ['x']\nurl = 'http://127.0.0.1/'", "needs exactly one of command or url"),
        ("events = ['*']", "needs exactly one of command or url"),
        ("command = ['x']\ntimeout = 0", "timeout_seconds must be a duration from 1s to 10m"),
        ("command = ['x']\ntimeout = 1e9", "timeout_seconds must be a duration from 1s to 10m"),
        ("command = ['x']\ntimeout_seconds = '11m'", "must be a duration from 1s to 10m"),
        ("command = ['x']\nretries = -1", "retries must be a whole number 0-10"),
        ("command = ['x']\nevents = []", "events must be a list of event patterns"),
    ],
)
def test_bad_hooks_are_errors(paths: Paths, table: str, fragment: str) -> None:
    write_config(paths, "[[hooks]]\n" + table + "\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(paths, environ={})
    assert fragment in str(caught.value)
    assert "hooks #1" in str(caught.value)


def test_bad_option_value_and_unknown_option_key(paths: Paths) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(paths, {"check_interval_minutes": "soon"}, environ={})
    assert str(caught.value) == (
        f"check_interval_minutes: must be {INTERVAL}, got 'soon' (command option)"
    )
    with pytest.raises(ConfigError, match="unknown key 'interval'"):
        load_settings(paths, {"interval": 3}, environ={})


def test_config_path_that_is_a_folder(paths: Paths) -> None:
    paths.config_file.mkdir()
    with pytest.raises(ConfigError, match="is a folder"):
        load_settings(paths, environ={})


# --- the command --------------------------------------------------------------------------


def run_cli(
    paths: Paths, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CLAUDE_CREDIT_")}
    base.pop("CREDIT_MONITOR_ORCHESTRATOR", None)
    base.update(env or {})
    return subprocess.run(
        [str(CLI), "--home", str(paths.home), *args],
        capture_output=True,
        text=True,
        env=base,
        timeout=30,
    )


def test_config_command_shows_values_and_sources(paths: Paths) -> None:
    write_config(paths, 'cycle_hours = 3\n[[hooks]]\ncommand = ["notify-send", "x"]\n')
    done = run_cli(paths, "config", env={"CLAUDE_CREDIT_CHECK_INTERVAL": "2"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"config file: {paths.config_file}"
    by_key = {line.split()[0]: line for line in lines[1:] if not line.startswith(" ")}
    assert by_key["cycle_hours"].endswith(f"= 3.0  [{paths.config_file}]")
    assert by_key["check_interval_minutes"].endswith(
        "= 2.0  [environment CLAUDE_CREDIT_CHECK_INTERVAL]"
    )
    assert by_key["warning_threshold_minutes"].endswith("= 10.0  [default]")
    assert "notify-send x" in done.stdout

    done = run_cli(paths, "config", "--json", env={"CLAUDE_CREDIT_CHECK_INTERVAL": "2"})
    document = json.loads(done.stdout)
    assert document["config_file"] == str(paths.config_file)
    assert document["values"]["cycle_hours"] == 3
    assert document["values"]["hooks"][0]["command"] == ["notify-send", "x"]
    assert document["sources"]["check_interval_minutes"] == (
        "environment CLAUDE_CREDIT_CHECK_INTERVAL"
    )
    assert document["sources"]["resume_message"] == "default"


def test_config_command_with_a_bad_value_is_one_line_and_exit_1(paths: Paths) -> None:
    done = run_cli(paths, "config", env={"CLAUDE_CREDIT_CYCLE_HOURS": "abc"})
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"Error: CLAUDE_CREDIT_CYCLE_HOURS: must be {CYCLE}, got 'abc' (environment)"
    )
    write_config(paths, "[broken\n")
    done = run_cli(paths, "config")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1
    assert str(paths.config_file) in done.stderr and "line 1" in done.stderr


# --- bounds, units and warnings -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [
        ("resume_margin_seconds = '90s'", "resume_margin_seconds", 90.0),
        ("resume_margin_seconds = '5m'", "resume_margin_seconds", 300.0),
        ("resume_margin_seconds = 45", "resume_margin_seconds", 45.0),
        ("check_interval_minutes = '90s'", "check_interval_minutes", 1.5),
        ("check_interval_minutes = 2", "check_interval_minutes", 2.0),
        ("cycle_hours = '1h30m'", "cycle_hours", 1.5),
        ("cycle_hours = '1d'", "cycle_hours", 24.0),
        ("retry_backoff_minutes = '1h'", "retry_backoff_minutes", 60.0),
        ("verify_timeout_seconds = '2 min'", "verify_timeout_seconds", 120.0),
    ],
)
def test_durations_take_units_and_plain_numbers_keep_the_keys_unit(
    paths: Paths, text: str, name: str, value: float
) -> None:
    write_config(paths, text + "\n")
    assert getattr(load_settings(paths, environ={}), name) == value


def test_duration_in_the_environment_and_as_an_option(paths: Paths) -> None:
    settings = load_settings(
        paths,
        {"resume_margin_seconds": "2m"},
        environ={"CLAUDE_CREDIT_CHECK_INTERVAL": "30s"},
    )
    assert settings.check_interval_minutes == 0.5
    assert settings.resume_margin_seconds == 120.0


def test_hook_timeout_takes_the_new_name_the_old_one_and_units(paths: Paths) -> None:
    write_config(
        paths,
        "[[hooks]]\ncommand = ['x']\ntimeout = 4\n"
        "[[hooks]]\ncommand = ['y']\ntimeout_seconds = '2m'\n",
    )
    hooks = load_settings(paths, environ={}).hooks
    assert [hook.timeout for hook in hooks] == [4.0, 120.0]
    assert load_settings(paths, environ={}).warnings == ()


@pytest.mark.parametrize(
    "command",
    [("config",), ("run",), ("web", "--port", "0")],
)
def test_an_out_of_range_value_is_one_line_from_every_command(
    paths: Paths, command: tuple[str, ...]
) -> None:
    write_config(paths, "resume_margin_seconds = 1e308\n")
    done = run_cli(paths, *command)
    assert done.returncode == 1, done.stdout
    assert done.stderr.strip() == (
        "Error: resume_margin_seconds: must be a duration from 0s to 1d (90s, 5m, 1h; a plain "
        f"number is seconds), got '1e+308' ({paths.config_file})"
    )


def test_unknown_keys_are_warned_about_by_the_commands(paths: Paths) -> None:
    write_config(paths, "resume_margin = 30\n")
    done = run_cli(paths, "config")
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == (
        f"warning: {paths.config_file}: unknown key 'resume_margin' "
        "(did you mean 'resume_margin_seconds'?); ignored"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("soon", "'soon' is not a duration such as 90s, 5m or 1h"),
        ("0.05s", "'0.05s' is shorter than 0.1s"),
        ("nan", "'nan' is not a duration"),
    ],
)
def test_duration_options_say_what_is_wrong(paths: Paths, value: str, message: str) -> None:
    done = run_cli(paths, "watch", "--interval", value)
    assert done.returncode == 2
    assert f"Invalid value for '--interval': {message}" in done.stderr


def test_duration_option_type_reads_units() -> None:
    from credit_management.cli._common import Duration

    assert Duration().convert("90s", None, None) == 90.0
    assert Duration().convert("2m", None, None) == 120.0
    assert Duration().convert("1.5", None, None) == 1.5
    assert Duration().convert("1h30m", None, None) == 5400.0
