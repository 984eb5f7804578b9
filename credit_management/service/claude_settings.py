"""Claude Code's user settings: add the monitor's statusLine and hooks, and take them out again.

`integrate` keeps what the user has: an existing statusLine command is wrapped (the monitor's
statusline runs it with the same input and shows its output), existing hooks stay, and running
it twice changes nothing. The first change keeps the file as it was beside it
(`settings.json.credit-monitor.bak`) and notes what was written
(`settings.json.credit-monitor.json`); `remove` puts the backup back byte for byte when the file
was not edited since, else takes out only the monitor's entries. Never prints.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shlex
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from credit_management.errors import InputError
from credit_management.records import Record

HOOK_EVENTS: tuple[str, ...] = ("StopFailure", "SessionStart", "Stop")
HOOK_TIMEOUT = 10


@dataclass(frozen=True, repr=False)
class Outcome(Record):
    """What integrate or remove did (or would do, with dry_run)."""

    path: Path
    changed: bool
    text: str  # the file's new content ("" when it is removed)
    notes: tuple[str, ...]
    backup: Path | None = None


def settings_path(explicit: str | os.PathLike[str] | None, environ: dict[str, str]) -> Path:
    """`--settings`, else `$CLAUDE_CONFIG_DIR/settings.json`, else `~/.claude/settings.json`."""
    if explicit:
        return Path(explicit).expanduser()
    config = environ.get("CLAUDE_CONFIG_DIR")
    base = Path(config).expanduser() if config else Path(environ.get("HOME", "~")) / ".claude"
    return base.expanduser() / "settings.json"


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".credit-monitor.bak")


def marker_path(path: Path) -> Path:
    return path.with_name(path.name + ".credit-monitor.json")


def _words(command: object) -> list[str]:
    if not isinstance(command, str):
        return []
    try:
        return shlex.split(command)
    except ValueError:
        return command.split()


def _is_ours(command: object, verb: str) -> bool:
    words = _words(command)
    named = any("credit-monitor" in w or "credit_management" in w for w in words)
    if verb == "hook":
        return named and "hook" in words and "claude" in words
    return named and verb in words


def _wrapped_command(command: object) -> str | None:
    """The user's statusLine command inside ours (`... statusline --wrap CMD`)."""
    words = _words(command)
    if "--wrap" in words and words.index("--wrap") + 1 < len(words):
        return words[words.index("--wrap") + 1]
    return None


def _load(path: Path) -> tuple[bytes | None, dict[str, Any]]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, {}
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from error
    if not raw.strip():
        return raw, {}
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise InputError(f"{path} is not valid JSON ({error}); fix it first") from error
    if not isinstance(data, dict):
        raise InputError(f"{path} does not hold a JSON object; fix it first")
    return raw, data


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def planned(data: dict[str, Any], program: str) -> tuple[dict[str, Any], list[str]]:
    """The settings with the monitor's statusLine and hooks added, and what was added."""
    new = copy.deepcopy(data)
    notes: list[str] = []
    ours = f"{program} statusline"
    line = new.get("statusLine")
    if not isinstance(line, dict) or not _is_ours(line.get("command"), "statusline"):
        if isinstance(line, dict) and isinstance(line.get("command"), str) and line["command"]:
            wrapped = dict(line)
            wrapped["command"] = f"{ours} --wrap {shlex.quote(line['command'])}"
            wrapped["type"] = "command"
            new["statusLine"] = wrapped
            notes.append(f"statusLine: wraps your command {line['command']!r}")
        else:
            new["statusLine"] = {"type": "command", "command": ours}
            notes.append("statusLine: added")
    hooks = new.get("hooks")
    if hooks is None:
        hooks = new["hooks"] = {}
    if not isinstance(hooks, dict):
        raise InputError("the settings' hooks is not an object; fix it first")
    for event in HOOK_EVENTS:
        groups = hooks.setdefault(event, [])
        if not isinstance(groups, list):
            raise InputError(f"the settings' hooks.{event} is not a list; fix it first")
        present = any(
            isinstance(handler, dict) and _is_ours(handler.get("command"), "hook")
            for group in groups
            if isinstance(group, dict)
            for handler in (group.get("hooks") or [])
        )
        if not present:
            handler: dict[str, Any] = {"type": "command", "command": f"{program} hook claude"}
            handler["timeout"] = HOOK_TIMEOUT
            groups.append({"hooks": [handler]})
            notes.append(f"hooks.{event}: added")
    return new, notes


