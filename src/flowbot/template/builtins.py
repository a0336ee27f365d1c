"""The comparison and logic helpers CLOSER registered: $eq $ne $lt $lte $gt $gte $and $or.

They receive raw JS values (`UNDEFINED` kept apart from None) so that
`($eq a null)` is as strict as JavaScript's `===`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from flowbot.template.jsvalues import js_string, less_than, strict_equals, truthy
from flowbot.template.runtime import get_prop

__all__ = ["BUILTIN_ARITY", "BUILTIN_HELPERS"]


def _eq(a: Any, b: Any) -> bool:
    return strict_equals(a, b)


def _ne(a: Any, b: Any) -> bool:
    return not strict_equals(a, b)


def _lt(a: Any, b: Any) -> bool:
    return less_than(a, b) is True


def _gt(a: Any, b: Any) -> bool:
    return less_than(b, a) is True


def _lte(a: Any, b: Any) -> bool:
    # JS: a <= b is false when either side is NaN, else !(b < a).
    return less_than(b, a) is False


def _gte(a: Any, b: Any) -> bool:
    return less_than(a, b) is False


def _and(*values: Any) -> Any:
    """JS `a && b && …`: the first falsy value, else the last."""
    for value in values[:-1]:
        if not truthy(value):
            return value
    return values[-1]


def _or(*values: Any) -> Any:
    """JS `a || b || …`: the first truthy value, else the last."""
    for value in values[:-1]:
        if truthy(value):
            return value
    return values[-1]


def _lookup(obj: Any, field: Any) -> Any:
    """Handlebars' `lookup`: `obj && obj[field]`."""
    if not truthy(obj):
        return obj
    return get_prop(obj, field if isinstance(field, str) else js_string(field))


BUILTIN_HELPERS: Final[dict[str, Callable[..., Any]]] = {
    "$eq": _eq,
    "$ne": _ne,
    "$lt": _lt,
    "$lte": _lte,
    "$gt": _gt,
    "$gte": _gte,
    "$and": _and,
    "$or": _or,
    "lookup": _lookup,
}

# (minimum, maximum) number of arguments; None: no maximum.
BUILTIN_ARITY: Final[dict[str, tuple[int, int | None]]] = {
    "$eq": (2, 2),
    "$ne": (2, 2),
    "$lt": (2, 2),
    "$lte": (2, 2),
    "$gt": (2, 2),
    "$gte": (2, 2),
    "$and": (1, None),
    "$or": (1, None),
    "lookup": (2, 2),
}
