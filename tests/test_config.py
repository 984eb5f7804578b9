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
        max_resume_attempts = 2
        retry_backoff_minutes = 1
        attention_recheck_minutes = 7
        cycle_hours = 4
        check_interval_minutes = 0.5
        warning_threshold_minutes = 0

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
            "CLAUDE_CREDIT_CYCLE_HOURS: must be a positive number, got 'abc' (environment)",
        ),
        (
            "CLAUDE_CREDIT_CYCLE_HOURS",
            "0",
            "CLAUDE_CREDIT_CYCLE_HOURS: must be a positive number, got '0' (environment)",
        ),
        (
            "CLAUDE_CREDIT_CHECK_INTERVAL",
            "-5",
            "CLAUDE_CREDIT_CHECK_INTERVAL: must be a positive number, got '-5' (environment)",
        ),
        (
            "CLAUDE_CREDIT_WARNING_THRESHOLD",
            "nan",
            "CLAUDE_CREDIT_WARNING_THRESHOLD: must be a number, 0 or more, got 'nan' (environment)",
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
        ("cycle_hours = 'abc'", "cycle_hours: must be a positive number, got 'abc'"),
        ("max_resume_attempts = 2.5", "max_resume_attempts: must be a positive whole number"),
        ("max_resume_attempts = true", "max_resume_attempts: must be a positive whole number"),
        ("watch = 'a,'", "watch: must be a list of non-empty patterns"),
        ("watch = [1, 2]", "watch: must be a list of non-empty patterns"),
        ('test_message = "two\\nlines"', "test_message: must be a non-empty single line"),
        ("resume_message = ''", "resume_message: must be a non-empty single line"),
        ("confirm_seconds = -1", "confirm_seconds: must be a number, 0 or more, got '-1'"),
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


def test_unknown_key_is_an_error_with_a_suggestion(paths: Paths) -> None:
    write_config(paths, "cycle_hour = 5\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(paths, environ={})
    assert str(caught.value) == (
        f"{paths.config_file}: unknown key 'cycle_hour' (did you mean 'cycle_hours'?)"
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
        ("command = ['x']\ntimout = 3", "unknown key 'timout' (did you mean 'timeout'?)"),
        ("command = ['x']\ntimeout = 0", "timeout must be a positive number of seconds"),
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
        "check_interval_minutes: must be a positive number, got 'soon' (command option)"
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
        "Error: CLAUDE_CREDIT_CYCLE_HOURS: must be a positive number, got 'abc' (environment)"
    )
    write_config(paths, "[broken\n")
    done = run_cli(paths, "config")
    assert done.returncode == 1
    assert len(done.stderr.strip().splitlines()) == 1
    assert str(paths.config_file) in done.stderr and "line 1" in done.stderr
