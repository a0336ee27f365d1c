"""JavaScript regular expressions in Python: the `regex` operator of edge conditions.

CLOSER patterns are JS syntax (no slashes, no flags). `translate_js_regex`
rewrites a pattern into the syntax of the `regex` package, keeping what it
means in JavaScript:

* named groups and back-references (`(?<n>` → `(?P<n>`, `\\k<n>` → `(?P=n)`),
  `$` as the end of input, `[^]` any character, `[]` nothing, `\\cX`, `\\0`,
  `\\/`;
* `\\s` and `\\S` as JavaScript's white space: the ASCII spaces plus U+00A0,
  U+1680, U+2000–U+200A, U+2028, U+2029, U+202F, U+205F, U+3000 and U+FEFF
  (not Python's U+001C–U+001F and U+0085), also inside classes;
* `.` excludes the four JS line terminators (`\\n`, `\\r`, U+2028, U+2029);
* an escaped letter with no meaning in JavaScript is the letter (`\\p{L}` is
  "p{L}", `\\X` is "X"), as are `\\x` and `\\u` not followed by hex digits;
  a `{` that does not start a `{n}`, `{n,}` or `{n,m}` quantifier is a
  literal brace (so `regex`'s fuzzy matching `{e<=1}` never applies), and a
  dash next to a class escape in a class is a literal dash (`[\\d-z]`).

`compile_js_regex` compiles the result ASCII-only, as JS's `\\d \\w \\b` are,
and refuses a pattern larger than `MAX_PATTERN_SIZE` (its length, counted
repeats multiplied out by their minimum): `regex` unrolls `{n}` when
compiling, so `a{1000000}` alone would take 0.3 s and 270 MB.

Searches are bounded in time (the `regex` package's `timeout`, which `re`
lacks): `JsRegex.test` gives up after `SEARCH_TIME_LIMIT`, and the searches
given one `RegexClock` — the engine makes one per turn — share
`TURN_TIME_LIMIT`. Giving up raises `RegexTimeoutError`.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable
from time import perf_counter
from typing import Any, Final

import regex

__all__ = [
    "MAX_PATTERN_SIZE",
    "SEARCH_TIME_LIMIT",
    "TURN_TIME_LIMIT",
    "JsRegex",
    "JsRegexError",
    "RegexClock",
    "RegexTimeoutError",
    "compile_js_regex",
    "translate_js_regex",
]

SEARCH_TIME_LIMIT: Final = 0.050  # seconds one search may take
TURN_TIME_LIMIT: Final = 0.200  # seconds all the searches of one turn may take
MAX_PATTERN_SIZE: Final = 10_000  # characters, counted repeats multiplied out

# JavaScript's WhiteSpace and LineTerminator characters: what `\s` matches.
_SPACE_SET: Final = (
    "\\t\\n\\x0b\\x0c\\r\\x20\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
)
_SPACE: Final = f"[{_SPACE_SET}]"
_NOT_SPACE: Final = f"[^{_SPACE_SET}]"
_DOT: Final = "[^\\n\\r\\u2028\\u2029]"  # JS `.`: anything but a line terminator
_ANY: Final = "[\\s\\S]"  # ASCII \s and \S together: every character

# Escaped letters that mean something in JavaScript (non-unicode mode); any
# other escaped ASCII letter stands for itself. `c x u k s S` are handled apart.
_LETTER_ESCAPES: Final = frozenset("bBdDwWfnrtv")
_CLASS_LETTER_ESCAPES: Final = frozenset("bdDwWfnrtv")
_CLASS_ESCAPES: Final = frozenset("dDwWsS")

_QUANTIFIER: Final = re.compile(r"\{([0-9]+)(?:,([0-9]*))?\}")  # ASCII digits, as in JS
_NAMED_GROUP: Final = re.compile(r"\(\?<(?![=!])")
_GROUP_REFERENCE: Final = re.compile(r"k<([A-Za-z_]\w*)>")
_HEX2: Final = re.compile(r"[0-9A-Fa-f]{2}")
_HEX4: Final = re.compile(r"[0-9A-Fa-f]{4}")


class JsRegexError(ValueError):
    """A pattern that cannot be compiled; the message is the reason (Python's, or a limit)."""


class RegexTimeoutError(Exception):
    """A search that went over its time limit; `message` names the pattern and the limit."""

    def __init__(self, pattern: str, message: str) -> None:
        self.pattern = pattern
        self.message = message
        super().__init__(message)


# --- translation -------------------------------------------------------------------


def translate_js_regex(pattern: str) -> str:
    """Rewrite a JS pattern into `regex` syntax with the same meaning (see module doc)."""
    return _translate(pattern)[0]


def _translate(pattern: str) -> tuple[str, int]:
    """The translated pattern and its size (length, counted repeats multiplied out)."""
    named = _NAMED_GROUP.search(pattern) is not None
    out: list[str] = []
    i, n = 0, len(pattern)
    size = 0  # of the current group so far
    last = 0  # size of the atom a quantifier would repeat
    outer: list[int] = []  # sizes of the enclosing groups
    while i < n:
        start = i
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            text, i = _escape(pattern, i, in_class=False, named=named)
        elif ch == "[":
            text, i = _class(pattern, i, named)
        elif ch == "(":
            if pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
                text, i = "(?P<", i + 3
            else:
                text, i = "(", i + 1
            out.append(text)
            outer.append(size + 1)
            size = 0
            continue
        elif ch == ")" and outer:
            out.append(")")
            i += 1
            last = size + 1
            size = outer.pop() + last
            continue
        elif ch == "{":
            quantifier = _QUANTIFIER.match(pattern, i)
            if quantifier is None:
                text, i = "\\{", i + 1
            else:
                out.append(quantifier.group(0))
                i = quantifier.end()
                digits = quantifier.group(1)
                times = max(int(digits), 1) if len(digits) < 10 else 10**10
                size += last * (times - 1) + (i - start)
                last *= times
                continue
        elif ch == ".":
            text, i = _DOT, i + 1
        elif ch == "$":
            text, i = "\\Z", i + 1
        else:
            text, i = ch, i + 1
        out.append(text)
        last = 0 if ch in "|^$*+?" else i - start
        size += i - start
    while outer:  # an unclosed group: `regex` will say so; count what it holds
        size += outer.pop()
    return "".join(out), size


def _escape(pattern: str, i: int, *, in_class: bool, named: bool) -> tuple[str, int]:
    """The `regex` form of the escape starting at `pattern[i]` (a backslash), and its end."""
    nxt = pattern[i + 1]
    if nxt == "s":
        return (_SPACE_SET if in_class else _SPACE), i + 2
    if nxt == "S":
        return _NOT_SPACE, i + 2  # in a class, `_class` takes it apart
    if nxt == "c":
        control = pattern[i + 2 : i + 3]
        if control.isascii() and (
            control.isalpha() or (in_class and (control.isdigit() or control == "_"))
        ):
            return f"\\x{ord(control) % 32:02x}", i + 3
        return "\\\\c", i + 2  # JS reads a backslash and a "c"
    if nxt == "x":
        return (pattern[i : i + 4], i + 4) if _HEX2.match(pattern, i + 2) else ("x", i + 2)
    if nxt == "u":
        return (pattern[i : i + 6], i + 6) if _HEX4.match(pattern, i + 2) else ("u", i + 2)
    if nxt == "k" and not in_class:
        if not named:
            return "k", i + 2
        reference = _GROUP_REFERENCE.match(pattern, i + 1)
        if reference is None:
            return "\\k", i + 2  # an error in JS too; `regex` reports it
        return f"(?P={reference.group(1)})", reference.end()
    if nxt == "/":
        return "/", i + 2
    if nxt == "0" and not pattern[i + 2 : i + 3].isdigit():
        return "\\x00", i + 2
    if nxt.isascii() and nxt.isalpha():
        meaningful = _CLASS_LETTER_ESCAPES if in_class else _LETTER_ESCAPES
        if nxt not in meaningful:
            return nxt, i + 2  # an identity escape: `\p` is "p"
    return pattern[i : i + 2], i + 2


def _class(pattern: str, i: int, named: bool) -> tuple[str, int]:
    """The `regex` form of the class starting at `pattern[i]` (a `[`), and its end."""
    if pattern.startswith("[^]", i):
        return _ANY, i + 3
    if pattern.startswith("[]", i):
        return "(?!)", i + 2
    j, n = i + 1, len(pattern)
    negated = pattern.startswith("^", j)
    if negated:
        j += 1
    # (kind, text): kind "char" (one character), "set" (\d \w \s … ), "dash", "not space"
    items: list[tuple[str, str]] = []
    while j < n and pattern[j] != "]":
        ch = pattern[j]
        if ch == "\\" and j + 1 < n:
            letter = pattern[j + 1]
            text, j = _escape(pattern, j, in_class=True, named=named)
            if letter == "S":
                items.append(("not space", ""))
            else:
                items.append(("set" if letter in _CLASS_ESCAPES else "char", text))
            continue
        if ch == "-":
            items.append(("dash", "-"))
        elif ch in "[^":
            items.append(("char", "\\" + ch))  # never a nested set or a negation
        else:
            items.append(("char", ch))
        j += 1
    for k, (kind, _) in enumerate(items):
        # JS reads a dash next to a class escape as a dash, never as a range
        if kind == "dash" and any(
            0 <= m < len(items) and items[m][0] in ("set", "not space") for m in (k - 1, k + 1)
        ):
            items[k] = ("char", "\\-")
    body = "".join(text for _, text in items)
    if j >= n:  # unterminated: left so, for `regex` to report
        return f"[{'^' if negated else ''}{body}", j
    end = j + 1
    if not any(kind == "not space" for kind, _ in items):
        return f"[{'^' if negated else ''}{body}]", end
    # `\S` cannot sit inside a `regex` class: spell the class as an alternative.
    if not negated:
        return (f"(?:[{body}]|{_NOT_SPACE})" if body else _NOT_SPACE), end
    return (f"(?:(?![{body}]){_SPACE})" if body else _SPACE), end


# --- compiling and searching ---------------------------------------------------------


class RegexClock:
    """The time the searches of one turn may still take, shared by all of them.

    The engine makes one per turn and hands it to the edge conditions
    (`Condition.holds(context, clock)`); a search without a clock is bounded
    by SEARCH_TIME_LIMIT alone. (An explicit argument rather than a context
    variable: setting one in an asyncio task cost more than half a
    microsecond per turn.)
    """

    __slots__ = ("left",)

    def __init__(self, seconds: float = TURN_TIME_LIMIT) -> None:
        self.left = seconds


def _shown(pattern: str) -> str:
    return repr(pattern if len(pattern) <= 60 else pattern[:57] + "...")


class JsRegex:
    """A compiled JS pattern; `test` is JavaScript's `RegExp.prototype.test` with a time limit."""

    __slots__ = ("_search", "source")

    def __init__(self, source: str, search: Callable[..., Any]) -> None:
        self.source = source
        self._search = search

    def test(self, text: str, clock: RegexClock | None = None) -> bool:
        """Whether the pattern occurs in `text`; raises RegexTimeoutError past a limit.

        The search stops at SEARCH_TIME_LIMIT, or sooner when `clock` has
        less time left; the time it took is charged to `clock`.
        """
        if clock is None:
            try:
                return self._search(text, timeout=SEARCH_TIME_LIMIT) is not None
            except TimeoutError:
                raise RegexTimeoutError(self.source, self._timed_out()) from None
        left = clock.left
        limit = SEARCH_TIME_LIMIT if left > SEARCH_TIME_LIMIT else left
        if limit <= 0:
            raise RegexTimeoutError(self.source, self._used_up())
        started = perf_counter()
        try:
            return self._search(text, timeout=limit) is not None
        except TimeoutError:
            message = self._timed_out() if limit == SEARCH_TIME_LIMIT else self._used_up()
            raise RegexTimeoutError(self.source, message) from None
        finally:
            clock.left -= perf_counter() - started

    def _timed_out(self) -> str:
        milliseconds = round(SEARCH_TIME_LIMIT * 1000)
        return f"regex {_shown(self.source)} timed out after {milliseconds} ms"

    def _used_up(self) -> str:
        milliseconds = round(TURN_TIME_LIMIT * 1000)
        return (
            f"regex {_shown(self.source)} timed out: the turn's {milliseconds} ms "
            "for regular expressions are used up"
        )

    def __repr__(self) -> str:
        return f"JsRegex({self.source!r})"


def _reason(pattern: str, translated: str, error: Any) -> str:
    """`regex`'s reason, without a position that would point into the translated pattern."""
    if getattr(error, "pos", None) is None or translated == pattern:
        return str(error)
    return str(error.msg)


@functools.lru_cache(maxsize=512)
def compile_js_regex(pattern: str) -> JsRegex:
    """Compile a JS pattern (no slashes, no flags); raises JsRegexError with the reason."""
    translated, size = _translate(pattern)
    if size > MAX_PATTERN_SIZE:
        raise JsRegexError(
            f"pattern too large: {size:,} characters with its repeats counted out "
            f"(at most {MAX_PATTERN_SIZE:,})"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compiled = regex.compile(translated, regex.ASCII | regex.VERSION0)
    except regex.error as exc:
        raise JsRegexError(_reason(pattern, translated, exc)) from exc
    except RecursionError as exc:
        raise JsRegexError("pattern too deeply nested") from exc
    except (OverflowError, MemoryError) as exc:  # pragma: no cover - the size check comes first
        raise JsRegexError("pattern too large") from exc
    return JsRegex(pattern, compiled.search)
