"""Compiling paths (`a.b[0].c`, `../x`, `@index`, `@root.a`) into lookup closures.

Lookups follow handlebars.js: each step reads a property of the previous
value, a null or undefined value ends the walk and is the result, and a
top-level name missing from the context is looked up in `params` (CLOSER).
The common case — a plain path on the current context — gets a closure with
no loops over depth or data frames.
"""

from __future__ import annotations

import re
from typing import Any, Final

from flowbot.template.ast import PathExpr
from flowbot.template.jsnumbers import js_number_to_string
from flowbot.template.jsvalues import UNDEFINED, js_string
from flowbot.template.runtime import Env, Eval, IndexPart, Render, get_prop, root_get

__all__ = ["compile_path", "compile_path_text"]

_RANGE: Final = re.compile(r"(\d+)\.\.(\d+)\Z")
_SAFE: Final = 2**53

# The array an expansion path iterates, and its index range (None: every index).
Expansion = tuple[Eval, int | None, int | None]


def compile_path(node: PathExpr, *, expand: bool) -> tuple[Eval, Expansion | None]:
    """A closure evaluating `node`, and for `arr[i]`/`arr[0..5]` paths the expansion it drives."""
    parts: list[str | IndexPart] = list(node.parts)
    expansion: Expansion | None = None
    if expand:
        for position, (part, bracketed) in enumerate(zip(node.parts, node.bracketed, strict=True)):
            range_match = _RANGE.match(part)
            if not bracketed or (part != "i" and range_match is None):
                continue
            parts[position] = IndexPart(part)
            if expansion is None:
                prefix = PathExpr(
                    node.parts[:position],
                    node.bracketed[:position],
                    node.original,
                    node.start,
                    data=node.data,
                    depth=node.depth,
                    scoped=node.scoped,
                )
                array = _compile_plain(prefix, list(prefix.parts))
                if range_match is None:
                    expansion = (array, None, None)
                else:
                    expansion = (array, int(range_match[1]), int(range_match[2]))
    if any(isinstance(part, IndexPart) for part in parts):
        return _indexed_lookup(node, tuple(parts)), expansion
    return _compile_plain(node, parts), expansion


def _compile_plain(node: PathExpr, parts: list[str | IndexPart]) -> Eval:
    keys = tuple(str(part) for part in parts)
    if keys and keys[0] == "":
        # handlebars.js compiles a path whose first name is empty (`[]`, `@[]`)
        # as the context itself and ignores the rest.
        return _depth_lookup(node.depth, ()) if node.depth else _this
    if node.data:
        return _data_lookup(node.depth, keys)
    if node.depth:
        return _depth_lookup(node.depth, keys)
    if not keys:
        return _this
    return _context_lookup(keys[0], keys[1:])


def _this(ctx: Any, env: Env) -> Any:
    return ctx


def _walk(value: Any, keys: tuple[str, ...]) -> Any:
    for key in keys:
        if type(value) is dict:
            value = value.get(key, UNDEFINED)
        elif value is None or value is UNDEFINED:
            return value
        else:
            value = get_prop(value, key)
    return value


def _first_step(base: Any, key: str, env: Env) -> Any:
    if base is env.root:
        return root_get(base, key)
    return get_prop(base, key)


def _context_lookup(first: str, rest: tuple[str, ...]) -> Eval:
    if not rest:

        def lookup_one(ctx: Any, env: Env) -> Any:
            if type(ctx) is dict:
                value = ctx.get(first, UNDEFINED)
                if value is UNDEFINED and ctx is env.root:
                    return root_get(ctx, first)
                return value
            return _first_step(ctx, first, env)

        return lookup_one

    def lookup(ctx: Any, env: Env) -> Any:
        if type(ctx) is dict:
            value = ctx.get(first, UNDEFINED)
            if value is UNDEFINED and ctx is env.root:
                value = root_get(ctx, first)
        else:
            value = _first_step(ctx, first, env)
        for key in rest:
            if type(value) is dict:
                value = value.get(key, UNDEFINED)
            elif value is None or value is UNDEFINED:
                return value
            else:
                value = get_prop(value, key)
        return value

    return lookup


