"""`compile_template` and `Template`: parse once, render many times."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from flowbot.template.ast import Block, Mustache, Program
from flowbot.template.compiler import Compiler, ExpansionPath, paths_in
from flowbot.template.helpers import HELPERS
from flowbot.template.jsvalues import js_string
from flowbot.template.limits import MAX_OUTPUT, UNCHARGED, Budget, too_long
from flowbot.template.parser import parse
from flowbot.template.runtime import Render, new_env
from flowbot.template.whitespace import apply_whitespace_control

__all__ = ["Helpers", "Template", "clear_template_cache", "compile_template"]

Helpers = Mapping[str, Callable[..., Any]]


class Template:
    """A compiled template. `render` only runs closures; it never parses.

    A render has a budget (`flowbot.template.limits`): past it, it raises
    TemplateLimitError. `loops` tells whether the template has any loop
    (#each, a section), i.e. whether its renders need a budget.
    """

    __slots__ = ("_limit", "_render", "expansions", "is_static", "loops", "source")

    def __init__(
        self,
        source: str,
        render: Render,
        *,
        is_static: bool,
        expansions: list[ExpansionPath],
        loops: bool = True,
    ) -> None:
        self.source = source
        self.is_static = is_static
        self.expansions = expansions
        self._render = render
        # the builder's own text is never too long
        self._limit = max(MAX_OUTPUT, len(source))
        self.loops = loops

    def render(self, context: Mapping[str, Any], budget: Budget | None = None) -> str:
        """The text for `context`; raises TemplateRenderError when a helper fails.

        `budget` is the one to charge when the render is part of a larger one
        (a CompiledValue's); None: the render has its own.
        """
        if budget is None:
            budget = Budget() if self.loops else UNCHARGED
        output = self._render(context, new_env(context, None, budget))
        text = output if type(output) is str else js_string(output)
        if len(text) > self._limit:
            raise too_long(self._limit)
        return text

    def render_at(
        self, context: Mapping[str, Any], index: int, budget: Budget | None = None
    ) -> str:
        """Render inside an expanded list item, with `[i]` bound to `index`."""
        if budget is None:
            budget = Budget() if self.loops else UNCHARGED
        output = self._render(context, new_env(context, index, budget))
        text = output if type(output) is str else js_string(output)
        if len(text) > self._limit:
            raise too_long(self._limit)
        return text

    def __repr__(self) -> str:
        return f"Template({self.source!r})"


def compile_template(
    source: str, *, helpers: Helpers | None = None, expand: bool = False
) -> Template:
    """Parse and compile `source`; raises TemplateSyntaxError(message, line, column).

    `helpers` replaces the function-style helper table (default: HELPERS), e.g.
    one built by `helpers.make_helpers` with a fixed clock. With `expand`,
    bracketed `[i]` and `[0..5]` path parts stand for the array-expansion index.

    Compiled templates are immutable, so those built with the default helpers
    are shared through a cache keyed by source: a bot repeats the same texts
    and paths in many nodes, and validation and the engine compile the same
    strings.
    """
    if helpers is None:
        return _compile_shared(source, expand)
    return _compile(source, helpers, expand)


def clear_template_cache() -> None:
    """Forget every shared compiled template (benchmarks use it to measure cold loads)."""
    _compile_shared.cache_clear()


@lru_cache(maxsize=16384)
def _compile_shared(source: str, expand: bool) -> Template:
    return _compile(source, HELPERS, expand)


def _static(source: str) -> Render:
    def render(context: Mapping[str, Any], env: Any) -> str:
        return source

    return render


def _compile(source: str, helpers: Helpers, expand: bool) -> Template:
    if "{{" not in source and "\x00" not in source:
        # No tag can start without "{{": the whole text is content (handlebars.js
        # refuses NUL characters, so those still go through the lexer's error).
        return Template(source, _static(source), is_static=True, expansions=[], loops=False)
    program = apply_whitespace_control(parse(source))
    paths = list(paths_in(program))
    compiler = Compiler(
        source,
        helpers,
        expand=expand,
        uses_depths=any(path.depth for path in paths),
        uses_data=any(path.data for path in paths),
    )
    render = compiler.program(program)
    return Template(
        source,
        render,
        is_static=not _has_tags(program),
        expansions=compiler.expansions,
        loops=compiler.loops,
    )


def _has_tags(program: Program) -> bool:
    return any(isinstance(statement, Mustache | Block) for statement in program.body)
