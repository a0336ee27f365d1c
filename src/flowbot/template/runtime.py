"""What compiled templates see while rendering: scopes, data frames, property access.

`Env` is handlebars.js' `depths` stack plus the `@data` frame: `Env.ctx` is
depths[0], `Env.up` the rest, so `../x` walks `up`; every env of one render
shares that render's `Budget` (`flowbot.template.limits`). `Frame` holds
`@index`, `@key`, `@first`, `@last` and `@root`; like `createFrame` it copies
its parent and keeps a link to it for `@../index`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, TypeAlias

from flowbot.template.jsvalues import UNDEFINED, loose_equals
from flowbot.template.limits import Budget

__all__ = [
    "Env",
    "Eval",
    "Frame",
    "IndexPart",
    "Render",
    "get_prop",
    "js_keys",
    "new_env",
    "root_get",
    "with_context",
]


class Frame:
    __slots__ = ("first", "index", "key", "last", "parent", "root")

    def __init__(self, parent: Frame | None, root: Any = UNDEFINED) -> None:
        self.parent = parent
        if parent is None:
            self.root: Any = root
            self.index: Any = UNDEFINED
            self.key: Any = UNDEFINED
            self.first: Any = UNDEFINED
            self.last: Any = UNDEFINED
        else:
            self.root = parent.root
            self.index = parent.index
            self.key = parent.key
            self.first = parent.first
            self.last = parent.last

    def get(self, name: str) -> Any:
        if name in Frame._NAMES:
            return getattr(self, name)
        return UNDEFINED

    _NAMES: Final = frozenset({"first", "index", "key", "last", "root"})


class Env:
    __slots__ = ("budget", "ctx", "data", "index", "root", "up")

    def __init__(
        self, ctx: Any, up: Env | None, data: Frame, root: Any, index: int | None, budget: Budget
    ) -> None:
        self.ctx = ctx
        self.up = up
        self.data = data
        self.root = root
        # The element index bound by array expansion (`[i]`), if any.
        self.index = index
        self.budget = budget


# A compiled expression and a compiled statement/program.
Eval: TypeAlias = Callable[[Any, Env], Any]
# A Render returns the raw JS value of its output (see assemble.py), never null.
Render: TypeAlias = Callable[[Any, Env], Any]


class IndexPart:
    """A path part that stands for the array-expansion index (`[i]`, `[0..5]`).

    Outside an expanded item it is the literal property name it was written as.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"[{self.text}]"


def new_env(context: Any, index: int | None = None, budget: Budget | None = None) -> Env:
    """The env of a new render; `budget` None: a fresh one."""
    budget = Budget() if budget is None else budget
    return Env(context, None, Frame(None, context), context, index, budget)


def with_context(env: Env, context: Any, data: Frame) -> Env:
    """The env a block program runs in (handlebars.js `wrapProgram`).

    A new depth is pushed only when the context differs (JS `!=`) from the
    current one, so `../` skips blocks like #if that keep the context.
    """
    current = env.ctx
    if context is current or (
        type(context) not in (dict, list)
        and type(current) not in (dict, list)
        and loose_equals(context, current)
    ):
        if data is env.data:
            return env
        return Env(current, env.up, data, env.root, env.index, env.budget)
    return Env(context, env, data, env.root, env.index, env.budget)


def _array_index(key: str) -> int | None:
    # JS array indices are canonical numeric strings: "1" yes, "01" and "-1" no.
    if key.isdigit() and key.isascii() and (key == "0" or key[0] != "0"):
        return int(key)
    return None


def get_prop(value: Any, key: Any) -> Any:
    """JS `value[key]` for JSON-like values (own data properties, plus `length`)."""
    kind = type(value)
    if kind is dict:
        return value.get(key, UNDEFINED)
    if value is None or value is UNDEFINED:
        return value
    if isinstance(key, int):
        key = str(key)
    if kind is list or kind is tuple:
        if key == "length":
            return len(value)
        index = _array_index(key)
        return value[index] if index is not None and index < len(value) else UNDEFINED
    if kind is str:
        return _string_prop(value, key)
    if isinstance(value, Mapping):
        return value.get(key, UNDEFINED)
    return UNDEFINED


def _string_prop(text: str, key: str) -> Any:
    units = text if text.isascii() or max(text) <= "\uffff" else None
    if units is None:
        encoded = text.encode("utf-16-le", "surrogatepass")
        if key == "length":
            return len(encoded) // 2
        index = _array_index(key)
        if index is None or index * 2 >= len(encoded):
            return UNDEFINED
        return encoded[index * 2 : index * 2 + 2].decode("utf-16-le", "surrogatepass")
    if key == "length":
        return len(units)
    index = _array_index(key)
    return units[index] if index is not None and index < len(units) else UNDEFINED


def root_get(root: Any, key: Any) -> Any:
    """A top-level name: the context's own key, else the same key in `params`."""
    value = get_prop(root, key)
    if value is UNDEFINED and isinstance(root, Mapping):
        params = root.get("params")
        if isinstance(params, Mapping):
            return params.get(key, UNDEFINED)
    return value


def js_keys(obj: Mapping[str, Any]) -> list[Any]:
    """Keys in JS `for…in` order: array-index keys ascending, then the rest as inserted."""
    keys = list(obj)
    numeric = [k for k in keys if isinstance(k, str) and _array_index(k) is not None]
    if not numeric:
        return keys
    numeric.sort(key=int)
    return numeric + [k for k in keys if not (isinstance(k, str) and _array_index(k) is not None)]
