"""`credit-monitor web`: serve the dashboard page and its JSON API until Ctrl-C.

Thin: chooses the token (a file, the environment, the option, or a fresh random one), binds
the server from `credit_management.web` and prints the one line saying where the page is.
`--no-token` is for loopback only.
"""

from __future__ import annotations

import errno
import os
import signal
from pathlib import Path
from types import FrameType

import click

from credit_management.cli.context import CliContext
from credit_management.store.config import load_settings
from credit_management.web import check_bind, create_server
from credit_management.web.server import check_token, generate_token, is_loopback, tls_context
from credit_management.web.service import Dashboard

TOKEN_ENV = "CREDIT_MONITOR_WEB_TOKEN"


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8787,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0 picks a free one).",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Read the token from this file (better than --token; or set ${TOKEN_ENV}).",
)
@click.option(
    "--token",
    default=None,
    help="The token itself (at least 16 characters; visible to `ps`, prefer the file).",
)
@click.option(
    "--no-token",
    is_flag=True,
    help="Serve without a token (loopback only: any local user can then use it).",
)
@click.option("--certfile", type=click.Path(dir_okay=False), help="HTTPS certificate (PEM).")
@click.option("--keyfile", type=click.Path(dir_okay=False), help="HTTPS private key (PEM).")
@click.pass_obj
def web(
    obj: CliContext,
    host: str,
    port: int,
    token_file: Path | None,
    token: str | None,
    no_token: bool,
    certfile: str | None,
    keyfile: str | None,
) -> None:
    """Serve the dashboard: agents, countdowns, events and the out-of-credits alert.

    Every request needs a token. Without --token-file, --token or $CREDIT_MONITOR_WEB_TOKEN a
    random one is made at each start and printed in the address to open:

    \b
      $ credit-monitor web
      Dashboard on http://127.0.0.1:8787/?token=... (Ctrl-C to stop)
    """
    secret, source = _choose_token(token, token_file, no_token)
    if no_token and not is_loopback(host):
        raise click.UsageError(f"--no-token is allowed on loopback only, not on {host}")
    if keyfile and not certfile:
        raise click.UsageError("--keyfile needs --certfile")
    if secret is not None and source != "generated":
        check_token(secret, source)
    check_bind(host, secret)
    context = tls_context(certfile, keyfile) if certfile else None
    settings = load_settings(obj.paths)
    for warning in settings.warnings:
        click.echo(f"warning: {warning}", err=True)
    dashboard = Dashboard(obj.paths, settings, socket=obj.socket)
    _raise_file_limit()
    try:
        server = create_server(dashboard, host, port, secret, context)
    except OSError as error:
        why = "address already in use" if error.errno == errno.EADDRINUSE else error.strerror
        why = why or str(error)
        raise click.ClickException(f"cannot listen on {host}:{port}: {why}") from error
    if source == "generated" or secret is None:
        click.echo(f"Dashboard on {server.url} (Ctrl-C to stop)")
    else:
        click.echo(f"Dashboard on {server.base_url()} (token from {source}; Ctrl-C to stop)")
    if context is None and not is_loopback(host):
        click.echo(
            "warning: plain HTTP beyond loopback: the token crosses the network readable; "
            "use --certfile/--keyfile or a reverse proxy with TLS",
            err=True,
        )

    # Ctrl-C and `kill` ask the serving loop to stop at its next poll, rather than raising
    # in the middle of whatever the main thread is doing.
    def stop(signum: int, frame: FrameType | None) -> None:
        server.stop_soon()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.server_close()
    click.echo("stopped")


def _choose_token(
    option: str | None, token_file: Path | None, no_token: bool
) -> tuple[str | None, str]:
    """The token and where it came from: --token, --token-file, the environment, or made."""
    given: list[tuple[str, str]] = []
    if option is not None:
        given.append((option, "--token"))
    if token_file is not None:
        given.append((_read_token_file(token_file), f"--token-file {token_file}"))
    if len(given) > 1:
        raise click.UsageError("give either --token or --token-file, not both")
    if not given and os.environ.get(TOKEN_ENV, "").strip():
        given.append((os.environ[TOKEN_ENV].strip(), f"${TOKEN_ENV}"))
    if no_token:
        if given:
            raise click.UsageError(f"--no-token contradicts the token from {given[0][1]}")
        return None, "none"
    if given:
        return given[0]
    return generate_token(), "generated"


def _read_token_file(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise click.ClickException(f"cannot read --token-file {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or "not UTF-8 text"
        raise click.ClickException(f"cannot read --token-file {path}: {reason}") from None
    if not text:
        raise click.ClickException(f"--token-file {path} is empty")
    return text


def _raise_file_limit() -> None:
    """Idle connections each hold a file descriptor: allow as many as the system lets us."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = hard if hard != resource.RLIM_INFINITY else 65536
        if soft != resource.RLIM_INFINITY and soft < min(wanted, 65536):
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, 65536), hard))
    except (ImportError, ValueError, OSError):
        pass
