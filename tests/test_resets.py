"""Tests for credit_management.detect.resets: printed reset phrases to aware datetimes.

Every case uses a fixed `now`. Expected values are ISO strings so that both the instant and the
offset the result carries are checked.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from dateutil import tz as dateutil_tz
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_management.clock import host_zone
from credit_management.detect.resets import (
    format_until,
    from_epoch,
    get_zone,
    localize,
    next_cycle_reset,
    occurrences,
    parse_duration,
    parse_hhmm,
    resolve_reset,
)
from credit_management.errors import InputError

DENVER = ZoneInfo("America/Denver")
MADRID = ZoneInfo("Europe/Madrid")
TOKYO = ZoneInfo("Asia/Tokyo")
# Monday 2026-06-15 12:00 UTC: Tokyo 21:00, Auckland 00:00 (16th), Kolkata 17:30, Madrid 14:00,
# Denver 06:00, Los Angeles 05:00, Etc/GMT+5 07:00.
JUNE = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
# Saturday 2026-11-21 13:30 UTC: Denver 06:30 MST.
NOVEMBER = datetime(2026, 11, 21, 13, 30, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def resolved(phrase: str, now: datetime, host: tzinfo = DENVER) -> str | None:
    result = resolve_reset(phrase, now, host)
    return None if result is None else result.isoformat()


ZONE_CASES = [
    ("3pm (Asia/Tokyo)", "2026-06-16T15:00:00+09:00"),
    ("9:30pm (Asia/Tokyo)", "2026-06-15T21:30:00+09:00"),
    ("8:59 PM (Asia/Tokyo)", "2026-06-16T20:59:00+09:00"),
    ("15:00 (Asia/Tokyo)", "2026-06-16T15:00:00+09:00"),
    ("23:59 (Asia/Tokyo)", "2026-06-15T23:59:00+09:00"),
    ("2pm (Pacific/Auckland)", "2026-06-16T14:00:00+12:00"),
    ("12:00am (Pacific/Auckland)", "2026-06-16T00:00:00+12:00"),  # exactly now: not tomorrow
    ("11pm (Pacific/Auckland)", "2026-06-16T23:00:00+12:00"),
    ("3pm (Asia/Kolkata)", "2026-06-16T15:00:00+05:30"),
    ("3pm (Asia/Calcutta)", "2026-06-16T15:00:00+05:30"),
    ("5:31pm (Asia/Kolkata)", "2026-06-15T17:31:00+05:30"),
    ("5:20am (America/Denver)", "2026-06-16T05:20:00-06:00"),
    ("6:01am (America/Denver)", "2026-06-15T06:01:00-06:00"),
    ("3pm (America/Los_Angeles)", "2026-06-15T15:00:00-07:00"),
    ("4am (US/Pacific)", "2026-06-16T04:00:00-07:00"),
    ("7pm (Europe/Madrid)", "2026-06-15T19:00:00+02:00"),
    ("1pm (Europe/Madrid)", "2026-06-16T13:00:00+02:00"),
    ("noon (Europe/Madrid)", "2026-06-16T12:00:00+02:00"),
    ("midnight (Europe/Madrid)", "2026-06-16T00:00:00+02:00"),
    ("6pm Europe/Madrid", "2026-06-15T18:00:00+02:00"),
    ("3pm (Etc/GMT+5)", "2026-06-15T15:00:00-05:00"),
    ("6am (Etc/GMT+5)", "2026-06-16T06:00:00-05:00"),
    ("3pm (Etc/GMT-14)", "2026-06-16T15:00:00+14:00"),
    ("3pm (Etc/Unknown)", "2026-06-15T15:00:00-06:00"),
    ("3pm", "2026-06-15T15:00:00-06:00"),
    ("3pm (local time)", "2026-06-15T15:00:00-06:00"),
    ("3pm (Mars/Olympus)", "2026-06-15T15:00:00-06:00"),
    # Abbreviations are fixed offsets: PST stays UTC-8 in June because that is what was printed.
    ("3:45 PM PST", "2026-06-15T15:45:00-08:00"),
    ("3:45 PM PDT", "2026-06-15T15:45:00-07:00"),
    ("3:45 pm pst", "2026-06-15T15:45:00-08:00"),
    ("3pm utc+5:30", "2026-06-16T15:00:00+05:30"),
    ("10am EDT", "2026-06-15T10:00:00-04:00"),
    ("7am EST", "2026-06-15T07:00:00-05:00"),
    ("9am JST", "2026-06-16T09:00:00+09:00"),
    ("9am IST", "2026-06-16T09:00:00+05:30"),
    ("8pm CEST", "2026-06-15T20:00:00+02:00"),
    ("8pm CET", "2026-06-15T20:00:00+01:00"),
    ("9am (AEST)", "2026-06-16T09:00:00+10:00"),
    ("9am NZST", "2026-06-16T09:00:00+12:00"),
    ("2pm HST", "2026-06-15T14:00:00-10:00"),
    ("3pm UTC", "2026-06-15T15:00:00+00:00"),
    ("11am GMT", "2026-06-16T11:00:00+00:00"),
    ("3pm UTC+5:30", "2026-06-16T15:00:00+05:30"),
    ("3pm PT", "2026-06-15T15:00:00-07:00"),  # generic name: daylight time in June
]


@pytest.mark.parametrize(("phrase", "expected"), ZONE_CASES)
def test_time_of_day_in_zones_ahead_of_and_behind_utc(phrase: str, expected: str) -> None:
    assert resolved(phrase, JUNE) == expected


SEVEN_PM_MADRID = [
    "7pm (Europe/Madrid)",
    "7 pm (Europe/Madrid)",
    "7PM (Europe/Madrid)",
    "7 p.m. (Europe/Madrid)",
    "07:00 PM (Europe/Madrid)",
    "19:00 (Europe/Madrid)",
    "7pm (europe/madrid)",
    "at 7pm (Europe/Madrid).",
    "  7pm   (Europe/Madrid)  ",
    "7pm (Europe/Madrid))",
    "7pm (Europe/Madrid) · /upgrade to Max or turn on /extra-usage",
    "7pm (Europe/Madrid). Run /upgrade to increase your limits",
    "resets 7pm (Europe/Madrid)",
    "You've hit your session limit · resets 7pm (Europe/Madrid)",
    "Claude usage limit reached. Your limit will reset at 7pm (Europe/Madrid).",
    "Usage limit reached · continuing automatically at 7pm (Europe/Madrid)",
    "7pm (Europe/\nMadrid)",
    "7pm (Euro\npe/Madrid)",
    "7p\nm (Europe/Madrid)",
    "resets\n  7pm (Europe/Madrid)",
    "\x1b[1m7pm\x1b[0m (Europe/Madrid)",
]


@pytest.mark.parametrize("phrase", SEVEN_PM_MADRID)
def test_spellings_noise_and_wrapping(phrase: str) -> None:
    assert resolved(phrase, JUNE) == "2026-06-15T19:00:00+02:00"


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("try again at 3:28 PM.", "2026-06-15T15:28:00-06:00"),
        ("Access resets at 3:45 PM PST.", "2026-06-15T15:45:00-08:00"),
        ("credits will reset at 9pm", "2026-06-15T21:00:00-06:00"),
        ("5-hour limit reached ∙ resets 3am", "2026-06-16T03:00:00-06:00"),
        ("resets 6am", "2026-06-15T06:00:00-06:00"),  # the printed minute is now
    ],
)
def test_agent_banners_without_zone_use_host(phrase: str, expected: str) -> None:
    assert resolved(phrase, JUNE) == expected


# Tokyo 23:59:30 on Monday 15 June.
BEFORE_MIDNIGHT = datetime(2026, 6, 15, 14, 59, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("11:59pm", "2026-06-15T23:59:00+09:00"),  # same minute: the reset is now
        ("11:58pm", "2026-06-16T23:58:00+09:00"),
        ("12:01am", "2026-06-16T00:01:00+09:00"),
        ("12am", "2026-06-16T00:00:00+09:00"),
        ("midnight", "2026-06-16T00:00:00+09:00"),
        ("23:59:00", "2026-06-16T23:59:00+09:00"),  # seconds printed: judged to the second
        ("23:59:45", "2026-06-15T23:59:45+09:00"),
    ],
)
def test_midnight_rollover(phrase: str, expected: str) -> None:
    assert resolved(phrase, BEFORE_MIDNIGHT, TOKYO) == expected


@pytest.mark.parametrize(
    ("now", "phrase", "expected"),
    [
        ("2026-12-31T22:45:00+00:00", "12:30am (Europe/Madrid)", "2027-01-01T00:30:00+01:00"),
        ("2026-12-31T22:45:00+00:00", "11:50pm (Europe/Madrid)", "2026-12-31T23:50:00+01:00"),
        ("2026-12-31T22:45:00+00:00", "11:40pm (Europe/Madrid)", "2027-01-01T23:40:00+01:00"),
        ("2026-12-31T22:45:00+00:00", "9am (America/Los_Angeles)", "2027-01-01T09:00:00-08:00"),
        ("2026-12-31T22:45:00+00:00", "7am (Asia/Tokyo)", "2027-01-02T07:00:00+09:00"),
        ("2026-12-31T22:45:00+00:00", "8am (Asia/Tokyo)", "2027-01-01T08:00:00+09:00"),
    ],
)
def test_new_year_rollover(now: str, phrase: str, expected: str) -> None:
    assert resolved(phrase, at(now)) == expected


def test_exactly_now_is_now_and_a_minute_later_is_tomorrow() -> None:
    three_pm = datetime(2026, 6, 15, 13, 0, tzinfo=UTC)  # 15:00 in Madrid
    assert resolve_reset("3pm (Europe/Madrid)", three_pm, DENVER) == three_pm
    late = three_pm + timedelta(seconds=59.9)
    assert resolve_reset("3pm (Europe/Madrid)", late, DENVER) == three_pm
    tomorrow = three_pm + timedelta(days=1)
    assert resolve_reset("3pm (Europe/Madrid)", three_pm + timedelta(minutes=1), DENVER) == tomorrow
    assert resolve_reset("2:59pm (Europe/Madrid)", three_pm, DENVER) == tomorrow - timedelta(
        minutes=1
    )


NEW_YORK_IMPLEMENTATIONS = [
    ZoneInfo("America/New_York"),
    dateutil_tz.gettz("America/New_York"),
]
US_DST_CASES = [
    # Spring 2026-03-08: 02:00 EST jumps to 03:00 EDT.
    ("2026-03-08T05:00:00+00:00", "1:30am", "2026-03-08T01:30:00-05:00"),
    ("2026-03-08T05:00:00+00:00", "2:30am", "2026-03-08T03:30:00-04:00"),
    ("2026-03-08T05:00:00+00:00", "3:30am", "2026-03-08T03:30:00-04:00"),
    ("2026-03-08T05:00:00+00:00", "9am", "2026-03-08T09:00:00-04:00"),
    ("2026-03-07T12:00:00+00:00", "6am", "2026-03-08T06:00:00-04:00"),
    ("2026-03-07T12:00:00+00:00", "in 1 day", "2026-03-08T08:00:00-04:00"),
    ("2026-03-01T12:00:00+00:00", "Mar 8, 2:30am", "2026-03-08T03:30:00-04:00"),
    # Autumn 2026-11-01: 02:00 EDT falls back to 01:00 EST; 01:30 happens twice.
    ("2026-11-01T04:00:00+00:00", "1:30am", "2026-11-01T01:30:00-04:00"),
    ("2026-11-01T05:45:00+00:00", "1:30am", "2026-11-01T01:30:00-05:00"),
    ("2026-11-01T06:45:00+00:00", "1:30am", "2026-11-02T01:30:00-05:00"),
    ("2026-11-01T04:00:00+00:00", "2:30am", "2026-11-01T02:30:00-05:00"),
    ("2026-10-31T12:00:00+00:00", "6am", "2026-11-01T06:00:00-05:00"),
    ("2026-11-01T04:00:00+00:00", "Nov 1 at 1:30am", "2026-11-01T01:30:00-04:00"),
    ("2026-11-01T05:45:00+00:00", "Nov 1 at 1:30am", "2026-11-01T01:30:00-04:00"),
]


@pytest.mark.parametrize("host", NEW_YORK_IMPLEMENTATIONS, ids=["zoneinfo", "dateutil"])
@pytest.mark.parametrize(("now", "phrase", "expected"), US_DST_CASES)
def test_us_dst_transitions_in_host_zone(
    now: str, phrase: str, expected: str, host: tzinfo
) -> None:
    assert resolved(phrase, at(now), host) == expected


@pytest.mark.parametrize(
    ("now", "phrase", "expected"),
    [
        # Spring 2026-03-29: 02:00 CET jumps to 03:00 CEST.
        ("2026-03-29T00:00:00+00:00", "1:30am (Europe/Madrid)", "2026-03-29T01:30:00+01:00"),
        ("2026-03-29T00:00:00+00:00", "2:30am (Europe/Madrid)", "2026-03-29T03:30:00+02:00"),
        ("2026-03-29T00:00:00+00:00", "3am (Europe/Madrid)", "2026-03-29T03:00:00+02:00"),
        ("2026-03-29T00:00:00+00:00", "7pm (Europe/Madrid)", "2026-03-29T19:00:00+02:00"),
        ("2026-03-28T20:00:00+00:00", "7pm (Europe/Madrid)", "2026-03-29T19:00:00+02:00"),
        (
            "2026-03-20T12:00:00+00:00",
            "Mar 29 at 2:30am (Europe/Madrid)",
            "2026-03-29T03:30:00+02:00",
        ),
        # Autumn 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
        ("2026-10-24T23:00:00+00:00", "2:30am (Europe/Madrid)", "2026-10-25T02:30:00+02:00"),
        ("2026-10-25T01:10:00+00:00", "2:30am (Europe/Madrid)", "2026-10-25T02:30:00+01:00"),
        ("2026-10-25T01:40:00+00:00", "2:30am (Europe/Madrid)", "2026-10-26T02:30:00+01:00"),
        ("2026-10-24T20:00:00+00:00", "7pm (Europe/Madrid)", "2026-10-25T19:00:00+01:00"),
        (
            "2026-10-20T12:00:00+00:00",
            "Oct 25 at 2:30am (Europe/Madrid)",
            "2026-10-25T02:30:00+02:00",
        ),
    ],
)
def test_eu_dst_transitions_in_printed_zone(now: str, phrase: str, expected: str) -> None:
    assert resolved(phrase, at(now), TOKYO) == expected


DATED_CASES = [
    ("May 28 at 7pm (Europe/Madrid)", "2027-05-28T19:00:00+02:00"),
    ("Dec 2, 7pm", "2026-12-02T19:00:00-07:00"),
    ("Dec 2 7pm", "2026-12-02T19:00:00-07:00"),
    ("Dec 2nd at 7pm", "2026-12-02T19:00:00-07:00"),
    ("2 Dec 7pm", "2026-12-02T19:00:00-07:00"),
    ("Wed, Dec 2, 7pm", "2026-12-02T19:00:00-07:00"),
    ("Dec 2", "2026-12-02T00:00:00-07:00"),
    ("Dec 2, 2026 7pm (Asia/Tokyo)", "2026-12-02T19:00:00+09:00"),
    ("Nov 23rd, 2026 11:51 AM", "2026-11-23T11:51:00-07:00"),
    ("try again at Sep 15th, 2026 11:51 AM.", "2026-09-15T11:51:00-06:00"),  # past: not rolled
    ("Sep 15th, 2026 11:51 AM", "2026-09-15T11:51:00-06:00"),
    ("Jan 5, 2027 at 9am", "2027-01-05T09:00:00-07:00"),
    ("January 5th 2027 9:00 AM", "2027-01-05T09:00:00-07:00"),
    ("2026-11-23 11:51", "2026-11-23T11:51:00-07:00"),
    ("2026-11-23T11:51", "2026-11-23T11:51:00-07:00"),
    ("2025-01-01 00:00", "2025-01-01T00:00:00-07:00"),
    ("2026-11-23T11:51:00+09:00", "2026-11-23T11:51:00+09:00"),
    ("2026-11-23T11:51:00Z", "2026-11-23T11:51:00+00:00"),
    ("Nov 21 at 6am", "2026-11-21T06:00:00-07:00"),  # today, already past: stays
    ("Nov 20 at 11pm", "2026-11-20T23:00:00-07:00"),  # yesterday: stays
    ("Nov 19 at 11pm", "2027-11-19T23:00:00-07:00"),  # older: next year
    ("Nov 20 at 9am (Asia/Tokyo)", "2026-11-20T09:00:00+09:00"),  # yesterday in Tokyo
    ("Nov 20 at 9am (Pacific/Auckland)", "2027-11-20T09:00:00+13:00"),  # 2 days ago there
    ("Feb 29 at 9am", "2028-02-29T09:00:00-07:00"),
    ("Mon 9am", "2026-11-23T09:00:00-07:00"),
    ("Monday at 9am", "2026-11-23T09:00:00-07:00"),
    ("Sat 7am", "2026-11-21T07:00:00-07:00"),
    ("Saturday 6am", "2026-11-28T06:00:00-07:00"),
    ("tomorrow 9am", "2026-11-22T09:00:00-07:00"),
    ("today 6am", "2026-11-21T06:00:00-07:00"),
]


@pytest.mark.parametrize(("phrase", "expected"), DATED_CASES)
def test_dates(phrase: str, expected: str) -> None:
    assert resolved(phrase, NOVEMBER) == expected


YEAR_END = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)  # Madrid 13:00 on 31 December


@pytest.mark.parametrize(
    ("now", "phrase", "expected"),
    [
        (YEAR_END, "Jan 2 at 9am", "2027-01-02T09:00:00+01:00"),
        (YEAR_END, "Dec 31 at 9am", "2026-12-31T09:00:00+01:00"),
        (YEAR_END, "Dec 30 at 9am", "2026-12-30T09:00:00+01:00"),
        (YEAR_END, "Dec 29 at 9am", "2027-12-29T09:00:00+01:00"),
        (YEAR_END, "Jan 1, 2026 at 9am", "2026-01-01T09:00:00+01:00"),
        (at("2026-12-31T23:30:00+00:00"), "Dec 31 at 11pm", "2026-12-31T23:00:00+01:00"),
        (at("2026-12-31T23:30:00+00:00"), "Jan 1 at 9am", "2027-01-01T09:00:00+01:00"),
    ],
)
def test_yearless_dates_at_year_end(now: datetime, phrase: str, expected: str) -> None:
    assert resolved(phrase, now, MADRID) == expected


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("in 5 days 22 hours 11 minutes", "2026-11-27T04:41:00-07:00"),
        ("try again in 5 days 22 hours 11 minutes.", "2026-11-27T04:41:00-07:00"),
        ("after 21h39m57s", "2026-11-22T04:09:57-07:00"),
        ("Your quota will reset after 21h39m57s.", "2026-11-22T04:09:57-07:00"),
        ("in 47s", "2026-11-21T06:30:47-07:00"),
        ("Please retry in 47s", "2026-11-21T06:30:47-07:00"),
        ("in 3 days 2 hours", "2026-11-24T08:30:00-07:00"),
        ("in 2h 5m", "2026-11-21T08:35:00-07:00"),
        ("in 1 hour", "2026-11-21T07:30:00-07:00"),
        ("in 90 seconds", "2026-11-21T06:31:30-07:00"),
        ("in 0.5 hours", "2026-11-21T07:00:00-07:00"),
    ],
)
def test_durations_count_from_now_in_host_zone(phrase: str, expected: str) -> None:
    assert resolved(phrase, NOVEMBER) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 days 22 hours 11 minutes", timedelta(days=5, hours=22, minutes=11)),
        ("21h39m57s", timedelta(hours=21, minutes=39, seconds=57)),
        ("47s", timedelta(seconds=47)),
        ("47.5s", timedelta(seconds=47.5)),
        ("3 days 2 hours", timedelta(days=3, hours=2)),
        ("2h 5m", timedelta(hours=2, minutes=5)),
        ("1.5 hours", timedelta(hours=1.5)),
        ("90 seconds", timedelta(seconds=90)),
        ("in 0.5 hours", timedelta(minutes=30)),
        ("after 1 hour.", timedelta(hours=1)),
        ("an hour", timedelta(hours=1)),
        ("2 hrs and 5 mins", timedelta(hours=2, minutes=5)),
        ("1d, 2h", timedelta(days=1, hours=2)),
        ("1 week", timedelta(weeks=1)),
        ("500ms", timedelta(milliseconds=500)),
        ("", None),
        ("5", None),
        ("hours", None),
        ("5 parsecs", None),
        ("3pm", None),
        ("in 5 days or so", None),
        ("99999999999999999999 days", None),
    ],
)
def test_parse_duration(text: str, expected: timedelta | None) -> None:
    assert parse_duration(text) == expected


EPOCH_INSTANT = datetime(2025, 11, 22, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "phrase",
    [
        "1763830800",
        "1763830800000",
        "Claude AI usage limit reached|1763830800",
        "resets 1763830800",
    ],
)
def test_epoch_phrases_come_back_in_host_zone(phrase: str) -> None:
    result = resolve_reset(phrase, NOVEMBER, TOKYO)
    assert result == EPOCH_INSTANT
    assert result is not None and result.isoformat() == "2025-11-23T02:00:00+09:00"


def test_from_epoch() -> None:
    assert from_epoch(1763830800) == EPOCH_INSTANT
    assert from_epoch("1763830800000") == EPOCH_INSTANT
    assert from_epoch(1763830800.5) == EPOCH_INSTANT + timedelta(milliseconds=500)
    in_madrid = from_epoch(1763830800, MADRID)
    assert in_madrid is not None and in_madrid.isoformat() == "2025-11-22T18:00:00+01:00"
    assert from_epoch(12) is None
    assert from_epoch("soon") is None
    assert from_epoch(99_999_999_999_999) is None


GARBAGE = [
    "",
    "   ",
    "soon",
    "later today",
    "resets",
    "13pm",
    "0am",
    "25:00",
    "Feb 30 at 3pm",
    "0000-00-00 00:00",
    "3pm 4pm",
    "hello 3pm world",
    "3pm cuba",
    "Dec 2, 99999 7pm",
    "123",
    "\x00\xff\ufffd\x1b[",
    "a" * 200_000,
    "9" * 40,
    "in 99999999999999999999 days",
    "(((((((",
    "2026-13-45T99:99:99+99:99",
]


@pytest.mark.parametrize("phrase", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_is_none_never_an_exception(phrase: str) -> None:
    assert resolve_reset(phrase, NOVEMBER, DENVER) is None


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="naive"):
        resolve_reset("3pm", datetime(2026, 6, 15, 12, 0), DENVER)


@pytest.mark.parametrize(
    ("name", "offset_hours"),
    [
        ("Etc/GMT+5", -5),
        ("Etc/GMT-3", 3),
        ("Asia/Calcutta", 5.5),
        ("Asia/Kolkata", 5.5),
        ("US/Pacific", -7),
        ("America/Denver", -6),
        ("Pacific/Auckland", 12),
        ("(Europe/Madrid)", 2),
        ("europe/madrid", 2),
        ("PST", -8),
        ("pst", -8),
        ("PDT", -7),
        ("EST", -5),
        ("EDT", -4),
        ("CST", -6),
        ("MST", -7),
        ("CET", 1),
        ("CEST", 2),
        ("BST", 1),
        ("IST", 5.5),
        ("JST", 9),
        ("AEST", 10),
        ("AEDT", 11),
        ("NZDT", 13),
        ("UTC", 0),
        ("GMT", 0),
        ("UTC+5:30", 5.5),
        ("GMT-3", -3),
        ("ET", -4),
    ],
)
def test_get_zone_offsets(name: str, offset_hours: float) -> None:
    zone = get_zone(name)
    assert zone is not None
    assert JUNE.astimezone(zone).utcoffset() == timedelta(hours=offset_hours)


@pytest.mark.parametrize(
    "name", ["Etc/Unknown", "Mars/Olympus", "", "UTC+15", "../../etc/passwd", "local", "\x00"]
)
def test_get_zone_unknown_is_none(name: str) -> None:
    assert get_zone(name) is None


@pytest.mark.parametrize("name", ["Mars/Olympus", "Etc/Unknown", ""])
def test_host_zone_rejects_unknown_names(name: str) -> None:
    with pytest.raises(InputError, match="unknown timezone"):
        host_zone(name)


def test_host_zone_names_and_local_default(monkeypatch: pytest.MonkeyPatch) -> None:
    assert JUNE.astimezone(host_zone("Asia/Tokyo")).utcoffset() == timedelta(hours=9)
    with pytest.raises(InputError) as error:
        host_zone("Mars/Olympus")
    assert str(error.value) == "unknown timezone: 'Mars/Olympus'"
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    assert JUNE.astimezone(host_zone(None)).utcoffset() == timedelta(hours=5, minutes=30)
    monkeypatch.delenv("TZ")
    assert JUNE.astimezone(host_zone(None)).utcoffset() is not None


def test_localize_gap_and_overlap() -> None:
    new_york = ZoneInfo("America/New_York")
    gap = localize(datetime(2026, 3, 8, 2, 30), new_york)
    assert gap.isoformat() == "2026-03-08T03:30:00-04:00"
    both = occurrences(datetime(2026, 11, 1, 1, 30), ZoneInfo("America/New_York"))
    assert [moment.isoformat() for moment in both] == [
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T01:30:00-05:00",
    ]
    assert len(occurrences(datetime(2026, 7, 1, 1, 30), new_york)) == 1


SLOTS = ["18:00", "23:00", "04:00", "09:00", "14:00"]


@pytest.mark.parametrize(
    ("now", "times", "zone", "expected"),
    [
        ("2026-11-21T13:30:00+00:00", SLOTS, "Europe/Lisbon", "2026-11-21T14:00:00+00:00"),
        ("2026-11-21T14:00:00+00:00", SLOTS, "Europe/Lisbon", "2026-11-21T18:00:00+00:00"),
        ("2026-11-21T23:30:00+00:00", SLOTS, "Europe/Lisbon", "2026-11-22T04:00:00+00:00"),
        ("2026-06-15T12:00:00+00:00", SLOTS, "Europe/Lisbon", "2026-06-15T14:00:00+01:00"),
        ("2026-06-15T12:00:00+00:00", SLOTS, "Asia/Tokyo", "2026-06-15T23:00:00+09:00"),
        ("2026-06-15T12:00:00+00:00", SLOTS, "America/Los_Angeles", "2026-06-15T09:00:00-07:00"),
        ("2026-06-15T12:00:00+00:00", ["4:00"], "Etc/GMT+5", "2026-06-16T04:00:00-05:00"),
        ("2026-03-08T05:00:00+00:00", ["02:30"], "America/New_York", "2026-03-08T03:30:00-04:00"),
        ("2026-11-01T04:00:00+00:00", ["01:30"], "America/New_York", "2026-11-01T01:30:00-04:00"),
        ("2026-03-29T00:00:00+00:00", ["01:30"], "Europe/Lisbon", "2026-03-29T02:30:00+01:00"),
    ],
)
def test_next_cycle_reset_slots(now: str, times: list[str], zone: str, expected: str) -> None:
    assert next_cycle_reset(at(now), times, zone, 5).isoformat() == expected


def test_next_cycle_reset_without_slots_adds_the_cycle() -> None:
    exhausted = at("2026-11-21T10:00:00+00:00")
    by_exhaustion = next_cycle_reset(NOVEMBER, [], "Europe/Lisbon", 5, exhausted)
    assert by_exhaustion.isoformat() == "2026-11-21T15:00:00+00:00"
    assert next_cycle_reset(NOVEMBER, [], "Asia/Tokyo", 5).isoformat() == (
        "2026-11-22T03:30:00+09:00"
    )
    assert next_cycle_reset(NOVEMBER, [], "UTC", 0.5) == NOVEMBER + timedelta(minutes=30)


@pytest.mark.parametrize("times", [["25:00"], ["9am"], ["18:00", ""], ["7:5"], ["18:60"]])
def test_next_cycle_reset_rejects_bad_slots(times: list[str]) -> None:
    with pytest.raises(InputError, match="invalid reset time"):
        next_cycle_reset(NOVEMBER, times, "UTC", 5)


def test_next_cycle_reset_rejects_bad_zone_and_cycle() -> None:
    with pytest.raises(InputError, match="unknown timezone: 'Mars/Olympus'"):
        next_cycle_reset(NOVEMBER, SLOTS, "Mars/Olympus", 5)
    with pytest.raises(InputError, match="cycle hours"):
        next_cycle_reset(NOVEMBER, [], "UTC", 0)
    assert parse_hhmm(" 04:05 ").isoformat() == "04:05:00"


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(hours=15, minutes=50), "15h50m"),
        (timedelta(hours=15, minutes=49, seconds=35), "15h50m"),
        (timedelta(days=2, hours=3), "2d3h"),
        (timedelta(days=5, hours=22, minutes=11), "5d22h11m"),
        (timedelta(hours=1), "1h"),
        (timedelta(minutes=45), "45m"),
        (timedelta(seconds=30), "30s"),
        (timedelta(0), "now"),
        (timedelta(minutes=-5), "now"),
    ],
)
def test_format_until(delta: timedelta, expected: str) -> None:
    assert format_until(delta) == expected


PROPERTY_ZONES = [
    "Asia/Tokyo",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "America/Los_Angeles",
    "America/Denver",
    "America/New_York",
    "Europe/Madrid",
    "Etc/GMT+5",
]
NOWS = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(
    now=NOWS,
    zone_name=st.sampled_from(PROPERTY_ZONES),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    twelve=st.booleans(),
)
def test_time_of_day_is_within_a_day_ahead(
    now: datetime, zone_name: str, hour: int, minute: int, twelve: bool
) -> None:
    clock = (
        f"{(hour % 12) or 12}:{minute:02d}{'pm' if hour >= 12 else 'am'}"
        if twelve
        else f"{hour}:{minute:02d}"
    )
    result = resolve_reset(f"{clock} ({zone_name})", now, DENVER)
    assert result is not None
    assert now - timedelta(minutes=1) < result <= now + timedelta(hours=25)
    zone = ZoneInfo(zone_name)
    assert result.utcoffset() == result.astimezone(zone).utcoffset()
    wall = result.astimezone(zone)
    shift = (wall.hour * 60 + wall.minute - hour * 60 - minute) % 1440
    assert shift == 0 or (shift <= 60 and len(occurrences(wall.replace(tzinfo=None), zone)) == 1)


@settings(max_examples=200, deadline=None)
@given(now=NOWS, zone_name=st.sampled_from(PROPERTY_ZONES))
def test_cycle_slot_is_strictly_ahead_and_within_a_cycle(now: datetime, zone_name: str) -> None:
    result = next_cycle_reset(now, SLOTS, zone_name, 5)
    assert now < result <= now + timedelta(hours=6)  # 5 h between slots, plus a DST hour


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_resolve_reset_never_raises(text: str) -> None:
    result = resolve_reset(text, NOVEMBER, DENVER)
    assert result is None or result.utcoffset() is not None


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 30), st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
def test_parse_duration_long_and_compact_forms_agree(
    days: int, hours: int, minutes: int, seconds: int
) -> None:
    expected = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
    assert (
        parse_duration(f"{days} days {hours} hours {minutes} minutes {seconds} seconds") == expected
    )
    assert parse_duration(f"{days}d{hours}h{minutes}m{seconds}s") == expected


def test_next_midnight_in_a_zone_across_daylight_saving() -> None:
    from zoneinfo import ZoneInfo

    from credit_management.detect.resets import next_midnight

    pacific = ZoneInfo("America/Los_Angeles")
    before = datetime(2026, 3, 7, 20, 0, tzinfo=UTC)  # noon PST, the day before spring forward
    assert next_midnight(before, pacific) == datetime(2026, 3, 8, 8, 0, tzinfo=UTC)
    during = datetime(2026, 3, 8, 17, 0, tzinfo=UTC)  # 10am PDT on the 23-hour day
    assert next_midnight(during, pacific) == datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
    at = datetime(2026, 3, 9, 7, 0, tzinfo=UTC)  # exactly midnight: the next one
    assert next_midnight(at, pacific) == datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
