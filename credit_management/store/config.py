"""Settings: defaults, `<home>/config.toml`, environment variables and command options.

Precedence, highest first: command options (`overrides`), environment, config.toml, defaults.
`Settings.sources` says where each value came from. A bad value (wrong type, out of its range)
or a file that is not valid TOML is a ConfigError naming the key (or file and line), the source
and the allowed range; an unknown key is a line in `Settings.warnings`. Every duration takes
`90s`, `5m`, `1h`, `1d` or `1h30m`; a plain number is in the unit the key's name says.

config.toml keys (all optional):
  watch                       list of fnmatch patterns for targets (`session:window_index`) or
                              window names to watch; default ["*"] (every window)
  ignore                      list of patterns never watched (the monitor's own window, shells)
  orchestrator                target told about stops and resumes (default: none)
  test_message                sent at a reset to check that the agent answers again
  resume_message              sent once the agent is verified working again ("" sends none,
                              leaving a tight cycle to the held messages)
  model_switch_message        sent when an agent must change model (default "/model sonnet")
  resume_margin_seconds       wait this long after a printed reset before resuming (60)
  verify_timeout_seconds      how long a resumed agent has to answer the test message (90)
  confirm_seconds             a stop must still show after this long before acting (3)
  answer_watch_seconds        how long the answer to a delivered message is watched for a
                              refusal (6)
  enter_pause_seconds         pause between typing a message and pressing Enter, plus a
                              little more for long messages (0.3)
  enter_settle_seconds        wait after Enter before checking the agent took the text; the
                              n-th press waits n times this (1)
  max_resume_attempts         failed resumes before asking a person (5)
  retry_backoff_minutes       first wait after a failed resume, doubled each time (15)
  attention_recheck_minutes   how often an agent needing attention is looked at again (30)
  nudge                       nudge an agent left idle on a transient error (true)
  stall_seconds               a transient error's screen unchanged this long after its retry
                              instant is a stall (30)
  nudge_message               what a stalled agent is sent (default "continue")
  max_nudges                  nudges per error, 0 for none (2)
  usage_warning_percents      credit.warning when a usage window passes these (80, 95)
  cycle_hours                 length of the usage cycle when no reset was printed (5)
                              (env CLAUDE_CREDIT_CYCLE_HOURS)
  check_interval_minutes      minutes between sweeps of the watcher (5)
                              (env CLAUDE_CREDIT_CHECK_INTERVAL)
  warning_threshold_minutes   warn this many minutes before a reset (10)
                              (env CLAUDE_CREDIT_WARNING_THRESHOLD)
  [[hooks]]                   events = ["credit.*"] (fnmatch patterns, default ["*"]);
                              command = ["notify-send", "x"] (an argument list) or
                              url = "http://..." (POST JSON); timeout_seconds = 10
                              (1s-10m; old name `timeout`); retries = 2 (webhooks only)
The orchestrator can also come from CREDIT_MONITOR_ORCHESTRATOR. `reset_times` and `timezone`
stay in the state file, as in the original tool.
"""

from __future__ import annotations

import math
import os
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from credit_management.errors import ConfigError
from credit_management.models import HOOK_DEFAULT_RETRIES, HOOK_DEFAULT_TIMEOUT, HookSpec
from credit_management.records import Record
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
_HOOK_KEYS = ("events", "command", "url", "timeout_seconds", "retries")
# Old key names still read, each the same as its new name.
_HOOK_ALIASES = {"timeout": "timeout_seconds"}
HOOK_TIMEOUT_RANGE = (1.0, 600.0)


@dataclass(frozen=True, repr=False)
class Settings(Record):
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
    answer_watch_seconds: float = 6.0
    enter_pause_seconds: float = 0.3
    enter_settle_seconds: float = 1.0
    max_resume_attempts: int = 5
    retry_backoff_minutes: float = 15.0
    attention_recheck_minutes: float = 30.0
    nudge: bool = True
    stall_seconds: float = 30.0
    nudge_message: str = "continue"
    max_nudges: int = 2
    usage_warning_percents: tuple[float, ...] = (80.0, 95.0)
    hooks: tuple[HookSpec, ...] = ()
    sources: dict[str, str] = field(default_factory=dict, compare=False)
    config_file: Path | None = field(default=None, compare=False)
    # Things worth a look that do not stop a run (unknown keys), one line each.
    warnings: tuple[str, ...] = field(default=(), compare=False)

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
    hidden = ("sources", "config_file", "warnings")
    return [item.name for item in fields(Settings) if item.name not in hidden]


