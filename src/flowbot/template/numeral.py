"""Numeral.js 2.0.6 number formatting, reproduced byte for byte (English locale).

CLOSER's ``FORMAT(value, fmt)`` with a format is ``numeral(value).format(fmt)``
(`flowbot.template.helpers.format_value` decides what reaches it). Numeral does
its arithmetic on JS doubles and goes through JS string conversions
(``Number#toString``, ``Number#toFixed``, ``Math.round("1.005e+2")``), and its
output depends on those quirks, so `flowbot.template.jsnumbers` re-creates the
JS primitives first (``js_number_to_string``, ``js_to_number``, ``js_round``,
``js_to_fixed``), `flowbot.template.numeral_input` turns the input into
numeral's value, and this module follows numeral's format grammar step by
step. The differential tests in tests/template/test_numeral_differential.py
hold it to the real library.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from flowbot.template.jsnumbers import (
    js_number_to_string,
    js_pow,
    js_round,
    js_to_exponential,
    js_to_fixed,
    js_to_number,
)
from flowbot.template.jsvalues import js_string
from flowbot.template.numeral_input import (
    BYTE_SUFFIXES_BINARY,
    BYTE_SUFFIXES_DECIMAL,
    to_numeral_value,
)

__all__ = ["format_number"]

# ---------------------------------------------------------------------------
# format(): numberToFormat and the registered formats


def _numeral_to_fixed(value: float, max_decimals: int, optionals: int = 0) -> str:
    """numeral._.toFixed: scales through a decimal string to dodge binary error."""
    split_value = js_number_to_string(value).split(".")
    min_decimals = max_decimals - optionals
    if len(split_value) == 2:
        bounded = min(max(len(split_value[1]), min_decimals), max_decimals)
    else:
        bounded = min_decimals
    power = js_pow(10, bounded)
    scaled = js_round(js_to_number(js_number_to_string(value) + "e+" + str(bounded)))
    output = js_to_fixed(scaled / power, bounded)
    if optionals > max_decimals - bounded:
        count = optionals - (max_decimals - bounded)
        output = re.sub(r"\.?0{1," + str(count) + r"}$", "", output, count=1)
    return output


def _includes(text: str, search: str) -> bool:
    return search in text


def _number_to_format(value: float, fmt: str) -> str:
    value = value or 0.0  # NaN and null format as 0
    if math.isnan(value):
        value = 0.0
    neg_parens = False
    opt_dec = False
    abbr = ""
    decimal = ""
    neg = False
    signed = -1
    abs_value = abs(value)

    if "(" in fmt:
        neg_parens = True
        fmt = re.sub(r"[(|)]", "", fmt)
    elif "+" in fmt or "-" in fmt:
        signed = fmt.find("+") if "+" in fmt else (fmt.find("-") if value < 0 else -1)
        fmt = re.sub(r"[+|\-]", "", fmt)

    abbr_force: str | None = None
    if "a" in fmt:
        m = re.search(r"a(k|m|b|t)?", fmt)
        abbr_force = m.group(1) if m else None
        if " a" in fmt:
            abbr = " "
        fmt = re.sub(abbr + r"a[kmbt]?", "", fmt, count=1)
        trillion, billion, million, thousand = 1e12, 1e9, 1e6, 1e3
        if (abs_value >= trillion and not abbr_force) or abbr_force == "t":
            abbr += "t"
            value = value / trillion
        elif (trillion > abs_value >= billion and not abbr_force) or abbr_force == "b":
            abbr += "b"
            value = value / billion
        elif (billion > abs_value >= million and not abbr_force) or abbr_force == "m":
            abbr += "m"
            value = value / million
        elif (million > abs_value >= thousand and not abbr_force) or abbr_force == "k":
            abbr += "k"
            value = value / thousand

    if "[.]" in fmt:
        opt_dec = True
        fmt = fmt.replace("[.]", ".", 1)

    format_parts = fmt.split(".")
    precision = format_parts[1] if len(format_parts) > 1 else ""
    thousands = fmt.find(",")
    leading_count = format_parts[0].split(",")[0].count("0")

    if precision:
        if "[" in precision:
            pieces = precision.replace("]", "", 1).split("[")
            decimal = _numeral_to_fixed(
                value, len(pieces[0]) + len(pieces[1]), optionals=len(pieces[1])
            )
        else:
            decimal = _numeral_to_fixed(value, len(precision))
        integer = decimal.split(".")[0]
        decimal = "." + decimal.split(".")[1] if "." in decimal else ""
        if opt_dec and js_to_number(decimal[1:]) == 0:
            decimal = ""
    else:
        integer = _numeral_to_fixed(value, 0)

    # Rounding can carry into the next unit (999.95k → 1.0m).
    if abbr and not abbr_force and js_to_number(integer) >= 1000 and abbr != "t":
        integer = js_number_to_string(js_to_number(integer) / 1000)
        abbr = {"k": "m", "m": "b", "b": "t"}.get(abbr, abbr)

    if "-" in integer:
        integer = integer[1:]
        neg = True
    if len(integer) < leading_count:
        integer = "0" * (leading_count - len(integer)) + integer
    if thousands > -1:
        integer = re.sub(r"(\d)(?=(\d{3})+(?!\d))", r"\1,", integer, flags=re.ASCII)
    if fmt.find(".") == 0:
        integer = ""

    output = integer + decimal + abbr
    if neg_parens:
        output = ("(" if neg else "") + output + (")" if neg else "")
    elif signed >= 0:
        sign = "-" if neg else "+"
        output = sign + output if signed == 0 else output + sign
    elif neg:
        output = "-" + output
    return output


def _format_scaled(value: float, fmt: str, scale: int, unit: str) -> str:
    """`value * scale` followed by `unit` (inside a closing parenthesis): % and BPS."""
    space = " " if " " + unit in fmt else ""
    fmt = re.sub(r"\s?" + re.escape(unit), "", fmt, count=1)
    output = _number_to_format(value * scale, fmt)
    if ")" in output:
        return output[:-1] + space + unit + output[-1:]
    return output + space + unit


def _format_bps(value: float, fmt: str) -> str:
    return _format_scaled(value, fmt, 10000, "BPS")


def _format_bytes(value: float, fmt: str) -> str:
    suffixes, base = (BYTE_SUFFIXES_BINARY, 1024) if "ib" in fmt else (BYTE_SUFFIXES_DECIMAL, 1000)
    suffix = " " if (" b" in fmt or " ib" in fmt) else ""
    fmt = re.sub(r"\s?i?b", "", fmt, count=1)
    for power in range(len(suffixes) + 1):
        low = js_pow(base, power)
        high = js_pow(base, power + 1)
        if value == 0 or low <= value < high:
            # numeral indexes one past its table for huge values and prints "undefined".
            suffix += suffixes[power] if power < len(suffixes) else "undefined"
            if low > 0:
                value = value / low
            break
    return _number_to_format(value, fmt) + suffix


def _format_currency(value: float, fmt: str) -> str:
    before_match = re.match(r"[+|\-(\s$]*", fmt)
    after_match = re.search(r"[+|\-)\s$]*$", fmt)
    before = before_match.group(0) if before_match else ""
    after = after_match.group(0) if after_match else ""
    fmt = re.sub(r"\s?\$\s?", "", fmt, count=1)
    output = _number_to_format(value, fmt)
    if value >= 0:
        before = re.sub(r"[\-(]", "", before, count=1)
        after = re.sub(r"[\-)]", "", after, count=1)
    elif value < 0 and "-" not in before and "(" not in before:
        before = "-" + before

    def insert(text: str, sub: str, start: int) -> str:
        return text[:start] + sub + text[start:]

    for i, symbol in enumerate(before):
        if symbol == "$":
            output = insert(output, "$", i)
        elif symbol == " ":
            output = insert(output, " ", i)
    for i in range(len(after) - 1, -1, -1):
        symbol = after[i]
        last = i == len(after) - 1
        if symbol == "$":
            output = output + "$" if last else insert(output, "$", -(len(after) - (1 + i)))
        elif symbol == " ":
            output = output + " " if last else insert(output, " ", -(len(after) - (1 + i)))
    return output


def _format_exponential(value: float, fmt: str) -> str:
    parts = ("0e+0" if math.isnan(value) else js_to_exponential(value)).split("e")
    fmt = re.sub(r"e[+|\-]0", "", fmt, count=1)
    output = _number_to_format(js_to_number(parts[0]), fmt)
    return output + "e" + (parts[1] if len(parts) > 1 else "undefined")


def _ordinal(number: float) -> str:
    if not math.isfinite(number):
        return "th"
    last = math.fmod(number, 10)
    if int(math.fmod(number, 100) / 10) == 1:
        return "th"
    return {1.0: "st", 2.0: "nd", 3.0: "rd"}.get(last, "th")


def _format_ordinal(value: float, fmt: str) -> str:
    ordinal = (" " if " o" in fmt else "") + _ordinal(value)
    fmt = re.sub(r"\s?o", "", fmt, count=1)
    return _number_to_format(value, fmt) + ordinal


def _format_percentage(value: float, fmt: str) -> str:
    return _format_scaled(value, fmt, 100, "%")


def _format_time(value: float, fmt: str) -> str:
    if not math.isfinite(value):
        return "NaN:NaN:NaN"
    hours = math.floor(value / 60 / 60)
    minutes = math.floor((value - (hours * 60 * 60)) / 60)
    seconds = js_round(value - (hours * 60 * 60) - (minutes * 60))

    def two(n: float) -> str:
        text = js_number_to_string(float(n))
        return "0" + text if n < 10 else text

    return js_number_to_string(float(hours)) + ":" + two(minutes) + ":" + two(seconds)


# In numeral's registration order: the first whose pattern matches the format wins.
_FORMATTERS: tuple[tuple[re.Pattern[str], Callable[[float, str], str]], ...] = (
    (re.compile(r"BPS"), _format_bps),
    (re.compile(r"[0\s]i?b"), _format_bytes),
    (re.compile(r"\$"), _format_currency),
    (re.compile(r"e\+|e-"), _format_exponential),
    (re.compile(r"o"), _format_ordinal),
    (re.compile(r"%"), _format_percentage),
    (re.compile(r":"), _format_time),
)

DEFAULT_FORMAT = "0,0"


def format_number(value: Any, fmt: Any = None) -> str:
    """``numeral(value).format(fmt)`` with numeral's default options.

    An empty or missing `fmt` uses numeral's default format "0,0".
    """
    number = to_numeral_value(value)
    fmt_text = js_string(fmt) if fmt not in (None, "", 0, False) else DEFAULT_FORMAT
    # Formatters do arithmetic on null as JS does, where null behaves as 0.
    numeric = 0.0 if number is None else number
    for pattern, formatter in _FORMATTERS:
        if pattern.search(fmt_text):
            return formatter(numeric, fmt_text)
    return _number_to_format(numeric, fmt_text)
