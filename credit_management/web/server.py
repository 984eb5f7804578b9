"""The dashboard's HTTP server: routes, token and origin checks, a bounded pool of workers.

Every request (page, assets, API) carries the token: as the `Authorization: Bearer` header, as
`?token=`, or as the cookie a first visit with `?token=` sets (HttpOnly, SameSite=Strict; the
visit is then redirected to the same address without the token). Wrong tokens are counted per
client address and answered 429 past a limit. Without a token (`--no-token`, loopback only) the
Host header must name a loopback address (so a web page cannot reach the API through DNS
rebinding). Cross-origin POSTs are refused either way.

One thread accepts connections and holds the idle ones (closed after `IDLE_SECONDS`); a
connection with something to read goes to one of a fixed number of worker threads, which must
read the whole request within `READ_SECONDS`. So neither idle nor slow clients add threads or
hold a worker for long. `--certfile/--keyfile` serve HTTPS. Every error is a small JSON
object; nothing is printed or logged to the terminal.
"""

from __future__ import annotations

import collections
import contextlib
import hmac
import io
import ipaddress
import json
import logging
import queue
import re
import secrets
import selectors
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from credit_management.errors import CreditError, InputError, StateError, TargetError, TmuxError
from credit_management.web.service import ApiError, Dashboard
from credit_management.web.views import parse_limit

STATIC_DIR = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 64 * 1024
MIN_TOKEN_LENGTH = 16
COOKIE_PREFIX = "credit_monitor_token_"
# The worker pool, and how long a connection may sit idle or take to send its request.
WORKERS = 8
IDLE_SECONDS = 10.0
READ_SECONDS = 10.0
_WAKE = object()  # the selector key of the wake-up socket
STOP_SECONDS = 2.0  # how long a stopping server waits for the requests in flight
ACCEPT_BURST = 64  # connections taken from the backlog per wake-up of the serving loop
# Idle connections held at most; past this the oldest is closed to make room.
MAX_IDLE_CONNECTIONS = 2048
# Wrong tokens allowed per client address within the window before 429.
FAILED_ATTEMPTS = 10
FAILED_WINDOW_SECONDS = 60.0
_LOGGER = logging.getLogger(__name__)
_ASSETS = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/app.css": ("app.css", "text/css; charset=utf-8"),
}
_PAGES = ("/", "/index.html")
_PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_LOGIN_HINT = "open the address `credit-monitor web` printed (it ends in ?token=...)"

Handler = Callable[["RequestHandler", dict[str, Any]], tuple[int, dict[str, Any]]]


