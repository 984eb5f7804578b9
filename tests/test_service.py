"""`credit-monitor service install|status|remove`: the systemd user unit for `watch`, checked by
the real `systemd-analyze verify` (skipped where systemd is not installed); the cron line's
PATH and the rotation of logs/cron.log.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from monitor_support import BIN

from credit_management.service import systemd
from credit_management.service.cron import rotate_log
from credit_management.store.paths import Paths


def cli(home: Path, *args: str, socket: str = "work") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CREDIT_MONITOR_DEBUG"}
    return subprocess.run(
        [str(BIN / "credit-monitor"), "--home", str(home), "--socket", socket, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_install_writes_a_unit_that_systemd_accepts_then_remove_deletes_it(
    isolated_home: Path,
) -> None:
    unit = Path(os.environ["HOME"]) / ".config" / "systemd" / "user" / systemd.UNIT_NAME
    done = cli(isolated_home, "service", "install", "--no-start")
    assert done.returncode == 0, done.stderr
    assert f"wrote {unit}" in done.stdout
    assert "loginctl enable-linger" in done.stdout
    assert "systemctl --user enable --now credit-monitor.service" in done.stdout
    text = unit.read_text(encoding="utf-8")
    sockets = Path(os.environ["TMUX_TMPDIR"]) / f"tmux-{os.getuid()}" / "work"
    assert (
        f"ExecStart={BIN / 'credit-monitor'} --home {isolated_home} --socket {sockets} watch"
        in text
    )
    assert "Restart=on-failure" in text and "StandardOutput=journal" in text
    path_line = next(line for line in text.splitlines() if line.startswith('Environment="PATH='))
    folders = path_line.removeprefix('Environment="PATH=').rstrip('"').split(":")
    assert folders[0] == str(BIN) and "/usr/bin" in folders

    verdict = systemd.verify(unit)
    if verdict is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    accepted, said = verdict
    assert accepted, said

    status = cli(isolated_home, "service", "status")
    assert f"unit file: {unit}" in status.stdout and "not installed" not in status.stdout
    removed = cli(isolated_home, "service", "remove")
    assert removed.returncode == 0 and f"removed {unit}" in removed.stdout
    assert not unit.exists()
    again = cli(isolated_home, "service", "remove")
    assert again.stdout.strip() == "no credit-monitor service installed"


def test_verify_rejects_a_broken_unit(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    broken = tmp_path / "broken.service"
    broken.write_text(
        "[Service]\nExecStart=relative-program watch\nRestart=sometimes\n", encoding="utf-8"
    )
    verdict = systemd.verify(broken)
    assert verdict is not None and verdict[0] is False


def test_a_home_with_spaces_is_quoted_in_the_unit(tmp_path: Path) -> None:
    paths = Paths(tmp_path / "my home", "--home")
    text = systemd.unit_text(paths, "/tmp/tmux-1/default", program="/opt/cm/bin/credit-monitor")
    exec_line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    assert f'--home "{tmp_path / "my home"}"' in exec_line


def test_cron_log_is_rotated_once_over_its_size(tmp_path: Path) -> None:
    paths = Paths(tmp_path, "--home")
    assert rotate_log(paths) is False  # no log yet
    paths.logs_dir.mkdir()
    log = paths.logs_dir / "cron.log"
    log.write_text("small\n", encoding="utf-8")
    assert rotate_log(paths, max_bytes=100) is False
    for generation in ("first", "second", "third"):
        log.write_text(generation * 50, encoding="utf-8")
        assert rotate_log(paths, max_bytes=100) is True
        assert not log.exists()
    kept = sorted(p.name for p in paths.logs_dir.iterdir())
    assert kept == ["cron.log.1", "cron.log.2"]  # two kept, the oldest dropped
    assert (paths.logs_dir / "cron.log.1").read_text(encoding="utf-8").startswith("third")
