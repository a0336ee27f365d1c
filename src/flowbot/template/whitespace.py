"""Whitespace control: `~` stripping and Handlebars' standalone-line rules.

A port of handlebars.js 4.0.12's WhitespaceControl visitor, applied to the
AST once at compile time: block tags, `{{else}}` and comments that stand
alone on a line take the line's indentation and line break with them, and
`{{~` / `~}}` strip all whitespace on their side.
"""

from __future__ import annotations

import re
from typing import Final

from flowbot.template.ast import NO_STRIP, Block, Comment, Content, Mustache, Program, Statement
from flowbot.template.jsvalues import JS_WHITESPACE

__all__ = ["apply_whitespace_control"]

_S: Final = f"[{JS_WHITESPACE}]"
_PREV_WS: Final = re.compile(rf"\r?\n{_S}*?\Z")
_PREV_WS_ROOT: Final = re.compile(rf"(?:^|\r?\n){_S}*?\Z")
_NEXT_WS: Final = re.compile(rf"{_S}*?\r?\n")
_NEXT_WS_ROOT: Final = re.compile(rf"{_S}*?(?:\r?\n|\Z)")
_LEADING_ALL: Final = re.compile(rf"\A{_S}+")
_LEADING_LINE: Final = re.compile(r"\A[ \t]*\r?\n?")
_TRAILING_ALL: Final = re.compile(rf"{_S}+\Z")
_TRAILING_LINE: Final = re.compile(r"[ \t]+\Z")


class _StripInfo:
    __slots__ = ("close", "close_standalone", "inline_standalone", "open", "open_standalone")

    def __init__(
        self,
        open_: bool,
        close: bool,
        *,
        open_standalone: bool = False,
        close_standalone: bool = False,
        inline_standalone: bool = False,
    ) -> None:
        self.open = open_
        self.close = close
        self.open_standalone = open_standalone
        self.close_standalone = close_standalone
        self.inline_standalone = inline_standalone


def apply_whitespace_control(program: Program) -> Program:
    _visit_program(program, is_root=True)
    return program


def _visit_program(program: Program, *, is_root: bool = False) -> None:
    body = program.body
    for i, current in enumerate(body):
        strip = _visit_statement(current)
        if strip is None:
            continue
        prev_ws = _is_prev_whitespace(body, i, is_root)
        next_ws = _is_next_whitespace(body, i, is_root)
        open_standalone = strip.open_standalone and prev_ws
        close_standalone = strip.close_standalone and next_ws
        inline_standalone = strip.inline_standalone and prev_ws and next_ws
        if strip.close:
            _omit_right(body, i, multiple=True)
        if strip.open:
            _omit_left(body, i, multiple=True)
        if inline_standalone:
            _omit_right(body, i)
            _omit_left(body, i)
        if open_standalone and isinstance(current, Block):
            inner = current.program or current.inverse
            assert inner is not None
            _omit_right(inner.body, None)
            _omit_left(body, i)
        if close_standalone and isinstance(current, Block):
            _omit_right(body, i)
            inner = current.inverse or current.program
            assert inner is not None
            _omit_left(inner.body, None)


def _visit_statement(node: Statement) -> _StripInfo | None:
    if isinstance(node, Mustache):
        return _StripInfo(node.strip.open, node.strip.close)
    if isinstance(node, Comment):
        return _StripInfo(node.strip.open, node.strip.close, inline_standalone=True)
    if isinstance(node, Block):
        return _visit_block(node)
    return None


def _visit_block(block: Block) -> _StripInfo:
    if block.program is not None:
        _visit_program(block.program)
    if block.inverse is not None:
        _visit_program(block.inverse)
    program = block.program or block.inverse
    assert program is not None
    inverse = block.inverse if block.program is not None else None
    first_inverse = last_inverse = inverse
    if inverse is not None and inverse.chained:
        head = inverse.body[0]
        assert isinstance(head, Block) and head.program is not None
        first_inverse = head.program
        while last_inverse is not None and last_inverse.chained:
            tail = last_inverse.body[-1]
            assert isinstance(tail, Block)
            last_inverse = tail.program
    close_strip = block.close_strip or NO_STRIP
    strip = _StripInfo(
        block.open_strip.open,
        close_strip.close,
        open_standalone=bool(_is_next_whitespace(program.body, None, False)),
        close_standalone=bool(_is_prev_whitespace((first_inverse or program).body, None, False)),
    )
    if block.open_strip.close:
        _omit_right(program.body, None, multiple=True)
    if inverse is not None:
        assert first_inverse is not None and last_inverse is not None
        if block.inverse_strip.open:
            _omit_left(program.body, None, multiple=True)
        if block.inverse_strip.close:
            _omit_right(first_inverse.body, None, multiple=True)
        if close_strip.open:
            _omit_left(last_inverse.body, None, multiple=True)
        # A standalone {{else}}.
        if _is_prev_whitespace(program.body, None, False) and _is_next_whitespace(
            first_inverse.body, None, False
        ):
            _omit_left(program.body, None)
            _omit_right(first_inverse.body, None)
    elif close_strip.open:
        _omit_left(program.body, None, multiple=True)
    return strip


def _is_prev_whitespace(body: list[Statement], i: int | None, is_root: bool) -> bool:
    if i is None:
        i = len(body)
    prev = body[i - 1] if i - 1 >= 0 else None
    if prev is None:
        return is_root
    if isinstance(prev, Content):
        sibling = i - 2 >= 0
        pattern = _PREV_WS if sibling or not is_root else _PREV_WS_ROOT
        return pattern.search(prev.original) is not None
    return False


def _is_next_whitespace(body: list[Statement], i: int | None, is_root: bool) -> bool:
    if i is None:
        i = -1
    nxt = body[i + 1] if i + 1 < len(body) else None
    if nxt is None:
        return is_root
    if isinstance(nxt, Content):
        sibling = i + 2 < len(body)
        pattern = _NEXT_WS if sibling or not is_root else _NEXT_WS_ROOT
        return pattern.match(nxt.original) is not None
    return False


def _omit_right(body: list[Statement], i: int | None, *, multiple: bool = False) -> None:
    index = 0 if i is None else i + 1
    current = body[index] if index < len(body) else None
    if not isinstance(current, Content) or (not multiple and current.right_stripped):
        return
    original = current.value
    pattern = _LEADING_ALL if multiple else _LEADING_LINE
    current.value = pattern.sub("", original, count=1)
    current.right_stripped = current.value != original


def _omit_left(body: list[Statement], i: int | None, *, multiple: bool = False) -> bool:
    index = len(body) - 1 if i is None else i - 1
    current = body[index] if 0 <= index < len(body) else None
    if not isinstance(current, Content) or (not multiple and current.left_stripped):
        return False
    original = current.value
    pattern = _TRAILING_ALL if multiple else _TRAILING_LINE
    current.value = pattern.sub("", original, count=1)
    current.left_stripped = current.value != original
    return current.left_stripped
