"""Claude Code's hook payloads (StopFailure, Stop, SessionStart, ...) kept as compact samples.

`sample_from_hook` is all `credit-monitor hook claude` needs, so this stays light; what a
failure means is `claude_failures`.
"""

from __future__ import annotations

import time
from typing import Any

from credit_management.sources.claude_statusline import common_fields


def sample_from_hook(payload: object, now: float | None = None) -> dict[str, Any]:
    """The compact sample of one hook payload. Raises ValueError when it is no hook payload."""
    if not isinstance(payload, dict) or not isinstance(payload.get("hook_event_name"), str):
        raise ValueError("the hook payload has no hook_event_name")
    sample: dict[str, Any] = {"t": round(time.time() if now is None else now, 3)}
    sample["kind"] = "hook"
    sample["event"] = payload["hook_event_name"][:60]
    sample.update(common_fields(payload))
    error = payload.get("error")
    if isinstance(error, str) and error:
        sample["error"] = error[:60]
    details = payload.get("error_details")
    if details is not None and not isinstance(details, str):
        details = str(details)
    if isinstance(details, str) and details:
        sample["error_details"] = details[:300]
    message = payload.get("last_assistant_message")
    if isinstance(message, str) and message and sample["event"] == "StopFailure":
        sample["message"] = message[:500]
    source = payload.get("source")
    if isinstance(source, str) and source:
        sample["source"] = source[:30]
    return sample
