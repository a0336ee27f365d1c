"""Proleptic Gregorian calendar arithmetic for the DATE helper (any year, like JS Date).

Days are counted from 1970-01-01; months are 1-12. The week helpers follow
moment's locale week rules (weeks start on `dow`, week 1 holds day `doy`).
"""

from __future__ import annotations

__all__ = [
    "MS_PER_DAY",
    "civil_from_days",
    "days_from_civil",
    "days_in_month",
    "days_in_year",
    "first_week_offset",
    "weeks_in_year",
]

MS_PER_DAY = 86_400_000


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (month 1-12)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(days: int) -> tuple[int, int, int]:
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


def days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if _is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def days_in_year(year: int) -> int:
    return 366 if _is_leap(year) else 365


def first_week_offset(year: int, dow: int, doy: int) -> int:
    fwd = 7 + dow - doy
    weekday = (days_from_civil(year, 1, fwd) + 4) % 7
    fwdlw = (7 + weekday - dow) % 7
    return -fwdlw + fwd - 1


def weeks_in_year(year: int, dow: int, doy: int) -> int:
    offset = first_week_offset(year, dow, doy)
    offset_next = first_week_offset(year + 1, dow, doy)
    return (days_in_year(year) - offset + offset_next) // 7
