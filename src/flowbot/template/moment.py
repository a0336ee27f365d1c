"""Moment.js 2.22.2 + moment-timezone 0.5.23 date formatting (English locale).

CLOSER's ``DATE(value, fmt, tz)`` is ``moment.tz(value, tz).format(fmt)``. This
module reproduces that for the inputs templates carry:

- absent value (None, JS undefined): the clock's current instant;
- numbers: epoch milliseconds (truncated like ``new Date(n)``);
- strings: ISO 8601 as moment parses them (extended and basic forms, week and
  ordinal dates, ``T`` or space before the time, ``Z``/``±hh``/``±hhmm``/``±hh:mm``
  offsets, ``,`` or ``.`` fractions, 24:00) and ASP.NET ``/Date(ms)/``. A string
  without an offset is wall-clock time in `tz` (gaps move forward, overlaps take
  the earlier instant, as moment-timezone does). Anything else, including the
  RFC 2822 and free-form strings moment hands to ``new Date``, is "Invalid date";
- arrays ``[year, month0, day, h, m, s, ms]`` like ``moment.tz([..], tz)``.

Formatting supports every token of moment 2.22.2 in the English locale,
``[escaped text]``, backslash escapes and the long formats ``LT LTS L LL LLL
LLLL l ll lll llll``. Time zones come from zoneinfo (IANA names, matched
case-insensitively like moment-timezone); an unknown zone formats in UTC.
When `tz` is absent the zone is UTC.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["DEFAULT_TIME_ZONE", "INVALID_DATE", "format_date"]

INVALID_DATE = "Invalid date"
DEFAULT_TIME_ZONE = "UTC"
_DEFAULT_FORMAT = "YYYY-MM-DDTHH:mm:ssZ"
_DEFAULT_FORMAT_UTC = "YYYY-MM-DDTHH:mm:ss[Z]"

_MS_PER_DAY = 86_400_000
_MAX_DATE_MS = 8.64e15  # the range of a JS Date

# ---------------------------------------------------------------------------
# Proleptic Gregorian calendar arithmetic (any year, like JS Date)


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (month 1-12)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _civil_from_days(days: int) -> tuple[int, int, int]:
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + (3 if mp < 10 else -9)
    return yoe + era * 400 + (month <= 2), month, day


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _days_in_year(year: int) -> int:
    return 366 if _is_leap(year) else 365


# ---------------------------------------------------------------------------
# Time zones


@functools.cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    canonical = _zone_names().get(name.lower())
    if canonical is None:
        return None
    return zoneinfo.ZoneInfo(canonical)


_MIN_LOOKUP_MS = _days_from_civil(2, 1, 1) * _MS_PER_DAY
_MAX_LOOKUP_MS = _days_from_civil(9998, 12, 31) * _MS_PER_DAY
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _zone_state(zone: zoneinfo.ZoneInfo, ms: int) -> tuple[float, str]:
    """UTC offset in minutes and abbreviation of `zone` at instant `ms`."""
    clamped = min(max(ms, _MIN_LOOKUP_MS), _MAX_LOOKUP_MS)
    local = (_EPOCH + timedelta(milliseconds=clamped)).astimezone(zone)
    offset = local.utcoffset()
    seconds = offset.total_seconds() if offset is not None else 0.0
    return seconds / 60, local.tzname() or ""


def _offset_minutes(zone: zoneinfo.ZoneInfo, ms: int) -> float:
    return _zone_state(zone, ms)[0]


_HOUR_MS = 3_600_000
_WINDOW_MS = 36 * _HOUR_MS  # wider than any UTC offset, so every nearby transition is seen
_PREVIOUS_PERIOD_SEARCH_DAYS = 100 * 366


def _transition_in(zone: zoneinfo.ZoneInfo, start: int, end: int) -> int:
    """First instant in (start, end] whose offset differs from the offset at `start`."""
    before = _offset_minutes(zone, start)
    while end - start > 1:
        middle = (start + end) // 2
        if _offset_minutes(zone, middle) == before:
            start = middle
        else:
            end = middle
    return end


@functools.lru_cache(maxsize=256)
def _offset_before_period(zone: zoneinfo.ZoneInfo, period_end: int) -> float | None:
    """Offset of the period before the one ending at `period_end` (None: it is the first)."""
    offset = _offset_minutes(zone, period_end - 1)
    probe = period_end - 1
    for _ in range(_PREVIOUS_PERIOD_SEARCH_DAYS):
        probe -= 24 * _HOUR_MS
        if probe < _MIN_LOOKUP_MS:
            return None
        earlier = _offset_minutes(zone, probe)
        if earlier != offset:
            return earlier
    return None


def _offset_of_wall_time(zone: zoneinfo.ZoneInfo, local_ms: int) -> float:
    """Offset (minutes east) moment-timezone's ``zone.parse`` picks for wall-clock `local_ms`.

    moment-timezone walks its periods and takes the first whose end, written in
    local time, lies after the wall-clock time. A period that began by setting
    clocks back has its end written with the previous period's offset
    (``moveInvalidForward``), so a time in the usual spring-forward gap moves
    forward, while a gap after a period that began otherwise (Seoul's first
    DST day in 1987) resolves backwards; an ambiguous time takes the earlier
    instant. zoneinfo's fold=0 differs in that second case, hence this search.
    """
    samples = [local_ms - _WINDOW_MS, local_ms, local_ms + _WINDOW_MS]
    offsets = [_offset_minutes(zone, t) for t in samples]
    if offsets[0] == offsets[1] == offsets[2]:
        return offsets[0]
    transitions: list[int] = []
    for (start, end), (a, b) in zip(
        itertools.pairwise(samples), itertools.pairwise(offsets), strict=True
    ):
        if a != b:
            transitions.append(_transition_in(zone, start, end))
    previous: float | None = None
    for index, until in enumerate(transitions):
        east = _offset_minutes(zone, until - 1)
        if index == 0:
            previous = _offset_before_period(zone, until)
        # moment-timezone stores minutes west; "west > previous west" is "east < previous east".
        end_offset = previous if previous is not None and east < previous else east
        if local_ms < until + round(end_offset * 60_000):
            return east
        previous = east
    return offsets[2]


# ---------------------------------------------------------------------------
# Parsing


@dataclass(frozen=True)
class _Fields:
    """Wall-clock fields parsed from input; offset in minutes when the input had one."""

    year: int
    month: int  # 1-12
    day: int
    hour: int = 0
    minute: int = 0
    second: int = 0
    millisecond: int = 0
    offset: float | None = None


_EXTENDED_ISO = re.compile(
    r"^\s*((?:[+-]\d{6}|\d{4})-(?:\d\d-\d\d|W\d\d-\d|W\d\d|\d\d\d|\d\d))"
    r"(?:(T| )(\d\d(?::\d\d(?::\d\d(?:[.,]\d+)?)?)?)([+-]\d\d(?::?\d\d)?|\s*Z)?)?$",
    re.ASCII,
)
_BASIC_ISO = re.compile(
    r"^\s*((?:[+-]\d{6}|\d{4})(?:\d\d\d\d|W\d\d\d|W\d\d|\d\d\d|\d\d))"
    r"(?:(T| )(\d\d(?:\d\d(?:\d\d(?:[.,]\d+)?)?)?)([+-]\d\d(?::?\d\d)?|\s*Z)?)?$",
    re.ASCII,
)
_ASP_NET_JSON = re.compile(r"^/?Date\((-?\d+)", re.IGNORECASE | re.ASCII)

# (pattern searched inside the date part, layout, time allowed) in moment's order.
_ISO_DATES: tuple[tuple[re.Pattern[str], str, bool], ...] = (
    (re.compile(r"([+-]\d{6})-(\d\d)-(\d\d)"), "ymd", True),
    (re.compile(r"(\d{4})-(\d\d)-(\d\d)"), "ymd", True),
    (re.compile(r"(\d{4})-W(\d\d)-(\d)"), "gwe", True),
    (re.compile(r"(\d{4})-W(\d\d)"), "gw", False),
    (re.compile(r"(\d{4})-(\d{3})"), "yd", True),
    (re.compile(r"(\d{4})-(\d\d)"), "ym", False),
    (re.compile(r"([+-]\d{6})(\d\d)(\d\d)"), "ymd", True),
    (re.compile(r"(\d{4})(\d\d)(\d\d)"), "ymd", True),
    (re.compile(r"(\d{4})W(\d\d)(\d)"), "gwe", True),
    (re.compile(r"(\d{4})W(\d\d)"), "gw", False),
    (re.compile(r"(\d{4})(\d{3})"), "yd", True),
)
_ISO_TIMES: tuple[re.Pattern[str], ...] = (
    re.compile(r"(\d\d):(\d\d):(\d\d)[.,](\d+)"),
    re.compile(r"(\d\d):(\d\d):(\d\d)()"),
    re.compile(r"(\d\d):(\d\d)()()"),
    re.compile(r"(\d\d)(\d\d)(\d\d)[.,](\d+)"),
    re.compile(r"(\d\d)(\d\d)(\d\d)()"),
    re.compile(r"(\d\d)(\d\d)()()"),
    re.compile(r"(\d\d)()()()"),
)


def _iso_week_date(week_year: int, week: int, weekday: int) -> tuple[int, int, int] | None:
    if week_year < 1 or week > _weeks_in_year(week_year, 1, 4) or not 1 <= weekday <= 7:
        return None
    offset = _first_week_offset(week_year, 1, 4)
    day_of_year = 1 + 7 * (week - 1) + (weekday - 1) + offset
    return _civil_from_days(_days_from_civil(week_year, 1, 1) + day_of_year - 1)


def _parse_offset(text: str) -> float:
    if text.strip() == "Z":
        return 0.0
    digits = re.findall(r"\d\d", text)
    minutes = int(digits[0]) * 60 + (int(digits[1]) if len(digits) > 1 else 0)
    if minutes == 0:
        return 0.0
    return float(minutes if text[0] == "+" else -minutes)


def _parse_iso(text: str) -> _Fields | None:
    match = _EXTENDED_ISO.match(text) or _BASIC_ISO.match(text)
    if match is None:
        return None
    date_part, _separator, time_part, zone_part = match.groups()
    date_match = next(
        (
            (found, layout, allows_time)
            for pattern, layout, allows_time in _ISO_DATES
            if (found := pattern.search(date_part))
        ),
        None,
    )
    if date_match is None:
        return None
    found, layout, time_allowed = date_match
    if time_part and not time_allowed:
        return None
    numbers = [int(g) for g in found.groups()]
    next_day = False
    if layout == "ymd":
        year, month, day = numbers
    elif layout == "ym":
        (year, month), day = numbers, 1
    elif layout == "yd":
        year, day_of_year = numbers
        if day_of_year == 0 or day_of_year > _days_in_year(year):
            return None
        year, month, day = _civil_from_days(_days_from_civil(year, 1, 1) + day_of_year - 1)
    else:
        week_date = _iso_week_date(numbers[0], numbers[1], numbers[2] if layout == "gwe" else 1)
        if week_date is None:
            return None
        year, month, day = week_date
    hour = minute = second = millisecond = 0
    if time_part:
        time_found = next((t for p in _ISO_TIMES if (t := p.search(time_part))), None)
        if time_found is None:
            return None
        h, m, s, fraction = time_found.groups()
        hour = int(h)
        minute = int(m) if m else 0
        second = int(s) if s else 0
        # moment: toInt(('0.' + digits) * 1000), float arithmetic and all.
        millisecond = int(float("0." + fraction) * 1000) if fraction else 0
    if not 1 <= month <= 12 or not 1 <= day <= _days_in_month(year, month):
        return None
    if hour == 24 and minute == 0 and second == 0 and millisecond == 0:
        hour, next_day = 0, True
    elif hour > 23 or minute > 59 or second > 59:
        return None
    if next_day:
        year, month, day = _civil_from_days(_days_from_civil(year, month, day) + 1)
    offset = _parse_offset(zone_part) if zone_part else None
    return _Fields(year, month, day, hour, minute, second, millisecond, offset)


def _parse_array(values: list[Any]) -> _Fields | None:
    numbers: list[int] = []
    for value in values[:7]:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return None
        number = float(value) if not isinstance(value, str) else _js_string_number(value)
        if not math.isfinite(number):
            return None
        numbers.append(int(number))
    if len(numbers) < 3:
        return None  # moment fills these from the current date; not supported
    numbers += [0] * (7 - len(numbers))
    year, month0, day, hour, minute, second, ms = numbers
    if not 0 <= month0 <= 11 or not 1 <= day <= _days_in_month(year, month0 + 1):
        return None
    if hour == 24 and minute == second == ms == 0:
        year, month, day = _civil_from_days(_days_from_civil(year, month0 + 1, day) + 1)
        return _Fields(year, month, day)
    if not (0 <= hour <= 23 and 0 <= minute <= 59 and 0 <= second <= 59 and 0 <= ms <= 999):
        return None
    return _Fields(year, month0 + 1, day, hour, minute, second, ms)


def _js_string_number(text: str) -> float:
    try:
        return float(text.strip()) if text.strip() else 0.0
    except ValueError:
        return math.nan


def _wall_ms(fields: _Fields) -> int:
    days = _days_from_civil(fields.year, fields.month, fields.day)
    return (
        days * _MS_PER_DAY
        + fields.hour * 3_600_000
        + fields.minute * 60_000
        + fields.second * 1000
        + fields.millisecond
    )


# ---------------------------------------------------------------------------
# The moment being formatted


@dataclass(frozen=True)
class _Moment:
    ms: int  # instant, epoch milliseconds
    offset: float  # minutes east of UTC
    abbr: str  # zone abbreviation (z)
    zone_name: str  # zz: moment-timezone prints the abbreviation again

    @functools.cached_property
    def _local(self) -> tuple[int, int]:
        local = self.ms + round(self.offset * 60_000)
        return divmod(local, _MS_PER_DAY)

    @property
    def days(self) -> int:
        return self._local[0]

    @functools.cached_property
    def date(self) -> tuple[int, int, int]:
        return _civil_from_days(self.days)

    @property
    def year(self) -> int:
        return self.date[0]

    @property
    def month(self) -> int:
        return self.date[1]

    @property
    def day(self) -> int:
        return self.date[2]

    @property
    def hour(self) -> int:
        return self._local[1] // 3_600_000

    @property
    def minute(self) -> int:
        return self._local[1] // 60_000 % 60

    @property
    def second(self) -> int:
        return self._local[1] // 1000 % 60

    @property
    def millisecond(self) -> int:
        return self._local[1] % 1000

    @property
    def weekday(self) -> int:
        return (self.days + 4) % 7  # 1970-01-01 was a Thursday; Sunday is 0

    @property
    def day_of_year(self) -> int:
        return self.days - _days_from_civil(self.year, 1, 1) + 1


def _first_week_offset(year: int, dow: int, doy: int) -> int:
    fwd = 7 + dow - doy
    weekday = (_days_from_civil(year, 1, fwd) + 4) % 7
    fwdlw = (7 + weekday - dow) % 7
    return -fwdlw + fwd - 1


def _weeks_in_year(year: int, dow: int, doy: int) -> int:
    offset = _first_week_offset(year, dow, doy)
    offset_next = _first_week_offset(year + 1, dow, doy)
    return (_days_in_year(year) - offset + offset_next) // 7


def _week_of_year(m: _Moment, dow: int, doy: int) -> tuple[int, int]:
    """(week, week-year) with weeks starting on `dow` and week 1 holding day `doy`."""
    offset = _first_week_offset(m.year, dow, doy)
    week = (m.day_of_year - offset - 1) // 7 + 1
    if week < 1:
        year = m.year - 1
        return week + _weeks_in_year(year, dow, doy), year
    weeks = _weeks_in_year(m.year, dow, doy)
    if week > weeks:
        return week - weeks, m.year + 1
    return week, m.year


# ---------------------------------------------------------------------------
# Formatting

_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
_LONG_FORMATS = {
    "LTS": "h:mm:ss A",
    "LT": "h:mm A",
    "L": "MM/DD/YYYY",
    "LL": "MMMM D, YYYY",
    "LLL": "MMMM D, YYYY h:mm A",
    "LLLL": "dddd, MMMM D, YYYY h:mm A",
}
for _key in ("L", "LL", "LLL", "LLLL"):
    _LONG_FORMATS[_key.lower()] = re.sub(
        r"MMMM|MM|DD|dddd", lambda m: m.group(0)[1:], _LONG_FORMATS[_key]
    )

_LOCAL_TOKENS = re.compile(r"(\[[^\[]*\])|(\\)?(LTS|LT|LL?L?L?|l{1,4})")
# JS '.' matches anything but line terminators: those characters are dropped.
_TOKENS = re.compile(
    r"(\[[^\[]*\])|(\\)?([Hh]mm(ss)?|Mo|MM?M?M?|Do|DDDo|DD?D?D?|ddd?d?|do?|w[o|w]?|W[o|W]?"
    r"|Qo?|YYYYYY|YYYYY|YYYY|YY|gg(ggg?)?|GG(GGG?)?|e|E|a|A|hh?|HH?|kk?|mm?|ss?|S{1,9}"
    r"|x|X|zz?|ZZ?|[^\n\r\u2028\u2029])"
)


def _js_mod(a: int, b: int) -> int:
    """JS `%` on integers: the sign follows the dividend."""
    return int(math.fmod(a, b))


def _zero_fill(number: int, width: int, force_sign: bool = False) -> str:
    digits = str(abs(number))
    sign = ("+" if force_sign else "") if number >= 0 else "-"
    return sign + "0" * max(0, width - len(digits)) + digits


def _ordinal(number: int) -> str:
    last = _js_mod(number, 10)
    if int(_js_mod(number, 100) / 10) == 1:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(last, "th")
    return f"{number}{suffix}"


def _hour12(m: _Moment) -> int:
    return m.hour % 12 or 12


def _offset_text(m: _Moment, separator: str) -> str:
    offset = m.offset
    sign = "+"
    if offset < 0:
        offset, sign = -offset, "-"
    whole = int(offset)
    return sign + _zero_fill(int(offset / 60), 2) + separator + _zero_fill(whole % 60, 2)


def _year_token(m: _Moment) -> str:
    return str(m.year) if m.year <= 9999 else f"+{m.year}"


Getter = Callable[[_Moment], int]

_NUMBER_GETTERS: dict[str, Getter] = {
    "M": lambda m: m.month,
    "Q": lambda m: (m.month + 2) // 3,
    "D": lambda m: m.day,
    "DDD": lambda m: m.day_of_year,
    "d": lambda m: m.weekday,
    "w": lambda m: _week_of_year(m, 0, 6)[0],
    "W": lambda m: _week_of_year(m, 1, 4)[0],
    "H": lambda m: m.hour,
    "h": _hour12,
    "k": lambda m: m.hour or 24,
    "m": lambda m: m.minute,
    "s": lambda m: m.second,
}
_PADDED: dict[str, tuple[str, int]] = {
    "MM": ("M", 2),
    "DD": ("D", 2),
    "DDDD": ("DDD", 3),
    "ww": ("w", 2),
    "WW": ("W", 2),
    "HH": ("H", 2),
    "hh": ("h", 2),
    "kk": ("k", 2),
    "mm": ("m", 2),
    "ss": ("s", 2),
}
_ORDINALS = {"Mo": "M", "Qo": "Q", "Do": "D", "DDDo": "DDD", "do": "d", "wo": "w", "Wo": "W"}

TokenFunction = Callable[[_Moment], str]


def _build_token_functions() -> dict[str, TokenFunction]:
    def plain(getter: Getter) -> TokenFunction:
        return lambda m: str(getter(m))

    def padded(getter: Getter, width: int) -> TokenFunction:
        return lambda m: _zero_fill(getter(m), width)

    def ordinal(getter: Getter) -> TokenFunction:
        return lambda m: _ordinal(getter(m))

    table: dict[str, TokenFunction] = {}
    for token, getter in _NUMBER_GETTERS.items():
        table[token] = plain(getter)
    for token, (base, width) in _PADDED.items():
        table[token] = padded(_NUMBER_GETTERS[base], width)
    for token, base in _ORDINALS.items():
        table[token] = ordinal(_NUMBER_GETTERS[base])

    def fraction(digits: int) -> TokenFunction:
        if digits == 1:
            return lambda m: str(m.millisecond // 100)
        if digits == 2:
            return lambda m: _zero_fill(m.millisecond // 10, 2)
        return lambda m: _zero_fill(m.millisecond * 10 ** (digits - 3), digits)

    for digits in range(1, 10):
        table["S" * digits] = fraction(digits)

    table.update(
        {
            "MMM": lambda m: _MONTHS[m.month - 1][:3],
            "MMMM": lambda m: _MONTHS[m.month - 1],
            "dd": lambda m: _WEEKDAYS[m.weekday][:2],
            "ddd": lambda m: _WEEKDAYS[m.weekday][:3],
            "dddd": lambda m: _WEEKDAYS[m.weekday],
            "e": lambda m: str(m.weekday),  # the English week starts on Sunday
            "E": lambda m: str(m.weekday or 7),
            "Y": _year_token,
            "YY": lambda m: _zero_fill(_js_mod(m.year, 100), 2),
            "YYYY": lambda m: _zero_fill(m.year, 4),
            "YYYYY": lambda m: _zero_fill(m.year, 5),
            "YYYYYY": lambda m: _zero_fill(m.year, 6, True),
            "gg": lambda m: _zero_fill(_js_mod(_week_of_year(m, 0, 6)[1], 100), 2),
            "gggg": lambda m: _zero_fill(_week_of_year(m, 0, 6)[1], 4),
            "ggggg": lambda m: _zero_fill(_week_of_year(m, 0, 6)[1], 5),
            "GG": lambda m: _zero_fill(_js_mod(_week_of_year(m, 1, 4)[1], 100), 2),
            "GGGG": lambda m: _zero_fill(_week_of_year(m, 1, 4)[1], 4),
            "GGGGG": lambda m: _zero_fill(_week_of_year(m, 1, 4)[1], 5),
            "a": lambda m: "pm" if m.hour > 11 else "am",
            "A": lambda m: "PM" if m.hour > 11 else "AM",
            "hmm": lambda m: f"{_hour12(m)}{_zero_fill(m.minute, 2)}",
            "hmmss": lambda m: f"{_hour12(m)}{_zero_fill(m.minute, 2)}{_zero_fill(m.second, 2)}",
            "Hmm": lambda m: f"{m.hour}{_zero_fill(m.minute, 2)}",
            "Hmmss": lambda m: f"{m.hour}{_zero_fill(m.minute, 2)}{_zero_fill(m.second, 2)}",
            "Z": lambda m: _offset_text(m, ":"),
            "ZZ": lambda m: _offset_text(m, ""),
            "X": lambda m: str(m.ms // 1000),
            "x": lambda m: str(m.ms),
            "z": lambda m: m.abbr,
            "zz": lambda m: m.zone_name,
        }
    )
    return table


_TOKEN_FUNCTIONS = _build_token_functions()

Piece = str | TokenFunction


def _literal(text: str) -> str:
    if re.search(r"\[[\s\S]", text):
        return re.sub(r"^\[|\]$", "", text)
    return text.replace("\\", "")


def _expand_long_formats(fmt: str) -> str:
    for _ in range(6):
        if not _LOCAL_TOKENS.search(fmt):
            break
        fmt = _LOCAL_TOKENS.sub(lambda m: _LONG_FORMATS.get(m.group(0), m.group(0)), fmt)
    return fmt


@functools.lru_cache(maxsize=512)
def _compile_format(fmt: str) -> tuple[Piece, ...]:
    """Moment's makeFormatFunction: the format split into literals and token functions."""
    pieces: list[Piece] = []
    for match in _TOKENS.finditer(_expand_long_formats(fmt)):
        text = match.group(0)
        function = _TOKEN_FUNCTIONS.get(text)
        pieces.append(function if function is not None else _literal(text))
    return tuple(pieces)


