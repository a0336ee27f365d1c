"""Edge conditions: the `where` object of an edge (docs/format.md#conditions-where), compiled once.

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
* `regex`: searched (not anchored) in the text of a string or number value,
  with JavaScript's meaning (`flowbot.format.js_regex` translates): `$` is the
  end of input, `\\d \\w \\b` are ASCII only, `\\s` is JS white space, `.` stops
  at JS line terminators. An invalid pattern is a `ConditionError`, and so is
  a search that goes over its time limit (50 ms each, 200 ms for all the
  searches of a turn).
* Operand strings containing `{{` are templates rendered against the context
  at evaluation time (a templated regex is compiled and cached per rendered
  pattern). Non-string operands are constants.

`holds` raises `ConditionError` when evaluation itself fails (a template
render error, a templated regex that renders to an invalid pattern, a regex
search that timed out — then `__cause__` is the `RegexTimeoutError`); the
engine treats that as a turn error.

This module compiles a `where` into the condition tree; context paths and
operator semantics live in `flowbot.format.condition_values`, the JS regex
translation in `flowbot.format.js_regex`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, Final

from flowbot.format.condition_values import (
    OPERATOR_TESTS,
    ContextPath,
    as_number,
    message_text,
    regex_matches,
    resolve_path,
    split_path,
)
from flowbot.format.js_regex import JsRegexError, RegexClock, RegexTimeoutError, compile_js_regex
from flowbot.format.problems import template_error_message
from flowbot.template import (
    Template,
    TemplateError,
    TemplateSyntaxError,
    compile_template,
)

__all__ = ["OPERATORS", "Condition", "ConditionError", "compile_where"]

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


# --- conditions ----------------------------------------------------------------


class Condition(ABC):
    """A compiled `where`; `size` counts its leaf conditions (edge tie-breaking).

    `holds(context, clock)`: `clock` is the turn's RegexClock, which all the
    regex searches of a turn share (None: each search is bounded alone).
    """

    __slots__ = ("size",)

    size: int

    @abstractmethod
    def holds(self, context: Mapping[str, Any], clock: RegexClock | None = None) -> bool: ...


class _Always(Condition):
    __slots__ = ()

    def __init__(self) -> None:
        self.size = 0

    def holds(self, context: Mapping[str, Any], clock: RegexClock | None = None) -> bool:
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
        self._test = OPERATOR_TESTS[operator]

    def holds(self, context: Mapping[str, Any], clock: RegexClock | None = None) -> bool:
        parts = self._parts
        actual = message_text(context) if parts is None else resolve_path(context, parts)
        operand = self._operand if self._template is None else self._render(context)
        return self._test(actual, operand)

    def _error_path(self) -> str:
        return f"where[{json.dumps(self._path, ensure_ascii=False)}].{self._operator}"

    def _render(self, context: Mapping[str, Any]) -> Any:
        assert self._template is not None
        try:
            text = self._template.render(context)
        except TemplateError as exc:
            raise ConditionError(self._error_path(), f"template failed: {exc}") from exc
        if self._operator != "regex":
            return text
        try:
            return compile_js_regex(text)
        except JsRegexError as exc:
            raise ConditionError(
                self._error_path(), f"invalid regular expression {text!r}: {exc}"
            ) from exc

    def __repr__(self) -> str:
        return f"Leaf({self._path!r} {self._operator} {self._operand!r})"


class _RegexLeaf(_Leaf):
    """A `regex` leaf: its searches are charged to the turn's clock."""

    __slots__ = ()

    def holds(self, context: Mapping[str, Any], clock: RegexClock | None = None) -> bool:
        parts = self._parts
        actual = message_text(context) if parts is None else resolve_path(context, parts)
        pattern = self._operand if self._template is None else self._render(context)
        try:
            return regex_matches(actual, pattern, clock)
        except RegexTimeoutError as exc:
            raise ConditionError(self._error_path(), exc.message) from exc


class _All(Condition):
    __slots__ = ("_children",)

    def __init__(self, children: Sequence[Condition]) -> None:
        self._children = tuple(children)
        self.size = sum(child.size for child in self._children)

    def holds(self, context: Mapping[str, Any], clock: RegexClock | None = None) -> bool:
        return all(child.holds(context, clock) for child in self._children)

    def __repr__(self) -> str:
        return f"All{self._children!r}"


class _AnyOf(Condition):
    __slots__ = ("_children",)

    def __init__(self, children: Sequence[Condition]) -> None:
        self._children = tuple(children)
        self.size = sum(child.size for child in self._children)

    def holds(self, context: Mapping[str, Any], clock: RegexClock | None = None) -> bool:
        return any(child.holds(context, clock) for child in self._children)

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
        if template is None and as_number(operand) is None:
            raise ConditionError(
                path, f"{operator} takes a number, not {json.dumps(operand, ensure_ascii=False)}"
            )
    elif operator == "regex":
        if not isinstance(operand, str):
            raise ConditionError(path, "regex takes a pattern string (without slashes)")
        if template is None:
            try:
                return compile_js_regex(operand), None
            except JsRegexError as exc:
                raise ConditionError(path, f"invalid regular expression: {exc}") from exc
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
    if operator not in OPERATOR_TESTS:
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
    leaf = _RegexLeaf if operator == "regex" else _Leaf
    return leaf(key, parts, operator, value, template)


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
