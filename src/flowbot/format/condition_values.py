"""How edge conditions read and compare context values (docs/format.md#conditions-where).

Context paths (`split_path` at compile time, `resolve_path` per evaluation,
`MISSING` for what is not there) and the semantics of each operator:
JS-like loose equality, `contains`, `exists`, numeric comparisons and regex
search (time-limited: `flowbot.format.js_regex`). The rules are listed in
`flowbot.format.conditions`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from flowbot.format.js_regex import JsRegex, RegexClock

__all__ = [
    "MISSING",
    "OPERATOR_TESTS",
    "ContextPath",
    "PathPart",
    "as_number",
    "loose_equals",
    "message_text",
    "regex_matches",
    "resolve_path",
    "split_path",
]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

PathPart = str | int
ContextPath = tuple[PathPart, ...]


# --- paths ---------------------------------------------------------------------

_PATH_TOKEN = re.compile(
    r"""
      \[\s*(?P<index>-?\d+)\s*\]          # [0]
    | \[\s*"(?P<dq>(?:[^"\\]|\\.)*)"\s*\] # ["key"]
    | \[\s*'(?P<sq>[^']*)'\s*\]           # ['key']
    | \.?(?P<name>[^.\[\]]+)              # name or .name
    | \.(?=\[)                            # the dot of a.[0]
    """,
    re.VERBOSE,
)


def split_path(path: str) -> ContextPath:
    """`a.b[0]["c.d"]` → ("a", "b", 0, "c.d"); raises ValueError on a malformed path."""
    if not path or path != path.strip():
        raise ValueError("a context path must be non-empty, without surrounding spaces")
    parts: list[PathPart] = []
    pos = 0
    while pos < len(path):
        if path[pos] == "." and pos == 0:
            raise ValueError(f"context path {path!r} starts with a dot")
        match = _PATH_TOKEN.match(path, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"malformed context path {path!r} at character {pos + 1}")
        if match.group("index") is not None:
            parts.append(int(match.group("index")))
        elif match.group("dq") is not None:
            parts.append(json.loads(f'"{match.group("dq")}"'))
        elif match.group("sq") is not None:
            parts.append(match.group("sq"))
        elif match.group("name") is not None:
            name = match.group("name")
            parts.append(int(name) if name.isdigit() and name.isascii() else name)
        pos = match.end()
    if path.endswith("."):
        raise ValueError(f"context path {path!r} ends with a dot")
    if not parts or not isinstance(parts[0], str):
        raise ValueError(f"context path {path!r} must start with a name")
    return tuple(parts)


def _step(value: Any, part: PathPart) -> Any:
    if isinstance(value, Mapping):
        return value.get(part if isinstance(part, str) else str(part), MISSING)
    if isinstance(value, list | tuple):
        if isinstance(part, int):
            return value[part] if -len(value) <= part < len(value) else MISSING
        if part == "length":
            return len(value)
        return MISSING
    if isinstance(value, str) and part == "length":
        return len(value)
    return MISSING


def resolve_path(context: Mapping[str, Any], parts: ContextPath) -> Any:
    """The value at `parts` in `context`, or `MISSING`; a missing top-level name looks in params."""
    head = parts[0]
    value = context.get(head, MISSING)  # type: ignore[arg-type]
    if value is MISSING:
        params = context.get("params")
        if isinstance(params, Mapping):
            value = params.get(head, MISSING)
    for part in parts[1:]:
        if value is MISSING:
            return MISSING
        value = _step(value, part)
    return value


def message_text(context: Mapping[str, Any]) -> Any:
    message = context.get("message", MISSING)
    if isinstance(message, Mapping):
        return message.get("text", MISSING)
    return message


# --- value semantics -----------------------------------------------------------

_NUMERIC = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def as_number(value: Any) -> int | float | None:
    # ints stay ints so that big integers compare exactly
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, str):
        text = value.strip()
        if _NUMERIC.fullmatch(text):
            if text.lstrip("+-").isdigit() and len(text) < 4000:  # int() refuses longer
                return int(text)
            return float(text)
    return None


def _js_text(value: Any) -> str | None:
    """The text JS would print for a scalar; None for null, objects and arrays."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return None


def loose_equals(left: Any, right: Any) -> bool:
    """Equality of `equals` (see the module docstring)."""
    if left is None or right is None or left is MISSING or right is MISSING:
        return (left is None or left is MISSING) and (right is None or right is MISSING)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    left_bool, right_bool = isinstance(left, bool), isinstance(right, bool)
    if left_bool or right_bool:
        if left_bool and right_bool:
            return bool(left == right)
        if isinstance(left, str) or isinstance(right, str):
            return _js_text(left) == _js_text(right)
        return False
    if isinstance(left, int | float | str) and isinstance(right, int | float | str):
        a, b = as_number(left), as_number(right)
        return a is not None and a == b
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(loose_equals(left[k], right[k]) for k in left)
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(map(loose_equals, left, right))
    return False


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list | tuple):
        return any(loose_equals(item, expected) for item in actual)
    if isinstance(actual, Mapping):
        key = _js_text(expected)
        return key is not None and key in actual
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        actual = _js_text(actual)
    if isinstance(actual, str):
        needle = _js_text(expected)
        return needle is not None and needle in actual
    return False


def _exists(actual: Any, expected: Any) -> bool:
    present = actual is not MISSING and actual is not None
    return present is expected


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    def test(actual: Any, expected: Any) -> bool:
        a, b = as_number(actual), as_number(expected)
        return a is not None and b is not None and compare(a, b)

    return test


def regex_matches(actual: Any, pattern: Any, clock: RegexClock | None = None) -> bool:
    """The `regex` operator; raises RegexTimeoutError past the time limits (see JsRegex.test)."""
    if isinstance(actual, bool) or not isinstance(actual, str | int | float):
        return False
    text = _js_text(actual)
    assert isinstance(pattern, JsRegex)
    return text is not None and pattern.test(text, clock)


OPERATOR_TESTS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "equals": loose_equals,
    "notEquals": lambda actual, expected: not loose_equals(actual, expected),
    "contains": _contains,
    "exists": _exists,
    "gt": _numeric(lambda a, b: a > b),
    "gte": _numeric(lambda a, b: a >= b),
    "lt": _numeric(lambda a, b: a < b),
    "lte": _numeric(lambda a, b: a <= b),
    "regex": regex_matches,
}