def is_loopback(host: str) -> bool:
    """True for `localhost` and literal loopback addresses (127.0.0.0/8, ::1), with or
    without IPv6 brackets; names that merely resolve to loopback do not count."""
    name = host.strip().lower().removeprefix("[").removesuffix("]")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def generate_token() -> str:
    """A fresh random token: 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def check_token(token: str, source: str = "the token") -> None:
    """Refuse a token too short to resist guessing, or one that cannot travel in a header."""
    if len(token) < MIN_TOKEN_LENGTH:
        raise InputError(
            f"{source} must be at least {MIN_TOKEN_LENGTH} characters "
            f"(got {len(token)}); leave it out for a random one"
        )
    if any(ord(char) < 33 or ord(char) > 126 for char in token):
        raise InputError(f"{source} must be printable ASCII without spaces")


def check_bind(host: str, token: str | None) -> None:
    """Refuse a weak token, and a non-loopback address without one (InputError, one line)."""
    if token is not None:
        check_token(token)
    elif not is_loopback(host):
        raise InputError(
            f"refusing to listen on {host or '0.0.0.0'} without a token: the dashboard can "
            "pause and resume agents; use --host 127.0.0.1 or drop --no-token"
        )


def _split_host(header: str) -> str:
    """The host name of a Host header ("[::1]:8787" -> "::1", "localhost:80" -> "localhost")."""
    header = header.strip()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class FailureThrottle:
    """Wrong tokens per client address: past `limit` within `window` seconds, every token from
    that address is refused (without being checked) until the oldest failure ages out."""

    def __init__(
        self,
        limit: int = FAILED_ATTEMPTS,
        window: float = FAILED_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 4096,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_clients = max_clients
        self._lock = threading.Lock()
        self._failures: dict[str, collections.deque[float]] = {}

    def retry_after(self, client: str) -> float:
        """Seconds until `client` may try again; 0 when it may now."""
        now = self._clock()
        with self._lock:
            failures = self._failures.get(client)
            if failures is None:
                return 0.0
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            if not failures:
                del self._failures[client]
                return 0.0
            if len(failures) < self.limit:
                return 0.0
            return failures[0] + self.window - now

    def failed(self, client: str) -> None:
        """Count one wrong token from `client`."""
        now = self._clock()
        with self._lock:
            if client not in self._failures and len(self._failures) >= self._max_clients:
                self._forget_oldest(now)
            failures = self._failures.setdefault(client, collections.deque())
            failures.append(now)
            while len(failures) > self.limit:
                failures.popleft()

    def _forget_oldest(self, now: float) -> None:
        for client in [c for c, f in self._failures.items() if not f or f[-1] <= now - self.window]:
            del self._failures[client]
        if len(self._failures) >= self._max_clients:
            oldest = min(self._failures, key=lambda c: self._failures[c][-1])
            del self._failures[oldest]


class _DeadlineReader(io.RawIOBase):
    """A socket's input that gives up at a fixed instant, however slowly the bytes trickle."""

    def __init__(self, connection: socket.socket, deadline: float) -> None:
        super().__init__()
        self._connection = connection
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request did not arrive in time")
        self._connection.settimeout(remaining)
        return self._connection.recv_into(buffer)


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
    # A request line with no version is HTTP/0.9 to the stdlib, answered without a status
    # line or headers; every answer here has both.
    default_request_version = "HTTP/1.0"
    # Per socket operation; the whole request must also arrive within READ_SECONDS.
    timeout = READ_SECONDS

    def setup(self) -> None:
        super().setup()
        deadline = time.monotonic() + self.server.read_seconds
        self.rfile.close()  # the stdlib's reader, replaced by one that keeps the deadline
        self.rfile = io.BufferedReader(_DeadlineReader(self.connection, deadline))

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
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
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

    def _refusal(self) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """Why this request may not go on (status, JSON body, extra headers), or None."""
        token = self.server.token
        if token is None:
            host = self.headers.get("Host")
            if host and not is_loopback(_split_host(host)):
                return 403, {"error": "this dashboard answers only to loopback host names"}, {}
        else:
            refused = self._token_refusal(token)
            if refused is not None:
                return refused
        origin = self.headers.get("Origin")
        if self.command not in ("GET", "HEAD") and origin is not None:
            expected = f"{self.server.scheme}://{self.headers.get('Host', '')}"
            if origin != expected:
                return 403, {"error": "cross-origin requests are refused"}, {}
        return None

    def _token_refusal(self, token: str) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        client = str(self.client_address[0])
        wait = self.server.throttle.retry_after(client)
        if wait > 0:
            seconds = max(1, round(wait + 0.5))
            body = {"error": f"too many wrong tokens; try again in {seconds}s"}
            return 429, body, {"Retry-After": str(seconds)}
        given = self._given_token()
        challenge = {"WWW-Authenticate": "Bearer"}
        if given is None:
            return 401, {"error": "missing or wrong token", "hint": _LOGIN_HINT}, challenge
        value, via = given
        if hmac.compare_digest(_bytes(value), _bytes(token)):
            return None
        self.server.throttle.failed(client)
        if via == "cookie":  # left from an earlier run with another token: forget it
            challenge["Set-Cookie"] = self.server.cookie_header("", expire=True)
        return 401, {"error": "missing or wrong token", "hint": _LOGIN_HINT}, challenge

    def _given_token(self) -> tuple[str, str] | None:
        """The token this request carries and how: header, query or cookie (in that order)."""
        auth = self.headers.get("Authorization", "")
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip(), "header"
        query = self.query_value("token")
        if query is not None:
            return query, "query"
        for header in self.headers.get_all("Cookie") or []:
            for part in header.split(";"):
                name, _, value = part.strip().partition("=")
                if name == self.server.cookie_name:
                    return urllib.parse.unquote(value.strip().strip('"')), "cookie"
        return None

    def _login_redirect(self) -> bool:
        """A page visit with a right `?token=`: set the cookie and send the browser to the same
        address without the token, so it leaves the address bar and the history."""
        split = self._split
        if self.server.token is None or self.command != "GET" or split.path not in _PAGES:
            return False
        pairs = urllib.parse.parse_qsl(split.query, keep_blank_values=True)
        if not any(name == "token" for name, _ in pairs):
            return False
        rest = urllib.parse.urlencode([(n, v) for n, v in pairs if n != "token"])
        location = split.path + (f"?{rest}" if rest else "")
        self.send_json(
            303,
            {"ok": True, "location": location},
            {"Location": location, "Set-Cookie": self.server.cookie_header(self.server.token)},
        )
        return True

    # -- dispatch --------------------------------------------------------------------------

    def _dispatch(self) -> None:
        self.body = b""
        try:
            self.body = self._read_body()
            refusal = self._refusal()
            if refusal is not None:
                self.send_json(*refusal)
                return
            if self._login_redirect():
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
        except TimeoutError:  # the body trickled in too slowly
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.send_json(408, {"error": "the request did not arrive in time"})
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
            extra["Content-Security-Policy"] = _PAGE_POLICY
        self._send(200, body, content_type, extra)

    do_GET = _dispatch
    do_POST = _dispatch
    do_PUT = _dispatch
    do_DELETE = _dispatch
    do_PATCH = _dispatch
    do_OPTIONS = _dispatch
    do_HEAD = _dispatch


