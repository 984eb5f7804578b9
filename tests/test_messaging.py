"""The messaging library without tmux: WHEN parsing, the queue, schedules, holds and the
"did the agent take it" check of delivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from credit_management.errors import InputError
from credit_management.messaging.queue import (
    add_schedule,
    cancel_schedule,
    describe_hold,
    drop_queued,
    enqueue,
    held_notes,
    hold_of,
    new_id,
    pause_conflict,
    queued,
    schedules,
)
from credit_management.messaging.text import check_text, clock_text, parse_when, preview, span_text
from credit_management.models import AgentRecord, QueuedMessage, Status, iso
from credit_management.store.state import State
from credit_management.tmux.typist import InputRow, enter_pause

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15", 900),
        ("0.5", 30),
        (".5", 30),
        ("90s", 90),
        ("15m", 900),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("2h", 7200),
        ("1.5h", 5400),
        ("1d", 86400),
        ("2 hours", 7200),
        ("1 hour 30 minutes", 5400),
        ("45 sec", 45),
        (" 10M ", 600),
    ],
)
def test_parse_when_reads_minutes_and_durations(text: str, seconds: float) -> None:
    assert parse_when(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "text", ["", "  ", "abc", "15x", "-5", "1h-30m", "inf", "nan", "1e3", "m", "15 m s", "1,5"]
)
def test_parse_when_refuses_anything_else_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(InputError, match=r"invalid WHEN .*: use minutes \(15, 0\.5\)"):
        parse_when(text)


@pytest.mark.parametrize("text", ["0", "0m", "0.0", "400d", "999999999999999999"])
def test_parse_when_refuses_zero_and_absurd_delays(text: str) -> None:
    with pytest.raises(InputError, match="invalid WHEN"):
        parse_when(text)


def test_check_text_keeps_newlines_and_tabs_and_refuses_control_characters() -> None:
    assert check_text("a\r\nb\tc") == "a\nb\tc"
    assert check_text("C-c") == "C-c"
    for bad in ("a\x03b", "\x1b[A", "x\x7f", "a\rb", "\x00"):
        with pytest.raises(InputError, match="control character"):
            check_text(bad)
    for empty in ("", " \n\t "):
        with pytest.raises(InputError, match="message is empty"):
            check_text(empty)


def test_preview_is_one_short_line() -> None:
    assert preview("one\ntwo") == "one ⏎ two"
    long = preview("x" * 200)
    assert len(long) == 60 and long.endswith("…")


def test_span_and_clock_text() -> None:
    assert span_text(timedelta(seconds=0.4)) == "1s"
    assert span_text(timedelta(minutes=123)) == "2h3m"
    lisbon = ZoneInfo("Europe/Lisbon")
    assert clock_text(NOW + timedelta(hours=3, minutes=5), NOW, lisbon) == "15:05"
    assert clock_text(NOW + timedelta(days=1), NOW, lisbon) == "Nov 22 12:00"


def test_the_queue_keeps_order_and_ids_are_short_and_unique() -> None:
    state = State()
    first = enqueue(state, "main:1", "first", now=NOW)
    second = enqueue(state, "main:1", "second", "orchestrator", now=NOW)
    other = enqueue(state, "main:2", "other", now=NOW)
    assert first.id.startswith("q-") and len(first.id) == 8
    assert len({first.id, second.id, other.id}) == 3
    assert [(h.target, h.message.text) for h in queued(state)] == [
        ("main:1", "first"),
        ("main:1", "second"),
        ("main:2", "other"),
    ]
    assert [h.message.text for h in queued(state, "main:2")] == ["other"]
    dropped = drop_queued(state, second.id)
    assert dropped.target == "main:1" and dropped.message.text == "second"
    assert [m.text for m in state.agents["main:1"].queued] == ["first"]
    with pytest.raises(InputError, match="no queued message with id 'q-nope'"):
        drop_queued(state, "q-nope")


def test_new_id_avoids_ids_in_use() -> None:
    state = State()
    ids = {new_id(state, "q") for _ in range(50)}
    for index, _ in enumerate(ids):
        enqueue(state, "main:1", str(index), now=NOW)
    taken = {m.id for m in state.agents["main:1"].queued}
    for _ in range(200):
        assert new_id(state, "q") not in taken


def test_schedules_sorted_and_cancelled_even_once_held() -> None:
    state = State()
    late = add_schedule(state, "main:1", "late", NOW + timedelta(hours=2), now=NOW)
    soon = add_schedule(state, "main:1", "soon", NOW + timedelta(minutes=5), now=NOW)
    assert late.id.startswith("s-")
    assert [n.text for n in schedules(state)] == ["soon", "late"]
    # The monitor moves a due note into its agent's queue (credit_monitor.deliver_due).
    state.agent("main:2").queued.append(
        QueuedMessage("s-held01", "held note", iso(NOW) or "", "schedule", iso(NOW))
    )
    assert [h.message.id for h in held_notes(state)] == ["s-held01"]
    cancelled = cancel_schedule(state, soon.id)
    assert not cancelled.was_held and [n.text for n in state.schedules] == ["late"]
    held = cancel_schedule(state, "s-held01")
    assert held.was_held and held.note.target == "main:2" and held.note.text == "held note"
    assert state.agents["main:2"].queued == []
    with pytest.raises(InputError, match="no scheduled note with id 's-gone'"):
        cancel_schedule(state, "s-gone")


def record(status: Status, **fields: str | None) -> AgentRecord:
    return AgentRecord(status=status, **fields)  # type: ignore[arg-type]


def test_which_statuses_hold_messages() -> None:
    assert hold_of(None) is None
    for status in (Status.ACTIVE, Status.MISSING, Status.CRASHED):
        assert hold_of(record(status)) is None
    for status in (
        Status.EXHAUSTED,
        Status.PAUSED,
        Status.RESUMING,
        Status.WAITING_SELF,
        Status.NEEDS_ATTENTION,
    ):
        assert hold_of(record(status)) is not None


def test_describe_hold_says_until_when() -> None:
    zone = ZoneInfo("UTC")
    until = iso(NOW + timedelta(hours=3, minutes=5))
    exhausted = hold_of(record(Status.EXHAUSTED, scheduled_resume=until))
    assert exhausted is not None
    assert describe_hold(exhausted, NOW, zone) == "exhausted until 15:05, in 3h5m"
    paused = hold_of(record(Status.PAUSED))
    assert paused is not None
    assert describe_hold(paused, NOW, zone) == "paused until resumed by hand"
    timed = hold_of(record(Status.PAUSED, paused_until=until, scheduled_resume=until))
    assert timed is not None and describe_hold(timed, NOW, zone).startswith("paused until 15:05")
    overdue = hold_of(record(Status.EXHAUSTED, scheduled_resume=iso(NOW - timedelta(minutes=1))))
    assert (
        overdue is not None
        and describe_hold(overdue, NOW, zone) == "exhausted until 11:59, due now"
    )
    attention = hold_of(record(Status.NEEDS_ATTENTION, reason="Invalid API key"))
    assert attention is not None
    assert describe_hold(attention, NOW, zone) == "needs attention: Invalid API key"
    resuming = hold_of(record(Status.RESUMING))
    assert resuming is not None and describe_hold(resuming, NOW, zone).startswith("resuming")


def test_pause_conflict_says_when_the_note_really_arrives() -> None:
    zone = ZoneInfo("UTC")
    due = NOW + timedelta(minutes=15)
    exhausted = record(Status.EXHAUSTED, scheduled_resume=iso(NOW + timedelta(hours=3, minutes=5)))
    assert pause_conflict("main:1", exhausted, due, NOW, zone) == (
        "main:1 is paused (out of usage) until 15:05; the note will arrive then, not in 15m"
    )
    back_first = record(Status.EXHAUSTED, scheduled_resume=iso(NOW + timedelta(minutes=5)))
    assert pause_conflict("main:1", back_first, due, NOW, zone) is None
    by_hand = pause_conflict("main:1", record(Status.PAUSED), due, NOW, zone)
    assert by_hand == (
        "main:1 is paused (by hand) until resumed by hand; the note will arrive then, not in 15m"
    )
    for harmless in (None, record(Status.ACTIVE), record(Status.RESUMING)):
        assert pause_conflict("main:1", harmless, due, NOW, zone) is None


def test_enter_pause_grows_with_the_message_and_is_bounded() -> None:
    assert enter_pause("hi") < enter_pause("x" * 2000) <= 2.0
    assert enter_pause("x" * 100_000) == 2.0


BOX = "╭────╮\n│ > {} │\n╰────╯\n  ? for shortcuts"


def screen(*transcript: str, box: str = "") -> str:
    return "\n".join([*transcript, BOX.format(box)])


def test_input_row_sees_the_box_empty_after_a_real_submit() -> None:
    probe = InputRow.between(screen("header"), screen("header", box="hello"))
    assert probe.row == 2
    assert not probe.taken(screen("header", box="hello"))  # Enter swallowed
    assert probe.taken(screen("header", "> hello", "⏺ Done: hello", box=""))


def test_input_row_ignores_output_printed_above_the_box() -> None:
    typed = screen("header", box="hello")
    probe = InputRow.between(screen("header"), typed)
    busy = screen("header", "⏺ Bash(pytest -q)", "  ⎿  12 passed", box="hello")
    assert busy != typed and not probe.taken(busy)


def test_input_row_on_a_shell_prompt_and_without_echo() -> None:
    probe = InputRow.between("$ ", "$ ls")
    assert probe.row == 0 and probe.taken("$ ls\nfile\n$") and not probe.taken("$ ls")
    silent = InputRow.between("same", "same")
    assert silent.row is None and silent.taken("changed") and not silent.taken("same")


def test_input_row_is_the_row_showing_the_message_not_output_still_being_drawn() -> None:
    # The answer to the previous message was still arriving when typing started.
    before = screen("> earlier", "✻ Thinking…", box="")
    typed = screen("> earlier", "⏺ Done: earlier", "", box="Escape")
    probe = InputRow.between(before, typed, "Escape")
    assert probe.row == 2
    assert probe.taken(screen("> earlier", "⏺ Done: earlier", "", "> Escape", box=""))
    assert not probe.taken(typed)


def test_input_row_falls_back_to_the_lowest_change_for_a_paste_placeholder() -> None:
    before = screen("header")
    typed = screen("header", box="[Pasted text #1 +40 lines]")
    probe = InputRow.between(before, typed, "line\n" * 40 + "the end")
    assert probe.row == 2 and probe.taken(screen("header", box=""))


def test_input_row_for_a_line_mode_program_that_prints_the_line_back() -> None:
    probe = InputRow.between("ready", "ready\n/model x", "/model x")
    assert probe.row == 0
    assert probe.taken("ready\n/model x\n/model x")  # `cat` got the line and printed it
    assert not probe.taken("ready\n/model x")
