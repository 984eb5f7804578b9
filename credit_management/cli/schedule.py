"""`credit-monitor schedule WHEN NOTE [TARGET]` (alias `schedule_credit_aware`): a note for an
agent later, kept in the state file; `schedule list` and `schedule cancel ID`.

Called as `schedule_credit_aware`, a note that would come due while its agent is known to be
stopped for longer is refused (exit 1) with the time it would really arrive, unless --anyway
is given; called as `schedule`, it is stored and the same sentence is printed as a warning
(--strict refuses as the alias does).
"""

from __future__ import annotations

import click

from credit_management.cli._default_group import DefaultGroup
from credit_management.cli._foresight import runs_out_first
from credit_management.cli.context import CliContext
from credit_management.cli.render import Times, echo_json, json_option, table, utc_option
from credit_management.clock import SystemClock, host_zone
from credit_management.messaging.queue import (
    PauseConflict,
    describe_hold,
    held_notes,
    hold_of,
    schedules,
)
from credit_management.messaging.send import cancel_note, resolve_listing_target, schedule_note
from credit_management.messaging.text import clock_text, preview, span_text
from credit_management.store.journal import EventLog
from credit_management.store.state import StateStore
from credit_management.tmux.gateway import Tmux

STRICT_ALIAS = "schedule_credit_aware"


@click.group(
    cls=DefaultGroup,
    default_command="add",
    empty_command="list",
    usage="WHEN NOTE [TARGET] | list [TARGET] | cancel ID",
    short_help="A note for an agent later (90s, 15m, 1h); list, cancel.",
)
def schedule() -> None:
    """Deliver NOTE to TARGET after WHEN, even across monitor restarts and reboots.

    WHEN is minutes (15, 0.5) or a duration (90s, 15m, 1h30m, 2h). TARGET defaults to the pane
    this runs in ($TMUX_PANE). The monitor delivers the note when due; an agent that is not
    active then gets it right after its verified resume. `schedule list` shows the notes,
    `schedule cancel ID` removes one.

    A note that would come due while its agent is known to be stopped for longer (exhausted,
    paused, waiting on its own auto-continue, needing a person) is refused by
    `schedule_credit_aware` (exit 1, saying when it would really arrive) unless --anyway is
    given; `schedule` stores it and prints that sentence as a warning (--strict refuses).
    --json prints the stored note. See `schedule add --help`.

    \b
    Examples:
      credit-monitor schedule 30m "Check the CI run and fix what failed" main:backend
      credit-monitor schedule list
    """


@schedule.command(name="add")
@click.argument("when")
@click.argument("note")
@click.argument("target", required=False)
@click.option(
    "--strict/--anyway",
    "strict",
    default=None,
    help="Refuse (--strict) or accept (--anyway) a note that would come due inside a known "
    f"pause of its agent. Default: accept with a warning; `{STRICT_ALIAS}` refuses.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the stored note as JSON.")
@click.pass_context
def add(
    ctx: click.Context,
    when: str,
    note: str,
    target: str | None,
    strict: bool | None,
    as_json: bool,
) -> None:
    """Schedule NOTE for TARGET (default: this pane) after WHEN (minutes or 90s, 15m, 1h30m)."""
    obj = ctx.find_object(CliContext)
    assert obj is not None
    called_as = ctx.parent.info_name if ctx.parent is not None else None
    refuse = strict if strict is not None else called_as == STRICT_ALIAS
    clock = SystemClock()
    zone = host_zone(None)
    try:
        scheduled = schedule_note(
            StateStore(obj.paths, clock),
            EventLog(obj.paths.events_log),
            Tmux(obj.socket),
            clock,
            when,
            note,
            target,
            zone=zone,
            refuse_in_pause=refuse,
        )
    except PauseConflict as conflict:
        raise click.ClickException(
            f"{conflict}; not scheduled (use --anyway to schedule it regardless)"
        ) from conflict
    stored = scheduled.note
    if as_json:
        echo_json({**stored.to_dict(), "conflict": scheduled.conflict})
        return
    now = clock.now()
    if scheduled.conflict is not None:
        click.echo(f"warning: {scheduled.conflict}", err=True)
    if (foresight := runs_out_first(obj.paths, stored.target, now, scheduled.due)) is not None:
        click.echo(f"{foresight}, before this note is due")
    click.echo(
        f"scheduled {stored.id} for {stored.target} at {clock_text(scheduled.due, now, zone)} "
        f"(in {span_text(scheduled.due - now)}): {preview(stored.text)}"
    )


@schedule.command(name="list")
@click.argument("target", required=False)
@json_option
@utc_option
@click.pass_obj
def list_schedules(obj: CliContext, target: str | None, as_json: bool, utc: bool) -> None:
    """List the notes not yet delivered (all, or TARGET's), soonest first.

    With --json: one object, {"notes": [...]}, each with "state": "scheduled" or "held".

    \b
    Examples:
      credit-monitor schedule list
      credit-monitor schedule list main:backend --utc
    """
    clock = SystemClock()
    state = StateStore(obj.paths, clock).load()
    key = resolve_listing_target(Tmux(obj.socket), state, target) if target else None
    pending = schedules(state, key)
    held = held_notes(state, key)
    if as_json:
        items = [{**note.to_dict(), "state": "scheduled"} for note in pending]
        items += [
            {
                "id": item.message.id,
                "target": item.target,
                "text": item.message.text,
                "due_at": item.message.due_at,
                "created_at": item.message.created_at,
                "state": "held",
            }
            for item in held
        ]
        echo_json({"notes": items})
        return
    if not pending and not held:
        click.echo(f"nothing scheduled for {key}" if key else "nothing scheduled")
        return
    times = Times.for_display(clock.now(), utc)
    rows = [
        (note.id, note.target, times.at_relative(note.due_at), preview(note.text))
        for note in pending
    ]
    for item in held:
        hold = hold_of(state.agents.get(item.target))
        why = describe_hold(hold, times.now, times.zone) if hold else "active"
        rows.append(
            (item.message.id, item.target, f"due, held ({why})", preview(item.message.text))
        )
    click.echo(table(("ID", "TARGET", times.header("DUE"), "TEXT"), rows))


@schedule.command(name="cancel")
@click.argument("note_id", metavar="ID")
@json_option
@click.pass_obj
def cancel(obj: CliContext, note_id: str, as_json: bool) -> None:
    """Cancel the scheduled note ID (also once due and held for a stopped agent).

    \b
    Example:
      credit-monitor schedule cancel s-8b01e4
    """
    clock = SystemClock()
    cancelled = cancel_note(
        StateStore(obj.paths, clock), EventLog(obj.paths.events_log), clock, note_id
    )
    note = cancelled.note
    if as_json:
        echo_json({"result": "cancelled", "was_held": cancelled.was_held, **note.to_dict()})
        return
    held = " (it was due, waiting for the agent to resume)" if cancelled.was_held else ""
    click.echo(f"cancelled {note.id} for {note.target}{held}: {preview(note.text)}")
