"""Settings: defaults, `<home>/config.toml`, environment variables and command options.

Precedence, highest first: command options (`overrides`), environment, config.toml, defaults.
`Settings.sources` says where each value came from. A bad value, an unknown key or a file that
is not valid TOML is a ConfigError naming the key (or file and line) and the source.

config.toml keys (all optional):
  watch                       list of fnmatch patterns for targets (`session:window_index`) or
                              window names to watch; default ["*"] (every window)
  ignore                      list of patterns never watched (the monitor's own window, shells)
  orchestrator                target told about stops and resumes (default: none)
  test_message                sent at a reset to check that the agent answers again
  resume_message              sent once the agent is verified working again
  model_switch_message        sent when an agent must change model (default "/model sonnet")
  resume_margin_seconds       wait this long after a printed reset before resuming (60)
  verify_timeout_seconds      how long a resumed agent has to answer the test message (90)
  confirm_seconds             a stop must still show after this long before acting (3)
  max_resume_attempts         failed resumes before asking a person (5)
  retry_backoff_minutes       first wait after a failed resume, doubled each time (15)
  attention_recheck_minutes   how often an agent needing attention is looked at again (30)
  cycle_hours                 length of the usage cycle when no reset was printed (5)
                              (env CLAUDE_CREDIT_CYCLE_HOURS)
  check_interval_minutes      minutes between sweeps of the watcher (5)
                              (env CLAUDE_CREDIT_CHECK_INTERVAL)
  warning_threshold_minutes   warn this many minutes before a reset (10)
                              (env CLAUDE_CREDIT_WARNING_THRESHOLD)
  [[hooks]]                   events = ["credit.*"] (fnmatch patterns, default ["*"]);
                              command = ["notify-send", "x"] (an argument list) or
                              url = "http://..." (POST JSON); timeout = 10 (seconds);
                              retries = 2 (webhooks only)
The orchestrator can also come from CREDIT_MONITOR_ORCHESTRATOR. `reset_times` and `timezone`
stay in the state file, as in the original tool.
"""

from __future__ import annotations

import difflib
import math
import os
import tomllib
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from credit_management.errors import ConfigError
from credit_management.models import HOOK_DEFAULT_RETRIES, HOOK_DEFAULT_TIMEOUT, HookSpec
from credit_management.store.paths import Paths

DEFAULT_TEST_MESSAGE = "Quick check: reply with OK if you can work again."
DEFAULT_RESUME_MESSAGE = "Your usage limit has reset. Please continue where you left off."
DEFAULT_MODEL_SWITCH_MESSAGE = "/model sonnet"

# setting name -> environment variable that can set it
ENV_VARS: dict[str, str] = {
    "cycle_hours": "CLAUDE_CREDIT_CYCLE_HOURS",
    "check_interval_minutes": "CLAUDE_CREDIT_CHECK_INTERVAL",
    "warning_threshold_minutes": "CLAUDE_CREDIT_WARNING_THRESHOLD",
    "orchestrator": "CREDIT_MONITOR_ORCHESTRATOR",
}
SOURCE_DEFAULT = "default"
SOURCE_OPTION = "command option"
_HOOK_KEYS = ("events", "command", "url", "timeout", "retries")


@dataclass(frozen=True)
class Settings:
    """The effective configuration of one run."""

    cycle_hours: float = 5.0
    check_interval_minutes: float = 5.0
    warning_threshold_minutes: float = 10.0
    watch: tuple[str, ...] = ("*",)
    ignore: tuple[str, ...] = ()
    orchestrator: str | None = None
    test_message: str = DEFAULT_TEST_MESSAGE
    resume_message: str = DEFAULT_RESUME_MESSAGE
    model_switch_message: str = DEFAULT_MODEL_SWITCH_MESSAGE
    resume_margin_seconds: float = 60.0
    verify_timeout_seconds: float = 90.0
    confirm_seconds: float = 3.0
    max_resume_attempts: int = 5
    retry_backoff_minutes: float = 15.0
    attention_recheck_minutes: float = 30.0
    hooks: tuple[HookSpec, ...] = ()
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    config_file: Path | None = field(default=None, compare=False)

    def values(self) -> dict[str, Any]:
        """Every setting as plain JSON values (hooks as dicts), in declaration order."""
        result: dict[str, Any] = {}
        for name in setting_names():
            value = getattr(self, name)
            if name == "hooks":
                value = [hook.to_dict() for hook in value]
            elif isinstance(value, tuple):
                value = list(value)
            result[name] = value
        return result


def setting_names() -> list[str]:
    """The names of every setting (the keys allowed in config.toml)."""
    return [item.name for item in fields(Settings) if item.name not in ("sources", "config_file")]


# --- value checkers: each takes the raw value and returns the typed one or raises ValueError ---


def _number(raw: object, *, allow_zero: bool) -> float:
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        value = float(raw.strip())
    else:
        raise ValueError
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError
    return value


def _positive(raw: object) -> float:
    return _number(raw, allow_zero=False)


def _non_negative(raw: object) -> float:
    return _number(raw, allow_zero=True)


def _positive_int(raw: object) -> int:
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, str) and raw.strip().lstrip("+").isdigit():
        value = int(raw.strip())
    else:
        raise ValueError
    if value <= 0:
        raise ValueError
    return value


