"""Times a person types (`pause --until`, the dashboard's pause): read in the person's zone.

ISO 8601 first (`2026-11-22T09:30+01:00`); otherwise free-form text through dateutil's parser
(`9am`, `21:30`, `Dec 8 9:30`, `2026-12-08 09:30`). A time with no date that is already past
today means tomorrow; a time with no zone is read in the given zone, DST-correct.
"""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta, tzinfo

from credit_management.detect.resets import localize
from credit_management.errors import InputError

_EXAMPLES = "e.g. 9am, 21:30, 'Dec 8 9:30' or 2026-12-08T09:30+01:00"


def parse_user_time(text: str, now: datetime, zone: tzinfo, what: str = "--until") -> datetime:
    """The instant `text` names, strictly after `now`; InputError naming `what` otherwise."""
    raw = text.strip()
    if not raw:
        raise InputError(f"{what} is empty ({_EXAMPLES})")
    local_now = now.astimezone(zone)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        dated = True
    except ValueError:
        moment, dated = _free_form(raw, local_now, what)
    if moment.tzinfo is None:
        moment = localize(moment, zone)
    if not dated and moment <= now:
        moment = localize(moment.astimezone(zone).replace(tzinfo=None) + timedelta(days=1), zone)
    if moment <= now:
        raise InputError(f"{what} {text!r} is in the past (now {local_now:%Y-%m-%d %H:%M %Z})")
    return moment


def _free_form(raw: str, local_now: datetime, what: str) -> tuple[datetime, bool]:
    from dateutil import parser as dateutil_parser  # free-form text only: not at every start

    # Fields the text leaves out are zero, not now's: "9am" is 09:00, never 09:<now's minute>.
    base = local_now.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    other = base + timedelta(days=40)  # a second default tells whether a date was given
    try:
        with warnings.catch_warnings():
            # "9am PST": dateutil warns and drops the zone; a silent wrong hour is worse.
            warnings.simplefilter("error", dateutil_parser.UnknownTimezoneWarning)
            first = dateutil_parser.parse(raw, default=base)
            second = dateutil_parser.parse(raw, default=other)
    except dateutil_parser.UnknownTimezoneWarning:
        raise InputError(
            f"{what} {raw!r} names a zone that cannot be read; give an offset instead "
            "(e.g. 2026-12-08T09:00-08:00)"
        ) from None
    except (ValueError, OverflowError):
        raise InputError(
            f"{what} {raw!r} is not an ISO 8601 time or a time of day ({_EXAMPLES})"
        ) from None
    dated = first.date() == second.date()
    if first.tzinfo is not None and first.utcoffset() is None:
        raise InputError(f"{what} {raw!r} names an unknown zone")
    return first, dated
