"""AST → Python closures: a template is parsed and compiled once, rendering only calls closures.

Every statement becomes a `Render` closure `(ctx, env) -> value` and every
expression an `Eval` closure `(ctx, env) -> value`; names, helpers and path
parts are resolved at compile time, so unknown helpers are syntax errors with
a line and column, and `render` never looks at the source again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from flowbot.template.assemble import Piece, assemble, text_of
from flowbot.template.ast import (
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
    SubExpr,
)
from flowbot.template.builtins import BUILTIN_ARITY, BUILTIN_HELPERS
from flowbot.template.errors import TemplateError, TemplateRenderError, TemplateSyntaxError
from flowbot.template.jsvalues import UNDEFINED, is_empty, js_string, to_python, truthy
from flowbot.template.lexer import syntax_error
from flowbot.template.limits import MAX_OUTPUT, too_long, too_many_iterations
from flowbot.template.paths import compile_path, compile_path_text
from flowbot.template.runtime import Env, Eval, Frame, Render, js_keys, with_context

__all__ = ["Compiler", "ExpansionPath", "paths_in"]

BLOCK_HELPERS: Final = frozenset({"if", "unless", "with", "each"})
_SCOPED: Final = re.compile(r"^\.|this(?![A-Za-z0-9_])")


def _empty(ctx: Any, env: Env) -> Any:
    return ""


class ExpansionPath:
    """A `{{arr[i].x}}` / `{{arr[0..5].x}}` path: `array` evaluates `arr` at the root."""

    __slots__ = ("array", "first", "last")

    def __init__(self, array: Eval, first: int | None, last: int | None) -> None:
        self.array = array
        self.first = first
        self.last = last


class Compiler:
    def __init__(
        self,
        source: str,
        helpers: Mapping[str, Callable[..., Any]],
        *,
        expand: bool,
        uses_depths: bool = True,
        uses_data: bool = True,
    ) -> None:
        self.source = source
        # Without `@` variables #each need not keep @index and friends up to date.
        self.uses_data = uses_data
        # Without `../` paths no block needs its own depth (handlebars.js' useDepths).
        self.uses_depths = uses_depths
        self.helpers = helpers
        self.expand = expand
        self.expansions: list[ExpansionPath] = []
        # Whether any block may loop (#each, a section on a list): only then does
        # a render need its own budget (flowbot.template.limits).
        self.loops = False

    @property
    def mode(self) -> _Mode:
        return _Mode(push=self.uses_depths, data=self.uses_data)

    def error(self, start: int, message: str) -> TemplateSyntaxError:
        return syntax_error(self.source, start, message)

    # -- statements ----------------------------------------------------------

    def program(self, program: Program | None) -> Render:
        if program is None:
            return _empty
        pieces = [self.statement(statement) for statement in program.body]
        return assemble([piece for piece in pieces if piece is not None], len(program.body))

    def statement(self, node: Statement) -> Piece | None:
        if isinstance(node, Content):
            return Piece.of_text(node.value) if node.value else None
        if isinstance(node, Comment):
            return None
        if isinstance(node, Mustache):
            value = self.mustache_value(node)
            text = None
            head = node.head
            plain = isinstance(head, PathExpr) and not (self.expand and any(head.bracketed))
            if plain and isinstance(head, PathExpr) and not node.params and not node.hash:
                text = compile_path_text(head)
            return Piece(_or_empty(value), text or _printer(value))
        raw, buffered = self.block(node)
        return Piece(raw, text_of(raw), buffered=buffered)

    def mustache_value(self, node: Mustache) -> Eval:
        head = node.head
        if isinstance(head, Call | SubExpr):
            if node.params or node.hash:
                raise self.error(node.start, "unexpected arguments after a helper call")
            return self.expr(head)
        path = _head_path(head)
        if node.params or node.hash:
            name = path.parts[0] if path.is_simple else path.original
            return self.helper(name, node.params, node.hash, head.start)
        if path.is_simple and path.parts[0] in BLOCK_HELPERS:
            name = path.parts[0]
            raise self.error(head.start, f"'{name}' is a block helper: write {{{{#{name} …}}}}")
        return self.path(path)

    def block(self, node: Block) -> tuple[Render, bool]:
        """The block's closure, and whether handlebars.js would buffer it (a lone-name section)."""
        head = node.head
        fn = self.program(node.program)
        inverse = self.program(node.inverse)
        if isinstance(head, Call | SubExpr):
            self.loops = True
            return _block_helper_missing(self.expr(head), fn, inverse, self.mode), False
        path = _head_path(head)
        name = path.parts[0] if path.is_simple else ""
        if name in BLOCK_HELPERS:
            if len(node.params) != 1:
                raise self.error(head.start, f"#{name} takes exactly one argument")
            allowed = {"includeZero"} if name in ("if", "unless") else set()
            for key in node.hash:
                if key not in allowed:
                    raise self.error(node.hash[key].start, f"#{name} has no option '{key}'")
            value = self.expr(node.params[0])
            if name == "each":
                self.loops = True
                return _each(value, fn, inverse, self.mode), False
            if name == "with":
                return _with(value, fn, inverse), False
            include_zero = self.expr(node.hash["includeZero"]) if node.hash else None
            if name == "unless":
                fn, inverse = inverse, fn
            return _if(value, include_zero, fn, inverse), False
        if node.params or node.hash:
            label = name or path.original
            if label in BUILTIN_HELPERS or label in self.helpers:
                raise self.error(head.start, f"'{label}' is not a block helper")
            raise self.error(head.start, f"unknown helper '{label}'")
        self.loops = True
        return (
            _block_helper_missing(self.path(path), fn, inverse, self.mode),
            path.is_simple,
        )

    # -- expressions ---------------------------------------------------------

    def expr(self, node: Expr) -> Eval:
        if isinstance(node, Literal):
            value = node.value
            return lambda ctx, env: value
        if isinstance(node, PathExpr):
            return self.path(node)
        if isinstance(node, Call):
            return self.helper(node.name, node.args, {}, node.start)
        path = _head_path(node.head) if not isinstance(node.head, Call | SubExpr) else None
        if path is None or not path.is_simple:
            raise self.error(node.head.start, "a sub-expression must start with a helper name")
        return self.helper(path.parts[0], node.params, node.hash, node.head.start)

    def path(self, node: PathExpr) -> Eval:
        evaluate, array = compile_path(node, expand=self.expand)
        if array is not None:
            self.expansions.append(ExpansionPath(array[0], array[1], array[2]))
        return evaluate

    def helper(self, name: str, args: list[Expr], hash_: dict[str, Expr], start: int) -> Eval:
        if hash_:
            key = next(iter(hash_))
            raise self.error(hash_[key].start, f"{name} takes no option '{key}'")
        evals = [self.expr(arg) for arg in args]
        if name in BUILTIN_HELPERS:
            low, high = BUILTIN_ARITY[name]
            if len(evals) < low or (high is not None and len(evals) > high):
                count = f"{low}" if low == high else f"at least {low}"
                raise self.error(start, f"{name} takes {count} argument{'s' if low > 1 else ''}")
            return _call_builtin(BUILTIN_HELPERS[name], evals)
        function = self.helpers.get(name)
        if function is None:
            if name in BLOCK_HELPERS:
                raise self.error(start, f"'{name}' is a block helper: write {{{{#{name} …}}}}")
            raise self.error(start, f"unknown helper '{name}'")
        return _call_helper(name, function, evals)


