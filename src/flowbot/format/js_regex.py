"""JavaScript regular expressions in Python: the `regex` operator of edge conditions.

CLOSER patterns are JS syntax (no slashes, no flags). `translate_js_regex`
rewrites the JS-only parts into Python `re` syntax (named groups and
back-references, `$` as end of input, `[^]`, `[]`, `\\cX`, `\\0`, `\\/`), and
`compile_js_regex` compiles the result ASCII-only, as JS's `\\d \\w \\b` are.
"""

from __future__ import annotations

import functools
import re
import warnings

__all__ = ["compile_js_regex", "regex_error_reason", "translate_js_regex"]


def translate_js_regex(pattern: str) -> str:
    """Rewrite the JS-only parts of a pattern into Python `re` syntax (see module doc)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        ch = pattern[i]
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            named = re.match(r"k<([A-Za-z_]\w*)>", pattern[i + 1 :])
            if nxt == "k" and named and not in_class:
                out.append(f"(?P={named.group(1)})")
                i += 1 + named.end()
                continue
            if nxt == "c" and i + 2 < n and pattern[i + 2].isascii() and pattern[i + 2].isalpha():
                out.append(f"\\x{ord(pattern[i + 2]) % 32:02x}")
                i += 3
                continue
            if nxt == "/":
                out.append("/")
            elif nxt == "0" and not (i + 2 < n and pattern[i + 2].isdigit()):
                out.append("\\x00")
            else:
                out.append(ch + nxt)
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
            elif ch == "[":
                ch = "\\["  # Python would read a nested set here
            out.append(ch)
            i += 1
            continue
        if ch == "[":
            if pattern.startswith("[^]", i):
                out.append("[\\s\\S]")
                i += 3
                continue
            if pattern.startswith("[]", i):
                out.append("(?!)")
                i += 2
                continue
            in_class = True
            out.append(ch)
            i += 1
            continue
        if ch == "(" and pattern.startswith("(?<", i) and pattern[i + 3 : i + 4] not in ("=", "!"):
            out.append("(?P<")
            i += 3
            continue
        if ch == "$":
            out.append("\\Z")
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def regex_error_reason(pattern: str, error: re.error) -> str:
    """Python's reason, without a position that would point into the translated pattern."""
    if error.pos is None or translate_js_regex(pattern) == pattern:
        return str(error)
    return str(error.msg)


@functools.lru_cache(maxsize=512)
def compile_js_regex(pattern: str) -> re.Pattern[str]:
    """Compile a JS pattern (no slashes, no flags); raises re.error with Python's reason."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return re.compile(translate_js_regex(pattern), re.ASCII)