class DashboardServer(HTTPServer):
    """The HTTP server holding the dashboard and its token, served by a fixed pool of workers.

    The serving thread accepts connections and holds them while idle; a connection with
    bytes to read goes to a worker. `serve_forever` and `shutdown` work as in `socketserver`.
    """

    # A page polls with several requests at once, and a burst of connections must not wait
    # out a SYN retry (1 s) while the loop takes them: the stdlib's backlog of 5 is tight.
    request_queue_size = 1024

    def __init__(
        self,
        address: tuple[str, int],
        dashboard: Dashboard,
        token: str | None,
        ssl_context: ssl.SSLContext | None = None,
        workers: int = WORKERS,
    ) -> None:
        host = address[0]
        if ":" in host.strip("[]"):
            self.address_family = socket.AF_INET6
            address = (host.strip("[]"), address[1])
        self.dashboard = dashboard
        self.token = token
        self.throttle = FailureThrottle()
        self.workers = workers
        self.ssl_context = ssl_context
        self.idle_seconds = IDLE_SECONDS
        self.read_seconds = READ_SECONDS
        self._ready: queue.SimpleQueue[tuple[socket.socket, Any] | None] = queue.SimpleQueue()
        # Idle connections, oldest first: when each was accepted and from where.
        self._idle: collections.OrderedDict[socket.socket, tuple[Any, float]] = (
            collections.OrderedDict()
        )
        self._stop = threading.Event()
        self._stopping = False  # set by a signal handler: a plain flag takes no lock
        self._wake: socket.socket | None = None  # written to by `stop_soon` to end a select
        self._stopped = threading.Event()
        self._stopped.set()
        super().__init__(address, RequestHandler)
        if ssl_context is not None:
            self.socket = ssl_context.wrap_socket(
                self.socket, server_side=True, do_handshake_on_connect=False
            )

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    @property
    def cookie_name(self) -> str:
        # Cookies do not tell ports apart: two dashboards on one host keep their own.
        return f"{COOKIE_PREFIX}{self.port}"

    def cookie_header(self, value: str, expire: bool = False) -> str:
        """The Set-Cookie value holding `value` (or removing the cookie)."""
        parts = [f"{self.cookie_name}={urllib.parse.quote(value, safe='')}", "Path=/"]
        parts += ["HttpOnly", "SameSite=Strict"]
        if self.ssl_context is not None:
            parts.append("Secure")
        if expire:
            parts.append("Max-Age=0")
        return "; ".join(parts)

    def base_url(self) -> str:
        """The page's address without the token."""
        host = str(self.server_address[0])
        shown = f"[{host}]" if ":" in host else host
        return f"{self.scheme}://{shown}:{self.port}/"

    @property
    def url(self) -> str:
        """The page's address (with `?token=` when a token is needed)."""
        query = "" if self.token is None else "?token=" + urllib.parse.quote(self.token, safe="")
        return self.base_url() + query

    # -- serving ---------------------------------------------------------------------------

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Accept and dispatch connections until `shutdown`."""
        self._stop.clear()
        self._stopping = False
        self._stopped.clear()
        workers = [
            threading.Thread(target=self._work, name=f"dashboard worker {n}", daemon=True)
            for n in range(self.workers)
        ]
        for worker in workers:
            worker.start()
        selector = selectors.DefaultSelector()
        woken, self._wake = socket.socketpair()
        try:
            self.socket.setblocking(False)
            self._wake.setblocking(False)
            selector.register(self.socket, selectors.EVENT_READ, None)
            selector.register(woken, selectors.EVENT_READ, _WAKE)
            while not self._stop.is_set() and not self._stopping:
                for key, _ in selector.select(min(poll_interval, 1.0)):
                    if key.data is _WAKE:
                        continue  # `stop_soon`: the loop's test ends it
                    if key.data is None:
                        self._accept(selector)
                    else:
                        connection: socket.socket = key.fileobj  # type: ignore[assignment]
                        selector.unregister(connection)
                        address, _ = self._idle.pop(connection)
                        self._ready.put((connection, address))
                self._close_idle(selector, time.monotonic() - self.idle_seconds)
        finally:
            self._close_idle(selector, None)
            selector.close()
            woken.close()
            self._wake.close()
            for _ in workers:
                self._ready.put(None)
            # A worker still reading a slow request is a daemon thread: it is not waited for
            # long (one deadline for all of them).
            deadline = time.monotonic() + STOP_SECONDS
            for worker in workers:
                worker.join(max(0.0, deadline - time.monotonic()))
            self._stopped.set()

    def stop_soon(self) -> None:
        """Make `serve_forever` return at once; safe in a signal handler."""
        self._stopping = True
        try:
            if self._wake is not None:
                self._wake.send(b"!")
        except OSError:  # closed or full: the loop's poll interval ends it anyway
            pass

    def shutdown(self) -> None:
        """Stop `serve_forever` (from another thread) and wait until it has returned."""
        self._stop.set()
        self._stopped.wait()

    def _accept(self, selector: selectors.BaseSelector) -> None:
        """Take the connections waiting in the backlog (a burst in one wake-up, bounded)."""
        for _ in range(ACCEPT_BURST):
            try:
                connection, address = self.socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError:  # out of file descriptors: make room for the next one
                self._close_oldest(selector)
                return
            if len(self._idle) >= MAX_IDLE_CONNECTIONS:
                self._close_oldest(selector)
            self._idle[connection] = (address, time.monotonic())
            selector.register(connection, selectors.EVENT_READ, address)

    def _close_oldest(self, selector: selectors.BaseSelector) -> None:
        if self._idle:
            oldest = next(iter(self._idle))
            self._drop(selector, oldest)

    def _close_idle(self, selector: selectors.BaseSelector, before: float | None) -> None:
        """Close the connections idle since `before` (all of them when None)."""
        while self._idle:
            connection, (_, accepted) = next(iter(self._idle.items()))
            if before is not None and accepted > before:
                return
            self._drop(selector, connection)

    def _drop(self, selector: selectors.BaseSelector, connection: socket.socket) -> None:
        self._idle.pop(connection, None)
        try:
            selector.unregister(connection)
        except (KeyError, ValueError):
            pass
        self.shutdown_request(connection)

    def _work(self) -> None:
        while True:
            item = self._ready.get()
            if item is None:
                return
            connection, address = item
            try:
                connection.settimeout(self.read_seconds)
                if isinstance(connection, ssl.SSLSocket):
                    connection.do_handshake()
                self.finish_request(connection, address)
            except Exception:
                self.handle_error(connection, address)
            finally:
                self.shutdown_request(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The stdlib prints a traceback to stderr here; a dropped connection is not news.
        _LOGGER.debug("connection from %s failed", client_address, exc_info=True)


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "backslashreplace")


def tls_context(certfile: str, keyfile: str | None) -> ssl.SSLContext:
    """A server TLS context from a certificate (and key) in PEM files; InputError if unusable."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(certfile, keyfile)
    except FileNotFoundError as error:
        raise InputError(f"cannot read {error.filename or certfile}: no such file") from None
    except (ssl.SSLError, OSError) as error:
        reason = getattr(error, "reason", None) or getattr(error, "strerror", None) or error
        raise InputError(f"cannot use {certfile} and {keyfile or certfile}: {reason}") from None
    return context


def create_server(
    dashboard: Dashboard,
    host: str = "127.0.0.1",
    port: int = 8787,
    token: str | None = None,
    ssl_context: ssl.SSLContext | None = None,
    workers: int = WORKERS,
) -> DashboardServer:
    """Bind the dashboard (not yet serving; call `serve_forever`). Port 0 picks a free port."""
    check_bind(host, token)
    return DashboardServer((host, port), dashboard, token, ssl_context, workers)
