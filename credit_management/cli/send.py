"""`credit-monitor send TARGET MESSAGE` (alias `send_message`): deliver a message to an agent
after those already held for it, or queue it while the agent cannot take it."""

from __future__ import annotations

from datetime import datetime

import click

from credit_management.cli._common import build_supervisor
from credit_management.cli._default_group import echo_json
from credit_management.cli._foresight import runs_out_first
from credit_management.cli.context import CliContext
from credit_management.clock import host_zone
from credit_management.messaging.queue import describe_hold
from credit_management.messaging.send import SendResult, send_or_queue
from credit_management.messaging.text import clock_text
from credit_management.models import iso

# The exit status of each result, as the README's table documents it.
EXIT_CODES = {"delivered": 0, "queued": 0, "requeued": 0, "unconfirmed": 1}


@click.command()
@click.argument("target")
@click.argument("message", nargs=-1, required=True)
@click.option("--now", "send_now", is_flag=True, help="Type it at once, ahead of held messages.")
@click.option("--force", is_flag=True, help="Type even into a shell, an editor or a pager.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.pass_obj
def send(
    obj: CliContext,
    target: str,
    message: tuple[str, ...],
    send_now: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Deliver MESSAGE to TARGET (session:window, session:window.pane or %N), in order.

    The text goes literally ("C-c" arrives as those three characters; put `--` before a
    message that starts with "-"); several words are joined with spaces; newlines and tabs
    are kept, other control characters refused. The message queues behind anything already
    held for the agent and the queue is delivered in order, one prompt each, under a lock no
    other typist shares. While the agent is exhausted, paused, resuming, waiting on its own
    auto-continue or needs attention, or shows a limit, a limit menu or an error with a retry
    time, it stays queued and the monitor delivers it when the agent is back; --now types it
    at once, ahead of anything held. A shell, an editor or a pager in front of the pane gets
    nothing (exit 1) unless --force.

    Results: delivered (the agent took it), queued (held, with the reason and the expected
    time), requeued (the agent refused it with a limit; retried after the reset), all exit 0;
    unconfirmed (typed, but Enter never took it) exits 1, as does any error.
    """
    supervisor = build_supervisor(obj)
    clock = supervisor.clock
    result = send_or_queue(
        supervisor.store,
        supervisor.log,
        supervisor.tmux,
        clock,
        target,
        " ".join(message),
        now=send_now,
        force=force,
        courier=supervisor.courier,
    )
    code = EXIT_CODES[result.outcome]
    if as_json:
        echo_json(_as_dict(result))
        click.get_current_context().exit(code)
        return
    if (foresight := runs_out_first(obj.paths, result.target, clock.now(), None)) is not None:
        click.echo(foresight)  # a note; the result itself follows
    if result.sent_before:
        click.echo(f"delivered {result.sent_before} older held message(s) first")
    if result.outcome == "queued":
        click.echo(f"queued for {result.target} ({_why(result, clock.now())}): id {result.id}")
        return
    if result.outcome == "requeued":
        click.echo(
            f"requeued for {result.target}: the agent refused it ({result.detail}); "
            f"it goes first {_expected(result, clock.now())}: id {result.id}"
        )
        return
    if result.outcome == "unconfirmed":
        raise click.ClickException(f"typed into {result.target} but {result.detail}")
    line = f"delivered to {_where(result)}"
    if result.enter_presses > 1:
        line += f" (Enter pressed {result.enter_presses} times)"
    if result.hold is not None:
        line += f"; sent with --now although it is {result.hold.status.value}"
    click.echo(line)
    if result.still_queued and send_now and result.hold is None:
        click.echo(
            f"note: {result.still_queued} older message(s) still queued for {result.target}; "
            "they are delivered when the agent can take them (see `credit-monitor queue`)"
        )


def _why(result: SendResult, now: datetime) -> str:
    if result.hold is not None:
        return describe_hold(result.hold, now, host_zone(None))
    reason = result.reason or "waiting for its turn"
    if result.until is not None and result.until > now and " at " not in reason:
        reason += f"; expected {clock_text(result.until, now, host_zone(None))}"
    return reason


def _expected(result: SendResult, now: datetime) -> str:
    if result.until is None or result.until <= now:
        return "when the agent is back"
    return f"after the reset at {clock_text(result.until, now, host_zone(None))}"


def _where(result: SendResult) -> str:
    name = f" ({result.pane.window_name})" if result.pane.window_name else ""
    return f"{result.target}{name}"


def _as_dict(result: SendResult) -> dict[str, object]:
    hold = result.hold
    return {
        "result": result.outcome,
        "exit_code": EXIT_CODES[result.outcome],
        "target": result.target,
        "pane_id": result.pane.pane_id,
        "window_name": result.pane.window_name,
        "id": result.id,
        "status": hold.status.value if hold else None,
        "reason": result.reason,
        # Queued or requeued: when the agent is expected to take it.
        "until": iso(result.until),
        "enter_presses": result.enter_presses,
        "detail": result.detail,
        # Queued: its place in the line. Sent: how many older messages still wait.
        "queue_position": result.still_queued if result.outcome == "queued" else None,
        "older_queued": 0 if result.outcome == "queued" else result.still_queued,
        "sent_before": result.sent_before,
    }
