"""Reset times: what an agent prints about *when* a limit resets, as an aware datetime.

Owns the phrase grammar (times of day, dates, zones, durations, epochs), zone lookup, the wall
time rules across DST changes, and the fixed-cycle fallback used when nothing was printed.
Pure: no I/O and no clock reads; `now` is always a parameter and must be aware.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from credit_management.detect.lazy import lazy
from credit_management.errors import InputError

# A printed abbreviation names one fixed offset: "PST" is UTC-8 even in July, because that is
# what the text says. Ambiguous ones take the reading agents are most likely to print: IST is
# India, CST is US Central, BST is British Summer Time. Values are minutes east of UTC.
_FIXED_ABBREVIATIONS: dict[str, int] = {
    "WET": 0, "WEST": 60, "BST": 60, "CET": 60, "CEST": 120, "EET": 120, "EEST": 180,
    "MSK": 180, "IST": 330, "SGT": 480, "HKT": 480, "AWST": 480, "JST": 540, "KST": 540,
    "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
    "HST": -600, "AKST": -540, "AKDT": -480, "PST": -480, "PDT": -420, "MST": -420,
    "MDT": -360, "CST": -360, "CDT": -300, "EST": -300, "EDT": -240, "NST": -210, "NDT": -150,
}  # fmt: skip
# Generic names ("3pm PT") mean whichever of standard or daylight time is in force.
_GENERIC_ABBREVIATIONS = {
    "PT": "America/Los_Angeles",
    "MT": "America/Denver",
    "CT": "America/Chicago",
    "ET": "America/New_York",
}
_UTC_NAMES = {"UTC", "GMT", "Z", "UCT", "ZULU"}
_ABBREVIATIONS = _UTC_NAMES | set(_FIXED_ABBREVIATIONS) | set(_GENERIC_ABBREVIATIONS)
_MAX_DURATION = timedelta(days=3660)
_EPOCH_RANGE = (946_684_800, 7_258_118_400)  # 2000-01-01 .. 2200-01-01, in seconds

_ZONE_NAME = lazy(r"[A-Za-z][A-Za-z0-9_+\-/]{0,63}")
_OFFSET_NAME = lazy(r"(?:UTC|GMT)([+-])(\d{1,2})(?::?([0-5]\d))?", re.I)
_HHMM = lazy(r"([01]?\d|2[0-3]):([0-5]\d)")
_ANSI = lazy(r"\x1b\[[0-9;?]*[A-Za-z]")
_KEYWORD = lazy(r"\b(?:resets?|try\s+again|retry(?:ing)?|continuing\s+automatically)\b", re.I)
_NOISE = lazy(r"\s*(?:[·∙•]|\s/[A-Za-z]|\.\s+(?=[A-Z/])).*$", re.S)
_LEAD = lazy(r"^(?:(?:at|in|after|on|by|around|about|approximately|of)\b|[~:@,-])\s*", re.I)
_EPOCH = lazy(r"(?:.*\|)?\s*(\d{9,14}(?:\.\d+)?)")
_ISO_AWARE = lazy(r"\d{4}-\d{2}-\d{2}[T ]\d.*(?:Z|[+-]\d{2}:?\d{2})")
_DURATION_PART = lazy(
    r"(?:(\d+(?:\.\d+)?)|(an?)\s)\s*(milliseconds?|msecs?|ms|weeks?|wks?|w|days?|d|hours?|hrs?|h"
    r"|minutes?|mins?|m|seconds?|secs?|s)(?![a-z])",
    re.I,
)
_DURATION_GAP = lazy(r"[\s,]*(?:and\s+)?", re.I)
_PAREN = lazy(r"\(([^()]*)(?:\)|$)")
_BARE_IANA = lazy(r"(?<![\w/])[A-Za-z_]+/[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)?")
_BARE_ABBREVIATION = lazy(
    r"(?<![\w/])(?:(?:UTC|GMT)\s*[+-]\s*\d{1,2}(?::?\d{2})?|[A-Z]{2,5})(?![\w/])", re.I
)
_AMPM = lazy(r"(?<![\d:])(\d{1,2})(?::([0-5]\d))?(?::([0-5]\d))?\s*([ap])\.?\s?m\b\.?", re.I)
_H24 = lazy(r"(?<![\d:])([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?![\d:])")
_NAMED_TIME = lazy(r"\b(noon|midday|midnight)\b", re.I)
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_MONTH_DAY = lazy(rf"\b{_MONTH}\s*(\d{{1,2}})(?:st|nd|rd|th)?\b(?:\s*,?\s*(\d{{4}})\b)?", re.I)
_DAY_MONTH = lazy(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}(?:\s*,?\s*(\d{{4}})\b)?", re.I
)
_ISO_DATE = lazy(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?:T|\b)")
_WEEKDAY = lazy(r"\b(mon|tue|wed|thu|fri|sat|sun)(?:day|s|sday|nesday|rs|rsday|urday)?\b\.?", re.I)
_RELATIVE_DAY = lazy(r"\b(today|tonight|tomorrow)\b", re.I)
_LEFTOVER = lazy(r"\b(?:at|on|the|of|by|around|about|approximately|local|time)\b|[\W_]", re.I)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Unreadable(ValueError):
    """The phrase looked like a time but names an impossible one (13pm, Feb 30)."""


@functools.lru_cache(maxsize=512)
def get_zone(name: str) -> tzinfo | None:
    """A zone from an IANA name, alias, `Etc/GMT+5`, `UTC+5:30` or abbreviation; None if unknown.

    `Etc/GMT+5` keeps its POSIX meaning (UTC-5); `UTC+5` means UTC+5. `Etc/Unknown` is None.
    """
    cleaned = re.sub(r"\s+", "", name).strip("()[]")
    upper = cleaned.upper()
    if upper in _UTC_NAMES:
        return UTC
    if upper in _FIXED_ABBREVIATIONS:
        return timezone(timedelta(minutes=_FIXED_ABBREVIATIONS[upper]), upper)
    if upper in _GENERIC_ABBREVIATIONS:
        return ZoneInfo(_GENERIC_ABBREVIATIONS[upper])
    offset = _OFFSET_NAME.fullmatch(cleaned)
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        minutes = int(offset.group(2)) * 60 + int(offset.group(3) or 0)
        return timezone(sign * timedelta(minutes=minutes)) if minutes <= 14 * 60 else None
    if not _ZONE_NAME.fullmatch(cleaned) or upper == "ETC/UNKNOWN":
        return None
    if upper in _NOT_ZONES:  # files in the zone folder that are no zones
        return None
    try:  # as spelled first: listing every zone costs a walk over the zone folder
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    key = _ZONE_KEYS().get(upper)  # zone files are case-sensitive; printed names may not be
    if key is None or key == cleaned:
        return None
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


_NOT_ZONES = frozenset({"LOCALTIME", "POSIXRULES", "FACTORY", "POSIX/LOCALTIME", "RIGHT/LOCALTIME"})


@functools.cache
def _ZONE_KEYS() -> dict[str, str]:
    return {key.upper(): key for key in available_timezones() if key.upper() not in _NOT_ZONES}


def zone_named(name: str) -> tzinfo:
    """The zone `name` names (IANA, alias, offset or abbreviation); InputError if unknown."""
    zone = get_zone(name)
    if zone is None:
        raise InputError(f"unknown timezone: {name!r}")
    return zone


def localize(naive: datetime, zone: tzinfo) -> datetime:
    """Attach `zone` to a wall time, DST-correct.

    A wall time in a spring-forward gap moves forward by the gap (02:30 -> 03:30); one in an
    autumn overlap takes its first occurrence (the daylight-time one).
    """
    return occurrences(naive, zone)[0]


def occurrences(naive: datetime, zone: tzinfo) -> list[datetime]:
    """Every instant a wall time names in `zone`, earliest first: two in an autumn overlap, one
    otherwise (in a spring gap, the wall time moved forward by the gap)."""
    # PEP 495 zones: fold=0 is the first occurrence and, in a gap, uses the pre-gap offset, so
    # the round trip through UTC lands past the gap.
    instants = [naive.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)]
    exact = sorted({i for i in instants if i.astimezone(zone).replace(tzinfo=None) == naive})
    return [_unambiguous(instant.astimezone(zone)) for instant in (exact or instants[:1])]


def _unambiguous(local: datetime) -> datetime:
    """A wall time that happens twice gets its fixed offset: PEP 495 makes such a datetime
    unequal to every instant of another zone, even the very same one."""
    other = local.replace(fold=1 - local.fold)
    if other.utcoffset() == local.utcoffset():
        return local
    offset = local.utcoffset()
    assert offset is not None
    return local.astimezone(timezone(offset))


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def parse_duration(text: str) -> timedelta | None:
    """ "5 days 22 hours 11 minutes", "21h39m57s", "in 47s", "1.5 hours", "an hour" -> timedelta.

    The whole text must be number-and-unit pairs (a leading in/after and trailing punctuation are
    allowed); anything else, or a duration over ten years, is None.
    """
    rest = text.strip().rstrip(".!;,)").strip()
    while (lead := _LEAD.match(rest)) and lead.end() > 0:
        rest = rest[lead.end() :]
    total, pos, parts = 0.0, 0, 0
    while pos < len(rest):
        gap = _DURATION_GAP.match(rest, pos)
        part = _DURATION_PART.match(rest, gap.end() if gap else pos)
        if part is None:
            return None
        amount = float(part.group(1)) if part.group(1) else 1.0
        total += amount * _unit_seconds(part.group(3).lower())
        pos, parts = part.end(), parts + 1
    if parts == 0 or total > _MAX_DURATION.total_seconds():
        return None
    return timedelta(seconds=total)


def _unit_seconds(unit: str) -> float:
    if unit.startswith(("ms", "msec", "milli")):
        return 0.001
    if unit.startswith("mi") or unit == "m":
        return 60.0
    return {"w": 604_800.0, "d": 86_400.0, "h": 3_600.0, "s": 1.0}[unit[0]]


def from_epoch(value: float | str, zone: tzinfo = UTC) -> datetime | None:
    """Epoch seconds, or milliseconds when 12+ digits, as an aware datetime in `zone`.

    None when the value is not a number or lies outside 2000..2200 (not a reset time).
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    seconds = number / 1000 if number >= 1e11 else number
    if not _EPOCH_RANGE[0] <= seconds < _EPOCH_RANGE[1]:
        return None
    return datetime.fromtimestamp(seconds, UTC).astimezone(zone)


