"""How the tables show time: local wall times with the zone named once, spans, countdowns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from credit_management.cli.render import Times, countdown, relative_text, table

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # a Saturday
TOKYO = Times(NOW, ZoneInfo("Asia/Tokyo"))  # 21:00 there


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (NOW + timedelta(hours=2), "23:00"),  # today in Tokyo
        (NOW + timedelta(hours=4), "Sun 01:00"),  # tomorrow there, though today in UTC
        (NOW - timedelta(days=2), "Thu 21:00"),
        (NOW + timedelta(days=10), "Dec 1 21:00"),
        (NOW + timedelta(days=60), "2027-01-20 21:00"),
        ("2026-11-21T12:30:00+00:00", "21:30"),
        ("not a time", "-"),
        (None, "-"),
    ],
)
def test_times_read_as_people_read_them(moment: datetime | str | None, shown: str) -> None:
    assert TOKYO.at(moment) == shown


def test_the_zone_is_named_in_a_header_and_utc_is_a_switch() -> None:
    assert TOKYO.header("SINCE") == "SINCE (Asia/Tokyo)"
    utc = Times.for_display(NOW, utc=True)
    assert utc.header("DUE") == "DUE (UTC)" and utc.at(NOW) == "12:00"
    assert TOKYO.at_relative(NOW + timedelta(minutes=125)) == "23:05 (in 2h5m)"
    assert TOKYO.stamp(NOW - timedelta(days=1)) == "Fri Nov 20 21:00:00"


def test_spans_and_countdowns() -> None:
    assert relative_text(-90) == "2m ago" and relative_text(0.2) == "now"
    assert relative_text(2 * 86400 + 3 * 3600) == "in 2d3h"
    assert countdown(3 * 3600 + 5 * 60) == "3:05:00" and countdown(9) == "0:09"
    assert countdown(0) == "due" and countdown(90000) == "1d 01:00:00"


def test_tables_align_on_the_raw_text_even_with_colour() -> None:
    text = table(("A", "LONGER", "FREE"), [("xyz", "1", "tail text"), ("q", "22", "t")])
    assert [line.index("1") for line in text.splitlines()[1:2]] == [5]
    assert text.splitlines()[2].startswith("q    22      t")
