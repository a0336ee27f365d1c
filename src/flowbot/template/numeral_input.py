"""Numeral.js 2.0.6 input parsing: what ``numeral(value).value()`` is.

Numbers pass through; strings go through numeral's unformatters (BPS, bytes,
exponential, percentage, time) in its registration order, else through its
abbreviation-aware string-to-number conversion.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from flowbot.template.jsnumbers import (
    js_number_to_string,
    js_pow,
    js_to_fixed,
    js_to_number,
)
from flowbot.template.jsvalues import js_to_number as js_value_to_number

__all__ = [
    "BYTE_SUFFIXES_BINARY",
    "BYTE_SUFFIXES_DECIMAL",
    "NumeralValue",
    "to_numeral_value",
]

# Value numeral keeps after parsing its input: a double, or None for null.
NumeralValue = float | None


_ABBREVIATION_POWERS = (("k", 3), ("m", 6), ("b", 9), ("t", 12))
_ABBREVIATION_AT_END = {
    letter: re.compile(r"[^a-zA-Z]" + letter + r"(?:\)|(\$)?(?:\))?)?$")
    for letter, _ in _ABBREVIATION_POWERS
}


def _string_to_number(text: str) -> NumeralValue:
    if not re.sub(r"[^0-9]+", "", text):
        return None
    value = 1.0
    for letter, power in _ABBREVIATION_POWERS:
        if _ABBREVIATION_AT_END[letter].search(text):
            value *= js_pow(10, power)
            break
    dashes = text.count("-") + 1
    parens = min(text.count("("), text.count(")"))
    value *= 1 if (dashes + parens) % 2 else -1
    value *= js_to_number(re.sub(r"[^0-9.]+", "", text))
    return value


def _multiplier(x: float) -> float:
    parts = js_number_to_string(x).split(".")
    return 1.0 if len(parts) < 2 else js_pow(10, len(parts[1]))


def _unformat_exponential(text: str) -> NumeralValue:
    parts = text.split("e+") if "e+" in text else text.split("e-")
    value = js_to_number(parts[0])
    power = js_to_number(parts[1]) if len(parts) > 1 else math.nan
    if "e-" in text:
        power = -power
    accum = 1.0
    for current in (value, math.pow(10, power) if not math.isnan(power) else math.nan):
        factor = max(1.0, _multiplier(accum), _multiplier(current))
        accum = (accum * factor) * (current * factor) / (factor * factor)
    return accum


BYTE_SUFFIXES_DECIMAL = ("B", "KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
BYTE_SUFFIXES_BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


def _unformat_bytes(text: str) -> NumeralValue:
    value = _string_to_number(text)
    if value:
        multiplier = None
        for power in range(len(BYTE_SUFFIXES_DECIMAL) - 1, -1, -1):
            if BYTE_SUFFIXES_DECIMAL[power] in text:
                multiplier = js_pow(1000, power)
                break
            if BYTE_SUFFIXES_BINARY[power] in text:
                multiplier = js_pow(1024, power)
                break
        value *= multiplier or 1
    return value


def _unformat_bps(text: str) -> NumeralValue:
    number = _string_to_number(text)
    return js_to_number(js_to_fixed(js_value_to_number(number) * 0.0001, 15))


def _unformat_percentage(text: str) -> NumeralValue:
    number = _string_to_number(text)
    return js_value_to_number(number) * 0.01


def _unformat_time(text: str) -> NumeralValue:
    parts = text.split(":")
    seconds = 0.0
    if len(parts) == 3:
        seconds += js_to_number(parts[0]) * 60 * 60
        seconds += js_to_number(parts[1]) * 60
        seconds += js_to_number(parts[2])
    elif len(parts) == 2:
        seconds += js_to_number(parts[0]) * 60
        seconds += js_to_number(parts[1])
    return seconds


# In numeral's registration order, which decides which unformatter wins.
_UNFORMATTERS: tuple[tuple[re.Pattern[str], Callable[[str], NumeralValue]], ...] = (
    (re.compile(r"BPS"), _unformat_bps),
    (
        re.compile(r"(B(?!PS)|KB|MB|GB|TB|PB|EB|ZB|YB|KiB|MiB|GiB|TiB|PiB|EiB|ZiB|YiB)"),
        _unformat_bytes,
    ),
    (re.compile(r"e\+|e-"), _unformat_exponential),
    (re.compile(r"%"), _unformat_percentage),
    (re.compile(r":"), _unformat_time),
)


def to_numeral_value(value: Any) -> NumeralValue:
    """What ``numeral(value).value()`` is: a double, or None for numeral's null."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        if value is None:
            return None  # null; an absent argument (undefined) is handled by the caller
        number = float(value)
        if number == 0:
            return 0.0
        if math.isnan(number):
            return None
        return number
    if isinstance(value, str):
        if not re.sub(r"[^0-9]+", "", value):
            return None
        for pattern, unformat in _UNFORMATTERS:
            if pattern.search(value):
                return unformat(value)
        return _string_to_number(value)
    number = js_value_to_number(value)
    return None if number == 0 or math.isnan(number) else number
