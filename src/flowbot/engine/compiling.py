"""Load-time helpers shared by the node modules: compile once, report problems.

Every template of a node is compiled here exactly once; a value without any
`{{` is kept as plain data and deep-copied per render (cheaper than walking a
compiled value, and replies never share objects with the program).
"""

from __future__ import annotations

import marshal
from collections.abc import Mapping
from typing import Any, Protocol

from flowbot.engine.context import PAYLOAD_LIMIT
from flowbot.format.models import Id
from flowbot.format.problems import Problem, template_error_message
from flowbot.template import (
    Template,
    TemplateSyntaxError,
    compile_template,
    compile_value,
)
from flowbot.template.masking import mentions_mask

__all__ = [
    "NodeCompiler",
    "Renderable",
    "StaticValue",
    "is_static",
    "long_payloads",
]


class Renderable(Protocol):
    def render(self, context: Mapping[str, Any]) -> Any: ...


def is_static(value: Any) -> bool:
    """True when no string inside `value` can hold a template tag."""
    if isinstance(value, str):
        return "{{" not in value
    if isinstance(value, dict):
        return all(is_static(key) and is_static(item) for key, item in value.items())
    if isinstance(value, list):
        return all(is_static(item) for item in value)
    return True


class StaticValue:
    """A value without templates; each render returns a fresh deep copy.

    The copy comes from a marshal snapshot taken at load: unmarshalling is C
    code and several times faster than walking the value in Python.
    """

    __slots__ = ("_snapshot", "value")

    def __init__(self, value: Any) -> None:
        self.value = value
        self._snapshot = marshal.dumps(value)

    def render(self, context: Mapping[str, Any]) -> Any:
        return marshal.loads(self._snapshot)


def long_payloads(buttons: Any, path: str) -> list[tuple[str, int]]:
    """(JSON path, length) of every payload over the limit in a list of buttons."""
    found: list[tuple[str, int]] = []
    if not isinstance(buttons, list):
        return found
    for index, button in enumerate(buttons):
        if isinstance(button, dict):
            payload = button.get("payload")
            if isinstance(payload, str) and len(payload) > PAYLOAD_LIMIT:
                found.append((f"{path}[{index}].payload", len(payload)))
    return found


class NodeCompiler:
    """Compiles the templates of one node, collecting problems instead of stopping."""

    def __init__(
        self, source: str, problems: list[Problem], flow_id: Id | None, node_id: Id | None
    ) -> None:
        self.source = source
        self.problems = problems
        self.flow_id = flow_id
        self.node_id = node_id
        # whether a template here may call MASK: the engine then stars logged replies
        self.uses_mask = False

    def error(self, path: str, message: str) -> None:
        self.problems.append(
            Problem(self.source, message, flow_id=self.flow_id, node_id=self.node_id, path=path)
        )

    def template(self, source: str, path: str) -> Template | None:
        if "MASK" in source:
            self.uses_mask = True
        try:
            return compile_template(source)
        except TemplateSyntaxError as exc:
            self.error(path, template_error_message(exc.message, exc.line, exc.column))
            return None

    def value(self, value: Any, path: str) -> Renderable | None:
        if is_static(value):
            return StaticValue(value)
        if not self.uses_mask and mentions_mask(value):
            self.uses_mask = True
        try:
            return compile_value(value)
        except TemplateSyntaxError as exc:
            inner = f"{path}.{exc.path}" if exc.path else path
            inner = inner.replace(".[", "[")
            self.error(inner, template_error_message(exc.message, exc.line, exc.column))
            return None
