"""Joining the outputs of a program's statements exactly as handlebars.js does.

With `noEscape`, handlebars.js 4.0.12 builds a program's output with the JS
`+` operator on the raw values of its statements: `{{a}}{{b}}` with a=1, b=2
prints "3", while `x{{a}}{{b}}` prints "x12" because the text makes the sum a
string from the start. Sections on a lone name (`{{#name}}…{{/name}}`) are
compiled to statements that do `buffer += value`, which groups the values
before them differently. This module reproduces that arithmetic; the common
case — a program that starts with text — is a plain string join.

A `Render` closure returns the raw value of its program (never null); the
template turns the final value into a string.
"""

from __future__ import annotations

from typing import Any, Final

from flowbot.template.jsvalues import js_string
from flowbot.template.runtime import Env, Render

__all__ = ["Piece", "assemble", "js_add", "text_of"]

_MAX_SAFE_INT: Final = 2**53


class Piece:
    """One statement's contribution: `raw` gives its JS value, `text` the same as a string.

    `static` is set for text; `buffered` marks a section on a lone name, which
    handlebars.js compiles to a `buffer +=` statement rather than an append.
    """

    __slots__ = ("buffered", "raw", "static", "text")

    def __init__(
        self, raw: Render, text: Render, *, static: str | None = None, buffered: bool = False
    ) -> None:
        self.raw = raw
        self.text = text
        self.static = static
        self.buffered = buffered

    @classmethod
    def of_text(cls, text: str) -> Piece:
        def constant(ctx: Any, env: Env) -> str:
            return text

        return cls(constant, constant, static=text)


def text_of(raw: Render) -> Render:
    """A closure giving `raw`'s value as a string."""

    def text(ctx: Any, env: Env) -> str:
        value = raw(ctx, env)
        return value if type(value) is str else js_string(value)

    return text


def js_add(left: Any, right: Any) -> Any:
    """JS `left + right` for non-null JSON values."""
    if type(left) is str:
        return left + (right if type(right) is str else js_string(right))
    if type(right) is str:
        return js_string(left) + right
    if isinstance(left, int | float) and isinstance(right, int | float):
        if type(left) is int and type(right) is int:
            total = left + right
            if -_MAX_SAFE_INT < total < _MAX_SAFE_INT:
                return total
        return float(left) + float(right)
    return js_string(left) + js_string(right)


def _empty(ctx: Any, env: Env) -> str:
    return ""


def assemble(pieces: list[Piece], body_length: int) -> Render:
    """The closure rendering a program made of `pieces` (its AST body had `body_length` nodes)."""
    if not any(piece.buffered for piece in pieces):
        return _appends(pieces)
    if body_length == 1:
        return pieces[0].raw
    return _buffered(pieces)


def _merge_text(pieces: list[Piece]) -> list[Piece]:
    merged: list[Piece] = []
    for piece in pieces:
        if piece.static is not None and merged and merged[-1].static is not None:
            merged[-1] = Piece.of_text(merged[-1].static + piece.static)
        else:
            merged.append(piece)
    return merged


def _appends(pieces: list[Piece]) -> Render:
    """`return v1 + v2 + …`."""
    pieces = _merge_text(pieces)
    if not pieces:
        return _empty
    if len(pieces) == 1:
        return pieces[0].raw
    if pieces[0].static is not None:
        # Text first: the sum is a string throughout. Fill the dynamic values
        # into a %-format of the static text, C speed for the joining.
        layout = "".join(
            "%s" if piece.static is None else piece.static.replace("%", "%%") for piece in pieces
        )
        return _fill(layout, [piece.text for piece in pieces if piece.static is None])
    raws = [piece.raw for piece in pieces]
    texts = [piece.text for piece in pieces]
    count = len(pieces)

    def render(ctx: Any, env: Env) -> Any:
        total = raws[0](ctx, env)
        index = 1
        # Numbers and booleans add up until a string joins in; from then on it is text.
        while type(total) is not str and index < count:
            total = js_add(total, raws[index](ctx, env))
            index += 1
        if index < count:
            return total + "".join([texts[i](ctx, env) for i in range(index, count)])
        return total

    return render


def _buffered(pieces: list[Piece]) -> Render:
    """`var buffer = …; buffer += section; buffer += a + b; …; return buffer + c + d`."""
    plan: list[tuple[str, Render]] = []
    group: list[Piece] = []
    leading = True
    for piece in pieces:
        if not piece.buffered:
            group.append(piece)
            continue
        if group:
            plan.append(("start" if leading else "add", _appends(group)))
            group = []
        leading = False
        plan.append(("add", piece.raw))
    tail = [piece.raw for piece in group]

    def render(ctx: Any, env: Env) -> Any:
        buffer: Any = ""
        for step, raw in plan:
            buffer = raw(ctx, env) if step == "start" else js_add(buffer, raw(ctx, env))
        for raw in tail:
            buffer = js_add(buffer, raw(ctx, env))
        return buffer

    return render


def _fill(layout: str, texts: list[Render]) -> Render:
    """`layout % (text1(), text2(), …)`, unrolled for short lists (no list building)."""
    if len(texts) == 1:
        (a,) = texts
        return lambda ctx, env: layout % a(ctx, env)
    if len(texts) == 2:
        a, b = texts
        return lambda ctx, env: layout % (a(ctx, env), b(ctx, env))
    if len(texts) == 3:
        a, b, c = texts
        return lambda ctx, env: layout % (a(ctx, env), b(ctx, env), c(ctx, env))
    if len(texts) == 4:
        a, b, c, d = texts
        return lambda ctx, env: layout % (a(ctx, env), b(ctx, env), c(ctx, env), d(ctx, env))
    if len(texts) == 5:
        a, b, c, d, e = texts
        return lambda ctx, env: (
            layout % (a(ctx, env), b(ctx, env), c(ctx, env), d(ctx, env), e(ctx, env))
        )
    return lambda ctx, env: layout % tuple([text(ctx, env) for text in texts])