# --- value checkers: each takes the raw value and returns the typed one or raises ValueError ---

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
# A duration's unit letter -> seconds; a plain number is read in the setting's own unit.
_UNIT_SECONDS = {"s": 1.0, "m": MINUTE, "h": HOUR, "d": DAY}
_UNIT_WORDS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_UNIT_ALIASES = {
    **{word: "s" for word in ("s", "sec", "secs", "second", "seconds")},
    **{word: "m" for word in ("m", "min", "mins", "minute", "minutes")},
    **{word: "h" for word in ("h", "hr", "hrs", "hour", "hours")},
    **{word: "d" for word in ("d", "day", "days")},
}
_DURATION_PART = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)")

Checker = tuple[Callable[[object], Any], str]


def parse_duration(raw: object, unit: str = "s") -> float:
    """Seconds in `raw`: "90s", "5m", "1h", "1d", "1h30m", or a plain number of `unit`s.

    Raises ValueError for anything else (booleans, negatives, nan, infinities, empty text).
    """
    scale = _UNIT_SECONDS[unit]
    if isinstance(raw, bool):
        raise ValueError("not a duration")
    if isinstance(raw, int | float):
        seconds = float(raw) * scale
    elif isinstance(raw, str):
        text = raw.strip().lower()
        if len(text) > 64:
            raise ValueError("not a duration")
        try:
            seconds = float(text) * scale
        except ValueError:
            seconds = _parse_units(text)
    else:
        raise ValueError("not a duration")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError("not a duration")
    return seconds


def _parse_units(text: str) -> float:
    total, position = 0.0, 0
    while position < len(text):
        match = _DURATION_PART.match(text, position)
        if match is None or match.group(2) not in _UNIT_ALIASES:
            raise ValueError("not a duration")
        total += float(match.group(1)) * _UNIT_SECONDS[_UNIT_ALIASES[match.group(2)]]
        position = match.end()
        while position < len(text) and text[position] == " ":
            position += 1
    if position == 0:
        raise ValueError("not a duration")
    return total


def span_text(seconds: float) -> str:
    """A bound as people write it: 0s, 10s, 5m, 1h, 1d (the largest whole unit)."""
    for letter in ("d", "h", "m"):
        scale = _UNIT_SECONDS[letter]
        if seconds >= scale and seconds % scale == 0:
            return f"{seconds / scale:g}{letter}"
    return f"{seconds:g}s"


def duration(unit: str, low: float, high: float) -> Checker:
    """The checker of a duration setting kept in `unit` ("s", "m" or "h"), bounded in seconds.

    Declare a new duration setting as `"name_seconds": duration("s", 0, DAY)`.
    """
    scale = _UNIT_SECONDS[unit]

    def check(raw: object) -> float:
        seconds = parse_duration(raw, unit)
        if not low <= seconds <= high:
            raise ValueError("out of range")
        return seconds / scale

    expected = (
        f"a duration from {span_text(low)} to {span_text(high)} "
        f"(90s, 5m, 1h; a plain number is {_UNIT_WORDS[unit]})"
    )
    return check, expected


def whole(low: int, high: int) -> Checker:
    """The checker of a whole-number setting from `low` to `high`."""

    def check(raw: object) -> int:
        if isinstance(raw, bool):
            raise ValueError("not a whole number")
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, str) and raw.strip().lstrip("+").isdigit() and len(raw) < 20:
            value = int(raw.strip())
        else:
            raise ValueError("not a whole number")
        if not low <= value <= high:
            raise ValueError("out of range")
        return value

    return check, f"a whole number from {low} to {high}"


def number(low: float, high: float) -> Checker:
    """The checker of a plain (unitless) number from `low` to `high`."""

    def check(raw: object) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise ValueError("not a number")
        value = float(raw.strip() if isinstance(raw, str) else raw)
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError("out of range")
        return value

    return check, f"a number from {low:g} to {high:g}"


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


