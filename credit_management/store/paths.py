"""Where the tool keeps its files: the home folder and the paths below it.

Home is `--home`, else `CREDIT_MANAGEMENT_HOME`, else the source checkout (when running from
one), else `~/.local/share/credit_management`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "CREDIT_MANAGEMENT_HOME"


@dataclass(frozen=True)
class Paths:
    """Every file the tool reads or writes, derived from one home folder."""

    home: Path
    source: str  # how the home was chosen: "--home", "CREDIT_MANAGEMENT_HOME", "checkout", ...

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def state_file(self) -> Path:
        return self.data_dir / "credit_schedule.json"

    @property
    def lock_file(self) -> Path:
        return self.data_dir / "credit_schedule.lock"

    @property
    def run_lock_file(self) -> Path:
        return self.data_dir / "monitor.lock"

    @property
    def events_log(self) -> Path:
        return self.logs_dir / "credit_events.log"

    @property
    def config_file(self) -> Path:
        return self.home / "config.toml"


def _checkout_root() -> Path | None:
    """The source checkout this package runs from, if it is one (has pyproject.toml + data/)."""
    root = Path(__file__).resolve().parent.parent
    if (root / "pyproject.toml").is_file() and (root / "credit_management").is_dir():
        return root
    return None


def resolve_paths(home_option: str | os.PathLike[str] | None = None) -> Paths:
    """Pick the home folder by precedence: option, environment, checkout, user data folder."""
    if home_option:
        return Paths(Path(home_option).expanduser().resolve(), "--home")
    env_home = os.environ.get(HOME_ENV)
    if env_home:
        return Paths(Path(env_home).expanduser().resolve(), HOME_ENV)
    checkout = _checkout_root()
    if checkout is not None:
        return Paths(checkout, "checkout")
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Paths(Path(xdg) / "credit_management", "default")
