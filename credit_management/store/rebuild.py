"""Recreating the state file from the journal when it is lost or unreadable.

`check` says whether the state file reads; `rebuild` keeps the bad bytes aside (a timestamped
`.corrupt-…` copy), replays the journal's `state.snapshot` and `state.changed` lines in order
(unreadable lines and records are skipped and counted) and writes the result atomically. What
the journal cannot know (what the panes show now) comes from the next sweep.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from credit_management.records import Record
from credit_management.store.journal import EventLog
from credit_management.store.state import State, StateCorrupt, StateStore


@dataclass(frozen=True, repr=False)
class Check(Record):
    """The state file's health: readable, missing, or corrupt (with the reason)."""

    ok: bool
    exists: bool
    reason: str | None = None
    backup: Path | None = None
    agents: int = 0


@dataclass(repr=False)
class Rebuilt(Record):
    """What a rebuild did."""

    state: State
    backup: Path | None
    reason: str | None
    journal_lines: int = 0  # journal records replayed
    skipped_lines: int = 0  # unreadable lines in the event log
    skipped_records: list[str] = field(default_factory=list)  # agents or keys left out

    @property
    def queued(self) -> int:
        return sum(len(record.queued) for record in self.state.agents.values())

    def summary(self) -> str:
        skipped = f", {self.skipped_lines} unreadable line(s) skipped" if self.skipped_lines else ""
        return (
            f"rebuilt from {self.journal_lines} journal record(s): {len(self.state.agents)} "
            f"agent(s), {self.queued} queued message(s), {len(self.state.schedules)} scheduled "
            f"note(s){skipped}"
        )


def check(store: StateStore) -> Check:
    """Read the state file without changing it (a corrupt one gets its backup copy)."""
    if not store.path.exists():
        return Check(ok=True, exists=False)
    try:
        state = store.load()
    except StateCorrupt as corrupt:
        return Check(ok=False, exists=True, reason=corrupt.reason, backup=corrupt.backup)
    return Check(ok=True, exists=True, agents=len(state.agents))


def replay(log: EventLog) -> tuple[dict[str, Any], int, int, list[str]]:
    """The journaled document, how many journal records made it, how many unreadable lines
    were skipped, and what could not be applied."""
    records, skipped = log.read_journal()
    document: dict[str, Any] = {}
    used = 0
    problems: list[str] = []
    for record in records:
        event = record.get("event")
        if event == "state.snapshot" and isinstance(record.get("state"), dict):
            document = copy.deepcopy(record["state"])
            used += 1
        elif event == "state.changed":
            agents = document.setdefault("agents", {})
            changed = record.get("agents")
            if isinstance(changed, dict) and isinstance(agents, dict):
                agents.update(copy.deepcopy(changed))
            removed = record.get("removed")
            if isinstance(removed, list) and isinstance(agents, dict):
                for target in removed:
                    agents.pop(target, None)
            top = record.get("top")
            if isinstance(top, dict):
                document.update(copy.deepcopy({k: v for k, v in top.items() if k != "agents"}))
            used += 1
        else:
            continue
    return document, used, skipped, problems


def to_state(document: dict[str, Any], problems: list[str]) -> State:
    """A State from the replayed document, leaving out (and naming) what does not validate."""
    try:
        return State.from_dict(document)
    except ValueError:
        pass
    agents = document.get("agents") if isinstance(document.get("agents"), dict) else {}
    base = {key: value for key, value in document.items() if key != "agents"}
    try:
        state = State.from_dict({**base, "agents": {}})
    except ValueError as error:
        problems.append(f"settings: {error}")
        state = State()
    for target, record in (agents or {}).items():
        try:
            one = State.from_dict({"version": state.version, "agents": {target: record}})
        except ValueError as error:
            problems.append(f"{target}: {error}")
            continue
        state.agents.update(one.agents)
        state.agent_extra.update(one.agent_extra)
    return state


def rebuild(store: StateStore, *, force: bool = False) -> Rebuilt | None:
    """Rebuild the state file from the journal when it is unreadable (or always, `force`).

    None when the file reads fine and `force` is not given. A file of a future version is
    never rebuilt over (its StateError propagates). The bytes replaced are always kept aside.
    """
    found = check(store)
    if found.ok and not force:
        return None
    backup = found.backup if not found.ok else store.keep_aside()
    document, used, skipped, problems = replay(EventLog(store.paths.events_log))
    state = to_state(document, problems)
    store.replace(state)
    return Rebuilt(
        state=state,
        backup=backup,
        reason=found.reason,
        journal_lines=used,
        skipped_lines=skipped,
        skipped_records=problems,
    )
