"""Recursive-descent parser: tokens → AST, following handlebars.js 4.0.12's grammar.

The grammar (handlebars.yy) with CLOSER's additions marked +:

    program     := statement*
    statement   := CONTENT | COMMENT | mustache | block
    mustache    := OPEN head param* hash? CLOSE | OPEN_UNESCAPED … CLOSE_UNESCAPED
    block       := OPEN_BLOCK head param* hash? CLOSE program inverseChain? closeBlock
                 | OPEN_INVERSE head param* hash? CLOSE program (INVERSE program)? closeBlock
    inverseChain:= OPEN_INVERSE_CHAIN head param* hash? CLOSE program inverseChain?
                 | INVERSE program
    closeBlock  := OPEN_ENDBLOCK head CLOSE
    head, param := path | '@' path | literal | '(' head param* hash? ')' | + NAME '(' args ')'
    path        := ID (SEP ID | + adjacent '[…]')*
    hash        := (ID '=' param)+

Partials, decorators, raw blocks and block parameters are not part of
CLOSER's dialect and are reported as errors.
"""

from __future__ import annotations

import re
from typing import Final

from flowbot.template.ast import (
    NO_STRIP,
    Block,
    Call,
    Comment,
    Content,
    Expr,
    Literal,
    Mustache,
    PathExpr,
    Program,
    Statement,
    Strip,
    SubExpr,
)
from flowbot.template.errors import TemplateSyntaxError
from flowbot.template.jsvalues import UNDEFINED, js_number_to_string
from flowbot.template.lexer import Token, syntax_error, tokenize

__all__ = ["parse"]

_PROGRAM_END: Final = frozenset({"OPEN_ENDBLOCK", "INVERSE", "OPEN_INVERSE_CHAIN", "EOF"})
_LITERALS: Final = frozenset({"STRING", "NUMBER", "BOOLEAN", "UNDEFINED", "NULL"})
_DESCRIBE: Final = {
    "EOF": "end of template",
    "CLOSE": "'}}'",
    "CLOSE_UNESCAPED": "'}}}'",
    "CLOSE_SEXPR": "')'",
    "OPEN_SEXPR": "'('",
    "COMMA": "','",
    "EQUALS": "'='",
    "SEP": "'.'",
}
# JS /^\[.*\]$/: `.` does not match line terminators.
_BRACKETED: Final = re.compile(r"\[[^\n\r\u2028\u2029]*\]\Z")
_SCOPED: Final = re.compile(r"^\.|this(?![A-Za-z0-9_])")


def parse(source: str) -> Program:
    """The AST of `source`; raises TemplateSyntaxError with the offending token's position."""
    return _Parser(source).parse_root()


def strip_flags(open_text: str, close_text: str) -> Strip:
    return Strip(open_text[2:3] == "~", close_text[-3:-2] == "~")


class _Open:
    __slots__ = ("hash", "head", "params", "strip", "token")

    def __init__(
        self, token: Token, head: Expr, params: list[Expr], hash_: dict[str, Expr], strip: Strip
    ) -> None:
        self.token = token
        self.head = head
        self.params = params
        self.hash = hash_
        self.strip = strip


