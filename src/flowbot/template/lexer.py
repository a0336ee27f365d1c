"""Tokens of a template, rule for rule as handlebars.js 4.0.12's jison lexer.

There is no maintained Handlebars implementation for Python (pybars3 is
unmaintained, targets Handlebars 2 and compiles to Python source at run
time), and CLOSER's dialect adds function-style helper calls and `a[0]`
indexing that no Handlebars parser accepts. So the lexer and the parser are
hand-written: the lexer mirrors the jison rules of handlebars.js 4.0.12 (same
order, first match wins, JS whitespace), so that every template CLOSER
accepted tokenizes the same way, plus three additions inside tags that are
errors in Handlebars: `,`, an identifier directly followed by `(` (a call),
and one directly followed by `[` (an index).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Final

from flowbot.template.errors import TemplateSyntaxError
from flowbot.template.jsvalues import JS_WHITESPACE

__all__ = ["Token", "position", "tokenize"]

_WS: Final = f"[{JS_WHITESPACE}]"
_ID_CHARS: Final = rf"[^{JS_WHITESPACE}!\"#%-,\.\/;->@\[-\^`\{{-~]"
# Handlebars' lookaheads, widened by CLOSER's `(` `[` `,` (errors in Handlebars).
_ID_LOOKAHEAD: Final = rf"(?=[=~}}{JS_WHITESPACE}\/.)|(\[,])"
_LITERAL_LOOKAHEAD: Final = rf"(?=[~}}{JS_WHITESPACE}),])"


@dataclass(slots=True)
class Token:
    kind: str
    text: str
    start: int
    end: int


# (regex, kind, leaves the tag) in jison's rule order for the `mu` state.
_MU_RULES: Final[list[tuple[re.Pattern[str], str, bool]]] = [
    (re.compile(p), kind, pop)
    for p, kind, pop in [
        (r"\(", "OPEN_SEXPR", False),
        (r"\)", "CLOSE_SEXPR", False),
        (r"\{\{\{\{", "OPEN_RAW_BLOCK", False),
        (r"\}\}\}\}", "END_RAW_BLOCK", False),
        (r"\{\{(~)?>", "OPEN_PARTIAL", False),
        (r"\{\{(~)?#>", "OPEN_PARTIAL_BLOCK", False),
        (r"\{\{(~)?#\*?", "OPEN_BLOCK", False),
        (r"\{\{(~)?\/", "OPEN_ENDBLOCK", False),
        (rf"\{{\{{(~)?\^{_WS}*(~)?\}}\}}", "INVERSE", True),
        (rf"\{{\{{(~)?{_WS}*else{_WS}*(~)?\}}\}}", "INVERSE", True),
        (r"\{\{(~)?\^", "OPEN_INVERSE", False),
        (rf"\{{\{{(~)?{_WS}*else(?![A-Za-z0-9_])", "OPEN_INVERSE_CHAIN", False),
        (r"\{\{(~)?\{", "OPEN_UNESCAPED", False),
        (r"\{\{(~)?&", "OPEN", False),
        (r"(?=\{\{~?!--)[\s\S]*?--(~)?\}\}", "COMMENT", True),
        (r"\{\{(~)?!--", "UNTERMINATED_COMMENT", False),
        (r"\{\{(~)?![\s\S]*?\}\}", "COMMENT", True),
        (r"\{\{(~)?\*?", "OPEN", False),
        (r"=", "EQUALS", False),
        (r"\.\.", "ID", False),
        (rf"\.(?=[=~}}{JS_WHITESPACE}\/.)|])", "ID", False),
        (r"[\/.]", "SEP", False),
        (rf"{_WS}+", "", False),
        (r"\}(~)?\}\}", "CLOSE_UNESCAPED", True),
        (r"(~)?\}\}", "CLOSE", True),
        (r'"(\\["]|[^"])*"', "STRING", False),
        (r"'(\\[']|[^'])*'", "STRING", False),
        (r"@", "DATA", False),
        (rf"true{_LITERAL_LOOKAHEAD}", "BOOLEAN", False),
        (rf"false{_LITERAL_LOOKAHEAD}", "BOOLEAN", False),
        (rf"undefined{_LITERAL_LOOKAHEAD}", "UNDEFINED", False),
        (rf"null{_LITERAL_LOOKAHEAD}", "NULL", False),
        (rf"-?[0-9]+(?:\.[0-9]+)?{_LITERAL_LOOKAHEAD}", "NUMBER", False),
        (rf"as{_WS}+\|", "OPEN_BLOCK_PARAMS", False),
        (r"\|", "CLOSE_BLOCK_PARAMS", False),
        (rf"{_ID_CHARS}+{_ID_LOOKAHEAD}", "ID", False),
        (r"\[(\\\]|[^\]])*\]", "ID", False),
        (r",", "COMMA", False),
        (r"[\s\S]", "INVALID", False),
    ]
]

_CONTENT: Final = re.compile(r"[^\x00]*?(?=\{\{)")
_CONTENT_TO_END: Final = re.compile(r"[^\x00]+")
_ESCAPED_CONTENT: Final = re.compile(r"[^\x00]{2,}?(?=\{\{|\\\{\{|\\\\\{\{|\Z)")
_BRACKET_ESCAPE: Final = re.compile(r"\\([\\\]])")


def tokenize(source: str) -> list[Token]:
    """All tokens of `source`, ending with an EOF token; raises TemplateSyntaxError."""
    tokens: list[Token] = []
    pos, end = 0, len(source)
    in_tag = False
    while True:
        if not in_tag:
            if pos >= end:
                break
            match = _CONTENT.match(source, pos)
            if match is None:
                match = _CONTENT_TO_END.match(source, pos)
                if match is None:
                    raise syntax_error(source, pos, "NUL characters are not allowed in templates")
                tokens.append(Token("CONTENT", match.group(), pos, match.end()))
                pos = match.end()
                continue
            text = match.group()
            if text.endswith("\\\\"):
                tokens.append(Token("CONTENT", text[:-1], pos, match.end()))
            elif text.endswith("\\"):
                # `\{{` escapes a mustache: everything up to the next `{{` is text.
                if text[:-1]:
                    tokens.append(Token("CONTENT", text[:-1], pos, match.end()))
                escaped = _ESCAPED_CONTENT.match(source, match.end())
                assert escaped is not None  # `{{` follows, so two characters exist
                tokens.append(Token("CONTENT", escaped.group(), match.end(), escaped.end()))
                pos = escaped.end()
                continue
            elif text:
                tokens.append(Token("CONTENT", text, pos, match.end()))
            pos = match.end()
            in_tag = True
            continue
        if pos >= end:
            raise syntax_error(source, pos, "unclosed tag: expected '}}'")
        for pattern, kind, leaves_tag in _MU_RULES:
            match = pattern.match(source, pos)
            if match is None:
                continue
            text = match.group()
            if kind == "STRING":
                quote = text[0]
                text = text[1:-1].replace("\\" + quote, quote)
            elif kind == "ID" and text.startswith("["):
                text = _BRACKET_ESCAPE.sub(r"\1", text)
            elif kind == "UNTERMINATED_COMMENT":
                raise syntax_error(source, pos, "unclosed comment: expected '--}}'")
            elif kind == "INVALID":
                if "}}" not in source[pos:]:
                    # An identifier cut off by the end of the text fails the ID
                    # lookahead; the real mistake is the missing close.
                    raise syntax_error(source, pos, "unclosed tag: expected '}}'")
                raise syntax_error(source, pos, f"unexpected character {text!r} in tag")
            elif kind in ("OPEN_RAW_BLOCK", "END_RAW_BLOCK"):
                raise syntax_error(source, pos, "raw blocks ({{{{raw}}}}) are not supported")
            if kind:
                tokens.append(Token(kind, text, pos, match.end()))
            pos = match.end()
            if leaves_tag:
                in_tag = False
            break
    tokens.append(Token("EOF", "", end, end))
    return tokens


_NEWLINE: Final = re.compile(r"\r\n?|\n")


def position(source: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of `offset`, counting lines like the jison lexer."""
    starts = [0] + [m.end() for m in _NEWLINE.finditer(source, 0, offset)]
    line = bisect_right(starts, offset)
    return line, offset - starts[line - 1] + 1


def syntax_error(source: str, offset: int, message: str) -> TemplateSyntaxError:
    line, column = position(source, offset)
    return TemplateSyntaxError(message, line, column)
