"""One sweep's structured reading of each agent pane, from every source that has something.

For a pane: the samples the statusline and hook commands recorded for it (passed in, as the
store owns them), the Claude transcript found from the Claude process's working directory, and
the Codex rollout its process holds open. The result per pane is a `Reading`: the windows, the
cost, and the verdict of the latest failure record. Reads only; the lifecycle decides.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Protocol

from credit_management.lifecycle.structured import UsageObservation
from credit_management.models import Kind, Signal, iso
from credit_management.records import Record
from credit_management.sources import claude_statusline, claude_transcript, codex_rollout, procs
from credit_management.sources.claude_failures import failure_signal
from credit_management.sources.readings import Point, Reading, epoch_or_iso
from credit_management.sources.samples import statusline_windows
from credit_management.sources.usage import burn_rate, predicted_exhaustion

SampleReader = Callable[[str], list[dict[str, Any]]]


@dataclass(frozen=True, repr=False)
class PaneRef(Record):
    """What gathering needs of a pane: its id and the pid of its first process."""

    pane_id: str
    pid: int


class PaneLike(Protocol):
    """Any pane listing (the tmux gateway's `PaneInfo`) with an id and a first pid."""

    @property
    def pane_id(self) -> str: ...

    @property
    def pid(self) -> int: ...


def observe_panes(
    panes: Iterable[PaneLike],
    samples_of: SampleReader,
    now: datetime,
    host_tz: tzinfo,
) -> dict[str, UsageObservation]:
    """The sweep's structured observations by pane id."""
    refs = [PaneRef(pane.pane_id, pane.pid) for pane in panes]
    readings = gather(refs, samples_of, now, host_tz)
    return {pane_id: observation_of(reading) for pane_id, reading in readings.items()}


def gather(
    panes: Iterable[PaneRef],
    samples_of: SampleReader,
    now: datetime,
    host_tz: tzinfo,
    proc: Path = procs.PROC,
) -> dict[str, Reading]:
    """Readings by pane id, for the panes any source knows something about."""
    names: dict[int, str] = {}
    children = procs.children_map(proc, names)
    panes = list(panes)
    shared = _shared_projects(children, proc, names)
    readings: dict[str, Reading] = {}
    for pane in panes:
        try:
            reading = read_pane(
                pane, samples_of(pane.pane_id), children, now, host_tz, proc, shared
            )
        except (OSError, ValueError):
            continue  # one pane's unreadable files must not cost the others their reading
        if reading is not None:
            readings[pane.pane_id] = reading
    return readings


def read_pane(
    pane: PaneRef,
    samples: list[dict[str, Any]],
    children: dict[int, list[int]],
    now: datetime,
    host_tz: tzinfo,
    proc: Path = procs.PROC,
    shared: frozenset[str] = frozenset(),
) -> Reading | None:
    """Everything the structured sources say about one pane, or None when none says a thing.

    `shared` names the Claude project folders more than one pane works in: their newest
    transcript could be another agent's, so it is read only through a recorded path.
    """
    processes = procs.tree(pane.pid, children, proc) if pane.pid > 0 else []
    claude = procs.find_agent(processes, "claude")
    codex = procs.find_agent(processes, "codex")
    reading = Reading()
    if samples or claude is not None:
        reading.provider = "claude"
        _claude_samples(reading, samples, now, host_tz)
        if claude is not None:
            _claude_transcript(reading, claude, now, host_tz, proc, shared)
    if codex is not None and claude is None:
        reading.provider = "codex"
        _codex(reading, processes, codex, now, proc)
    return reading if reading.provider is not None else None


def _claude_samples(
    reading: Reading, samples: list[dict[str, Any]], now: datetime, host_tz: tzinfo
) -> None:
    last_hook: dict[str, Any] | None = None
    for sample in samples:
        seen = epoch_or_iso(sample.get("t"))
        if seen is None:
            continue
        reading.touch(seen)
        for key in ("session_id", "transcript_path", "cwd"):
            if isinstance(sample.get(key), str):
                setattr(reading, key, sample[key])
        if sample.get("kind") == "statusline":
            windows = statusline_windows(sample)
            reading.windows.update(windows)
            for name, window in windows.items():
                reading.history.setdefault(name, []).append(
                    Point(window.seen_at, window.used_percent, window.resets_at)
                )
            cost = sample.get("cost_usd")
            if isinstance(cost, int | float):
                reading.cost_usd = float(cost)
                reading.cost_source = claude_statusline.SOURCE
        elif sample.get("kind") == "hook":
            last_hook = sample
    if last_hook is not None:
        reading.signal_at = epoch_or_iso(last_hook.get("t"))
        reading.signal_source = "claude-hook"
        if last_hook.get("event") == "StopFailure":
            error = last_hook.get("error")
            message = last_hook.get("message")
            reading.signal = failure_signal(
                error if isinstance(error, str) else None,
                message if isinstance(message, str) else None,
                reading.windows,
                now,
                host_tz,
            )


def _project_of(claude: procs.Process, proc: Path) -> tuple[str, Path] | None:
    """The Claude process's working directory and its transcripts' folder."""
    cwd = procs.cwd(claude.pid, proc)
    if cwd is None:
        return None
    config = claude_transcript.config_dir(procs.environ(claude.pid, proc))
    return cwd, config / "projects" / claude_transcript.project_slug(cwd)


def _shared_projects(
    children: dict[int, list[int]], proc: Path, names: dict[int, str] | None = None
) -> frozenset[str]:
    """Project folders that more than one running Claude process works in (any process of
    the host, in a pane or not): the newest transcript there may be another one's. Kernel
    threads and processes named as no agent (`procs.NEVER_AGENTS`) are not read."""
    parent = {kid: ppid for ppid, kids in children.items() for kid in kids}
    known = names or {}
    candidates = [
        pid
        for pid in sorted(parent)
        if procs.KERNEL_THREADS not in (pid, parent[pid])
        and known.get(pid) not in procs.NEVER_AGENTS
    ]
    agents = {
        pid: process
        for pid in candidates
        if procs.find_agent([process := procs.Process(pid, procs.cmdline(pid, proc))], "claude")
    }
    seen: dict[str, int] = {}
    for pid, process in agents.items():
        if parent.get(pid) in agents:
            continue  # a wrapper and the agent it runs are one agent
        project = _project_of(process, proc)
        if project is not None:
            seen[str(project[1])] = seen.get(str(project[1]), 0) + 1
    return frozenset(folder for folder, count in seen.items() if count > 1)


def _claude_transcript(
    reading: Reading,
    claude: procs.Process,
    now: datetime,
    host_tz: tzinfo,
    proc: Path,
    shared: frozenset[str],
) -> None:
    """The transcript's last API error, when it is newer than the last hook record."""
    path: Path | None = None
    if reading.transcript_path and os.path.isfile(reading.transcript_path):
        path = Path(reading.transcript_path)
    else:
        project = _project_of(claude, proc)
        if project is None or str(project[1]) in shared:
            return
        cwd, folder = project
        path = claude_transcript.find_transcript(cwd, folder.parent.parent)
        reading.cwd = reading.cwd or cwd
        started = procs.started_at(claude.pid, proc)
        if path is None or (started is not None and _mtime(path) < started - 1):
            return  # the newest transcript is an earlier session's: this one wrote nothing yet
    if path is None:
        return
    reading.transcript_path = str(path)
    error = claude_transcript.read_api_error(path)
    if error is None or error.at is None:
        return
    if reading.signal_at is not None and error.at <= reading.signal_at:
        return
    reading.touch(error.at)
    if error.transient:
        signal: Signal | None = Signal(
            Kind.RATE_LIMIT, "claude", None, f"claude-transcript: {error.text[:200]}",
            "Claude rate limit (transient)",
        )  # fmt: skip
    else:
        hint = error.resets_at if error.error == "rate_limit" else None
        signal = failure_signal(
            error.error, error.text, reading.windows, now, host_tz, hint, "claude-transcript"
        )
    reading.signal = signal
    reading.signal_at = error.at
    reading.signal_source = claude_transcript.SOURCE


def _codex(
    reading: Reading,
    processes: list[procs.Process],
    codex: procs.Process,
    now: datetime,
    proc: Path,
) -> None:
    held = procs.open_files([p.pid for p in processes], proc)
    home = codex_rollout.codex_home(procs.environ(codex.pid, proc))
    path = codex_rollout.find_rollout(held, procs.cwd(codex.pid, proc), home)
    if path is None:
        return
    rollout = codex_rollout.read_rollout(path)
    reading.cwd = rollout.cwd
    reading.windows.update(rollout.windows)
    reading.history.update(rollout.history)
    if rollout.last_event_at is not None:
        reading.touch(rollout.last_event_at)
    full = reading.full_windows(now)
    if full:
        window = max(full, key=lambda w: w.resets_at or now)
        scope = "5-hour" if window.name == "five_hour" else "weekly"
        reading.signal = Signal(
            Kind.EXHAUSTED, "codex", window.resets_at,
            f"codex-rollout: {window.name} {window.used_percent:.0f}% ({path.name})",
            f"Codex {scope} limit at {window.used_percent:.0f}%", scope,
        )  # fmt: skip
        reading.signal_at = window.seen_at
        reading.signal_source = codex_rollout.SOURCE
    elif rollout.limit_error_at is not None:
        reading.signal = Signal(
            Kind.EXHAUSTED, "codex", None, f"codex-rollout: {rollout.limit_error_text[:200]}",
            "Codex usage limit",
        )  # fmt: skip
        reading.signal_at = rollout.limit_error_at
        reading.signal_source = codex_rollout.SOURCE


def observation_of(reading: Reading) -> UsageObservation:
    """The reading as the lifecycle takes it: JSON-ready windows with burn rate and prediction."""
    usage: dict[str, dict[str, Any]] = {}
    for name, window in reading.windows.items():
        rate = burn_rate(reading.history.get(name, []), window)
        item = window.to_dict()
        item["burn_rate"] = round(rate, 2) if rate is not None else None
        item["predicted_exhaustion"] = iso(predicted_exhaustion(window, rate))
        usage[name] = item
    return UsageObservation(
        provider=reading.provider,
        usage=usage,
        cost_usd=reading.cost_usd,
        signal=reading.signal,
        signal_at=reading.signal_at,
        signal_source=reading.signal_source,
    )


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
