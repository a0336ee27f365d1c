"""The syntax tree of a template, shaped like handlebars.js 4.0.12's AST.

Every node keeps `start`, its offset in the source, so the compiler can report
errors at a line and column. Content nodes are mutable: the whitespace pass
trims `value` in place, as Handlebars' WhitespaceControl visitor does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

__all__ = [
    "Block",
    "Call",
    "Comment",
    "Content",
    "Expr",
    "Literal",
    "Mustache",
    "PathExpr",
    "Program",
    "Statement",
    "Strip",
    "SubExpr",
]


@dataclass(slots=True, frozen=True)
class Strip:
    """`~` flags of a tag: `open` strips whitespace before it, `close` after it."""

    open: bool = False
    close: bool = False


NO_STRIP = Strip()


@dataclass(slots=True)
class PathExpr:
    """`a.b`, `../a`, `this.[x]`, `@index`, `a[0]` (CLOSER index).

    `parts` are the property names after `this`/`..` are resolved into
    `depth`; `bracketed[i]` tells whether part i was written `[…]`, which is
    how array expansion spots `[i]` and `[0..5]`.
    """

    parts: list[str]
    bracketed: list[bool]
    original: str
    start: int
    data: bool = False
    depth: int = 0
    scoped: bool = False

    @property
    def is_simple(self) -> bool:
        """A lone name that may also name a helper (Handlebars' `simpleId`)."""
        return len(self.parts) == 1 and not self.scoped and not self.depth and not self.data


@dataclass(slots=True)
class Literal:
    """A string, number, boolean, null or undefined literal.

    `original` is the text Handlebars uses when the literal stands where a
    helper name goes (`{{"foo"}}` looks up `foo`).
    """

    value: Any
    original: str
    start: int


@dataclass(slots=True)
class SubExpr:
    """`(helper arg … key=value)`."""

    head: Expr
    params: list[Expr]
    hash: dict[str, Expr]
    start: int


@dataclass(slots=True)
class Call:
    """CLOSER's function-style helper call `NAME(arg, …)`."""

    name: str
    args: list[Expr]
    start: int


Expr: TypeAlias = PathExpr | Literal | SubExpr | Call


@dataclass(slots=True)
class Content:
    value: str
    original: str
    start: int
    left_stripped: bool = False
    right_stripped: bool = False


@dataclass(slots=True)
class Comment:
    strip: Strip
    start: int


@dataclass(slots=True)
class Mustache:
    """`{{head param … key=value}}` or `{{{…}}}` (printed the same: no escaping)."""

    head: Expr
    params: list[Expr]
    hash: dict[str, Expr]
    strip: Strip
    start: int


@dataclass(slots=True)
class Program:
    body: list[Statement]
    chained: bool = False


@dataclass(slots=True)
class Block:
    """`{{#head …}}program{{else}}inverse{{/head}}`; `{{^head}}` swaps the two."""

    head: Expr
    params: list[Expr]
    hash: dict[str, Expr]
    program: Program | None
    inverse: Program | None
    open_strip: Strip
    inverse_strip: Strip
    close_strip: Strip
    start: int


Statement: TypeAlias = Content | Comment | Mustache | Block
