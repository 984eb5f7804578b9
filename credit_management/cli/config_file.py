"""The commented default `config.toml` that `credit-monitor config init` writes.

Every setting appears commented out with its default and the sentence the settings module
documents for it, so the file explains itself and uncommenting one line changes one thing.
The descriptions are read from `store.config`'s docstring, the one place they are written.
"""

from __future__ import annotations

import json
import re
from typing import Any

from credit_management.store import config as config_module
from credit_management.store.config import Settings, setting_names

HEADER = """\
# credit-monitor configuration.
#
# Every setting below is commented out and shows its default: uncomment a line to change it.
# Durations take 90s, 5m, 1h, 1d or 1h30m; a plain number is in the unit the name says.
# Precedence, highest first: command options, environment variables, this file, defaults.
# `credit-monitor config` shows the effective values and where each one came from.
"""

HOOKS_EXAMPLE = """\
# Hooks run on events (fnmatch patterns over event names such as credit.exhausted,
# agent.resumed, message.delivered). A command is an argument list and gets the event as
# JSON on stdin; a url gets it as a POST.
#
# [[hooks]]
# events = ["credit.*", "agent.needs_attention"]
# command = ["notify-send", "credit-monitor"]
#
# [[hooks]]
# events = ["*"]
# url = "http://127.0.0.1:9000/credit-events"
"""
_ENTRY = re.compile(r"^  ([a-z_]+)\s{2,}(\S.*)$")
_MORE = re.compile(r"^\s{20,}(\S.*)$")


def descriptions(doc: str | None = None) -> dict[str, list[str]]:
    """Setting name -> its description lines, from the settings module's docstring."""
    text = config_module.__doc__ if doc is None else doc
    result: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in (text or "").splitlines():
        entry = _ENTRY.match(line)
        if entry:
            current = result.setdefault(entry.group(1), [])
            current.append(entry.group(2).strip())
            continue
        more = _MORE.match(line)
        if more and current is not None:
            current.append(more.group(1).strip())
        else:
            current = None
    return result


def toml_value(value: Any) -> str | None:
    """A default as TOML, or None when it has no TOML form (no value at all)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        items = [toml_value(item) for item in value]
        if any(item is None for item in items):
            return None
        return "[" + ", ".join(item for item in items if item is not None) + "]"
    return None


EXAMPLES = {"orchestrator": '"main:0"'}


def default_config_text() -> str:
    """The whole commented file: one block per setting, then the hooks example."""
    defaults = Settings().values()
    about = descriptions()
    blocks = [HEADER]
    for name in setting_names():
        if name == "hooks":
            continue
        lines = [f"# {line}" for line in about.get(name, [])]
        shown = toml_value(defaults.get(name))
        if shown is None:
            shown = EXAMPLES.get(name, '""')
        lines.append(f"# {name} = {shown}")
        blocks.append("\n".join(lines) + "\n")
    blocks.append(HOOKS_EXAMPLE)
    return "\n".join(blocks)