def _patterns(raw: object) -> tuple[str, ...]:
    if isinstance(raw, str):
        items = [part.strip() for part in raw.split(",")]
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        raise ValueError
    if not all(isinstance(item, str) and item for item in items):
        raise ValueError
    return tuple(items)


def _text(raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValueError
    if any(ord(char) < 32 and char not in "\t" for char in raw):
        raise ValueError
    return raw


def _optional_target(raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ValueError
    stripped = raw.strip()
    if not stripped:
        return None
    if any(char.isspace() for char in stripped):
        raise ValueError
    return stripped


_CHECKERS: dict[str, tuple[Callable[[object], Any], str]] = {
    "cycle_hours": (_positive, "a positive number"),
    "check_interval_minutes": (_positive, "a positive number"),
    "warning_threshold_minutes": (_non_negative, "a number, 0 or more"),
    "watch": (_patterns, "a list of non-empty patterns"),
    "ignore": (_patterns, "a list of non-empty patterns"),
    "orchestrator": (_optional_target, "a target such as 'main:0', or empty"),
    "test_message": (_text, "a non-empty single line of text"),
    "resume_message": (_text, "a non-empty single line of text"),
    "model_switch_message": (_text, "a non-empty single line of text"),
    "resume_margin_seconds": (_non_negative, "a number, 0 or more"),
    "verify_timeout_seconds": (_positive, "a positive number"),
    "confirm_seconds": (_non_negative, "a number, 0 or more"),
    "max_resume_attempts": (_positive_int, "a positive whole number"),
    "retry_backoff_minutes": (_positive, "a positive number"),
    "attention_recheck_minutes": (_positive, "a positive number"),
}


def _check(name: str, raw: object, label: str, source: str) -> Any:
    checker, expected = _CHECKERS[name]
    try:
        return checker(raw)
    except (ValueError, TypeError):
        shown = raw if isinstance(raw, str) else _toml_repr(raw)
        raise ConfigError(f"{label}: must be {expected}, got {shown!r} ({source})") from None


def _toml_repr(raw: object) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)


def _unknown_key(key: str, allowed: list[str] | tuple[str, ...], where: str) -> ConfigError:
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ConfigError(f"{where}: unknown key {key!r}{hint}")


def _read_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, expected a TOML file") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from error
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None


def _read_hooks(raw: object, path: Path) -> tuple[HookSpec, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: hooks must be an array of tables ([[hooks]])")
    specs = []
    for number, table in enumerate(raw, start=1):
        where = f"{path}: hooks #{number}"
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: must be a table ([[hooks]])")
        for key in table:
            if key not in _HOOK_KEYS:
                raise _unknown_key(key, _HOOK_KEYS, where)
        events = table.get("events", ["*"])
        if isinstance(events, str):
            events = [events]
        if (
            not isinstance(events, list)
            or not events
            or not all(isinstance(item, str) and item for item in events)
        ):
            raise ConfigError(f"{where}: events must be a list of event patterns")
        command = table.get("command")
        url = table.get("url")
        if (command is None) == (url is None):
            raise ConfigError(f"{where}: needs exactly one of command or url")
        if command is not None and (
            not isinstance(command, list)
            or not command
            or not all(isinstance(item, str) for item in command)
            or not command[0]
        ):
            raise ConfigError(
                f"{where}: command must be an argument list such as ['notify-send', 'x'] "
                "(not a shell string)"
            )
        if url is not None:
            parsed = urllib.parse.urlparse(url) if isinstance(url, str) else None
            if parsed is None or parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise ConfigError(f"{where}: url must be an http:// or https:// URL, got {url!r}")
        timeout = table.get("timeout", HOOK_DEFAULT_TIMEOUT)
        retries = table.get("retries", HOOK_DEFAULT_RETRIES)
        try:
            timeout_value = _positive(timeout)
        except ValueError:
            raise ConfigError(
                f"{where}: timeout must be a positive number of seconds, got {timeout!r}"
            ) from None
        if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 10:
            raise ConfigError(f"{where}: retries must be a whole number 0-10, got {retries!r}")
        specs.append(
            HookSpec(
                events=tuple(events),
                command=tuple(command) if command is not None else None,
                url=url,
                timeout=timeout_value,
                retries=retries,
            )
        )
    return tuple(specs)


def load_settings(
    paths: Paths,
    overrides: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """The effective settings: overrides > environment > config.toml > defaults."""
    env = os.environ if environ is None else environ
    names = setting_names()
    path = paths.config_file
    document = _read_file(path)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {name: SOURCE_DEFAULT for name in names}

    for key, raw in document.items():
        if key not in names:
            raise _unknown_key(key, names, str(path))
        if key == "hooks":
            values["hooks"] = _read_hooks(raw, path)
        else:
            values[key] = _check(key, raw, key, str(path))
        sources[key] = str(path)

    for name, variable in ENV_VARS.items():
        raw_env = env.get(variable)
        if raw_env is None or raw_env.strip() == "":
            continue
        values[name] = _check(name, raw_env, variable, "environment")
        sources[name] = f"environment {variable}"

    for key, raw in (overrides or {}).items():
        if raw is None:
            continue  # an option that was not given
        if key not in names or key == "hooks":
            raise _unknown_key(key, [n for n in names if n != "hooks"], "option")
        values[key] = _check(key, raw, key, SOURCE_OPTION)
        sources[key] = SOURCE_OPTION

    return Settings(**values, sources=sources, config_file=path)
