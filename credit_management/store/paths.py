"""Where the tool keeps its files: the home folder and the paths below it, and config.toml.

Home is `--home`, else `CREDIT_MANAGEMENT_HOME`, else the source checkout (when running from
one: `data/`, `logs/` and `config.toml` beside the code), else the XDG folders of an installed
package: data and logs under `$XDG_STATE_HOME/credit-monitor` (`~/.local/state/...`), the
config in `$XDG_CONFIG_HOME/credit-monitor/config.toml` (`~/.config/...`). A home that earlier
versions made in `$XDG_DATA_HOME/credit_management` keeps being used. `CREDIT_MONITOR_CONFIG`
names the config file whatever the home.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from credit_management.records import Record

HOME_ENV = "CREDIT_MANAGEMENT_HOME"
CONFIG_ENV = "CREDIT_MONITOR_CONFIG"
APP_DIR = "credit-monitor"
LEGACY_DIR = "credit_management"  # under $XDG_DATA_HOME, where earlier versions kept the home


@dataclass(frozen=True, repr=False)
class Paths(Record):
    """Every file the tool reads or writes, derived from one home folder."""

    home: Path
    source: str  # how the home was chosen: "--home", "CREDIT_MANAGEMENT_HOME", "checkout", "xdg"
    config_path: Path | None = None  # config.toml when it does not live in the home

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
        return self.config_path or self.home / "config.toml"


def _checkout_root(package_dir: Path | None = None) -> Path | None:
    """The source checkout this package runs from, if it is one (has pyproject.toml beside
    the package); an installed package lives in site-packages, which has none."""
    root = (package_dir or Path(__file__).resolve().parent.parent).parent
    if (root / "pyproject.toml").is_file() and (root / "credit_management").is_dir():
        return root
    return None


def xdg_dir(environ: Mapping[str, str], variable: str, fallback: str) -> Path:
    """An XDG base folder: the variable when it is an absolute path (the spec ignores a
    relative one), else its default under the user's home."""
    value = environ.get(variable, "")
    if value and Path(value).is_absolute():
        return Path(value)
    return Path.home() / fallback


def resolve_paths(
    home_option: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    package_dir: Path | None = None,
) -> Paths:
    """Pick the home folder by precedence: option, environment, checkout, XDG folders.

    `environ` and `package_dir` (the `credit_management` package folder) default to the
    process's own; tests pass them to see what an installed copy would choose.
    """
    env = os.environ if environ is None else environ
    named_config = env.get(CONFIG_ENV)
    config = Path(named_config).expanduser().resolve() if named_config else None
    if home_option:
        return Paths(Path(home_option).expanduser().resolve(), "--home", config)
    env_home = env.get(HOME_ENV)
    if env_home:
        return Paths(Path(env_home).expanduser().resolve(), HOME_ENV, config)
    checkout = _checkout_root(package_dir)
    if checkout is not None:
        return Paths(checkout, "checkout", config)
    config = config or xdg_dir(env, "XDG_CONFIG_HOME", ".config") / APP_DIR / "config.toml"
    legacy = xdg_dir(env, "XDG_DATA_HOME", ".local/share") / LEGACY_DIR
    if (legacy / "data" / "credit_schedule.json").is_file():
        # An earlier version's home: keep its state, journal and config where they are.
        kept = legacy / "config.toml"
        if not named_config and kept.is_file() and not config.is_file():
            config = kept
        return Paths(legacy, "xdg", config)
    return Paths(xdg_dir(env, "XDG_STATE_HOME", ".local/state") / APP_DIR, "xdg", config)
