"""The crontab entry that runs `credit-monitor run` on the check interval.

cron starts jobs with almost no environment, so the entry carries the PATH (only the folders
of tmux, of credit-monitor and the system ones), home and tmux socket the monitor needs. The
entry is marked by a trailing comment so install is idempotent and remove touches nothing else.
`run` rotates the `logs/cron.log` the entry appends to.
"""

from __future__ import annotations

import math
import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from credit_management.errors import CreditError
from credit_management.store.paths import Paths

MARKER = "# credit-monitor run"
SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")
CRON_LOG_MAX_BYTES = 1_000_000
CRON_LOG_BACKUPS = 2


def _which(program: str) -> str | None:
    """`shutil.which`, loaded only by the commands that install: cron's `run` never needs it."""
    import shutil

    return shutil.which(program)


def program_path() -> str:
    """The installed `credit-monitor` program this process belongs to."""
    executable = Path(sys.argv[0]).resolve()
    if executable.name == "credit-monitor":
        return str(executable)
    return _which("credit-monitor") or str(Path(sys.executable).with_name("credit-monitor"))


def needed_path(program: str | None = None) -> str:
    """A PATH with only what the monitor runs: its own folder, tmux's, and the system ones."""
    folders: list[str] = []
    tmux = _which("tmux")
    for item in (str(Path(program or program_path()).parent), tmux and str(Path(tmux).parent)):
        if item and item not in folders:
            folders.append(item)
    folders += [folder for folder in SYSTEM_PATH if folder not in folders]
    return ":".join(folders)


def rotate_log(
    paths: Paths, max_bytes: int = CRON_LOG_MAX_BYTES, backups: int = CRON_LOG_BACKUPS
) -> bool:
    """Move `logs/cron.log` to `cron.log.1` (and so on) once it is over `max_bytes`.

    The run that rotates still writes to the moved file (cron opened it already); the next run
    starts a fresh one. True when it rotated. Never raises.
    """
    log = paths.logs_dir / "cron.log"
    try:
        if log.stat().st_size <= max_bytes:
            return False
        for index in range(backups - 1, 0, -1):
            older = log.with_name(f"cron.log.{index}")
            if older.exists():
                os.replace(older, log.with_name(f"cron.log.{index + 1}"))
        os.replace(log, log.with_name("cron.log.1"))
    except OSError:
        return False
    return True


def socket_path(socket: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The tmux server's socket as a full path, the way tmux itself finds it.

    A name (`tmux -L`) lives in $TMUX_TMPDIR (else /tmp) under tmux-UID, and no socket means
    the server of $TMUX, else "default". cron sets neither variable, so the entry must carry
    the path, not the name.
    """
    env = os.environ if environ is None else environ
    if socket and "/" in socket:
        return str(Path(socket).expanduser().absolute())
    if not socket and env.get("TMUX"):
        return env["TMUX"].split(",", 1)[0]
    folder = Path(env.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
    return str(folder / (socket or "default"))


def _cron_quote(text: str) -> str:
    # cron turns an unescaped "%" into a newline (stdin for the command).
    return shlex.quote(text).replace("%", "\\%")


def entry_line(paths: Paths, socket: str | None, interval_minutes: float) -> str:
    """The crontab line: every N minutes, with PATH, home and socket, output to the log."""
    minutes = max(1, math.ceil(interval_minutes))
    schedule = "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
    program = program_path()
    env = [
        f"PATH={_cron_quote(needed_path(program))}",
        f"CREDIT_MANAGEMENT_HOME={_cron_quote(str(paths.home))}",
        f"CREDIT_MONITOR_TMUX_SOCKET={_cron_quote(socket_path(socket))}",
    ]
    if paths.config_file != paths.home / "config.toml":  # an installed copy's XDG config
        env.append(f"CREDIT_MONITOR_CONFIG={_cron_quote(str(paths.config_file))}")
    log = _cron_quote(str(paths.logs_dir / "cron.log"))
    command = f"{_cron_quote(program)} run >> {log} 2>&1"
    return f"{schedule} {' '.join(env)} {command} {MARKER}"


def _crontab() -> str:
    found = _which("crontab")
    if found is None:
        raise CreditError("crontab is not installed (on Debian: apt-get install cron)")
    return found


def read_crontab() -> list[str]:
    """The current user's crontab lines (empty when there is none)."""
    done = subprocess.run([_crontab(), "-l"], capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        if "no crontab" in done.stderr.lower():
            return []
        raise CreditError(f"crontab -l failed: {done.stderr.strip() or done.returncode}")
    return done.stdout.splitlines()


def write_crontab(lines: list[str]) -> None:
    """Replace the user's crontab with `lines`."""
    body = "".join(f"{line}\n" for line in lines)
    done = subprocess.run([_crontab(), "-"], input=body, capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        raise CreditError(f"crontab - failed: {done.stderr.strip() or done.returncode}")


def install(paths: Paths, socket: str | None, interval_minutes: float) -> tuple[str, bool]:
    """Add or update the entry; returns it and whether the crontab changed."""
    line = entry_line(paths, socket, interval_minutes)
    current = read_crontab()
    others = [existing for existing in current if not existing.endswith(MARKER)]
    wanted = [*others, line]
    if wanted == current:
        return line, False
    paths.logs_dir.mkdir(parents=True, exist_ok=True)
    write_crontab(wanted)
    return line, True


def remove() -> bool:
    """Drop the entry; True when there was one."""
    current = read_crontab()
    kept = [line for line in current if not line.endswith(MARKER)]
    if kept == current:
        return False
    write_crontab(kept)
    return True


def show() -> str | None:
    """The installed entry, if any."""
    return next((line for line in read_crontab() if line.endswith(MARKER)), None)
