"""Parsing DATE inputs: what instant ``moment.tz(value, tz)`` stands for.

Handles the absent value (the clock's now), epoch milliseconds, ISO 8601
strings as moment parses them, ASP.NET ``/Date(ms)/`` and ``[y, m0, d, …]``
arrays; a wall-clock input without an offset is resolved in the zone. See
`flowbot.template.moment` for the full list of accepted inputs.
"""

from __future__ import annotations

import math
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flowbot.template.moment_calendar import (
    MS_PER_DAY,
    civil_from_days,
    days_from_civil,
    days_in_month,
    days_in_year,
    first_week_offset,
    weeks_in_year,
)
from flowbot.template.moment_zones import offset_of_wall_time

__all__ = ["to_instant"]

_MAX_DATE_MS = 8.64e15  # the range of a JS Date


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
    if week_year < 1 or week > weeks_in_year(week_year, 1, 4) or not 1 <= weekday <= 7:
        return None
    offset = first_week_offset(week_year, 1, 4)
    day_of_year = 1 + 7 * (week - 1) + (weekday - 1) + offset
    return civil_from_days(days_from_civil(week_year, 1, 1) + day_of_year - 1)


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
        if day_of_year == 0 or day_of_year > days_in_year(year):
            return None
        year, month, day = civil_from_days(days_from_civil(year, 1, 1) + day_of_year - 1)
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
    if not 1 <= month <= 12 or not 1 <= day <= days_in_month(year, month):
        return None
    if hour == 24 and minute == 0 and second == 0 and millisecond == 0:
        hour, next_day = 0, True
    elif hour > 23 or minute > 59 or second > 59:
        return None
    if next_day:
        year, month, day = civil_from_days(days_from_civil(year, month, day) + 1)
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
    if not 0 <= month0 <= 11 or not 1 <= day <= days_in_month(year, month0 + 1):
        return None
    if hour == 24 and minute == second == ms == 0:
        year, month, day = civil_from_days(days_from_civil(year, month0 + 1, day) + 1)
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
    days = days_from_civil(fields.year, fields.month, fields.day)
    return (
        days * MS_PER_DAY
        + fields.hour * 3_600_000
        + fields.minute * 60_000
        + fields.second * 1000
        + fields.millisecond
    )


def to_instant(value: Any, zone: zoneinfo.ZoneInfo | None, now: Callable[[], float]) -> int | None:
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
        ms = wall - round(offset_of_wall_time(zone, wall) * 60_000)
    else:
        ms = wall
    return ms if abs(ms) <= _MAX_DATE_MS else None
