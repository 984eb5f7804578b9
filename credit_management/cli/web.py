"""`credit-monitor web`: serve the dashboard page and its JSON API until Ctrl-C.

Thin: reads the options and settings, binds the server from `credit_management.web` and prints
the one line saying where the page is. Binding beyond loopback needs `--token`.
"""

from __future__ import annotations

import errno
import signal
from types import FrameType

import click

from credit_management.cli import CliContext
from credit_management.store.config import load_settings
from credit_management.web import check_bind, create_server
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
    "--token",
    default=None,
    envvar=TOKEN_ENV,
    help=f"Secret every request must carry (required beyond loopback; else ${TOKEN_ENV}).",
)
@click.pass_obj
def web(obj: CliContext, host: str, port: int, token: str | None) -> None:
    """Serve the dashboard: agents, countdowns, events and the out-of-credits alert."""
    check_bind(host, token)
    dashboard = Dashboard(obj.paths, load_settings(obj.paths), socket=obj.socket)
    try:
        server = create_server(dashboard, host, port, token)
    except OSError as error:
        why = "address already in use" if error.errno == errno.EADDRINUSE else error.strerror
        why = why or str(error)
        raise click.ClickException(f"cannot listen on {host}:{port}: {why}") from error
    click.echo(f"Dashboard on {server.url} (Ctrl-C to stop)")
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("stopped")
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
