"""`credit-monitor integrate claude`: keeps an existing statusLine (wrapped) and hooks, runs
twice without change, honours $CLAUDE_CONFIG_DIR, and `--remove` restores the file byte for
byte."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from credit_management.cli import cli

ORIGINAL = (
    '{\n    "model": "opus",\n    "statusLine": {"type": "command", '
    '"command": "~/.claude/statusline.sh", "padding": 2},\n'
    '    "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}],\n'
    '              "StopFailure": [{"matcher": "rate_limit", "hooks": [{"type": "command", '
    '"command": "/opt/page-me.sh", "timeout": 10}]}]}\n}'
)  # deliberately not formatted the way the tool writes JSON


def run(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def settings(isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "claude-config"
    config.mkdir()
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    path = config / "settings.json"
    path.write_bytes(ORIGINAL.encode())
    return path


def test_keeps_statusline_and_hooks_is_idempotent_and_removes_byte_for_byte(
    settings: Path,
) -> None:
    out = run("integrate", "claude")
    assert "wraps your command '~/.claude/statusline.sh'" in out
    data = json.loads(settings.read_text())
    line = data["statusLine"]
    assert line["padding"] == 2
    words = shlex.split(line["command"])
    assert words[-3:] == ["statusline", "--wrap", "~/.claude/statusline.sh"]
    assert data["hooks"]["Stop"][0]["hooks"][0]["command"] == "notify-send done"
    assert data["hooks"]["StopFailure"][0]["hooks"][0]["command"] == "/opt/page-me.sh"
    for event in ("StopFailure", "Stop", "SessionStart"):
        commands = [h["command"] for g in data["hooks"][event] for h in g["hooks"]]
        assert sum(c.endswith(" hook claude") for c in commands) == 1
    backup = settings.with_name("settings.json.credit-monitor.bak")
    assert backup.read_bytes() == ORIGINAL.encode()

    written = settings.read_bytes()
    assert "already integrated" in run("integrate", "claude")
    assert settings.read_bytes() == written

    run("integrate", "claude", "--remove")
    assert settings.read_bytes() == ORIGINAL.encode()
    assert not backup.exists()


def test_dry_run_changes_nothing(settings: Path) -> None:
    out = run("integrate", "claude", "--dry-run")
    assert '"SessionStart"' in out
    assert settings.read_bytes() == ORIGINAL.encode()


def test_a_file_edited_since_loses_only_our_entries(settings: Path) -> None:
    run("integrate", "claude")
    data = json.loads(settings.read_text())
    data["theme"] = "dark"
    settings.write_text(json.dumps(data))
    run("integrate", "claude", "--remove")
    after = json.loads(settings.read_text())
    assert after == {**json.loads(ORIGINAL), "theme": "dark"}


def test_no_settings_before_means_none_after(isolated_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "settings.json"
    run("integrate", "claude", "--settings", str(path))
    assert json.loads(path.read_text())["statusLine"]["type"] == "command"
    run("integrate", "claude", "--settings", str(path), "--remove")
    assert not path.exists()


def test_invalid_json_is_refused_and_left_alone(isolated_home: Path, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{ not json")
    result = CliRunner().invoke(cli, ["integrate", "claude", "--settings", str(path)])
    assert result.exit_code == 1
    assert "is not valid JSON" in result.output and "Traceback" not in result.output
    assert path.read_text() == "{ not json"