class _Inverse:
    __slots__ = ("chain", "program", "strip")

    def __init__(self, strip: Strip, program: Program, chain: bool) -> None:
        self.strip = strip
        self.program = program
        self.chain = chain


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.index = 0

    # -- token helpers -------------------------------------------------------

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def error(self, token: Token, message: str) -> TemplateSyntaxError:
        return syntax_error(self.source, token.start, message)

    def unexpected(self, token: Token, expected: str) -> TemplateSyntaxError:
        return self.error(token, f"expected {expected}, got {_describe(token)}")

    def expect(self, kind: str, expected: str) -> Token:
        token = self.peek()
        if token.kind != kind:
            raise self.unexpected(token, expected)
        return self.advance()

    # -- statements ----------------------------------------------------------

    def parse_root(self) -> Program:
        program = self.parse_program()
        token = self.peek()
        if token.kind != "EOF":
            if token.kind == "OPEN_ENDBLOCK":
                raise self.error(token, "closing tag without an opening block")
            raise self.error(token, "'else' outside of a block")
        return program

    def parse_program(self) -> Program:
        body: list[Statement] = []
        while self.peek().kind not in _PROGRAM_END:
            body.append(self.parse_statement())
        return Program(body)

    def parse_statement(self) -> Statement:
        token = self.peek()
        kind = token.kind
        if kind == "CONTENT":
            self.advance()
            return Content(token.text, token.text, token.start)
        if kind == "COMMENT":
            self.advance()
            return Comment(strip_flags(token.text, token.text), token.start)
        if kind in ("OPEN", "OPEN_UNESCAPED"):
            return self.parse_mustache()
        if kind in ("OPEN_BLOCK", "OPEN_INVERSE"):
            return self.parse_block()
        if kind in ("OPEN_PARTIAL", "OPEN_PARTIAL_BLOCK"):
            raise self.error(token, "partials ({{> name}}) are not supported")
        raise self.unexpected(token, "text or a tag")

    def parse_mustache(self) -> Mustache:
        open_token = self.advance()
        if "*" in open_token.text:
            raise self.error(open_token, "decorators ({{* name}}) are not supported")
        head, params, hash_ = self.parse_call_parts(open_token)
        if open_token.kind == "OPEN_UNESCAPED":
            close = self.expect("CLOSE_UNESCAPED", "'}}}'")
        else:
            close = self.expect("CLOSE", "'}}'")
        return Mustache(
            head, params, hash_, strip_flags(open_token.text, close.text), open_token.start
        )

    def parse_open(self) -> _Open:
        open_token = self.advance()
        if "*" in open_token.text:
            raise self.error(open_token, "decorators ({{#* name}}) are not supported")
        head, params, hash_ = self.parse_call_parts(open_token)
        if self.peek().kind == "OPEN_BLOCK_PARAMS":
            raise self.error(self.peek(), "block parameters (as |x|) are not supported")
        close = self.expect("CLOSE", "'}}'")
        return _Open(open_token, head, params, hash_, strip_flags(open_token.text, close.text))

    def parse_block(self) -> Block:
        inverted = self.peek().kind == "OPEN_INVERSE"
        opened = self.parse_open()
        program = self.parse_program()
        inverse: _Inverse | None = None
        token = self.peek()
        if token.kind == "INVERSE" or (token.kind == "OPEN_INVERSE_CHAIN" and not inverted):
            inverse = self.parse_inverse_chain()
        elif token.kind == "OPEN_INVERSE_CHAIN":
            raise self.error(token, "'else if' cannot follow an inverted section {{^…}}")
        close_token = self.peek()
        if close_token.kind != "OPEN_ENDBLOCK":
            raise self.unexpected(
                close_token, f"{{{{/{_head_text(opened.head)}}}}} to close the block"
            )
        self.advance()
        close_head = self.parse_head(close_token)
        close = self.expect("CLOSE", "'}}'")
        open_name, close_name = _head_text(opened.head), _head_text(close_head)
        if open_name != close_name:
            raise self.error(close_token, f"{open_name} doesn't match {close_name}")
        return _prepare_block(
            opened, program, inverse, strip_flags(close_token.text, close.text), inverted
        )

    def parse_inverse_chain(self) -> _Inverse:
        token = self.peek()
        if token.kind == "INVERSE":
            self.advance()
            return _Inverse(strip_flags(token.text, token.text), self.parse_program(), chain=False)
        opened = self.parse_open()
        program = self.parse_program()
        nested: _Inverse | None = None
        if self.peek().kind in ("INVERSE", "OPEN_INVERSE_CHAIN"):
            nested = self.parse_inverse_chain()
        # As in handlebars.js, the chained block's close strip is the next link's
        # open strip until the enclosing block overwrites it with its own.
        close_strip = nested.strip if nested is not None else NO_STRIP
        block = _prepare_block(opened, program, nested, close_strip, inverted=False)
        return _Inverse(opened.strip, Program([block], chained=True), chain=True)

    # -- expressions ---------------------------------------------------------

    def parse_call_parts(self, opener: Token) -> tuple[Expr, list[Expr], dict[str, Expr]]:
        head = self.parse_head(opener)
        params: list[Expr] = []
        hash_: dict[str, Expr] = {}
        while True:
            token = self.peek()
            if token.kind == "ID" and self.peek(1).kind == "EQUALS":
                self.advance()
                self.advance()
                hash_[token.text] = self.parse_param()
                continue
            if hash_ or (
                token.kind not in ("ID", "DATA", "OPEN_SEXPR") and token.kind not in _LITERALS
            ):
                return head, params, hash_
            params.append(self.parse_param())

    def parse_head(self, opener: Token) -> Expr:
        token = self.peek()
        if token.kind in ("ID", "DATA", "OPEN_SEXPR") or token.kind in _LITERALS:
            return self.parse_param()
        raise self.unexpected(token, f"a name after {opener.text!r}")

    def parse_param(self) -> Expr:
        token = self.peek()
        kind = token.kind
        if kind == "OPEN_SEXPR":
            self.advance()
            head, params, hash_ = self.parse_call_parts(token)
            self.expect("CLOSE_SEXPR", "')'")
            return SubExpr(head, params, hash_, token.start)
        if kind in _LITERALS:
            self.advance()
            return _literal(token)
        if kind == "DATA":
            self.advance()
            return self.parse_path(data=True, start=token.start)
        if kind == "ID":
            following = self.peek(1)
            if following.kind == "OPEN_SEXPR" and following.start == token.end:
                return self.parse_call()
            return self.parse_path(data=False, start=token.start)
        raise self.unexpected(token, "a name, a literal or '('")

    def parse_call(self) -> Call:
        name = self.advance()
        self.advance()
        args: list[Expr] = []
        if self.peek().kind != "CLOSE_SEXPR":
            args.append(self.parse_param())
            while self.peek().kind == "COMMA":
                self.advance()
                args.append(self.parse_param())
        self.expect("CLOSE_SEXPR", f"',' or ')' in the call of {name.text}")
        return Call(name.text, args, name.start)

    def parse_path(self, *, data: bool, start: int) -> PathExpr:
        first = self.expect("ID", "a name")
        segments: list[tuple[str, Token]] = [("", first)]
        while True:
            token = self.peek()
            if token.kind == "SEP":
                self.advance()
                segments.append((token.text, self.expect("ID", "a name after the separator")))
            elif (
                token.kind == "ID"
                and token.text.startswith("[")
                and token.start == segments[-1][1].end
            ):
                self.advance()
                segments.append(("", token))
            else:
                break
        return self.prepare_path(data, segments, start)

    def prepare_path(self, data: bool, segments: list[tuple[str, Token]], start: int) -> PathExpr:
        original = "@" if data else ""
        parts: list[str] = []
        bracketed: list[bool] = []
        depth = 0
        for position, (separator, token) in enumerate(segments):
            text = token.text
            part = text[1:-1] if _BRACKETED.match(text) else text
            literal = part != text
            # CLOSER's `a[0]` has no separator; spell it like that in messages.
            original += f"[{part}]" if position and not separator else separator + part
            if not literal and part in ("..", ".", "this"):
                if parts:
                    raise self.error(token, f"invalid path: {original}")
                if part == "..":
                    depth += 1
            else:
                parts.append(part)
                bracketed.append(literal)
        scoped = bool(_SCOPED.search(original))
        return PathExpr(parts, bracketed, original, start, data=data, depth=depth, scoped=scoped)