def format_until(delta: timedelta) -> str:
    """A short human span: "15h50m", "2d3h", "45m", "30s"; "now" when zero or negative."""
    seconds = delta.total_seconds()
    if seconds <= 0:
        return "now"
    if seconds < 60:
        return f"{int(seconds)}s"
    minutes = round(seconds / 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return "".join(parts)


def parse_hhmm(text: str) -> time:
    """A strict "HH:MM" (00:00..23:59) as a time; anything else raises InputError."""
    match = _HHMM.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise InputError(f"invalid reset time {text!r}: expected HH:MM between 00:00 and 23:59")
    return time(int(match.group(1)), int(match.group(2)))


def next_midnight(now: datetime, zone: tzinfo) -> datetime:
    """The first midnight in `zone` after `now` (DST-correct: the day may be 23 or 25 hours)."""
    _require_aware(now)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return localize(datetime.combine(tomorrow, time(0, 0)), zone)


def next_cycle_reset(
    now: datetime,
    reset_times: Sequence[str],
    zone_name: str,
    cycle_hours: float,
    exhausted_at: datetime | None = None,
) -> datetime:
    """The fallback reset when nothing was printed, in `zone_name`.

    With reset_times: the first "HH:MM" slot strictly after `now` (a slot in a DST gap moves
    forward; a slot in an overlap happens once, at its first occurrence). Without: exactly
    (exhausted_at or now) + cycle_hours, even if that is already past.
    """
    _require_aware(now)
    zone = get_zone(zone_name)
    if zone is None:
        raise InputError(f"unknown timezone: {zone_name!r}")
    slots = [parse_hhmm(text) for text in reset_times]
    if not slots:
        if cycle_hours <= 0:
            raise InputError(f"cycle hours must be positive, not {cycle_hours!r}")
        base = exhausted_at if exhausted_at is not None else now
        _require_aware(base)
        return (base.astimezone(UTC) + timedelta(hours=cycle_hours)).astimezone(zone)
    today = now.astimezone(zone).date()
    candidates = (
        localize(datetime.combine(today + timedelta(days=offset), slot), zone)
        for offset in range(3)
        for slot in slots
    )
    return min((moment for moment in candidates if moment > now), key=_utc)


def resolve_reset(phrase: str, now: datetime, host_tz: tzinfo) -> datetime | None:
    """The instant a printed reset phrase names, in the printed zone (else host_tz); or None.

    Reads the text after "resets", "reset at", "try again at/in", "reset after", "continuing
    automatically at" (the keyword itself may be included). Rules:
    - a bare time of day is today if not yet past in that zone, else tomorrow; "past" is judged
      at the printed precision, so "3pm" read at 15:00:40 is today (the reset just happened);
      in an autumn overlap it is the first occurrence not yet past;
    - a dated reset is never rolled forward; a date with no year is its next occurrence, except
      that today or yesterday stays (the reset just passed: resume at once, not in a year);
    - a date without a time means its midnight; a weekday alone is its next occurrence;
    - durations count from `now`; epochs and durations come back in host_tz.
    Never raises for unreadable text (None); a naive `now` is a programming error (ValueError).
    """
    _require_aware(now)
    text = _ANSI.sub("", phrase[:100_000] if isinstance(phrase, str) else "")
    keyword = _KEYWORD.search(text)
    if keyword:
        text = text[keyword.end() :]
    text = text[:2000]
    variants = [re.sub(r"\s+", " ", text)]
    if "\n" in text:
        # A pane may wrap in the middle of a word ("Europe/Ma\ndrid").
        variants.append(re.sub(r"\s*\n\s*", "", text))
    for variant in variants:
        try:
            result = _resolve_clean(_clean(variant), now, host_tz)
        except (ValueError, OverflowError):
            result = None
        if result is not None:
            return result
    return None


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime: {moment!r}")


def _clean(text: str) -> str:
    text = _NOISE.sub("", text).strip()
    text = text.rstrip(".!;,").strip()
    if text.endswith(")") and text.count(")") > text.count("("):
        text = text[:-1].rstrip(".!;, ")
    while (lead := _LEAD.match(text)) and lead.end() > 0:
        text = text[lead.end() :]
    return text.strip()


def _resolve_clean(text: str, now: datetime, host_tz: tzinfo) -> datetime | None:
    if not text:
        return None
    epoch = _EPOCH.fullmatch(text)
    if epoch:
        return from_epoch(epoch.group(1), host_tz)
    if _ISO_AWARE.fullmatch(text):
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment if moment.tzinfo is not None else None
    duration = parse_duration(text)
    if duration is not None:
        return (now.astimezone(UTC) + duration).astimezone(host_tz)
    return _resolve_wall(text, now, host_tz)


def _resolve_wall(text: str, now: datetime, host_tz: tzinfo) -> datetime | None:
    text, zone = _take_zone(text, host_tz)
    text, clock, has_seconds = _take_time(text)
    text, day = _take_date(text, now.astimezone(zone).date())
    if _LEFTOVER.sub("", text) or (clock is None and day is None):
        return None
    wall_time = clock if clock is not None else time(0, 0)
    if isinstance(day, date):
        return localize(datetime.combine(day, wall_time), zone)
    today = now.astimezone(zone).date()
    # Printed times carry minutes only: within the printed minute the reset is now, not tomorrow.
    not_before = (
        now if has_seconds else now - timedelta(seconds=now.second, microseconds=now.microsecond)
    )
    step = 1 if day is None else 7
    first = today if day is None else today + timedelta(days=(day - today.weekday()) % 7)
    # In an autumn overlap the second occurrence still counts while the first has passed.
    for moment in occurrences(datetime.combine(first, wall_time), zone):
        if _utc(moment) >= not_before:
            return moment
    return localize(datetime.combine(first + timedelta(days=step), wall_time), zone)


def _take_zone(text: str, host_tz: tzinfo) -> tuple[str, tzinfo]:
    """Remove the printed zone from `text`; unknown zones (Etc/Unknown) mean the host zone."""
    zone: tzinfo | None = None
    # Any parenthesised remark is dropped; one naming a known zone sets the zone.
    for paren in reversed(list(_PAREN.finditer(text))):
        text = text[: paren.start()] + " " + text[paren.end() :]
        zone = zone or get_zone(paren.group(1))
    if zone is not None:
        return text, zone
    bare = _BARE_IANA.search(text)
    if bare:
        return text[: bare.start()] + " " + text[bare.end() :], get_zone(bare.group()) or host_tz
    for token in _BARE_ABBREVIATION.finditer(text):
        name = token.group()
        # Lower-case words count only if they are abbreviations ("pst"), not zone names ("cuba").
        known = name.isupper() or name.upper() in _ABBREVIATIONS or _OFFSET_NAME.fullmatch(name)
        found = get_zone(name) if known else None
        if found is not None:
            return text[: token.start()] + " " + text[token.end() :], found
    return text, host_tz


def unknown_zone(phrase: str) -> str | None:
    """The zone a reset phrase names in parentheses that no zone database knows ("Etc/Unknown",
    as Docker prints it), or None. Such a phrase is read in the host's zone."""
    for paren in _PAREN.finditer(phrase[:2000]):
        name = paren.group(1).strip()
        if _ZONE_NAME.fullmatch(name) and ("/" in name or name.isupper()) and not get_zone(name):
            return name
    return None


def _take_time(text: str) -> tuple[str, time | None, bool]:
    """Remove the time of day: (rest, time or None, whether seconds were printed)."""
    second: str | None
    match = _AMPM.search(text)
    if match:
        hour, minute, second = int(match.group(1)), int(match.group(2) or 0), match.group(3)
        if not 1 <= hour <= 12:
            raise _Unreadable(match.group())
        hour = hour % 12 + (12 if match.group(4).lower() == "p" else 0)
    elif match := _H24.search(text):
        hour, minute, second = int(match.group(1)), int(match.group(2)), match.group(3)
    elif match := _NAMED_TIME.search(text):
        hour, minute, second = (0 if match.group(1).lower() == "midnight" else 12), 0, None
    else:
        return text, None, False
    rest = text[: match.start()] + " " + text[match.end() :]
    return rest, time(hour, minute, int(second or 0)), second is not None


def _take_date(text: str, today: date) -> tuple[str, date | int | None]:
    """Remove the date: a concrete date, a weekday number (0 = Monday), or None."""
    found: date | int | None = None
    if match := _ISO_DATE.search(text):
        found = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    elif match := _MONTH_DAY.search(text):
        found = _calendar_date(match.group(1), match.group(2), match.group(3), today)
    elif match := _DAY_MONTH.search(text):
        found = _calendar_date(match.group(2), match.group(1), match.group(3), today)
    elif match := _RELATIVE_DAY.search(text):
        found = today + timedelta(days=1 if match.group(1).lower() == "tomorrow" else 0)
    if match:
        text = text[: match.start()] + " " + text[match.end() :]
    weekday = _WEEKDAY.search(text)
    if weekday:
        text = text[: weekday.start()] + " " + text[weekday.end() :]
        if found is None:
            found = _WEEKDAYS.index(weekday.group(1).lower())
    return text, found


def _calendar_date(month_name: str, day_text: str, year_text: str | None, today: date) -> date:
    month, day = _MONTHS.index(month_name[:3].lower()) + 1, int(day_text)
    if year_text:
        return date(int(year_text), month, day)
    # No year: the next occurrence, counting yesterday and today (a reset that just passed).
    earliest = today - timedelta(days=1)
    for year in range(earliest.year, earliest.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue  # Feb 29 outside a leap year
        if candidate >= earliest:
            return candidate
    raise _Unreadable(f"{month_name} {day_text}")
