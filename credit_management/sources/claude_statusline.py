"""Claude Code's statusLine payload: the JSON object Claude pipes to the statusLine command.

`sample_from_payload` keeps what the monitor needs (rate-limit windows with their exact reset,
session cost, session and transcript) as one compact sample (`samples.statusline_windows` reads
it back); `status_text` is the short line `credit-monitor statusline` prints. `rate_limits` is
absent for API-key users and before the first answer of a session: that is no error. Kept
light: the statusline command imports this on every call.
"""

from __future__ import annotations

import time
from datetime import datetime, tzinfo
from typing import Any

from credit_management.sources.values import epoch_or_iso, percent

SOURCE = "claude-statusline"
FIVE_HOUR = "five_hour"
SEVEN_DAY = "seven_day"
_SHORT = {FIVE_HOUR: "5h", SEVEN_DAY: "7d"}


def _text(value: object, limit: int = 300) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _window(raw: object) -> list[float | None] | None:
    """[used_percent, resets_at epoch seconds] from `{"used_percentage", "resets_at"}`."""
    if not isinstance(raw, dict):
        return None
    used = percent(raw.get("used_percentage", raw.get("used_percent")))
    if used is None:
        return None
    resets = epoch_or_iso(raw.get("resets_at"))
    return [used, resets.timestamp() if resets is not None else None]


def common_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """The fields every Claude payload (statusline and hooks) shares."""
    sample: dict[str, Any] = {}
    for key in ("session_id", "transcript_path", "cwd", "version"):
        value = _text(payload.get(key), 1000)
        if value is not None:
            sample[key] = value
    model = payload.get("model")
    if isinstance(model, dict):
        model = model.get("id") or model.get("display_name")
    if isinstance(model, str) and model:
        sample["model"] = model[:100]
    return sample


def sample_from_payload(payload: object, now: float | None = None) -> dict[str, Any]:
    """The compact sample of one statusline payload. Raises ValueError when it is no object."""
    if not isinstance(payload, dict):
        raise ValueError("the statusline payload is not a JSON object")
    sample: dict[str, Any] = {"t": round(time.time() if now is None else now, 3)}
    sample["kind"] = "statusline"
    sample.update(common_fields(payload))
    cost = payload.get("cost")
    if isinstance(cost, dict):
        total = cost.get("total_cost_usd")
        if isinstance(total, int | float) and not isinstance(total, bool) and total >= 0:
            sample["cost_usd"] = round(float(total), 6)
    limits = payload.get("rate_limits")
    if isinstance(limits, dict):
        for name in (FIVE_HOUR, SEVEN_DAY):
            window = _window(limits.get(name))
            if window is not None:
                sample[name] = window
    return sample


def status_text(sample: dict[str, Any], zone: tzinfo | None = None) -> str:
    """`5h 42% ↻14:20 · 7d 15% · $1.37`: what the statusline shows."""
    parts: list[str] = []
    for name in (FIVE_HOUR, SEVEN_DAY):
        raw = sample.get(name)
        if not isinstance(raw, list) or len(raw) != 2 or percent(raw[0]) is None:
            continue
        part = f"{_SHORT[name]} {raw[0]:.0f}%"
        resets = epoch_or_iso(raw[1])
        if resets is not None and name == FIVE_HOUR:
            local = resets.astimezone(zone) if zone else _local(resets)
            part += f" ↻{local:%H:%M}"
        parts.append(part)
    cost = sample.get("cost_usd")
    if isinstance(cost, int | float):
        parts.append(f"${cost:.2f}")
    model = sample.get("model")
    if not parts and isinstance(model, str):
        parts.append(model)
    return " · ".join(parts) if parts else "credit-monitor"


def _local(moment: datetime) -> datetime:
    return datetime.fromtimestamp(moment.timestamp())