def _head_path(head: Expr) -> PathExpr:
    """The path a head stands for: `{{"foo"}}` and `{{1}}` name `foo` and `1` (Handlebars)."""
    if isinstance(head, PathExpr):
        return head
    assert isinstance(head, Literal)
    text = head.original
    scoped = bool(_SCOPED.search(text))
    return PathExpr([text], [False], text, head.start, scoped=scoped)


def _printer(evaluate: Eval) -> Render:
    def render(ctx: Any, env: Env) -> Any:
        value = evaluate(ctx, env)
        return value if type(value) is str else js_string(value)

    return render


def _or_empty(evaluate: Eval) -> Render:
    def raw(ctx: Any, env: Env) -> Any:
        value = evaluate(ctx, env)
        return "" if value is None or value is UNDEFINED else value

    return raw


# handlebars.js calls a block helper with `this` = the context, or a sealed
# empty object when the context is null or undefined (an #each over [null],
# say); the helper hands that `this` to its blocks, where `{{this}}` then
# prints "[object Object]". Never mutated.
_NULL_CONTEXT: Final[dict[str, Any]] = {}


def _this(ctx: Any) -> Any:
    return _NULL_CONTEXT if ctx is None or ctx is UNDEFINED else ctx


def _if(value: Eval, include_zero: Eval | None, fn: Render, inverse: Render) -> Render:
    def render(ctx: Any, env: Env) -> Any:
        condition = value(ctx, env)
        if truthy(condition):
            if type(condition) is list and not condition:
                return inverse(_this(ctx), env)
            return fn(_this(ctx), env)
        if (
            include_zero is not None
            and condition == 0
            and type(condition) in (int, float)
            and truthy(include_zero(ctx, env))
        ):
            return fn(_this(ctx), env)
        return inverse(_this(ctx), env)

    return render


