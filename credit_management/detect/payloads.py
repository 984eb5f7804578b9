"""Raw API error bodies (Anthropic, OpenAI, Google) read by their structured fields.

Agents often print the provider's JSON (or a Python repr of it) after "API Error: 429" or a
litellm exception. The fields say more than the prose: `error.type` ("overloaded_error",
"insufficient_quota"), `error.status` ("RESOURCE_EXHAUSTED"), a quota id containing "PerDay"
or "PerMinute", a `retryDelay`. This module finds such a body in a line, parses it and says
what it means; the message text is read only when the fields are silent.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from credit_management.detect import patterns as P
from credit_management.detect.lazy import lazy
from credit_management.detect.resets import parse_duration
from credit_management.models import Kind
from credit_management.records import Record

MAX_BODY = 10_000  # an error body is read only this far
MAX_MESSAGE = 4_000  # and its message
_SYNTAX = lazy(r"[{}\[\]\"'\\]")  # the characters that matter for balancing
_STRING = lazy(r'"(?:[^"\\]|\\.)*"')
_JS_STRING = lazy(r"'((?:[^'\\]|\\.)*)'")
_JS_KEY = lazy(r"([{,]\s*)([A-Za-z_$][\w$]*)\s*:")
# A wait longer than this is a stop, not throttling the agent rides out by retrying.
SHORT_WAIT = timedelta(minutes=5)


@dataclass(frozen=True, repr=False)
class Finding(Record):
    """What an error body means."""

    kind: Kind
    vendor: str | None  # "anthropic", "openai", "google"
    what: str
    message: str = ""
    scope: str | None = None
    model: str | None = None
    delay: timedelta | None = None
    reset_phrase: str | None = None


def extract(text: str, start: int = 0) -> tuple[Any, int] | None:
    """The JSON object (or Python literal) starting at `start`, and where it ends; a body
    quoted as a JSON string ("{\\"type\\":...}") is unquoted first."""
    if text.startswith('"', start):
        string = _STRING.match(text, start)
        if string is None:
            return None
        try:
            inner = json.loads(string.group(0), strict=False)
        except ValueError:
            return None
        found = extract(inner, inner.find("{")) if isinstance(inner, str) and "{" in inner else None
        return (found[0], string.end()) if found else None
    end = _balanced_end(text, start)
    if end is None:
        return None
    chunk = text[start:end]
    value = _parse(chunk)
    return (value, end) if value is not None else None


def _parse(chunk: str) -> Any:
    try:
        return json.loads(chunk, strict=False)
    except ValueError:
        pass
    flat = chunk.replace("\n", " ")
    try:  # litellm and the Python SDKs print the body as a dict repr
        return ast.literal_eval(flat)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        pass
    try:  # Node prints it as an object literal: bare keys, single quotes
        quoted = _JS_STRING.sub(lambda m: json.dumps(m.group(1).replace("\\'", "'")), flat)
        return json.loads(_JS_KEY.sub(r'\1"\2":', quoted).replace(",}", "}"), strict=False)
    except ValueError:
        return None


def _balanced_end(text: str, start: int) -> int | None:
    """Where the bracket opened at `start` closes (strings skipped), or None."""
    depth = 0
    quote = ""
    escaped_at = -1  # the position a backslash escapes
    for found in _SYNTAX.finditer(text, start, min(len(text), start + MAX_BODY)):
        char, position = found.group(), found.start()
        if position == escaped_at:
            continue
        if quote:
            if char == "\\":
                escaped_at = position + 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return found.end()
    return None


def read(body: Any, status: int | None = None) -> Finding | None:
    """What a parsed error body means, or None when it is not a provider's error."""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]  # Gemini CLI prints Google's body inside a list
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if error is None and isinstance(body.get("message"), str) and body.get("type") != "error":
        if "code" in body or "type" in body:
            error = body  # the error object itself, printed without its envelope
    if isinstance(error, dict):
        if body.get("type") == "error" or _anthropic_type(error):
            return _anthropic(error)
        if isinstance(error.get("status"), str) or "details" in error:
            return _google(error)
        return _openai(error, status)
    if isinstance(error, str):
        return _by_message(error, None, _int(body.get("code")) or status)
    return None


def _anthropic_type(error: dict[str, Any]) -> bool:
    """Anthropic's error types end in "_error" and its bodies have no `code` (OpenAI's do)."""
    return str(error.get("type", "")).endswith("_error") and "code" not in error


