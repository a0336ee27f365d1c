"""CLOSER's template helper functions (SPEC §5): RAND JOSA QUOTE ESCAPE FORMAT TRUNCATE DATE MASK.

Each helper takes already-evaluated arguments as Python values that mirror JS
values (None for null/undefined, str, int/float, bool, list, dict) and returns
the value to print. Like JS functions they ignore surplus arguments, and a
missing argument is None.

``HELPERS`` reads the turn's clock and generator
(`flowbot.template.environment`, set by the engine from its `Ports`): the
system clock and a module-level ``random.Random`` when no turn set them
(seed that with ``seed_random``). ``make_helpers(clock=..., rng=...)``
builds a table with a fixed clock and generator instead.
"""

from __future__ import annotations

import math
import random
import urllib.parse
from collections.abc import Callable
from typing import Any

from flowbot.template import environment
from flowbot.template.josa import attach_josa
from flowbot.template.jsnumbers import js_is_blank, js_to_locale_string, js_to_number
from flowbot.template.jsvalues import js_string
from flowbot.template.masking import mask
from flowbot.template.moment import format_date
from flowbot.template.numeral import format_number

__all__ = [
    "HELPERS",
    "Clock",
    "HelperError",
    "escape_uri_component",
    "format_value",
    "make_helpers",
    "quote_string",
    "seed_random",
    "truncate",
]

# Milliseconds since the Unix epoch, like JS Date.now().
Clock = Callable[[], float]

_random = environment._SHARED_RNG


class HelperError(ValueError):
    """A helper cannot produce a value from its arguments (e.g. a lone surrogate)."""


def seed_random(seed: int | str | None) -> None:
    """Seed the generator behind RAND in the shared ``HELPERS`` table."""
    _random.seed(seed)


system_clock = environment.system_clock


def _as_integer(value: Any) -> int | None:
    """The integer a RAND bound stands for, or None when it is not an integer."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and value.strip():
        number = js_to_number(value)
        return int(number) if math.isfinite(number) and number.is_integer() else None
    return None


def _rand(rng: random.Random, args: tuple[Any, ...]) -> Any:
    if not args:
        return None
    if len(args) == 2:
        low, high = _as_integer(args[0]), _as_integer(args[1])
        if low is not None and high is not None:
            return rng.randint(min(low, high), max(low, high))
    return rng.choice(args)


def quote_string(value: Any, quote: Any = '"') -> str:
    """`value` as a quoted JS/JSON string literal, for splicing into JSON payloads.

    CLOSER's QUOTE wraps the text in the quote character and backslash-escapes
    that character inside it. Backslashes and control characters are escaped
    too, so the result is always a valid literal (JSON with '"').
    """
    mark = quote if isinstance(quote, str) and quote in ('"', "'") else '"'
    out = [mark]
    for char in js_string(value):
        if char == mark or char == "\\":
            out.append("\\" + char)
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif ord(char) < 0x20 or char in "\u2028\u2029":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append(mark)
    return "".join(out)


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}

# encodeURIComponent leaves A-Z a-z 0-9 - _ . ! ~ * ' ( ) unescaped.
_URI_UNRESERVED = "-_.!~*'()"


def escape_uri_component(value: Any) -> str:
    """JS encodeURIComponent(String(value)); None encodes as ""."""
    text = js_string(value)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise HelperError("ESCAPE: the text contains a lone surrogate (URI malformed)") from exc
    return urllib.parse.quote(data, safe=_URI_UNRESERVED)


def truncate(value: Any, length: Any = None, omission: Any = None) -> str:
    """lodash _.truncate(text, {length, omission}): the result, omission included, fits `length`.

    `length` defaults to lodash's 30; `omission` defaults to nothing (CLOSER's
    guide: the default is ``''``, not lodash's "..."), so TRUNCATE(s, 10) is
    the first 10 characters. Lengths count code points (lodash counts astral
    characters as one as well).
    """
    text = js_string(value)
    limit = 30
    if length is not None:
        number = js_to_number(length) if isinstance(length, str) else float(length)
        limit = int(number) if math.isfinite(number) else 30
    tail = "" if omission is None else js_string(omission)
    if len(text) <= limit:
        return text
    end = limit - len(tail)
    if end < 1:
        return tail
    return text[:end] + tail


def _josa(noun: Any, particle: Any) -> str:
    return attach_josa(js_string(noun), js_string(particle))


def _number_in(value: Any) -> float | None:
    """The number FORMAT formats: a number, or a string JS `Number()` reads as one.

    None for anything else (text, "", null, booleans, arrays, objects).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str) and not js_is_blank(value):
        number = js_to_number(value)
        return None if math.isnan(number) else number
    return None


def format_value(value: Any = None, option: Any = None) -> Any:
    """FORMAT(value, option?) as CLOSER's guide states it.

    A number, or a string holding one ("01234.5" is 1234.5), is printed with
    JS `toLocaleString()` when there is no `option` ("1,234.5") and with
    Numeral.js' `format(option)` otherwise. Anything else comes back unchanged:
    plain text prints as it is, a missing value prints nothing.
    """
    number = _number_in(value)
    if number is None:
        return value
    if option is None or option == "":
        return js_to_locale_string(number)
    return format_number(number, option)


def _format(value: Any = None, option: Any = None, *_: Any) -> Any:
    return format_value(value, option)


def _mask(text: Any = None, schedule: Any = None, *_: Any) -> str:
    """MASK(text, schedule?): `text` shown to the user, starred in stored logs.

    The text is wrapped in the markers of `flowbot.template.masking`; the
    engine removes them from the replies it returns and stars the span in the
    copy meant for transcripts and event webhooks. `schedule` ("star the logs
    after this delay") is accepted and ignored: the logs are starred at once,
    which is stricter and never leaks (rewriting stored transcripts later
    would need a background job).
    """
    return mask(js_string(text))


def make_helpers(
    *, clock: Clock | None = None, rng: random.Random | None = None
) -> dict[str, Callable[..., Any]]:
    """A helper table whose DATE reads `clock` and whose RAND draws from `rng`.

    Without them, the turn's (see the module docstring).
    """
    now = environment.current_clock if clock is None else clock

    def rand(*args: Any) -> Any:
        return _rand(environment.current_rng() if rng is None else rng, args)

    def josa(noun: Any = None, particle: Any = None, *_: Any) -> str:
        return _josa(noun, particle)

    def quote(value: Any = None, mark: Any = '"', *_: Any) -> str:
        return quote_string(value, '"' if mark is None else mark)

    def escape(value: Any = None, *_: Any) -> str:
        return escape_uri_component(value)

    def truncate_helper(
        value: Any = None, length: Any = None, omission: Any = None, *_: Any
    ) -> str:
        return truncate(value, length, omission)

    def date(value: Any = None, fmt: Any = None, tz: Any = None, *_: Any) -> str:
        return format_date(value, fmt, tz, now=now, milliseconds=True)

    return {
        "RAND": rand,
        "JOSA": josa,
        "QUOTE": quote,
        "ESCAPE": escape,
        "FORMAT": _format,
        "TRUNCATE": truncate_helper,
        "DATE": date,
        "MASK": _mask,
    }


HELPERS: dict[str, Callable[..., Any]] = make_helpers()
