"""What an API error that ended a Claude Code turn means, as the screen's `Signal` would say.

Used for StopFailure hook samples and for the transcript's API-error records (both use the same
`error` names): a usage limit with its exact reset when a window is at 100% or the message is a
limit banner, a transient error otherwise, billing or auth problems by name.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from credit_management.models import Kind, Signal
from credit_management.sources.readings import FIVE_HOUR, SEVEN_DAY, Window

AUTH_ERRORS = frozenset(
    {"authentication_failed", "oauth_org_not_allowed", "account_on_hold", "verification_required"}
)
TRANSIENT_ERRORS = frozenset({"overloaded", "server_error"})
_SCOPES = {FIVE_HOUR: "5-hour", SEVEN_DAY: "weekly"}
_WINDOW_OF_SCOPE = {"session": FIVE_HOUR, "5-hour": FIVE_HOUR, "weekly": SEVEN_DAY}


def failure_signal(
    error: str | None,
    message: str | None,
    windows: dict[str, Window],
    now: datetime,
    host_tz: tzinfo,
    reset_hint: datetime | None = None,
    source: str = "claude-hook",
) -> Signal | None:
    """What an API error that ended a turn means; None for errors about nothing but the turn.

    `rate_limit` is a usage limit when a window is at 100% (the latest reset among the full
    windows, as the weekly cap can outlast the five-hour one), when `reset_hint` (a transcript's
    `quotaLimits.resetsAt`) says so, or when the message is a limit banner (then the reset of
    the window it names, else the banner's own); otherwise a passing rate limit.
    """
    text = (message or "").strip()
    evidence = f"{source}: {error or 'error'}" + (f" · {text[:200]}" if text else "")
    if error == "rate_limit":
        full = [w for w in windows.values() if w.full and w.resets_at and w.resets_at > now]
        if full:
            window = max(full, key=lambda w: w.resets_at or now)
            scope = _SCOPES.get(window.name)
            return Signal(
                Kind.EXHAUSTED,
                "claude",
                window.resets_at,
                evidence,
                f"Claude {scope or 'usage'} limit at {window.used_percent:.0f}% ({window.source})",
                scope,
            )
        if reset_hint is not None and reset_hint > now:
            return Signal(Kind.EXHAUSTED, "claude", reset_hint, evidence, "Claude usage limit")
        # The banner parser loads only for a failure that needs it, not on every sweep.
        from credit_management.detect.signals import classify

        banner = classify(text, now, host_tz) if text else Signal.none()
        if banner.kind is Kind.EXHAUSTED:
            named = windows.get(_WINDOW_OF_SCOPE.get(banner.scope or "", ""))
            reset = banner.reset_at
            if named is not None and named.resets_at is not None and named.resets_at > now:
                reset = named.resets_at
            return Signal(Kind.EXHAUSTED, "claude", reset, evidence, banner.message, banner.scope)
        return Signal(Kind.RATE_LIMIT, "claude", None, evidence, "Claude rate limit (transient)")
    if error == "billing_error":
        return Signal(Kind.BILLING, "claude", None, evidence, "Claude billing error")
    if error in AUTH_ERRORS:
        return Signal(Kind.AUTH, "claude", None, evidence, f"Claude {error.replace('_', ' ')}")
    if error in TRANSIENT_ERRORS:
        return Signal(Kind.OVERLOADED, "claude", None, evidence, f"Claude {error} (transient)")
    return None