def _render(m: _Moment, fmt: str) -> str:
    return "".join(p if isinstance(p, str) else p(m) for p in _compile_format(fmt))


# ---------------------------------------------------------------------------
# DATE(value?, format?, tz?)


def system_now() -> float:
    return time.time() * 1000


def _instant(value: Any, zone: zoneinfo.ZoneInfo | None, now: Callable[[], float]) -> int | None:
    """The instant (epoch ms) moment.tz(value, zone) stands for, None when invalid."""
    if value is None:
        value = now()
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value) or abs(value) > _MAX_DATE_MS:
            return None
        return int(value)
    fields: _Fields | None
    if isinstance(value, str):
        asp = _ASP_NET_JSON.match(value)
        if asp:
            ms = int(asp.group(1))
            return ms if abs(ms) <= _MAX_DATE_MS else None
        fields = _parse_iso(value)
    elif isinstance(value, list):
        fields = _parse_array(value)
    else:
        fields = None
    if fields is None:
        return None
    wall = _wall_ms(fields)
    if fields.offset is not None:
        ms = wall - round(fields.offset * 60_000)
    elif zone is not None:
        ms = wall - round(_offset_of_wall_time(zone, wall) * 60_000)
    else:
        ms = wall
    return ms if abs(ms) <= _MAX_DATE_MS else None


def format_date(
    value: Any = None,
    fmt: Any = None,
    tz: Any = None,
    *,
    now: Callable[[], float] = system_now,
) -> str:
    """``moment.tz(value, tz).format(fmt)``; `now` returns epoch milliseconds."""
    zone_name = DEFAULT_TIME_ZONE if tz is None or tz == "" else str(tz)
    zone = _zone(zone_name)
    ms = _instant(value, zone, now)
    if ms is None:
        return INVALID_DATE
    if zone is None:
        moment = _Moment(ms, 0.0, "UTC", "Coordinated Universal Time")
    else:
        offset, abbr = _zone_state(zone, ms)
        moment = _Moment(ms, offset, abbr, abbr)
    if fmt is None or fmt == "":
        fmt_text = _DEFAULT_FORMAT_UTC if moment.offset == 0 else _DEFAULT_FORMAT
    else:
        fmt_text = fmt if isinstance(fmt, str) else str(fmt)
    return _render(moment, fmt_text)
