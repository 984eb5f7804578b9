"""`credit-monitor send TARGET MESSAGE` (alias `send_message`): type a message into an agent,
or queue it while the agent cannot take it."""

from __future__ import annotations

import click

from credit_management.cli import CliContext
from credit_management.cli._default_group import echo_json
from credit_management.clock import SystemClock, host_zone
from credit_management.messaging.queue import describe_hold
from credit_management.messaging.send import SendResult, send_or_queue
from credit_management.models import iso
from credit_management.store.journal import EventLog
from credit_management.store.state import StateStore
from credit_management.tmux.gateway import Tmux


@click.command()
@click.argument("target")
@click.argument("message", nargs=-1, required=True)
@click.option("--now", "send_now", is_flag=True, help="Send even when the agent is stopped.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.pass_obj
def send(
    obj: CliContext, target: str, message: tuple[str, ...], send_now: bool, as_json: bool
) -> None:
    """Type MESSAGE into TARGET (session:window, session:window.pane or %N) and submit it.

    The text goes literally ("C-c" arrives as those three characters; put `--` before a
    message that starts with "-"); several words are joined with spaces; newlines and tabs
    are kept, other control characters refused. Enter follows on its own and is retried when
    the agent does not take it. When the agent is exhausted, paused, resuming, waiting on its
    own auto-continue or needs attention, the message is queued instead and the monitor
    delivers it after the agent is verified active; --now sends it anyway. Exit status 1 when
    the agent never took it.
    """
    clock = SystemClock()
    store = StateStore(obj.paths, clock)
    result = send_or_queue(
        store,
        EventLog(obj.paths.events_log),
        Tmux(obj.socket),
        clock,
        target,
        " ".join(message),
        now=send_now,
    )
    if as_json:
        echo_json(_as_dict(result))
        if result.outcome == "unconfirmed":
            click.get_current_context().exit(1)
        return
    if result.outcome == "queued":
        assert result.hold is not None
        why = describe_hold(result.hold, clock.now(), host_zone(None))
        click.echo(f"queued for {result.target} ({why}): id {result.id}")
        return
    if result.outcome == "unconfirmed":
        raise click.ClickException(f"typed into {result.target} but {result.detail}")
    line = f"delivered to {_where(result)}"
    if result.enter_presses > 1:
        line += f" (Enter pressed {result.enter_presses} times)"
    if result.hold is not None:
        line += f"; sent with --now although it is {result.hold.status.value}"
    click.echo(line)
    if result.still_queued and result.hold is None:
        click.echo(
            f"note: {result.still_queued} older message(s) still queued for {result.target}; "
            "the monitor sends them at its next sweep (see `credit-monitor queue`)"
        )


def _where(result: SendResult) -> str:
    name = f" ({result.pane.window_name})" if result.pane.window_name else ""
    return f"{result.target}{name}"


def _as_dict(result: SendResult) -> dict[str, object]:
    hold = result.hold
    return {
        "result": result.outcome,
        "target": result.target,
        "pane_id": result.pane.pane_id,
        "window_name": result.pane.window_name,
        "id": result.id,
        "status": hold.status.value if hold else None,
        "until": iso(hold.until) if hold else None,
        "enter_presses": result.enter_presses,
        "detail": result.detail,
        # Queued: its place in the line. Sent: how many older messages still wait.
        "queue_position": result.still_queued if result.outcome == "queued" else None,
        "older_queued": 0 if result.outcome == "queued" else result.still_queued,
    }
