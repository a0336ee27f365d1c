"""Edge conditions: the `where` object of an edge (SPEC §1), compiled once.

`compile_where(where)` turns a `where` into a `Condition` whose
`holds(context)` is cheap: paths are split at compile time, constant regexes
compiled, template operands compiled (and rendered per evaluation).

Semantics (decisions where CLOSER is silent or loose):

* A `where` maps a context path to one operator object; several keys are AND.
  `{"$or": [where, …]}` / `{"$and": [where, …]}` nest (non-empty lists).
* Paths: `a.b`, `a.b[0].c`, `a.b.[0].c`, `a["key with.dot"]`. A number part
  indexes a list; `length` of a string or list is its length. A top-level
  name missing from the context resolves in `params` (as in templates). The
  path `message` alone is the message text.
* A value *exists* when the path resolves to something other than null.
* `equals` / `notEquals` compare loosely, like JS `==` on scalars: numbers
  compare numerically (1 equals 1.0); a string and a number are equal when
  the string is a number with that value ("1", " 1 ", "1.0" equal 1); a
  string and a boolean compare as "true"/"false"; a boolean never equals a
  number; null only equals null; objects and arrays compare deeply.
* `contains`: substring of a string (a number operand compares as its text),
  element of an array (loose equality), key of an object. A number value is
  searched as its text. Anything else never contains.
* `gt gte lt lte`: both sides numbers or numeric strings, else no match.
* `regex`: searched (not anchored) in the text of a string or number value.
  JavaScript syntax is translated: `(?<name>` → `(?P<name>`, `\\k<name>` →
  `(?P=name)`, `$` means end of input, `[^]` any character, `[]` nothing,
  `\\cX` control characters, `\\d \\w \\b` ASCII only (as in JS). What Python
  cannot do (e.g. variable-width look-behind) is a `ConditionError`.
* Operand strings containing `{{` are templates rendered against the context
  at evaluation time (a templated regex is compiled and cached per rendered
  pattern). Non-string operands are constants.

`holds` raises `ConditionError` when evaluation itself fails (a template
render error, a templated regex that renders to an invalid pattern); the
engine treats that as a turn error.
"""

from __future__ import annotations

import functools
import json
import math
import re
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from flowbot.format.problems import template_error_message
from flowbot.template import (
    Template,
    TemplateError,
    TemplateSyntaxError,
    compile_template,
)

__all__ = [
    "OPERATORS",
    "Condition",
    "ConditionError",
    "compile_where",
    "loose_equals",
    "resolve_path",
    "split_path",
]

OPERATORS: Final = (
    "equals",
    "notEquals",
    "contains",
    "exists",
    "gt",
    "gte",
    "lt",
    "lte",
    "regex",
)
_COMBINATORS: Final = ("$or", "$and")


