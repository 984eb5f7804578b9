"""`credit-monitor queue [TARGET]` lists the messages held for stopped agents;
`credit-monitor queue drop ID` drops one."""

from __future__ import annotations

import click

from credit_management.cli._default_group import DefaultGroup
from credit_management.cli.context import CliContext
from credit_management.cli.render import Times, echo_json, json_option, table, utc_option
from credit_management.clock import SystemClock
from credit_management.messaging.queue import Held, describe_hold, hold_of, queued, schedules
from credit_management.messaging.send import drop_message, resolve_listing_target
from credit_management.messaging.text import preview
from credit_management.store.journal import EventLog
from credit_management.store.state import State, StateStore
from credit_management.tmux.gateway import Tmux


@click.group(
    cls=DefaultGroup,
    default_command="list",
    usage="[TARGET] [--json] | drop ID",
    short_help="Messages held for agents that cannot take them yet.",
)
def queue() -> None:
    """Messages waiting for agents that cannot take them yet, delivered in order once the
    agent is verified active.

    `queue` and `queue TARGET` list them; `queue drop ID` drops one.
    """


@queue.command(name="list")
@click.argument("target", required=False)
@json_option
@utc_option
@click.pass_obj
def list_queue(obj: CliContext, target: str | None, as_json: bool, utc: bool) -> None:
    """List what waits (all agents, or TARGET's).

    With --json: one object, {"messages": [...]}.

    \b
    Examples:
      credit-monitor queue
      credit-monitor queue main:backend --json
    """
    clock = SystemClock()
    state = StateStore(obj.paths, clock).load()
    key = resolve_listing_target(Tmux(obj.socket), state, target) if target else None
    items = queued(state, key)
    now = clock.now()
    if as_json:
        echo_json({"messages": [_as_dict(state, held) for held in items]})
        return
    times = Times.for_display(now, utc)
    if not items:
        click.echo(f"nothing queued for {key}" if key else "nothing queued")
    else:
        _print_table(state, items, times)
    upcoming = len(schedules(state, key))
    if upcoming:
        click.echo(f"{upcoming} scheduled note(s) not due yet: see `credit-monitor schedule list`")


def _print_table(state: State, items: list[Held], times: Times) -> None:
    rows = [
        (
            held.message.id,
            held.target,
            held.message.source,
            times.at(held.message.created_at),
            preview(held.message.text),
        )
        for held in items
    ]
    click.echo(table(("ID", "TARGET", "SOURCE", times.header("CREATED"), "TEXT"), rows))
    waiting = sorted({held.target for held in items})
    for target in waiting:
        hold = hold_of(state.agents.get(target))
        # Held for an active agent: its screen showed a limit or an error when it was sent.
        ready = "active: sent by the first sweep that finds its screen clear of limits and errors"
        why = describe_hold(hold, times.now, times.zone) if hold else ready
        click.echo(f"{target}: {why}")


def _as_dict(state: State, held: Held) -> dict[str, object]:
    record = state.agents.get(held.target)
    return {
        "id": held.message.id,
        "target": held.target,
        "source": held.message.source,
        "created_at": held.message.created_at,
        "due_at": held.message.due_at,
        "text": held.message.text,
        "agent_status": record.status.value if record else None,
    }


@queue.command(name="drop")
@click.argument("message_id", metavar="ID")
@json_option
@click.pass_obj
def drop(obj: CliContext, message_id: str, as_json: bool) -> None:
    """Drop the queued message ID (it will never be sent).

    \b
    Example:
      credit-monitor queue drop q-3f2a1c
    """
    clock = SystemClock()
    held = drop_message(
        StateStore(obj.paths, clock), EventLog(obj.paths.events_log), clock, message_id
    )
    if as_json:
        echo_json({"result": "dropped", "id": held.message.id, "target": held.target})
        return
    click.echo(f"dropped {held.message.id} (for {held.target}): {preview(held.message.text)}")
