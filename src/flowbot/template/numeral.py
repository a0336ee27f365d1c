"""Numeral.js 2.0.6 number formatting, reproduced byte for byte (English locale).

CLOSER's ``FORMAT(value, fmt)`` is ``numeral(value).format(fmt)``. Numeral does
its arithmetic on JS doubles and goes through JS string conversions
(``Number#toString``, ``Number#toFixed``, ``Math.round("1.005e+2")``), and its
output depends on those quirks, so this module re-creates the JS primitives
first (``js_number_to_string``, ``js_to_number``, ``js_round``, ``js_to_fixed``)
and then follows numeral's algorithm step by step. The differential tests in
tests/template/test_numeral_differential.py hold it to the real library.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

__all__ = [
    "format_number",
    "js_number_to_string",
    "js_round",
    "js_to_fixed",
    "js_to_number",
    "to_numeral_value",
]

# Value numeral keeps after parsing its input: a double, or None for null.
NumeralValue = float | None

# ---------------------------------------------------------------------------
# JS number primitives


def _shortest_digits(x: float) -> tuple[str, int]:
    """Digits and decimal exponent n of a positive finite double: x = 0.d1d2… × 10^n.

    Python's repr and ECMAScript's Number#toString both produce the shortest
    digit string that round-trips, so the digits are the same.
    """
    _sign, digits, exponent = Decimal(repr(x)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(str(d) for d in digits)
    return text, len(text) + exponent


def js_number_to_string(x: float) -> str:
    """ECMAScript Number::toString(x) for radix 10."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0"
    if x < 0:
        return "-" + js_number_to_string(-x)
    s, n = _shortest_digits(x)
    k = len(s)
    if k <= n <= 21:
        return s + "0" * (n - k)
    if 0 < n <= 21:
        return s[:n] + "." + s[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + s
    exp = n - 1
    exp_text = ("+" if exp >= 0 else "-") + str(abs(exp))
    if k == 1:
        return s + "e" + exp_text
    return s[0] + "." + s[1:] + "e" + exp_text


# ECMAScript StrWhiteSpaceChar: WhiteSpace and LineTerminator code points.
_JS_SPACE = (
    "\t\n\v\f\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
_JS_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_JS_RADIX = re.compile(r"0([xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)", re.ASCII)


def js_to_number(text: str) -> float:
    """ECMAScript ToNumber applied to a string (``Number("…")``)."""
    s = text.strip(_JS_SPACE)
    if not s:
        return 0.0
    if _JS_DECIMAL.fullmatch(s):
        try:
            return float(s)
        except OverflowError:  # pragma: no cover - float() returns inf instead
            return math.inf
    if s in ("Infinity", "+Infinity"):
        return math.inf
    if s == "-Infinity":
        return -math.inf
    m = _JS_RADIX.fullmatch(s)
    if m:
        base = {"x": 16, "o": 8, "b": 2}[m.group(1)[0].lower()]
        return float(int(m.group(1)[1:], base))
    return math.nan


def js_round(x: float) -> float:
    """Math.round: nearest integer, halves go towards +Infinity."""
    if not math.isfinite(x) or x == 0:
        return x
    floor = math.floor(x)
    result = float(floor + 1) if x - floor >= 0.5 else float(floor)
    if result == 0 and x < 0:
        return -0.0
    return result


# Enough digits for any double below 1e21 with up to 100 decimals: quantize never rounds early.
_EXACT = Context(prec=1200)


def js_to_fixed(x: float, digits: int) -> str:
    """Number#toFixed: exact binary value rounded half-up to `digits` places."""
    if math.isnan(x):
        return "NaN"
    if abs(x) >= 1e21 or math.isinf(x):
        return js_number_to_string(x)
    quantum = Decimal(1).scaleb(-digits)
    rounded = Decimal(x).copy_abs().quantize(quantum, rounding=ROUND_HALF_UP, context=_EXACT)
    text = f"{rounded:f}"
    # toFixed takes the sign from x itself (so -0 prints "0", -0.001 prints "-0.00").
    return "-" + text if x < 0 else text


def _js_string(value: Any) -> str:
    """ECMAScript ToString for the JSON-like values templates pass around."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return js_number_to_string(float(value))
    if isinstance(value, list):
        return ",".join("" if v is None else _js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def _to_number(value: Any) -> float:
    """ECMAScript ToNumber for JSON-like values (``Number(value)``)."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return js_to_number(value)
    if isinstance(value, list):
        return js_to_number(_js_string(value))
    return math.nan


def _pow(base: float, exponent: int) -> float:
    return float(base) ** exponent


# ---------------------------------------------------------------------------
# numeral(input): turning the input into a value

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
            value *= _pow(10, power)
            break
    dashes = text.count("-") + 1
    parens = min(text.count("("), text.count(")"))
    value *= 1 if (dashes + parens) % 2 else -1
    value *= js_to_number(re.sub(r"[^0-9.]+", "", text))
    return value


def _multiplier(x: float) -> float:
    parts = js_number_to_string(x).split(".")
    return 1.0 if len(parts) < 2 else _pow(10, len(parts[1]))


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


_BYTE_SUFFIXES_DECIMAL = ("B", "KB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB")
_BYTE_SUFFIXES_BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB")


def _unformat_bytes(text: str) -> NumeralValue:
    value = _string_to_number(text)
    if value:
        multiplier = None
        for power in range(len(_BYTE_SUFFIXES_DECIMAL) - 1, -1, -1):
            if _BYTE_SUFFIXES_DECIMAL[power] in text:
                multiplier = _pow(1000, power)
                break
            if _BYTE_SUFFIXES_BINARY[power] in text:
                multiplier = _pow(1024, power)
                break
        value *= multiplier or 1
    return value


def _unformat_bps(text: str) -> NumeralValue:
    number = _string_to_number(text)
    return js_to_number(js_to_fixed(_to_number(number) * 0.0001, 15))


def _unformat_percentage(text: str) -> NumeralValue:
    number = _string_to_number(text)
    return _to_number(number) * 0.01


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
    number = _to_number(value)
    return None if number == 0 or math.isnan(number) else number


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
    power = _pow(10, bounded)
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


def _format_bps(value: float, fmt: str) -> str:
    space = " " if " BPS" in fmt else ""
    fmt = re.sub(r"\s?BPS", "", fmt, count=1)
    output = _number_to_format(value * 10000, fmt)
    if ")" in output:
        return output[:-1] + space + "BPS" + output[-1:]
    return output + space + "BPS"


def _format_bytes(value: float, fmt: str) -> str:
    suffixes, base = (
        (_BYTE_SUFFIXES_BINARY, 1024) if "ib" in fmt else (_BYTE_SUFFIXES_DECIMAL, 1000)
    )
    suffix = " " if (" b" in fmt or " ib" in fmt) else ""
    fmt = re.sub(r"\s?i?b", "", fmt, count=1)
    for power in range(len(suffixes) + 1):
        low = _pow(base, power)
        high = _pow(base, power + 1)
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


def _js_to_exponential(x: float) -> str:
    """Number#toExponential() without a digit count: shortest round-trip digits."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "0e+0"
    sign = "-" if x < 0 else ""
    s, n = _shortest_digits(abs(x))
    exp = n - 1
    mantissa = s[0] + ("." + s[1:] if len(s) > 1 else "")
    return sign + mantissa + "e" + ("+" if exp >= 0 else "-") + str(abs(exp))


def _format_exponential(value: float, fmt: str) -> str:
    parts = ("0e+0" if math.isnan(value) else _js_to_exponential(value)).split("e")
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
    space = " " if " %" in fmt else ""
    fmt = re.sub(r"\s?%", "", fmt, count=1)
    output = _number_to_format(value * 100, fmt)
    if ")" in output:
        return output[:-1] + space + "%" + output[-1:]
    return output + space + "%"


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
    fmt_text = _js_string(fmt) if fmt not in (None, "", 0, False) else DEFAULT_FORMAT
    # Formatters do arithmetic on null as JS does, where null behaves as 0.
    numeric = 0.0 if number is None else number
    for pattern, formatter in _FORMATTERS:
        if pattern.search(fmt_text):
            return formatter(numeric, fmt_text)
    return _number_to_format(numeric, fmt_text)
