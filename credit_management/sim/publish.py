"""What a simulated agent publishes besides its screen, as the real agents do.

Claude Code (`ClaudePublisher`): reads the settings under its HOME (or `$CLAUDE_CONFIG_DIR`),
runs the statusLine command with the statusline JSON as usage climbs, runs the SessionStart,
Stop and StopFailure hooks with their payloads, and writes its transcript, the limit as an
API-error record. Codex (`CodexPublisher`): writes a rollout file under `$CODEX_HOME/sessions`
(`token_count` events with the rate-limit windows) and keeps it open while it runs. Both are
driven by the simulator's own records ("started", "prompt", "limit", "reset").
"""

from __future__ import annotations

import json
import math
import os
import queue
import re
import subprocess
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from credit_management.models import parse_iso
from credit_management.sim.agent import SimConfig, ceil_minute, limit_banner

COMMAND_TIMEOUT = 10.0
CLAUDE_VERSION = "2.1.90"
CODEX_VERSION = "0.160.0"
WEEK = timedelta(days=7)


def _epoch(moment: datetime) -> int:
    return math.ceil(moment.timestamp())


def _iso_z(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def statusline_payload(
    session_id: str,
    transcript: str,
    cwd: str,
    limits: tuple[float, int, float, int] | None,
    *,
    cost: float = 1.37,
    answered: int = 50,
) -> dict[str, Any]:
    """The statusLine JSON as Claude Code documents it. `limits` is (five-hour used %, its reset
    in epoch seconds, seven-day used %, its reset), or None for a payload before the first
    answer (no `rate_limits` yet); `answered` scales the token and line counts."""
    payload: dict[str, Any] = {
        "session_id": session_id,
        "transcript_path": transcript,
        "cwd": cwd,
        "model": {"id": "claude-opus-5", "display_name": "Opus"},
        "workspace": {"current_dir": cwd, "project_dir": cwd, "added_dirs": []},
        "version": CLAUDE_VERSION,
        "output_style": {"name": "default"},
        "cost": {
            "total_cost_usd": cost,
            "total_duration_ms": 45000,
            "total_api_duration_ms": 2300,
            "total_lines_added": 3 * answered,
            "total_lines_removed": answered,
        },
        "context_window": {
            "total_input_tokens": 1500 * answered,
            "total_output_tokens": 120 * answered,
            "context_window_size": 200000,
            "used_percentage": 1,
            "remaining_percentage": 99,
        },
        "exceeds_200k_tokens": False,
    }
    if limits is not None:
        five, five_reset, seven, seven_reset = limits
        payload["rate_limits"] = {
            "five_hour": {"used_percentage": five, "resets_at": five_reset},
            "seven_day": {"used_percentage": seven, "resets_at": seven_reset},
        }
    return payload


class Publisher:
    """Nothing to publish (Gemini); the base of the others."""

    def __init__(self, config: SimConfig, environ: dict[str, str] | None = None) -> None:
        self.config = config
        self.env = dict(os.environ if environ is None else environ)
        self.home = Path(self.env.get("HOME") or Path.home())
        self.cwd = os.getcwd()
        self.answered = 0
        self.cost = 0.0
        self.reset_at: datetime | None = None  # the published reset of the full window

    def publish(self, records: list[dict[str, Any]]) -> None:
        """Publish what the records say; a file that cannot be written is skipped."""
        try:
            self._publish(records)
        except OSError:
            pass  # the agent goes on, as the real ones do when their home is read-only

    def _publish(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            now = parse_iso(record.get("time")) or datetime.now().astimezone()
            event = record.get("event")
            if event == "started":
                self.started(now)
            elif event == "prompt" and record.get("result") == "answered":
                self.answered += 1
                self.cost += 0.05
                # An answer that runs into the limit ends its turn with StopFailure, not Stop.
                last = not any(r.get("event") == "limit" for r in records)
                self.answer(now, str(record.get("prompt", "")), last)
            elif event == "limit":
                self.reset_at = self._published_reset(parse_iso(record.get("reset_at")) or now)
                self.limited(now, first=True)
            elif (
                event == "prompt"
                and record.get("result") == "refused"
                and self._refused_late(records, record)
            ):
                self.limited(now, first=False)
            elif event in ("reset", "auto_continue"):
                self.answered = 0
                self.reset_at = None

    def _refused_late(self, records: list[dict[str, Any]], record: dict[str, Any]) -> bool:
        """A refusal while limited (the refusal that hits the limit comes with its record)."""
        return self.reset_at is not None and not any(r.get("event") == "limit" for r in records)

    def _published_reset(self, reset: datetime) -> datetime:
        # The agents publish the reset their banner is drawn from: whole minutes when the
        # banner shows a time of day, else the second.
        if self.config.style == "clock":
            return ceil_minute(reset)
        return datetime.fromtimestamp(_epoch(reset), UTC)

    def used(self) -> float:
        if self.reset_at is not None:
            return 100.0
        limit = max(self.config.limit_after, 1)
        return min(99.0, round(100.0 * self.answered / limit, 1))

    def window_reset(self, now: datetime) -> datetime:
        return self.reset_at or ceil_minute(now + timedelta(seconds=self.config.reset_in))

    def banner_text(self, now: datetime) -> str:
        lines = limit_banner(self.config, now, self.reset_at or now)
        return re.sub(r"^[\s⎿■✕]+", "", lines[0]) if lines else "usage limit reached"

    def started(self, now: datetime) -> None: ...

    def answer(self, now: datetime, prompt: str, turn_ends: bool = True) -> None: ...

    def limited(self, now: datetime, first: bool) -> None: ...

    def close(self) -> None: ...


class ClaudePublisher(Publisher):
    """Claude Code's statusLine, hooks and transcript."""

    def __init__(self, config: SimConfig, environ: dict[str, str] | None = None) -> None:
        super().__init__(config, environ)
        configured = self.env.get("CLAUDE_CONFIG_DIR")
        self.config_dir = Path(configured) if configured else self.home / ".claude"
        self.settings = self._settings()
        self.session_id = str(uuid.uuid4())
        slug = re.sub(r"[^A-Za-z0-9]", "-", self.cwd)[:200]
        self.transcript = self.config_dir / "projects" / slug / f"{self.session_id}.jsonl"
        self.week_reset: datetime | None = None
        self._jobs: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._run_jobs, daemon=True)
        self._worker.start()

    def _settings(self) -> dict[str, Any]:
        try:
            data = json.loads((self.config_dir / "settings.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    # -- running commands as Claude does: through the shell, JSON on stdin, in the background --

    def _run_jobs(self) -> None:
        while (job := self._jobs.get()) is not None:
            command, data = job
            try:
                subprocess.run(
                    ["/bin/sh", "-c", command],
                    input=data,
                    capture_output=True,
                    timeout=COMMAND_TIMEOUT,
                    check=False,
                    cwd=self.cwd,
                )
            except (OSError, subprocess.SubprocessError):
                pass

    def _run(self, command: str, payload: dict[str, Any]) -> None:
        self._jobs.put((command, json.dumps(payload).encode()))

    def _hooks(self, event: str, payload: dict[str, Any], match: str = "") -> None:
        hooks = self.settings.get("hooks")
        groups = hooks.get(event) if isinstance(hooks, dict) else None
        for group in groups if isinstance(groups, list) else []:
            if not isinstance(group, dict):
                continue
            matcher = str(group.get("matcher") or "")
            if matcher not in ("", "*") and match not in matcher.split("|"):
                continue
            for handler in group.get("hooks") or []:
                if isinstance(handler, dict) and isinstance(handler.get("command"), str):
                    self._run(handler["command"], {**self._common(), "hook_event_name": event,
                                                   **payload})  # fmt: skip

    def _common(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "transcript_path": str(self.transcript),
            "cwd": self.cwd,
        }

    def _statusline(self, now: datetime, with_limits: bool = True) -> None:
        line = self.settings.get("statusLine")
        if not isinstance(line, dict) or not isinstance(line.get("command"), str):
            return
        if self.week_reset is None:
            self.week_reset = ceil_minute(now + WEEK)
        limits = None
        if with_limits:
            used = self.used()
            limits = (used, _epoch(self.window_reset(now)), round(used / 4, 1),
                      _epoch(self.week_reset))  # fmt: skip
        payload = statusline_payload(
            self.session_id, str(self.transcript), self.cwd, limits,
            cost=round(self.cost, 4), answered=self.answered,
        )  # fmt: skip
        self._run(line["command"], payload)

    def _write(self, record: dict[str, Any]) -> None:
        self.transcript.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with open(self.transcript, "a", encoding="utf-8") as handle:
            handle.write(line)

    def _entry(self, now: datetime, kind: str, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "parentUuid": None,
            "isSidechain": False,
            "userType": "external",
            "cwd": self.cwd,
            "sessionId": self.session_id,
            "version": CLAUDE_VERSION,
            "type": kind,
            "message": message,
            "uuid": str(uuid.uuid4()),
            "timestamp": _iso_z(now),
        }

    # -- the agent's life ------------------------------------------------------------------

    def started(self, now: datetime) -> None:
        self._hooks("SessionStart", {"source": "startup", "model": "claude-opus-5"}, "startup")
        self._statusline(now, with_limits=False)

    def answer(self, now: datetime, prompt: str, turn_ends: bool = True) -> None:
        self._write(self._entry(now, "user", {"role": "user", "content": prompt}))
        text = [{"type": "text", "text": f"Done: {prompt[:60]}"}]
        self._write(
            self._entry(now, "assistant", {"role": "assistant", "model": "claude-opus-5",
                                           "content": text, "stop_reason": "end_turn"})
        )  # fmt: skip
        self._statusline(now)
        if turn_ends:
            message = text[0]["text"]
            self._hooks("Stop", {"stop_hook_active": False, "last_assistant_message": message})

    def limited(self, now: datetime, first: bool) -> None:
        banner = self.banner_text(now)
        record = self._entry(
            now,
            "assistant",
            {"role": "assistant", "model": "<synthetic>",
             "content": [{"type": "text", "text": banner}]},
        )  # fmt: skip
        record.update(
            {
                "isApiErrorMessage": True,
                "error": "rate_limit",
                "apiErrorStatus": 429,
                "quotaLimits": {
                    "rateLimitType": "five_hour",
                    "resetsAt": _epoch(self.window_reset(now)),
                },
            }
        )
        self._write(record)
        if first:
            self._statusline(now)
        self._hooks(
            "StopFailure",
            {"error": "rate_limit", "error_details": "429 Too Many Requests",
             "last_assistant_message": banner},
            "rate_limit",
        )  # fmt: skip

    def close(self) -> None:
        self._jobs.put(None)
        self._worker.join(timeout=2.0)


class CodexPublisher(Publisher):
    """Codex's rollout file, held open while the agent runs."""

    def __init__(self, config: SimConfig, environ: dict[str, str] | None = None) -> None:
        super().__init__(config, environ)
        configured = self.env.get("CODEX_HOME")
        self.codex_home = Path(configured) if configured else self.home / ".codex"
        self.thread_id = str(uuid.uuid4())
        self.handle: IO[str] | None = None
        self.week_reset: datetime | None = None
        self.path: Path | None = None

    def _line(self, now: datetime, kind: str, payload: dict[str, Any]) -> None:
        if self.handle is None:
            return
        record = {"timestamp": _iso_z(now), "type": kind, "payload": payload}
        self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.handle.flush()

    def started(self, now: datetime) -> None:
        local = now.astimezone()
        folder = self.codex_home / "sessions" / f"{local:%Y}" / f"{local:%m}" / f"{local:%d}"
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"rollout-{local:%Y-%m-%dT%H-%M-%S}-{self.thread_id}.jsonl"
        self.handle = open(self.path, "a", encoding="utf-8")
        self.week_reset = ceil_minute(now + WEEK)
        self._line(now, "session_meta", {
            "id": self.thread_id, "timestamp": _iso_z(now), "cwd": self.cwd,
            "originator": "codex_cli_rs", "cli_version": CODEX_VERSION, "source": "cli",
            "model_provider": "openai",
        })  # fmt: skip

    def _token_count(self, now: datetime) -> None:
        assert self.week_reset is not None
        used = self.used()
        tokens = 1000 * self.answered
        usage = {"input_tokens": tokens, "cached_input_tokens": 0, "output_tokens": tokens // 10,
                 "reasoning_output_tokens": 0, "total_tokens": tokens + tokens // 10}  # fmt: skip
        self._line(now, "event_msg", {
            "type": "token_count",
            "info": {"total_token_usage": usage, "last_token_usage": usage,
                     "model_context_window": 258400},
            "rate_limits": {
                "primary": {"used_percent": used, "window_minutes": 300,
                            "resets_at": _epoch(self.window_reset(now))},
                "secondary": {"used_percent": round(used / 4, 1), "window_minutes": 10080,
                              "resets_at": _epoch(self.week_reset)},
                "plan_type": "plus",
            },
        })  # fmt: skip

    def answer(self, now: datetime, prompt: str, turn_ends: bool = True) -> None:
        self._line(now, "event_msg", {"type": "task_started", "turn_id": str(uuid.uuid4())})
        self._token_count(now)
        self._line(now, "event_msg", {"type": "task_complete", "last_agent_message": "Done"})

    def limited(self, now: datetime, first: bool) -> None:
        self._line(now, "event_msg", {"type": "task_started", "turn_id": str(uuid.uuid4())})
        self._token_count(now)
        error = {"message": self.banner_text(now), "codex_error_info": "usage_limit_exceeded"}
        self._line(now, "event_msg", {"type": "task_complete", "last_agent_message": None,
                                      "error": error})  # fmt: skip

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


def publisher_for(config: SimConfig, environ: dict[str, str] | None = None) -> Publisher:
    """The publisher of the simulated provider."""
    if config.provider == "claude":
        return ClaudePublisher(config, environ)
    if config.provider == "codex":
        return CodexPublisher(config, environ)
    return Publisher(config, environ)
