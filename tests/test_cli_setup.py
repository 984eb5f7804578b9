"""Set-up that fits the system: XDG folders for an installed copy, `config path` and
`config init`, `-V`, help under headings, and shell completion for bash, zsh and fish."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner

import credit_management
from credit_management.cli import ALIASES, cli
from credit_management.cli.config_file import default_config_text, descriptions
from credit_management.store.config import Settings, load_settings, setting_names
from credit_management.store.paths import CONFIG_ENV, Paths, resolve_paths

PACKAGE = Path(credit_management.__file__).resolve().parent
CLI = Path(sys.executable).with_name("credit-monitor")


def invoke(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner(env=env).invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


# --- XDG ---------------------------------------------------------------------------------------


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    """Where an installed copy's package folder would be: site-packages, no pyproject.toml."""
    package = tmp_path / "site-packages" / "credit_management"
    package.mkdir(parents=True)
    return package


def test_an_installed_copy_uses_the_xdg_folders(installed: Path, tmp_path: Path) -> None:
    environ = {"XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    paths = resolve_paths(None, environ, installed)
    assert (paths.home, paths.source) == (tmp_path / "state" / "credit-monitor", "xdg")
    assert paths.state_file == tmp_path / "state" / "credit-monitor" / "data" / (
        "credit_schedule.json"
    )
    assert paths.events_log == tmp_path / "state" / "credit-monitor" / "logs" / (
        "credit_events.log"
    )
    assert paths.config_file == tmp_path / "cfg" / "credit-monitor" / "config.toml"


def test_xdg_defaults_are_under_the_user_home(
    installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    # The spec ignores a relative XDG variable.
    paths = resolve_paths(None, {"XDG_CONFIG_HOME": "relative/cfg"}, installed)
    assert paths.home == tmp_path / ".local" / "state" / "credit-monitor"
    assert paths.config_file == tmp_path / ".config" / "credit-monitor" / "config.toml"


def test_an_earlier_versions_home_keeps_being_used(installed: Path, tmp_path: Path) -> None:
    legacy = tmp_path / "share" / "credit_management"
    (legacy / "data").mkdir(parents=True)
    (legacy / "data" / "credit_schedule.json").write_text("{}", encoding="utf-8")
    (legacy / "config.toml").write_text("cycle_hours = 4\n", encoding="utf-8")
    environ = {"XDG_DATA_HOME": str(tmp_path / "share"), "XDG_CONFIG_HOME": str(tmp_path / "c")}
    paths = resolve_paths(None, environ, installed)
    assert paths.home == legacy and paths.config_file == legacy / "config.toml"


def test_the_checkout_keeps_data_and_logs_beside_the_code(tmp_path: Path) -> None:
    paths = resolve_paths(None, {"XDG_STATE_HOME": str(tmp_path)}, PACKAGE)
    assert (paths.home, paths.source) == (PACKAGE.parent, "checkout")
    assert paths.config_file == PACKAGE.parent / "config.toml"
    named = resolve_paths(None, {CONFIG_ENV: str(tmp_path / "my.toml")}, PACKAGE)
    assert named.config_file == tmp_path / "my.toml" and named.home == PACKAGE.parent


def test_a_copy_outside_a_checkout_runs_with_xdg_paths(tmp_path: Path) -> None:
    """The package copied where pip would put it, run as a separate process."""
    site = tmp_path / "site-packages"
    shutil.copytree(PACKAGE, site / "credit_management", ignore=shutil.ignore_patterns("*.pyc"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "CREDIT_"))}
    env.update(HOME=str(tmp_path / "user"), PYTHONPATH=str(site))
    code = "from credit_management.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "config", "path"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{tmp_path / 'user' / '.config' / 'credit-monitor' / 'config.toml'}\n"


# --- config path / init --------------------------------------------------------------------------


def test_config_init_writes_a_commented_file_that_config_reads_back(isolated_home: Path) -> None:
    path = Path(invoke("--home", str(isolated_home), "config", "path").strip())
    assert path == isolated_home / "config.toml" and not path.exists()
    said = invoke("--home", str(isolated_home), "config", "init")
    assert said.startswith(f"wrote {path}")
    text = path.read_text(encoding="utf-8")
    assert tomllib.loads(text) == {}  # every setting commented out: the defaults apply

    shown = json.loads(invoke("--home", str(isolated_home), "config", "--json"))
    assert shown["config_file"] == str(path) and shown["config_file_exists"] is True
    assert shown["values"] == Settings().values()

    # Uncommenting a line changes that setting, and `config` says it came from the file.
    edited = text.replace("# check_interval_minutes = 5\n", "check_interval_minutes = 2\n")
    assert edited != text
    path.write_text(edited, encoding="utf-8")
    shown = json.loads(invoke("--home", str(isolated_home), "config", "--json"))
    assert shown["values"]["check_interval_minutes"] == 2
    assert shown["sources"]["check_interval_minutes"] == str(path)

    again = CliRunner().invoke(cli, ["--home", str(isolated_home), "config", "init"])
    assert again.exit_code == 1 and "already exists (use --force" in again.output
    assert path.read_text(encoding="utf-8") == edited  # nothing lost
    invoke("--home", str(isolated_home), "config", "init", "--force")
    assert path.with_name("config.toml.bak").read_text(encoding="utf-8") == edited


def test_every_commented_setting_is_valid_when_uncommented(tmp_path: Path) -> None:
    text = default_config_text()
    defaults = Settings().values()
    names = [name for name in setting_names() if name != "hooks"]
    for name in names:
        line = next(line for line in text.splitlines() if line.startswith(f"# {name} = "))
        (tmp_path / "config.toml").write_text(line[2:] + "\n", encoding="utf-8")
        settings = load_settings(Paths(tmp_path, "--home"))
        assert settings.sources[name] == str(tmp_path / "config.toml")
        if name != "orchestrator":  # shown with an example target, its default is none
            assert settings.values()[name] == defaults[name], name
    documented = descriptions()
    assert all(documented.get(name) for name in names), "a setting without a description"


# --- help, version, completion -------------------------------------------------------------------


def test_help_puts_everyday_commands_first_and_names_the_aliases() -> None:
    text = invoke("--help")
    everyday, setup, tools = (
        text.index("Everyday commands:"),
        text.index("Set-up:"),
        text.index("Tools:"),
    )
    assert everyday < setup < tools
    assert text.index("  status ") < text.index("  watch ") < setup
    for tool in ("simulate", "demo", "classify"):
        assert text.index(f"  {tool} ") > tools
    for alias, command in ALIASES.items():
        assert f"{alias}" in text and f"= {command}" in text
    assert "Quick start" in text


@pytest.mark.parametrize(
    "command",
    [["status"], ["watch"], ["health"], ["history"], ["schedule"], ["pause"], ["resume"]],
)
def test_each_everyday_command_shows_an_example(command: list[str]) -> None:
    assert "credit-monitor " + command[0] in invoke(*command, "--help").split("Example")[1]


def test_version_flag() -> None:
    assert invoke("-V") == invoke("--version")
    assert invoke("-V").strip().endswith(f"version {version('credit_management')}")


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _credit_monitor_completion credit-monitor"),
        ("zsh", "#compdef credit-monitor"),
        ("fish", "complete --no-files --command credit-monitor"),
    ],
)
def test_completion_scripts_for_each_shell(shell: str, marker: str) -> None:
    script = invoke("completion", shell)
    assert marker in script and "_CREDIT_MONITOR_COMPLETE" in script


def test_bad_shell_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["completion", "tcsh"])
    assert result.exit_code == 2 and "tcsh" in result.output


def test_the_bash_completion_completes_commands_and_aliases() -> None:
    """What bash gets back when it asks the installed command to complete `credit-monitor st`."""
    env = {
        **os.environ,
        "_CREDIT_MONITOR_COMPLETE": "bash_complete",
        "COMP_WORDS": "credit-monitor st",
        "COMP_CWORD": "1",
    }
    done = subprocess.run([str(CLI)], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "plain,status" in done.stdout.splitlines()