def _with(value: Eval, fn: Render, inverse: Render) -> Render:
    def render(ctx: Any, env: Env) -> Any:
        context = value(ctx, env)
        if is_empty(context):
            return inverse(_this(ctx), env)
        return fn(context, with_context(env, context, env.data))

    return render


class _Mode:
    """How #each runs: `push` a depth per element (for `../`), keep `data` (@index…)."""

    __slots__ = ("data", "push")

    def __init__(self, *, push: bool, data: bool) -> None:
        self.push = push
        self.data = data


def _iterate(collection: Any, fn: Render, env: Env, mode: _Mode) -> str | None:
    """handlebars.js `each` over an array or object; None when nothing was iterated.

    The render's budget is charged for every element before the loop starts,
    and the loop's output is checked against the size limit as it grows.
    """
    budget = env.budget
    if type(collection) is list or type(collection) is tuple:
        if not collection:
            return None
        budget.iterations -= len(collection)
        if budget.iterations < 0:
            raise too_many_iterations()
        if not mode.push and not mode.data:
            return _join(collection, fn, env)
        keys: Any = range(len(collection))
        items: Any = collection
    elif isinstance(collection, Mapping):
        keys = js_keys(collection)
        if not keys:
            return None
        budget.iterations -= len(keys)
        if budget.iterations < 0:
            raise too_many_iterations()
        items = [collection[key] for key in keys]
    else:
        return None
    frame = Frame(env.data)
    shared = None if mode.push else Env(env.ctx, env.up, frame, env.root, env.index, budget)
    last = len(items) - 1
    size = 0
    parts: list[str] = []
    for index, item in enumerate(items):
        frame.key = keys[index]
        frame.index = index
        frame.first = index == 0
        frame.last = index == last
        output = fn(item, shared or with_context(env, item, frame))
        if type(output) is not str:
            output = js_string(output)
        size += len(output)
        if size > MAX_OUTPUT:
            raise too_long(MAX_OUTPUT)
        parts.append(output)
    return "".join(parts)


def _join(collection: list[Any] | tuple[Any, ...], fn: Render, env: Env) -> str:
    """The loop without @data or depths: the same env for every element."""
    size = 0
    parts: list[str] = []
    for item in collection:
        output = fn(item, env)
        if type(output) is not str:
            output = js_string(output)
        size += len(output)
        if size > MAX_OUTPUT:
            raise too_long(MAX_OUTPUT)
        parts.append(output)
    return "".join(parts)


def _each(value: Eval, fn: Render, inverse: Render, mode: _Mode) -> Render:
    def render(ctx: Any, env: Env) -> Any:
        output = _iterate(value(ctx, env), fn, env, mode)
        return inverse(_this(ctx), env) if output is None else output

    return render


def _block_helper_missing(value: Eval, fn: Render, inverse: Render, mode: _Mode) -> Render:
    """`{{#name}}` where name is no helper: a Mustache-style section."""

    def render(ctx: Any, env: Env) -> Any:
        context = value(ctx, env)
        # handlebars.js calls blockHelperMissing with `this` = the context
        # itself, null included (unlike the named helpers above)
        if context is True:
            return fn(ctx, env)
        if context is False or context is None or context is UNDEFINED:
            return inverse(ctx, env)
        if type(context) is list or type(context) is tuple:
            output = _iterate(context, fn, env, mode) if context else None
            return inverse(ctx, env) if output is None else output
        return fn(context, with_context(env, context, env.data))

    return render


def _call_builtin(function: Callable[..., Any], evals: list[Eval]) -> Eval:
    if len(evals) == 2:
        left, right = evals
        return lambda ctx, env: function(left(ctx, env), right(ctx, env))
    return lambda ctx, env: function(*[evaluate(ctx, env) for evaluate in evals])


def _call_helper(name: str, function: Callable[..., Any], evals: list[Eval]) -> Eval:
    def call(ctx: Any, env: Env) -> Any:
        args = [to_python(evaluate(ctx, env)) for evaluate in evals]
        try:
            return function(*args)
        except TemplateError:
            raise
        except Exception as exc:
            raise TemplateRenderError(f"{name}: {exc}") from exc

    return call


def paths_in(node: Program | Statement | Expr | None) -> Iterator[PathExpr]:
    """Every path expression in the tree."""
    if node is None or isinstance(node, Content | Comment | Literal):
        return
    if isinstance(node, PathExpr):
        yield node
    elif isinstance(node, Program):
        for statement in node.body:
            yield from paths_in(statement)
    elif isinstance(node, Call):
        for arg in node.args:
            yield from paths_in(arg)
    else:
        children: list[Program | Expr | None] = [node.head, *node.params, *node.hash.values()]
        if isinstance(node, Block):
            children += [node.program, node.inverse]
        for child in children:
            yield from paths_in(child)
