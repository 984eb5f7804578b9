"""A systemd user service that keeps `credit-monitor watch` running.

`unit_text` writes the unit: the watcher with the right `--home` and `--socket`, an explicit
PATH, restart on failure, output to the journal. `install` writes it under
`~/.config/systemd/user/` and, when a user systemd answers, reloads, enables and starts it;
`remove` undoes that; `status` says what systemd reports. The watcher wakes at each due
instant, so a service resumes agents within seconds of their reset (cron only every interval).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from credit_management.errors import CreditError
from credit_management.records import Record
from credit_management.service.cron import needed_path, program_path, socket_path
from credit_management.store.paths import Paths

UNIT_NAME = "credit-monitor.service"
LINGER_HINT = (
    "to keep it running after you log out (and start it at boot): loginctl enable-linger $USER"
)


@dataclass(frozen=True, repr=False)
class ServiceStatus(Record):
    """The unit file and what systemd says of it."""

    unit_file: Path
    installed: bool
    systemd: bool  # a user systemd answered
    active: str | None  # "active", "inactive", "failed", ... (None without systemd)
    enabled: str | None


def unit_dir(environ: dict[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/systemd/user` (else `~/.config/systemd/user`)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME") or Path.home()) / ".config")
    return Path(base) / "systemd" / "user"


def _quote(arg: str) -> str:
    """One ExecStart argument, quoted the way systemd reads it."""
    if arg and not any(char in arg for char in " \t\"'\\;$%"):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$").replace("%", "%%")
    return f'"{escaped}"'


def _env_value(name: str, value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'Environment="{name}={escaped}"'


def unit_text(paths: Paths, socket: str | None, program: str | None = None) -> str:
    """The unit file for the watcher of this home and tmux server."""
    program = program or program_path()
    args = [program, "--home", str(paths.home), "--socket", socket_path(socket), "watch"]
    environment = [
        _env_value("PATH", needed_path(program)),
        _env_value("PYTHONUNBUFFERED", "1"),
    ]
    if paths.config_file != paths.home / "config.toml":
        environment.append(_env_value("CREDIT_MONITOR_CONFIG", str(paths.config_file)))
    lines = [
        "[Unit]",
        "Description=credit-monitor watch: resumes AI coding agents in tmux at their reset",
        "Documentation=https://pypi.org/project/credit_management/",
        "StartLimitIntervalSec=600",
        "StartLimitBurst=10",
        "",
        "[Service]",
        "Type=simple",
        *environment,
        f"WorkingDirectory={_quote(str(paths.home))}",
        "ExecStart=" + " ".join(_quote(arg) for arg in args),
        "Restart=on-failure",
        "RestartSec=15",
        "StandardOutput=journal",
        "StandardError=journal",
        "SyslogIdentifier=credit-monitor",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ]
    return "\n".join(lines)


def _systemctl(*args: str) -> subprocess.CompletedProcess[str] | None:
    """`systemctl --user ARGS`, or None when there is no systemctl or no user manager."""
    found = shutil.which("systemctl")
    if found is None:
        return None
    try:
        done = subprocess.run([found, "--user", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0 and _no_manager(done.stderr):
        return None
    return done


def _no_manager(stderr: str) -> bool:
    text = stderr.lower()
    return any(
        sign in text
        for sign in ("failed to connect", "no medium", "not been booted", "xdg_runtime_dir")
    )


def install(paths: Paths, socket: str | None, start: bool = True) -> tuple[Path, bool, list[str]]:
    """Write the unit (and, with a user systemd and `start`, enable and start it).

    Returns the unit file, whether systemd took it, and the commands left for a person.
    """
    folder = unit_dir()
    unit = folder / UNIT_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        paths.home.mkdir(parents=True, exist_ok=True)
        unit.write_text(unit_text(paths, socket), encoding="utf-8")
    except OSError as error:
        raise CreditError(f"cannot write {unit}: {error.strerror}") from error
    todo = [
        "systemctl --user daemon-reload",
        f"systemctl --user enable --now {UNIT_NAME}",
    ]
    if not start:
        return unit, False, todo
    reload = _systemctl("daemon-reload")
    if reload is None or reload.returncode != 0:
        return unit, False, todo
    enabled = _systemctl("enable", "--now", UNIT_NAME)
    if enabled is None or enabled.returncode != 0:
        detail = enabled.stderr.strip() if enabled is not None else ""
        raise CreditError(f"wrote {unit} but systemd did not start it: {detail or 'no answer'}")
    return unit, True, []


def remove() -> tuple[Path, bool]:
    """Stop, disable and delete the unit; returns it and whether there was one."""
    unit = unit_dir() / UNIT_NAME
    existed = unit.exists()
    if existed:
        _systemctl("disable", "--now", UNIT_NAME)
        try:
            unit.unlink()
        except OSError as error:
            raise CreditError(f"cannot remove {unit}: {error.strerror}") from error
        _systemctl("daemon-reload")
    return unit, existed


def status() -> ServiceStatus:
    """Whether the unit is installed, and what a user systemd says of it."""
    unit = unit_dir() / UNIT_NAME
    active = _systemctl("is-active", UNIT_NAME)
    enabled = _systemctl("is-enabled", UNIT_NAME)
    return ServiceStatus(
        unit_file=unit,
        installed=unit.exists(),
        systemd=active is not None,
        active=active.stdout.strip() or None if active is not None else None,
        enabled=enabled.stdout.strip() or None if enabled is not None else None,
    )


def verify(unit: Path) -> tuple[bool, str] | None:
    """`systemd-analyze verify` on the unit file: (accepted, what it said), or None when
    systemd-analyze is not installed."""
    found = shutil.which("systemd-analyze")
    if found is None:
        return None
    with tempfile.TemporaryDirectory(prefix="credit-monitor-verify.") as runtime:
        # --user needs a runtime folder even to read a file (none exists outside a login).
        env = {**os.environ, "XDG_RUNTIME_DIR": os.environ.get("XDG_RUNTIME_DIR") or runtime}
        done = subprocess.run(
            [found, "--user", "verify", str(unit)],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
    said = (done.stdout + done.stderr).strip()
    # A clean unit gets no word at all; anything said is a problem found, even at exit 0.
    return done.returncode == 0 and not said, said