class ConditionError(Exception):
    """A `where` that cannot be compiled or evaluated; `.path` is the JSON path in the edge."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

PathPart = str | int
ContextPath = tuple[PathPart, ...]


# --- paths ---------------------------------------------------------------------

_PATH_TOKEN = re.compile(
    r"""
      \[\s*(?P<index>-?\d+)\s*\]          # [0]
    | \[\s*"(?P<dq>(?:[^"\\]|\\.)*)"\s*\] # ["key"]
    | \[\s*'(?P<sq>[^']*)'\s*\]           # ['key']
    | \.?(?P<name>[^.\[\]]+)              # name or .name
    | \.(?=\[)                            # the dot of a.[0]
    """,
    re.VERBOSE,
)


def split_path(path: str) -> ContextPath:
    """`a.b[0]["c.d"]` → ("a", "b", 0, "c.d"); raises ValueError on a malformed path."""
    if not path or path != path.strip():
        raise ValueError("a context path must be non-empty, without surrounding spaces")
    parts: list[PathPart] = []
    pos = 0
    while pos < len(path):
        if path[pos] == "." and pos == 0:
            raise ValueError(f"context path {path!r} starts with a dot")
        match = _PATH_TOKEN.match(path, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"malformed context path {path!r} at character {pos + 1}")
        if match.group("index") is not None:
            parts.append(int(match.group("index")))
        elif match.group("dq") is not None:
            parts.append(json.loads(f'"{match.group("dq")}"'))
        elif match.group("sq") is not None:
            parts.append(match.group("sq"))
        elif match.group("name") is not None:
            name = match.group("name")
            parts.append(int(name) if name.isdigit() and name.isascii() else name)
        pos = match.end()
    if path.endswith("."):
        raise ValueError(f"context path {path!r} ends with a dot")
    if not parts or not isinstance(parts[0], str):
        raise ValueError(f"context path {path!r} must start with a name")
    return tuple(parts)


def _step(value: Any, part: PathPart) -> Any:
    if isinstance(value, Mapping):
        return value.get(part if isinstance(part, str) else str(part), MISSING)
    if isinstance(value, list | tuple):
        if isinstance(part, int):
            return value[part] if -len(value) <= part < len(value) else MISSING
        if part == "length":
            return len(value)
        return MISSING
    if isinstance(value, str) and part == "length":
        return len(value)
    return MISSING


def resolve_path(context: Mapping[str, Any], parts: ContextPath) -> Any:
    """The value at `parts` in `context`, or `MISSING`; a missing top-level name looks in params."""
    head = parts[0]
    value = context.get(head, MISSING)  # type: ignore[arg-type]
    if value is MISSING:
        params = context.get("params")
        if isinstance(params, Mapping):
            value = params.get(head, MISSING)
    for part in parts[1:]:
        if value is MISSING:
            return MISSING
        value = _step(value, part)
    return value


def _message_text(context: Mapping[str, Any]) -> Any:
    message = context.get("message", MISSING)
    if isinstance(message, Mapping):
        return message.get("text", MISSING)
    return message


# --- value semantics -----------------------------------------------------------

_NUMERIC = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def _as_number(value: Any) -> int | float | None:
    # ints stay ints so that big integers compare exactly
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, str):
        text = value.strip()
        if _NUMERIC.fullmatch(text):
            if text.lstrip("+-").isdigit() and len(text) < 4000:  # int() refuses longer
                return int(text)
            return float(text)
    return None


def _js_text(value: Any) -> str | None:
    """The text JS would print for a scalar; None for null, objects and arrays."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        return repr(value)
    return None


def loose_equals(left: Any, right: Any) -> bool:
    """Equality of `equals` (see the module docstring)."""
    if left is None or right is None or left is MISSING or right is MISSING:
        return (left is None or left is MISSING) and (right is None or right is MISSING)
    if isinstance(left, str) and isinstance(right, str):
        return left == right
    left_bool, right_bool = isinstance(left, bool), isinstance(right, bool)
    if left_bool or right_bool:
        if left_bool and right_bool:
            return bool(left == right)
        if isinstance(left, str) or isinstance(right, str):
            return _js_text(left) == _js_text(right)
        return False
    if isinstance(left, int | float | str) and isinstance(right, int | float | str):
        a, b = _as_number(left), _as_number(right)
        return a is not None and a == b
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(loose_equals(left[k], right[k]) for k in left)
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(map(loose_equals, left, right))
    return False


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(actual, list | tuple):
        return any(loose_equals(item, expected) for item in actual)
    if isinstance(actual, Mapping):
        key = _js_text(expected)
        return key is not None and key in actual
    if isinstance(actual, int | float) and not isinstance(actual, bool):
        actual = _js_text(actual)
    if isinstance(actual, str):
        needle = _js_text(expected)
        return needle is not None and needle in actual
    return False


def _exists(actual: Any, expected: Any) -> bool:
    present = actual is not MISSING and actual is not None
    return present is expected


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    def test(actual: Any, expected: Any) -> bool:
        a, b = _as_number(actual), _as_number(expected)
        return a is not None and b is not None and compare(a, b)

    return test


def _regex(actual: Any, pattern: Any) -> bool:
    if isinstance(actual, bool) or not isinstance(actual, str | int | float):
        return False
    text = _js_text(actual)
    assert isinstance(pattern, re.Pattern)
    return text is not None and pattern.search(text) is not None


_TESTS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "equals": loose_equals,
    "notEquals": lambda actual, expected: not loose_equals(actual, expected),
    "contains": _contains,
    "exists": _exists,
    "gt": _numeric(lambda a, b: a > b),
    "gte": _numeric(lambda a, b: a >= b),
    "lt": _numeric(lambda a, b: a < b),
    "lte": _numeric(lambda a, b: a <= b),
    "regex": _regex,
}


# --- JS regex → Python ---------------------------------------------------------


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


# --- conditions ----------------------------------------------------------------


class Condition(ABC):
    """A compiled `where`; `size` counts its leaf conditions (edge tie-breaking)."""

    __slots__ = ("size",)

    size: int

    @abstractmethod
    def holds(self, context: Mapping[str, Any]) -> bool: ...


class _Always(Condition):
    __slots__ = ()

    def __init__(self) -> None:
        self.size = 0

    def holds(self, context: Mapping[str, Any]) -> bool:
        return True

    def __repr__(self) -> str:
        return "Always()"


ALWAYS: Final[Condition] = _Always()


class _Leaf(Condition):
    __slots__ = ("_operand", "_operator", "_parts", "_path", "_template", "_test")

    def __init__(
        self,
        path: str,
        parts: ContextPath | None,
        operator: str,
        operand: Any,
        template: Template | None,
    ) -> None:
        self.size = 1
        self._path = path
        self._parts = parts  # None: the path `message`, i.e. the message text
        self._operator = operator
        self._operand = operand
        self._template = template
        self._test = _TESTS[operator]

    def holds(self, context: Mapping[str, Any]) -> bool:
        parts = self._parts
        actual = _message_text(context) if parts is None else resolve_path(context, parts)
        operand = self._operand if self._template is None else self._render(context)
        return self._test(actual, operand)

    def _render(self, context: Mapping[str, Any]) -> Any:
        assert self._template is not None
        error_path = f"where[{json.dumps(self._path, ensure_ascii=False)}].{self._operator}"
        try:
            text = self._template.render(context)
        except TemplateError as exc:
            raise ConditionError(error_path, f"template failed: {exc}") from exc
        if self._operator != "regex":
            return text
        try:
            return compile_js_regex(text)
        except re.error as exc:
            reason = regex_error_reason(text, exc)
            raise ConditionError(
                error_path, f"invalid regular expression {text!r}: {reason}"
            ) from exc

    def __repr__(self) -> str:
        return f"Leaf({self._path!r} {self._operator} {self._operand!r})"


