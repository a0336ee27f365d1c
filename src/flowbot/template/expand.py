"""`compile_value`: templates inside JSON-like values, with CLOSER's array expansion.

Every string in a message (or any JSON value) is compiled once. Inside a list
whose items are objects — cards, buttons, quick replies — an item that uses
`{{arr[i].x}}` is cloned once per element of `arr` (at most 10), `i` bound
to each index in turn; `{{arr[0..5].x}}` clones for indices 0 to 5, skipping
indices past the end of `arr` — a range is the way past 10 clones (CLOSER's
guide), so it has no such cap; its clones are charged to the render's budget
of `#each` iterations instead. The first such path in an item (in document
order) decides the clones; other `[i]` paths in the item follow the same
index. `arr` is read from the top of the context (not from inside a #each).
A value that is not an array yields no clones: the item disappears. Items
nested in an expanded item (a card's buttons) use that item's index.

One render of a value is one render for the budget of `flowbot.template.limits`:
its strings, clones included, share the #each iterations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from flowbot.template.compiler import ExpansionPath
from flowbot.template.errors import TemplateSyntaxError
from flowbot.template.limits import UNCHARGED, Budget, too_many_copies
from flowbot.template.runtime import new_env
from flowbot.template.template import Helpers, Template, compile_template

__all__ = ["MAX_EXPANSION", "CompiledValue", "compile_value"]

MAX_EXPANSION: Final = 10
_IDENTIFIER: Final = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z")


class _Node:
    """A compiled part of a value; `expansions` lists the `[i]` paths below it.

    `loops`: whether a template below it has a loop (its renders need a budget).
    """

    __slots__ = ("expansions", "loops")

    def __init__(self) -> None:
        self.expansions: list[ExpansionPath] = []
        self.loops = False

    def render(self, context: Mapping[str, Any], index: int | None, budget: Budget) -> Any:
        raise NotImplementedError


class _Leaf(_Node):
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value

    def render(self, context: Mapping[str, Any], index: int | None, budget: Budget) -> Any:
        return self.value


class _Text(_Node):
    __slots__ = ("template",)

    def __init__(self, template: Template) -> None:
        super().__init__()
        self.template = template
        self.expansions = template.expansions
        self.loops = template.loops

    def render(self, context: Mapping[str, Any], index: int | None, budget: Budget) -> Any:
        if index is None:
            return self.template.render(context, budget)
        return self.template.render_at(context, index, budget)


class _Object(_Node):
    __slots__ = ("items",)

    def __init__(self, items: list[tuple[Any, _Node]]) -> None:
        super().__init__()
        self.items = items
        for _, child in items:
            if not isinstance(child, _List):
                self.expansions.extend(child.expansions)
        self.loops = any(child.loops for _, child in items)

    def render(self, context: Mapping[str, Any], index: int | None, budget: Budget) -> Any:
        return {key: child.render(context, index, budget) for key, child in self.items}


class _List(_Node):
    __slots__ = ("elements",)

    def __init__(self, elements: list[_Node]) -> None:
        super().__init__()
        self.elements = elements
        # A range's clones are charged to the budget: its renders need one.
        self.loops = any(element.loops or _expands_a_range(element) for element in elements)

    def render(self, context: Mapping[str, Any], index: int | None, budget: Budget) -> Any:
        output: list[Any] = []
        for element in self.elements:
            # Inside an expanded item, nested items follow its index instead of
            # expanding again (a card's buttons use the card's `i`).
            if index is None and isinstance(element, _Object) and element.expansions:
                expansion = element.expansions[0]
                indices = _expansion_indices(expansion, context, index)
                if expansion.first is not None:
                    budget.iterations -= len(indices)
                    if budget.iterations < 0:
                        raise too_many_copies()
                for bound in indices:
                    output.append(element.render(context, bound, budget))
            else:
                output.append(element.render(context, index, budget))
        return output


def _expands_a_range(element: _Node) -> bool:
    return (
        isinstance(element, _Object)
        and bool(element.expansions)
        and element.expansions[0].first is not None
    )


def _expansion_indices(
    expansion: ExpansionPath, context: Mapping[str, Any], outer: int | None
) -> range:
    array = expansion.array(context, new_env(context, outer, UNCHARGED))  # a path: no loop
    if type(array) is not list and type(array) is not tuple:
        return range(0)
    if expansion.first is None or expansion.last is None:
        return range(min(len(array), MAX_EXPANSION))
    return range(expansion.first, min(expansion.last, len(array) - 1) + 1)


class CompiledValue:
    """A JSON-like value whose strings are compiled templates."""

    __slots__ = ("_root", "value")

    def __init__(self, value: Any, root: _Node) -> None:
        self.value = value
        self._root = root

    def render(self, context: Mapping[str, Any]) -> Any:
        """A fresh copy of the value with every template rendered and list items expanded.

        Its strings share one budget of #each iterations (`flowbot.template.limits`).
        """
        root = self._root
        return root.render(context, None, Budget() if root.loops else UNCHARGED)


def compile_value(value: Any, *, helpers: Helpers | None = None) -> CompiledValue:
    """Compile every string inside `value`; a syntax error's `.path` names where it is."""
    return CompiledValue(value, _compile(value, "", helpers, in_item=False))


def _compile(value: Any, path: str, helpers: Helpers | None, *, in_item: bool) -> _Node:
    if isinstance(value, str):
        try:
            template = compile_template(value, helpers=helpers, expand=in_item)
        except TemplateSyntaxError as error:
            raise error.at_path(path) from None
        return _Leaf(value) if template.is_static and not template.expansions else _Text(template)
    if isinstance(value, Mapping):
        return _Object(
            [
                (key, _compile(child, _join(path, key), helpers, in_item=in_item))
                for key, child in value.items()
            ]
        )
    if isinstance(value, list | tuple):
        return _List(
            [
                _compile(
                    child,
                    f"{path}[{position}]",
                    helpers,
                    in_item=in_item or isinstance(child, Mapping),
                )
                for position, child in enumerate(value)
            ]
        )
    return _Leaf(value)


def _join(path: str, key: Any) -> str:
    name = str(key)
    if _IDENTIFIER.match(name):
        return f"{path}.{name}" if path else name
    return f"{path}[{json.dumps(name, ensure_ascii=False)}]"