def _optional_text(raw: object) -> str:
    """A single line of text, or "" for none (the resume message is optional)."""
    if isinstance(raw, str) and not raw.strip():
        return ""
    return _text(raw)


def _flag(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "yes", "on", "1"):
        return True
    if isinstance(raw, str) and raw.strip().lower() in ("false", "no", "off", "0"):
        return False
    raise ValueError("not true or false")


def _percents(raw: object) -> tuple[float, ...]:
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        raise ValueError
    check, _ = number(1, 100)
    return tuple(sorted(check(item) for item in items if not isinstance(item, str) or item.strip()))


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


# Every numeric setting has a range; a new one is declared with `duration`, `whole` or `number`.
_CHECKERS: dict[str, Checker] = {
    "cycle_hours": duration("h", MINUTE, 7 * DAY),
    "check_interval_minutes": duration("m", 10, DAY),
    "warning_threshold_minutes": duration("m", 0, DAY),
    "watch": (_patterns, "a list of non-empty patterns"),
    "ignore": (_patterns, "a list of non-empty patterns"),
    "orchestrator": (_optional_target, "a target such as 'main:0', or empty"),
    "test_message": (_text, "a non-empty single line of text"),
    "resume_message": (_optional_text, 'a single line of text ("" sends none)'),
    "model_switch_message": (_text, "a non-empty single line of text"),
    "resume_margin_seconds": duration("s", 0, DAY),
    "verify_timeout_seconds": duration("s", 1, HOUR),
    "confirm_seconds": duration("s", 0, MINUTE),
    "answer_watch_seconds": duration("s", 0.5, 10 * MINUTE),
    "enter_pause_seconds": duration("s", 0.05, 10),
    "enter_settle_seconds": duration("s", 0.1, MINUTE),
    "max_resume_attempts": whole(1, 100),
    "retry_backoff_minutes": duration("m", 10, DAY),
    "attention_recheck_minutes": duration("m", 10, DAY),
    "nudge": (_flag, "true or false"),
    "stall_seconds": duration("s", 1, DAY),
    "nudge_message": (_text, "a non-empty single line of text"),
    "max_nudges": whole(0, 20),
    "usage_warning_percents": (_percents, "a list of percentages from 1 to 100"),
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
    return ConfigError(_unknown_key_text(key, allowed, where))


def _unknown_key_text(key: str, allowed: list[str] | tuple[str, ...], where: str) -> str:
    import difflib  # only for a mistake's hint

    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{where}: unknown key {key!r}{hint}"


def _read_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, expected a TOML file") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from error
    import tomllib  # only when there is a file to parse

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None


def _read_hooks(raw: object, path: Path, warnings: list[str]) -> tuple[HookSpec, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{path}: hooks must be an array of tables ([[hooks]])")
    specs = []
    for number, table in enumerate(raw, start=1):
        where = f"{path}: hooks #{number}"
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: must be a table ([[hooks]])")
        table = {_HOOK_ALIASES.get(key, key): value for key, value in table.items()}
        for key in table:
            if key not in _HOOK_KEYS:
                known = (*_HOOK_KEYS, *_HOOK_ALIASES)
                warnings.append(_unknown_key_text(key, known, where) + "; ignored")
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
        timeout = table.get("timeout_seconds", HOOK_DEFAULT_TIMEOUT)
        retries = table.get("retries", HOOK_DEFAULT_RETRIES)
        check_timeout, expected = duration("s", *HOOK_TIMEOUT_RANGE)
        try:
            timeout_value = check_timeout(timeout)
        except ValueError:
            raise ConfigError(
                f"{where}: timeout_seconds must be {expected}, got {_toml_repr(timeout)!r}"
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
    warnings: list[str] = []

    for key, raw in document.items():
        if key not in names:
            warnings.append(_unknown_key_text(key, names, str(path)) + "; ignored")
            continue
        if key == "hooks":
            values["hooks"] = _read_hooks(raw, path, warnings)
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

    return Settings(**values, sources=sources, config_file=path, warnings=tuple(warnings))
