"""Formatting a moment: moment 2.22.2's format tokens in the English locale.

`Moment` is an instant with its zone offset and abbreviation; `format_moment`
renders it with a format string (every token, ``[escaped text]``, backslash
escapes and the long formats ``LT LTS L LL LLL LLLL l ll lll llll``). A format
is compiled once into literals and token functions and cached.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from flowbot.template.moment_calendar import (
    MS_PER_DAY,
    civil_from_days,
    days_from_civil,
    first_week_offset,
    weeks_in_year,
)

__all__ = ["Moment", "format_moment"]


@dataclass(frozen=True)
class Moment:
    ms: int  # instant, epoch milliseconds
    offset: float  # minutes east of UTC
    abbr: str  # zone abbreviation (z)
    zone_name: str  # zz: moment-timezone prints the abbreviation again

    @functools.cached_property
    def _local(self) -> tuple[int, int]:
        local = self.ms + round(self.offset * 60_000)
        return divmod(local, MS_PER_DAY)

    @property
    def days(self) -> int:
        return self._local[0]

    @functools.cached_property
    def date(self) -> tuple[int, int, int]:
        return civil_from_days(self.days)

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
        return self.days - days_from_civil(self.year, 1, 1) + 1


def _week_of_year(m: Moment, dow: int, doy: int) -> tuple[int, int]:
    """(week, week-year) with weeks starting on `dow` and week 1 holding day `doy`."""
    offset = first_week_offset(m.year, dow, doy)
    week = (m.day_of_year - offset - 1) // 7 + 1
    if week < 1:
        year = m.year - 1
        return week + weeks_in_year(year, dow, doy), year
    weeks = weeks_in_year(m.year, dow, doy)
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


def _hour12(m: Moment) -> int:
    return m.hour % 12 or 12


def _offset_text(m: Moment, separator: str) -> str:
    offset = m.offset
    sign = "+"
    if offset < 0:
        offset, sign = -offset, "-"
    whole = int(offset)
    return sign + _zero_fill(int(offset / 60), 2) + separator + _zero_fill(whole % 60, 2)


def _year_token(m: Moment) -> str:
    return str(m.year) if m.year <= 9999 else f"+{m.year}"


Getter = Callable[[Moment], int]

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

TokenFunction = Callable[[Moment], str]


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


def format_moment(m: Moment, fmt: str) -> str:
    return "".join(p if isinstance(p, str) else p(m) for p in _compile_format(fmt))