class _All(Condition):
    __slots__ = ("_children",)

    def __init__(self, children: Sequence[Condition]) -> None:
        self._children = tuple(children)
        self.size = sum(child.size for child in self._children)

    def holds(self, context: Mapping[str, Any]) -> bool:
        return all(child.holds(context) for child in self._children)

    def __repr__(self) -> str:
        return f"All{self._children!r}"


class _AnyOf(Condition):
    __slots__ = ("_children",)

    def __init__(self, children: Sequence[Condition]) -> None:
        self._children = tuple(children)
        self.size = sum(child.size for child in self._children)

    def holds(self, context: Mapping[str, Any]) -> bool:
        return any(child.holds(context) for child in self._children)

    def __repr__(self) -> str:
        return f"AnyOf{self._children!r}"


def _key_path(prefix: str, key: str) -> str:
    return f"{prefix}[{json.dumps(key, ensure_ascii=False)}]"


def _compile_operand(operator: str, operand: Any, path: str) -> tuple[Any, Template | None]:
    template: Template | None = None
    if isinstance(operand, str) and "{{" in operand:
        try:
            compiled = compile_template(operand)
        except TemplateSyntaxError as exc:
            message = template_error_message(exc.message, exc.line, exc.column)
            raise ConditionError(path, message) from exc
        if not compiled.is_static:
            template = compiled
    if operator == "exists":
        if not isinstance(operand, bool):
            raise ConditionError(path, f"exists takes true or false, not {json.dumps(operand)}")
    elif operator in ("gt", "gte", "lt", "lte"):
        if template is None and _as_number(operand) is None:
            raise ConditionError(
                path, f"{operator} takes a number, not {json.dumps(operand, ensure_ascii=False)}"
            )
    elif operator == "regex":
        if not isinstance(operand, str):
            raise ConditionError(path, "regex takes a pattern string (without slashes)")
        if template is None:
            try:
                return compile_js_regex(operand), None
            except re.error as exc:
                reason = regex_error_reason(operand, exc)
                raise ConditionError(path, f"invalid regular expression: {reason}") from exc
    return operand, template


def _compile_leaf(key: str, spec: Any, path: str) -> Condition:
    if not isinstance(spec, Mapping):
        shown = json.dumps(spec, ensure_ascii=False)
        raise ConditionError(
            path, f'expected one operator object such as {{"equals": …}}, not {shown}'
        )
    if len(spec) != 1:
        found = ", ".join(map(str, spec)) or "none"
        raise ConditionError(path, f"expected exactly one operator, found {found}")
    ((operator, operand),) = spec.items()
    if operator not in _TESTS:
        raise ConditionError(
            f"{path}.{operator}",
            f"unknown operator {operator!r} (known: {', '.join(OPERATORS)})",
        )
    parts: ContextPath | None
    if key == "message":
        parts = None
    else:
        try:
            parts = split_path(key)
        except ValueError as exc:
            raise ConditionError(path, str(exc)) from exc
    value, template = _compile_operand(operator, operand, f"{path}.{operator}")
    return _Leaf(key, parts, operator, value, template)


def _compile_map(where: Any, path: str) -> Condition:
    if not isinstance(where, Mapping):
        raise ConditionError(path, "expected an object mapping context paths to operators")
    children: list[Condition] = []
    for key, spec in where.items():
        if not isinstance(key, str):
            raise ConditionError(path, f"condition keys must be strings, not {key!r}")
        key_path = _key_path(path, key)
        if key.startswith("$"):
            if key not in _COMBINATORS:
                raise ConditionError(key_path, f"unknown combinator {key!r} (known: $or, $and)")
            if not isinstance(spec, list) or not spec:
                raise ConditionError(key_path, f"{key} takes a non-empty list of conditions")
            nested = [_compile_map(item, f"{key_path}[{i}]") for i, item in enumerate(spec)]
            children.append(_AnyOf(nested) if key == "$or" else _All(nested))
        else:
            children.append(_compile_leaf(key, spec, key_path))
    if len(children) == 1:
        return children[0]
    return _All(children)


def compile_where(where: Mapping[str, Any] | None) -> Condition:
    """Compile an edge's `where`; None (or {}) holds always with size 0."""
    if where is None:
        return ALWAYS
    compiled = _compile_map(where, "where")
    return ALWAYS if isinstance(compiled, _All) and not compiled._children else compiled
