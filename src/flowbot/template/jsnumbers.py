"""The ECMAScript number primitives numeral.js's output depends on.

Numeral does its arithmetic on JS doubles and goes through JS string
conversions (``Number#toString``, ``Number#toFixed``, ``Number#toExponential``,
``Math.round("1.005e+2")``), so these re-create them exactly for the
JSON-like values templates pass around.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Context, Decimal

__all__ = [
    "js_is_blank",
    "js_number_to_string",
    "js_pow",
    "js_round",
    "js_to_exponential",
    "js_to_fixed",
    "js_to_locale_string",
    "js_to_number",
]


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
    if -1e16 < x < 1e16:
        if x.is_integer():
            return str(int(x))
        text = repr(x)
        if "e" not in text:
            # Python prints 1e-4 <= |x| < 1e16 in plain notation with the same
            # shortest digits as JS, which only switches notation outside 1e-7..1e21.
            return text
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


def js_is_blank(text: str) -> bool:
    """Whether `text` is only JS white space (which ``Number()`` reads as 0)."""
    return not text.strip(_JS_SPACE)


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


_THOUSANDS = re.compile(r"(\d)(?=(\d{3})+$)", re.ASCII)
_LOCALE_QUANTUM = Decimal("0.001")


def js_to_locale_string(x: float) -> str:
    """Number#toLocaleString() as en-US (and ko-KR alike) print it.

    Intl.NumberFormat's defaults: a comma every three integer digits, at most
    three decimals, trailing zeros dropped. ICU rounds the shortest round-trip
    digits (the ones Number#toString shows), halves away from zero, so 1.0005
    prints "1.001" although the double lies just below it; a negative number
    that rounds to zero keeps its sign ("-0"), like -0 itself.
    """
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    negative = x < 0 or (x == 0 and math.copysign(1.0, x) < 0)
    digits = Decimal(repr(abs(x)))
    rounded = digits.quantize(_LOCALE_QUANTUM, rounding=ROUND_HALF_UP, context=_EXACT)
    integer, _, fraction = f"{rounded:f}".partition(".")
    fraction = fraction.rstrip("0")
    text = _THOUSANDS.sub(r"\1,", integer) + ("." + fraction if fraction else "")
    return "-" + text if negative else text


def js_pow(base: float, exponent: int) -> float:
    """`base` to the power `exponent` in double arithmetic."""
    return float(base) ** exponent


def js_to_exponential(x: float) -> str:
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