def _prepare_block(
    opened: _Open, program: Program, inverse: _Inverse | None, close_strip: Strip, inverted: bool
) -> Block:
    inverse_program: Program | None = None
    inverse_strip = NO_STRIP
    if inverse is not None:
        if inverse.chain:
            chained = inverse.program.body[0]
            assert isinstance(chained, Block)
            chained.close_strip = close_strip
        inverse_strip = inverse.strip
        inverse_program = inverse.program
    main: Program | None = program
    if inverted:
        main, inverse_program = inverse_program, program
    return Block(
        opened.head,
        opened.params,
        opened.hash,
        main,
        inverse_program,
        opened.strip,
        inverse_strip,
        close_strip,
        opened.token.start,
    )


def _literal(token: Token) -> Literal:
    kind, text = token.kind, token.text
    if kind == "STRING":
        return Literal(text, text, token.start)
    if kind == "NUMBER":
        number: int | float = float(text) if "." in text else int(text)
        return Literal(number, js_number_to_string(float(number)), token.start)
    if kind == "BOOLEAN":
        return Literal(text == "true", text, token.start)
    if kind == "NULL":
        return Literal(None, "null", token.start)
    return Literal(UNDEFINED, "undefined", token.start)


def _head_text(head: Expr) -> str:
    if isinstance(head, PathExpr | Literal):
        return head.original
    if isinstance(head, Call):
        return head.name
    return "(…)"


def _describe(token: Token) -> str:
    if token.kind in _DESCRIBE:
        return _DESCRIBE[token.kind]
    if token.kind == "CONTENT":
        return "text"
    return repr(token.text)