def integrate(path: Path, program: str, dry_run: bool = False) -> Outcome:
    """Add the statusLine and hooks to the settings at `path` (idempotent, with a backup)."""
    raw, data = _load(path)
    new, notes = planned(data, program)
    if new == data and raw is not None:
        return Outcome(path, False, raw.decode("utf-8", "replace"), ("already integrated",))
    text = _dump(new)
    if dry_run:
        return Outcome(path, True, text, tuple(notes))
    backup = backup_path(path)
    marker = marker_path(path)
    if not marker.exists():
        if raw is not None:
            _write(backup, raw)
        record = {"existed": raw is not None, "backup": str(backup) if raw is not None else None}
    else:
        record = json.loads(marker.read_text())
    record["written_sha256"] = _sha(text.encode())
    _write(path, text.encode())
    _write(marker, (json.dumps(record, indent=2) + "\n").encode())
    return Outcome(path, True, text, tuple(notes), backup if raw is not None else None)


def stripped(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The settings without the monitor's entries (a wrapped statusLine is unwrapped)."""
    new = copy.deepcopy(data)
    notes: list[str] = []
    line = new.get("statusLine")
    if isinstance(line, dict) and _is_ours(line.get("command"), "statusline"):
        inner = _wrapped_command(line.get("command"))
        if inner is not None:
            line["command"] = inner
            notes.append("statusLine: your command unwrapped")
        else:
            del new["statusLine"]
            notes.append("statusLine: removed")
    hooks = new.get("hooks")
    if isinstance(hooks, dict):
        for event in list(hooks):
            groups = hooks[event]
            if not isinstance(groups, list):
                continue
            kept_groups = []
            for group in groups:
                if isinstance(group, dict) and isinstance(group.get("hooks"), list):
                    handlers = [
                        h
                        for h in group["hooks"]
                        if not (isinstance(h, dict) and _is_ours(h.get("command"), "hook"))
                    ]
                    if len(handlers) != len(group["hooks"]):
                        notes.append(f"hooks.{event}: removed")
                    if not handlers:
                        continue
                    group = {**group, "hooks": handlers}
                kept_groups.append(group)
            if kept_groups:
                hooks[event] = kept_groups
            else:
                del hooks[event]
        if not hooks:
            del new["hooks"]
    return new, notes


def remove(path: Path, dry_run: bool = False) -> Outcome:
    """Take the monitor's entries out: the file as it was when untouched since, else surgically."""
    raw, data = _load(path)
    marker = marker_path(path)
    record: dict[str, Any] = {}
    if marker.exists():
        try:
            record = json.loads(marker.read_text())
        except (OSError, ValueError):
            record = {}
    backup = backup_path(path)
    untouched = raw is not None and record.get("written_sha256") == _sha(raw)
    if untouched and (not record.get("existed") or backup.exists()):
        original = backup.read_bytes() if record.get("existed") else None
        note = "restored as it was" if original is not None else "removed (there was none)"
        if not dry_run:
            if original is None:
                path.unlink()
            else:
                _write(path, original)
            backup.unlink(missing_ok=True)
            marker.unlink(missing_ok=True)
        text = original.decode("utf-8", "replace") if original is not None else ""
        return Outcome(path, True, text, (note,))
    new, notes = stripped(data)
    if new == data:
        return Outcome(path, False, (raw or b"").decode("utf-8", "replace"), ("nothing to remove",))
    text = _dump(new)
    if not dry_run:
        _write(path, text.encode())
        marker.unlink(missing_ok=True)
    kept = (f"edited since integrate: entries taken out; the old file stays in {backup}",)
    return Outcome(path, True, text, (*notes, *(kept if backup.exists() else ())))