def text_of(body: Any) -> str | None:
    """The text of an agent's own JSON output: Claude's stream-json result or assistant
    message, Codex's `--json` error events."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("result"), str):
        return str(body["result"])
    message = body.get("message")
    if isinstance(message, str):
        return message
    error = body.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return str(error["message"])
    if isinstance(message, dict) and isinstance(message.get("content"), list):
        texts = [part.get("text") for part in message["content"] if isinstance(part, dict)]
        return " ".join(text for text in texts if isinstance(text, str)) or None
    return None


def _anthropic(error: dict[str, Any]) -> Finding | None:
    kind_name = str(error.get("type", ""))
    message = str(error.get("message", ""))
    if kind_name == "rate_limit_error":
        return _from_wait(message, "anthropic", "rate limit")
    if kind_name == "overloaded_error":
        return Finding(Kind.OVERLOADED, "anthropic", "servers overloaded", message)
    if kind_name == "api_error":
        return Finding(Kind.OVERLOADED, "anthropic", "server error", message)
    if kind_name in ("authentication_error", "permission_error"):
        return Finding(Kind.AUTH, "anthropic", "API key or login rejected", message)
    if kind_name == "billing_error":
        return Finding(Kind.BILLING, "anthropic", "billing problem", message)
    return _by_message(message, "anthropic", None)


def _openai(error: dict[str, Any], status: int | None) -> Finding | None:
    code = str(error.get("code") or "")
    kind_name = str(error.get("type") or "")
    message = str(error.get("message") or "")
    names = {code, kind_name}
    if "insufficient_quota" in names or "billing_hard_limit_reached" in names:
        return Finding(Kind.BILLING, "openai", "quota exceeded", message)
    if names & {"invalid_api_key", "authentication_error", "account_deactivated"}:
        return Finding(Kind.AUTH, "openai", "API key rejected", message)
    if "rate_limit_exceeded" in names or kind_name in ("requests", "tokens"):
        return _from_wait(message, "openai", "rate limit")
    if kind_name == "server_error" or "overloaded" in message.lower():
        return Finding(Kind.OVERLOADED, "openai", "servers overloaded", message)
    return _by_message(message, "openai", _int(error.get("code")) or status)


def _google(error: dict[str, Any]) -> Finding | None:
    status = str(error.get("status") or "")
    code = _int(error.get("code"))
    message = str(error.get("message") or "")[:MAX_MESSAGE]
    details: list[Any] = _list(error.get("details"))
    reasons: list[str] = []
    quota_ids: list[str] = []
    delay: timedelta | None = None
    reset_phrase: str | None = None
    model: str | None = None
    for detail in details:
        if not isinstance(detail, dict):
            continue
        reasons.append(str(detail.get("reason") or ""))
        metadata: dict[str, Any] = _dict(detail.get("metadata"))
        model = model or _str(metadata.get("model"))
        reset_phrase = reset_phrase or _str(metadata.get("quotaResetTimeStamp"))
        delay = delay or _duration(metadata.get("quotaResetDelay"))
        delay = delay or _duration(detail.get("retryDelay"))
        for violation in _list(detail.get("violations")):
            if isinstance(violation, dict):
                quota_ids.append(
                    f"{violation.get('quotaId', '')} {violation.get('quotaMetric', '')}"
                )
                if str(violation.get("quotaValue", "")) == "0":
                    quota_ids.append("limit: 0")
                dims = violation.get("quotaDimensions")
                if isinstance(dims, dict):
                    model = model or _str(dims.get("model"))
    model = model or _model_in(message)
    if "INSUFFICIENT_G1_CREDITS_BALANCE" in reasons or P.MSG_CREDIT.search(message):
        return Finding(Kind.BILLING, "google", "out of credits", message, model=model)
    if status == "RESOURCE_EXHAUSTED" or code == 429:
        quota_text = " ".join(quota_ids) + " " + message
        delay = delay or _wait_in(message)
        per_day = bool(P.MSG_PER_DAY.search(quota_text))
        limit_zero = bool(P.MSG_LIMIT_ZERO.search(quota_text))
        long_wait = delay is not None and delay > SHORT_WAIT
        if "QUOTA_EXHAUSTED" in reasons or per_day or limit_zero or long_wait or reset_phrase:
            scope = "daily" if per_day else None
            return Finding(
                Kind.EXHAUSTED, "google", "quota", message, scope, model, delay, reset_phrase
            )
        scope = "per-minute" if P.MSG_PER_MINUTE.search(quota_text) else None
        return Finding(Kind.RATE_LIMIT, "google", "rate limit", message, scope, model, delay)
    if status == "UNAVAILABLE" or code in (500, 502, 503, 504):
        return Finding(Kind.OVERLOADED, "google", "servers overloaded", message, model=model)
    if P.MSG_BILLING_ENABLE.search(message):
        return Finding(Kind.BILLING, "google", "billing not enabled", message)
    if status in ("UNAUTHENTICATED", "PERMISSION_DENIED") or "API_KEY_INVALID" in reasons:
        return Finding(Kind.AUTH, "google", "API key or login rejected", message)
    return _by_message(message, "google", code)


def _by_message(message: str, vendor: str | None, status: int | None) -> Finding | None:
    """The body's fields were silent: read its message, then its HTTP status."""
    message = message[:MAX_MESSAGE]
    if P.MSG_CREDIT.search(message):
        return Finding(Kind.BILLING, vendor, "credit balance too low", message)
    regain = P.MSG_REGAIN.search(message)
    if regain:
        return Finding(
            Kind.EXHAUSTED, vendor, "API spend limit", message, reset_phrase=regain.group("reset")
        )
    if "insufficient_quota" in message or "exceeded your current quota" in message:
        return Finding(Kind.BILLING, vendor, "quota exceeded", message)
    if P.MSG_AUTH.search(message) or status in (401, 403):
        return Finding(Kind.AUTH, vendor, "API key or login rejected", message)
    if status == 402:
        return Finding(Kind.BILLING, vendor, "payment required", message)
    if status == 429 or "rate limit" in message.lower():
        return _from_wait(message, vendor, "rate limit")
    if "overloaded" in message.lower() or status in (500, 502, 503, 504, 529):
        return Finding(Kind.OVERLOADED, vendor, "servers overloaded", message)
    return None


