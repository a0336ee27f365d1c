"""Moment.js 2.22.2 + moment-timezone 0.5.23 date formatting (English locale).

CLOSER's ``DATE(value, fmt, tz)`` is ``moment.tz(value, tz).format(fmt)``, except
that without a format it prints the ISO 8601 form with milliseconds, as its
guide shows (``2018-12-07T05:47:14.667Z``; ``milliseconds=True``). This module
reproduces that for the inputs templates carry:

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

This module is the entry point; the work lives in `moment_parse` (input →
instant), `moment_zones` (zone offsets), `moment_format` (format tokens) and
`moment_calendar` (calendar arithmetic).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flowbot.template.moment_format import Moment, format_moment
from flowbot.template.moment_parse import to_instant
from flowbot.template.moment_zones import lookup_zone, zone_state

__all__ = ["DEFAULT_TIME_ZONE", "INVALID_DATE", "format_date"]

INVALID_DATE = "Invalid date"
DEFAULT_TIME_ZONE = "UTC"
_DEFAULT_FORMAT = "YYYY-MM-DDTHH:mm:ssZ"
_DEFAULT_FORMAT_UTC = "YYYY-MM-DDTHH:mm:ss[Z]"
# ISO 8601 with milliseconds, what CLOSER's DATE prints without a format.
_ISO_FORMAT = "YYYY-MM-DDTHH:mm:ss.SSSZ"
_ISO_FORMAT_UTC = "YYYY-MM-DDTHH:mm:ss.SSS[Z]"


def system_now() -> float:
    return time.time() * 1000


def format_date(
    value: Any = None,
    fmt: Any = None,
    tz: Any = None,
    *,
    now: Callable[[], float] = system_now,
    milliseconds: bool = False,
) -> str:
    """``moment.tz(value, tz).format(fmt)``; `now` returns epoch milliseconds.

    With `milliseconds`, a missing `fmt` prints the ISO 8601 form with
    milliseconds (``2018-12-07T05:47:14.667Z``, or with the zone's offset)
    instead of moment's default, which has none.
    """
    zone_name = DEFAULT_TIME_ZONE if tz is None or tz == "" else str(tz)
    zone = lookup_zone(zone_name)
    ms = to_instant(value, zone, now)
    if ms is None:
        return INVALID_DATE
    if zone is None:
        moment = Moment(ms, 0.0, "UTC", "Coordinated Universal Time")
    else:
        offset, abbr = zone_state(zone, ms)
        moment = Moment(ms, offset, abbr, abbr)
    if fmt is None or fmt == "":
        if milliseconds:
            fmt_text = _ISO_FORMAT_UTC if moment.offset == 0 else _ISO_FORMAT
        else:
            fmt_text = _DEFAULT_FORMAT_UTC if moment.offset == 0 else _DEFAULT_FORMAT
    else:
        fmt_text = fmt if isinstance(fmt, str) else str(fmt)
    return format_moment(moment, fmt_text)
