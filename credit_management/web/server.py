"""The dashboard's HTTP server: stdlib `ThreadingHTTPServer`, routes, token check, JSON errors.

Listens on loopback unless a token is given; with a token every request (page, assets, API)
must carry it as `Authorization: Bearer <token>` or `?token=`. Without a token the Host header
must name a loopback address (so a web page cannot reach the API through DNS rebinding), and
cross-origin POSTs are refused either way. Every error is a small JSON object; nothing is
printed or logged to the terminal.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
import socket
import urllib.parse
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from credit_management.errors import CreditError, InputError, StateError, TargetError, TmuxError
from credit_management.web.service import ApiError, Dashboard
from credit_management.web.views import parse_limit

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 64 * 1024
TOKEN_PLACEHOLDER = "__TOKEN_QUERY__"
_LOGGER = logging.getLogger(__name__)
_ASSETS = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/app.css": ("app.css", "text/css; charset=utf-8"),
}
_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

Handler = Callable[["RequestHandler", dict[str, Any]], tuple[int, dict[str, Any]]]


def is_loopback(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (with or without IPv6 brackets)."""
    name = host.strip().lower().removeprefix("[").removesuffix("]")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve a non-loopback address without a token (InputError, one line)."""
    if token is not None and not token.strip():
        raise InputError("--token must not be empty")
    if token is None and not is_loopback(host):
        raise InputError(
            f"refusing to listen on {host or '0.0.0.0'} without --token: the dashboard can "
            "pause and resume agents; use --host 127.0.0.1 or give --token"
        )


def _split_host(header: str) -> str:
    """The host name of a Host header ("[::1]:8787" -> "::1", "localhost:80" -> "localhost")."""
    header = header.strip()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


# -- routes ---------------------------------------------------------------------------------


def _get_agents(handler: RequestHandler, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, handler.dashboard.agents()


def _get_alerts(handler: RequestHandler, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, handler.dashboard.alerts()


def _get_events(handler: RequestHandler, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, handler.dashboard.events(parse_limit(handler.query_value("limit")))


def _dismiss(handler: RequestHandler, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, handler.dashboard.dismiss(params["id"])


def _resume(handler: RequestHandler, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 202, handler.dashboard.resume(params["target"])


def _pause(handler: RequestHandler, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, handler.dashboard.pause(params["target"], handler.json_body())


def _switch_model(handler: RequestHandler, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return 200, handler.dashboard.switch_model(params["target"])


# (path pattern on the still-encoded path, {method: handler}); named groups are decoded.
_ROUTES: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
    (re.compile(r"/api/agents"), {"GET": _get_agents}),
    (re.compile(r"/api/credit-alerts"), {"GET": _get_alerts}),
    (re.compile(r"/api/credit-alerts/(?P<id>[^/]+)/dismiss"), {"POST": _dismiss}),
    (re.compile(r"/api/agents/(?P<target>[^/]+)/resume"), {"POST": _resume}),
    (re.compile(r"/api/agents/(?P<target>[^/]+)/pause"), {"POST": _pause}),
    (re.compile(r"/api/agents/(?P<target>[^/]+)/switch-model"), {"POST": _switch_model}),
    (re.compile(r"/api/events"), {"GET": _get_events}),
]


def _error_status(error: CreditError) -> int:
    if isinstance(error, ApiError):
        return error.status
    if isinstance(error, InputError):
        return 400
    if isinstance(error, TargetError):
        return 404
    if isinstance(error, TmuxError):
        return 503
    return 500


class RequestHandler(BaseHTTPRequestHandler):
    """One request: check who asks, route it, answer in JSON (or serve a page asset)."""

    server: DashboardServer
    server_version = "credit-monitor"
    # A client that opens a connection and sends nothing must not hold a thread for ever.
    timeout = 30

    def version_string(self) -> str:
        return self.server_version

    @property
    def dashboard(self) -> Dashboard:
        return self.server.dashboard

    # -- request parts ---------------------------------------------------------------------

    @property
    def _split(self) -> urllib.parse.SplitResult:
        return urllib.parse.urlsplit(self.path)

    def query_value(self, name: str) -> str | None:
        values = urllib.parse.parse_qs(self._split.query, keep_blank_values=True).get(name)
        return values[-1] if values else None

    def _read_body(self) -> bytes:
        """Read the whole body first: a socket closed with unread input resets the reply."""
        raw = self.headers.get("Content-Length")
        if not raw:
            return b""
        try:
            length = int(raw)
        except ValueError:
            raise ApiError(400, "bad Content-Length") from None
        if length < 0 or length > MAX_BODY_BYTES:
            raise ApiError(413, f"request body over {MAX_BODY_BYTES} bytes")
        return self.rfile.read(length) if length else b""

    def json_body(self) -> dict[str, Any]:
        """The request's JSON object (empty when there is no body)."""
        if not self.body.strip():
            return {}
        try:
            decoded = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(400, "request body is not valid JSON") from None
        if not isinstance(decoded, dict):
            raise ApiError(400, "request body must be a JSON object")
        return decoded

    # -- answers ---------------------------------------------------------------------------

    def _send(
        self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(
        self, status: int, payload: dict[str, Any], extra: dict[str, str] | None = None
    ) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", extra)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors raised by the stdlib itself (bad request line, unknown method) as JSON too."""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        self.close_connection = True
        self.send_json(code, {"error": message or phrase})

    def log_message(self, format: str, *args: Any) -> None:
        _LOGGER.debug("%s %s", self.address_string(), format % args)

    # -- checks ----------------------------------------------------------------------------

    def _refusal(self) -> tuple[int, str] | None:
        """Why this request may not go on (status, message), or None."""
        token = self.server.token
        if token is None:
            host = self.headers.get("Host")
            if host and not is_loopback(_split_host(host)):
                return 403, "this dashboard answers only to loopback host names"
        else:
            given = self.query_value("token")
            auth = self.headers.get("Authorization", "")
            if auth.lower().startswith("bearer "):
                given = auth[7:].strip()
            if given is None or not hmac.compare_digest(given.encode(), token.encode()):
                return 401, "missing or wrong token"
        origin = self.headers.get("Origin")
        if self.command not in ("GET", "HEAD") and origin is not None:
            expected = f"http://{self.headers.get('Host', '')}"
            if origin != expected:
                return 403, "cross-origin requests are refused"
        return None

    # -- dispatch --------------------------------------------------------------------------

    def _dispatch(self) -> None:
        self.body = b""
        try:
            self.body = self._read_body()
            refusal = self._refusal()
            if refusal is not None:
                extra = {"WWW-Authenticate": "Bearer"} if refusal[0] == 401 else None
                self.send_json(refusal[0], {"error": refusal[1]}, extra)
                return
            path = self._split.path
            if path in _ASSETS:
                if self.command == "GET":
                    self._serve_asset(*_ASSETS[path])
                else:
                    self._method_not_allowed(["GET"])
                return
            for pattern, methods in _ROUTES:
                match = pattern.fullmatch(path)
                if match is None:
                    continue
                handler = methods.get(self.command)
                if handler is None:
                    self._method_not_allowed(sorted(methods))
                    return
                params = {k: urllib.parse.unquote(v) for k, v in match.groupdict().items()}
                status, payload = handler(self, params)
                self.send_json(status, payload)
                return
            self.send_json(404, {"error": f"no such route: {path[:200]}"})
        except CreditError as error:
            status = _error_status(error)
            if status == 413:
                self.close_connection = True
            self.send_json(status, {"error": str(error)})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as error:  # one bad request must not take the server down
            _LOGGER.debug("request failed", exc_info=True)
            self.send_json(500, {"error": f"internal error: {type(error).__name__}: {error}"})

    def _method_not_allowed(self, allowed: list[str]) -> None:
        self.send_json(
            405,
            {"error": f"method {self.command} not allowed here; use {', '.join(allowed)}"},
            {"Allow": ", ".join(allowed)},
        )

    def _serve_asset(self, name: str, content_type: str) -> None:
        try:
            body = (STATIC_DIR / name).read_bytes()
        except OSError as error:
            raise StateError(f"dashboard asset {name} is missing: {error.strerror}") from error
        extra: dict[str, str] = {}
        if name == "index.html":
            token = self.server.token
            query = "" if token is None else "?token=" + urllib.parse.quote(token, safe="")
            body = body.replace(TOKEN_PLACEHOLDER.encode(), query.encode())
            extra["Content-Security-Policy"] = _PAGE_POLICY
        self._send(200, body, content_type, extra)

    do_GET = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_DELETE = _dispatch
    do_PATCH = _dispatch
    do_OPTIONS = _dispatch
    do_HEAD = _dispatch


class DashboardServer(ThreadingHTTPServer):
    """The HTTP server holding the dashboard and the token every request must carry."""

    daemon_threads = True
    # A page polls with several requests at once; the stdlib's backlog of 5 is tight.
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], dashboard: Dashboard, token: str | None) -> None:
        host = address[0]
        if ":" in host.strip("[]"):
            self.address_family = socket.AF_INET6
            address = (host.strip("[]"), address[1])
        self.dashboard = dashboard
        self.token = token
        super().__init__(address, RequestHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        """The page's address (with `?token=` when a token is needed)."""
        host = str(self.server_address[0])
        shown = f"[{host}]" if ":" in host else host
        query = "" if self.token is None else "?token=" + urllib.parse.quote(self.token, safe="")
        return f"http://{shown}:{self.port}/{query}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The stdlib prints a traceback to stderr here; a dropped connection is not news.
        _LOGGER.debug("connection from %s failed", client_address, exc_info=True)


def create_server(
    dashboard: Dashboard, host: str = "127.0.0.1", port: int = 8787, token: str | None = None
) -> DashboardServer:
    """Bind the dashboard (not yet serving; call `serve_forever`). Port 0 picks a free port."""
    check_bind(host, token)
    return DashboardServer((host, port), dashboard, token)
