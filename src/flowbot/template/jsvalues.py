"""JavaScript value semantics for template contexts.

Templates ran in handlebars.js, so printing, truthiness, equality and ordering
follow JavaScript for the JSON-like Python values of a context: ``None`` is
``null``, ``UNDEFINED`` is ``undefined`` (a missing property), dicts and other
mappings are objects, lists and tuples are arrays, bool/int/float/str are the
primitives.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

from flowbot.template.jsnumbers import js_number_to_string
from flowbot.template.jsnumbers import js_to_number as string_to_number

__all__ = [
    "JS_WHITESPACE",
    "UNDEFINED",
    "TextObject",
    "Undefined",
    "is_empty",
    "js_number_to_string",
    "js_string",
    "js_to_number",
    "less_than",
    "loose_equals",
    "strict_equals",
    "to_python",
    "truthy",
]


class Undefined:
    """JS `undefined`: what a missing property evaluates to (prints as "")."""

    _instance: Undefined | None = None

    def __new__(cls) -> Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "undefined"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Final = Undefined()

# JS `\s`: what the Handlebars lexer and whitespace rules mean by whitespace.
# Python's `\s` differs (it has \x1c-\x1f and \x85, lacks \ufeff).
JS_WHITESPACE: Final = "\t\n\x0b\x0c\r \xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"

_MAX_SAFE_INT: Final = 2**53


def to_python(value: Any) -> Any:
    """The value a helper function receives: `undefined` becomes None."""
    return None if value is UNDEFINED else value


class TextObject(dict[str, Any]):
    """An object that prints as its `text`, as CLOSER's message object does.

    CLOSER exports write `{{message}}` where they mean the user's text (the
    pingpong fetch export sends `{"query": "{{message}}"}`), while
    `{{message.payload.flowId}}` reads into it: its `toString()` is the text.
    """

    __slots__ = ()


def js_string(value: Any) -> str:
    """JS `String(value)`, except that null and undefined print as "" (Handlebars)."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is int:
        if -_MAX_SAFE_INT < value < _MAX_SAFE_INT:
            return str(value)
        return js_number_to_string(_int_to_float(value))
    if kind is float:
        return js_number_to_string(value)
    if value is None or value is UNDEFINED:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if isinstance(value, Mapping):
        if kind is TextObject:
            text = value.get("text")
            return "" if text is None else js_string(text)
        return "[object Object]"
    if isinstance(value, list | tuple):
        return ",".join(js_string(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return js_string(int(value))
    if isinstance(value, float):
        return js_number_to_string(float(value))
    if isinstance(value, str):
        return str(value)
    return str(value)


def _int_to_float(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def truthy(value: Any) -> bool:
    """JS truthiness: false, 0, NaN, "", null and undefined are falsy; [] and {} are truthy."""
    if value is None or value is UNDEFINED or value is False:
        return False
    if isinstance(value, str):
        return value != ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == value and value != 0
    return True


def is_empty(value: Any) -> bool:
    """Handlebars `isEmpty`: falsy except 0, or an empty array."""
    if not truthy(value) and not _is_zero(value):
        return True
    return isinstance(value, list | tuple) and len(value) == 0


def _is_zero(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == 0


def _js_type(value: Any) -> str:
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def strict_equals(a: Any, b: Any) -> bool:
    """JS `a === b`."""
    kind = _js_type(a)
    if kind != _js_type(b):
        return False
    if kind == "object":
        return a is b
    if kind == "number":
        return float(a) == float(b)
    return bool(a == b)


def loose_equals(a: Any, b: Any) -> bool:
    """JS `a == b` (used where handlebars.js compares contexts with `!=`)."""
    ka, kb = _js_type(a), _js_type(b)
    if ka == kb:
        return strict_equals(a, b)
    if {ka, kb} <= {"null", "undefined"}:
        return True
    if "null" in (ka, kb) or "undefined" in (ka, kb):
        return False
    if ka == "object" and kb == "object":
        return a is b
    if ka == "object":
        return loose_equals(_to_primitive(a), b)
    if kb == "object":
        return loose_equals(a, _to_primitive(b))
    return js_to_number(a) == js_to_number(b)


def _to_primitive(value: Any) -> Any:
    if _js_type(value) == "object":
        return js_string(value)
    return value


def js_to_number(value: Any) -> float:
    """JS `Number(value)` (ToNumber) for primitives and JSON values."""
    if value is UNDEFINED:
        return math.nan
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, int | float):
        return _int_to_float(value) if isinstance(value, int) else value
    if isinstance(value, str):
        return string_to_number(value)
    return js_to_number(_to_primitive(value))


def _utf16_key(text: str) -> str | bytes:
    # JS compares strings by UTF-16 code units; Python by code points. They
    # only disagree when astral characters are involved.
    if text.isascii() or max(text) <= "\uffff":
        return text
    return text.encode("utf-16-be", "surrogatepass")


def less_than(a: Any, b: Any) -> bool | None:
    """JS abstract relational comparison `a < b`; None stands for `undefined` (NaN involved)."""
    pa, pb = _to_primitive(a), _to_primitive(b)
    if isinstance(pa, str) and isinstance(pb, str):
        ka, kb = _utf16_key(pa), _utf16_key(pb)
        if type(ka) is not type(kb):
            ka, kb = (
                pa.encode("utf-16-be", "surrogatepass"),
                pb.encode("utf-16-be", "surrogatepass"),
            )
        return ka < kb  # type: ignore[operator]
    na, nb = js_to_number(pa), js_to_number(pb)
    if na != na or nb != nb:
        return None
    return na < nb