def _depth_lookup(depth: int, keys: tuple[str, ...]) -> Eval:
    def lookup(ctx: Any, env: Env) -> Any:
        scope: Env | None = env
        for _ in range(depth):
            scope = scope.up if scope is not None else None
        if scope is None:
            return UNDEFINED
        base = scope.ctx
        if not keys:
            return base
        if base is None or base is UNDEFINED:
            return base
        return _walk(_first_step(base, keys[0], env), keys[1:])

    return lookup


def _data_lookup(depth: int, keys: tuple[str, ...]) -> Eval:
    name, rest = keys[0], keys[1:]

    def lookup(ctx: Any, env: Env) -> Any:
        frame = env.data
        for _ in range(depth):
            if frame.parent is None:
                return UNDEFINED
            frame = frame.parent
        value = frame.get(name)
        if not rest or value is None or value is UNDEFINED:
            return value
        return _walk(_first_step(value, rest[0], env), rest[1:])

    return lookup


def _indexed_lookup(node: PathExpr, parts: tuple[str | IndexPart, ...]) -> Eval:
    """A path through the expansion index; slower, used only inside expanded items."""
    depth, data = node.depth, node.data

    def lookup(ctx: Any, env: Env) -> Any:
        keys = [
            (str(env.index) if env.index is not None else part.text)
            if isinstance(part, IndexPart)
            else part
            for part in parts
        ]
        if data:
            return _data_lookup(depth, tuple(keys))(ctx, env)
        if depth:
            return _depth_lookup(depth, tuple(keys))(ctx, env)
        if not keys:
            return ctx
        if ctx is None or ctx is UNDEFINED:
            return ctx
        return _walk(_first_step(ctx, keys[0], env), tuple(keys[1:]))

    return lookup


def compile_path_text(node: PathExpr) -> Render | None:
    """For `{{a.b}}` and `{{@index}}`: one closure that looks up and prints.

    Mustaches are most of a template's work, so the common shapes skip the
    extra call a separate lookup and print would cost. None: no shortcut.
    """
    if node.depth or not node.parts or node.parts[0] == "":
        return None
    if node.data:
        if len(node.parts) == 1 and node.parts[0] in ("index", "key", "first", "last"):
            name = node.parts[0]

            def print_data(ctx: Any, env: Env) -> str:
                value = getattr(env.data, name)
                return value if type(value) is str else js_string(value)

            return print_data
        return None
    first, rest = node.parts[0], tuple(node.parts[1:])
    if not rest:

        def print_name(ctx: Any, env: Env) -> str:
            if type(ctx) is dict:
                value = ctx.get(first, UNDEFINED)
                if value is UNDEFINED and ctx is env.root:
                    value = root_get(ctx, first)
            else:
                value = _first_step(ctx, first, env)
            kind = type(value)
            if kind is str:
                return value  # type: ignore[no-any-return]
            if kind is int and -_SAFE < value < _SAFE:
                return str(value)
            if kind is float:
                return js_number_to_string(value)
            return js_string(value)

        return print_name

    def print_path(ctx: Any, env: Env) -> str:
        if type(ctx) is dict:
            value = ctx.get(first, UNDEFINED)
            if value is UNDEFINED and ctx is env.root:
                value = root_get(ctx, first)
        else:
            value = _first_step(ctx, first, env)
        for key in rest:
            if type(value) is dict:
                value = value.get(key, UNDEFINED)
            elif value is None or value is UNDEFINED:
                return ""
            else:
                value = get_prop(value, key)
        kind = type(value)
        if kind is str:
            return value  # type: ignore[no-any-return]
        if kind is int and -_SAFE < value < _SAFE:
            return str(value)
        if kind is float:
            return js_number_to_string(value)
        return js_string(value)

    return print_path