def _from_wait(message: str, vendor: str | None, what: str) -> Finding:
    """A rate limit: a per-day limit or a long wait stops the agent; a short one does not."""
    message = message[:MAX_MESSAGE]
    delay = _wait_in(message)
    model = _model_in(message)
    if P.MSG_PER_DAY.search(message) or (delay is not None and delay > SHORT_WAIT):
        scope = "daily" if P.MSG_PER_DAY.search(message) else None
        return Finding(Kind.EXHAUSTED, vendor, what, message, scope, model, delay)
    scope = "per-minute" if P.MSG_PER_MINUTE.search(message) else None
    return Finding(Kind.RATE_LIMIT, vendor, what, message, scope, model, delay)


def quota_words(text: str, otherwise: Kind) -> tuple[Kind, str | None, timedelta | None]:
    """What the words of a quota error say when no body's fields do, as gemini-cli reads them
    (googleQuotaErrors.ts): "limit: 0" (no free quota at all) or a per-day quota is a stop, a
    wait longer than SHORT_WAIT is a stop, a shorter wait or a per-minute quota is throttling
    the agent rides out; otherwise `otherwise`. Returns the kind, the scope and the wait."""
    text = text[:MAX_MESSAGE]
    delay = _wait_in(text)
    if P.MSG_LIMIT_ZERO.search(text):  # no quota at all: its "Please retry in 59s" misleads
        return Kind.EXHAUSTED, None, None
    if P.MSG_PER_DAY.search(text):
        return Kind.EXHAUSTED, "daily", delay
    if delay is not None:
        return (Kind.EXHAUSTED if delay > SHORT_WAIT else Kind.RATE_LIMIT), None, delay
    if P.MSG_PER_MINUTE.search(text):
        return Kind.RATE_LIMIT, "per-minute", None
    return otherwise, None, None


def _wait_in(message: str) -> timedelta | None:
    found = P.MSG_RETRY_IN.search(message)
    return parse_duration(found.group("delay")) if found else None


def _model_in(message: str) -> str | None:
    found = P.MSG_MODEL.search(message)
    return (found.group("model") or found.group("model2")) if found else None


def _duration(value: Any) -> timedelta | None:
    return parse_duration(value) if isinstance(value, str) and value else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
