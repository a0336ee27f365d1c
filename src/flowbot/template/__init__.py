"""The CLOSER dialect of Handlebars (SPEC §5).

PUBLIC API — other packages depend on exactly these names and signatures:

    compile_template(source: str) -> Template
        Parses once; raises TemplateSyntaxError(message, line, column).
    Template.render(context: Mapping[str, Any]) -> str
        Never re-parses. Raises TemplateRenderError for run-time failures.
    Template.source: str ; Template.is_static: bool (no tags at all)
    compile_value(value: Any) -> CompiledValue
        Compiles every string inside a JSON-like value (dicts, lists, scalars);
        raises TemplateSyntaxError whose `.path` names the JSON path (e.g.
        "cards[0].title").
    CompiledValue.render(context) -> Any
        Renders the value, applying array expansion inside lists
        (`{{arr[i].x}}` / `{{arr[0..5].x}}` clone a list item per element).

TEMPORARY PLACEHOLDER: this file only substitutes plain `{{path}}` tags so
that the engine can be developed against the API; the real parser/compiler
replaces it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CompiledValue",
    "Template",
    "TemplateError",
    "TemplateRenderError",
    "TemplateSyntaxError",
    "compile_template",
    "compile_value",
]


class TemplateError(Exception):
    pass


class TemplateSyntaxError(TemplateError):
    def __init__(self, message: str, line: int = 1, column: int = 1, path: str = "") -> None:
        self.message = message
        self.line = line
        self.column = column
        self.path = path
        super().__init__(f"{line}:{column}: {message}")


class TemplateRenderError(TemplateError):
    pass


_TAG = re.compile(r"\{\{\{?\s*([^{}]+?)\s*\}?\}\}")


def _lookup(context: Mapping[str, Any], path: str) -> Any:
    value: Any = context
    for part in re.split(r"\.|\[|\]", path):
        if not part:
            continue
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


class Template:
    def __init__(self, source: str) -> None:
        self.source = source
        self.is_static = "{{" not in source

    def render(self, context: Mapping[str, Any]) -> str:
        def sub(m: re.Match[str]) -> str:
            v = _lookup(context, m.group(1))
            if v is None and "params" in context:
                v = _lookup(context["params"], m.group(1))
            return "" if v is None else str(v)

        return _TAG.sub(sub, self.source)


def compile_template(source: str) -> Template:
    return Template(source)


class CompiledValue:
    def __init__(self, value: Any) -> None:
        self.value = value

    def render(self, context: Mapping[str, Any]) -> Any:
        def walk(v: Any) -> Any:
            if isinstance(v, str):
                return Template(v).render(context)
            if isinstance(v, list):
                return [walk(x) for x in v]
            if isinstance(v, dict):
                return {k: walk(x) for k, x in v.items()}
            return v

        return walk(self.value)


def compile_value(value: Any) -> CompiledValue:
    return CompiledValue(value)
