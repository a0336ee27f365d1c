"""Keys the format does not know: a misspelt `dealy`, `payLoad` or `wehre`.

The models keep every unknown key (`extra="allow"`), so that export gives
back what CLOSER wrote. That also lets a misspelling through without a word:
`"dealy": 2` is kept and the message is not delayed. This module walks the raw
data of a bot along the models and reports each key that is neither a field
of its model, spelt as the file spells it (camelCase: `flowId`), nor one of
the keys in `KNOWN_UNUSED`:

    flow 1 node 3 data.message.dealy: unknown key (did you mean "delay"?)

The closest known key is found ignoring case, `_` and `-` first (so
`flow_id`, which the models also accept from Python code but the file format
does not use, gets "did you mean "flowId"?"), then among a few synonyms
(`quickReplies` for a keyboard's `buttons`), then by
`difflib.get_close_matches`; without one, the line lists the known keys.
Such a key is a warning, except on an edge without `where`: there a key that
reads as a condition (an object, or a name close to `where`) means the edge
the builder wrote as conditional is taken unconditionally, so it is an error.

What is not walked: values the models keep as plain data (`where`, which
`flowbot.format.conditions` checks; node `meta`; fetch `headers`; keyboard
`messages`; a param's `value`), the data of the node types flowbot does not
run (their keys are not documented) and of unknown node types, and objects
whose `type` names no known variant (the structural pass reports those).
"""

from __future__ import annotations

import difflib
import functools
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from flowbot.format.check_reporter import Reporter
from flowbot.format.models import (
    Bot,
    ChitchatData,
    Edge,
    EmailData,
    Flow,
    GsheetData,
    KeyboardData,
    ManualData,
    Media,
    NlpData,
    UnknownNode,
)
from flowbot.format.structure import format_path, join_path

__all__ = [
    "KNOWN_UNUSED",
    "check_bot_keys",
    "check_flow_keys",
    "check_node_keys",
    "unknown_key_message",
]

# Keys that flowbot's models do not declare but that are known all the same:
# none of these is ever reported.
KNOWN_UNUSED: Final[dict[type[BaseModel], frozenset[str]]] = {
    # CLOSER's own exports: the storage record of an uploaded image, `"s3": {}`
    # (the Pokémon starter export). Kept on export, not used.
    Media: frozenset({"s3"}),
    # the bot's description, which a sandbox script sees as `context.bot.description`
    Bot: frozenset({"description"}),
    # the manual node's `message` (its announcement, and `message.kakao`) and
    # `cancel` texts, read by the engine from the data as given
    ManualData: frozenset({"message", "cancel"}),
}

# Models whose data is kept as given and not checked: the node types of
# CLOSER's guide that flowbot does not run (their keys are not documented).
_OPAQUE: Final[frozenset[type[BaseModel]]] = frozenset(
    {NlpData, ChitchatData, EmailData, GsheetData, UnknownNode}
)

# What a builder coming from elsewhere may write for a field of another name.
_SYNONYMS: Final[dict[type[BaseModel], dict[str, str]]] = {
    KeyboardData: {"quickreplies": "buttons", "replies": "buttons"},
}


# --- the shape of the models -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ListOf:
    item: _Spec


@dataclass(frozen=True, slots=True)
class _OneOf:
    """A union of models told apart by their `type` field."""

    by_type: dict[str, type[BaseModel]]
    default: type[BaseModel] | None  # the member whose `type` is not a literal


_Spec = type[BaseModel] | _ListOf | _OneOf


@dataclass(frozen=True, slots=True)
class _Shape:
    known: frozenset[str]  # aliases and KNOWN_UNUSED
    aliases: tuple[str, ...]  # the file's spellings (model order, then KNOWN_UNUSED): suggestions
    children: dict[str, _Spec]  # alias → what is below
    opaque: bool


def _type_values(model: type[BaseModel]) -> tuple[str, ...] | None:
    field = model.model_fields.get("type")
    if field is None or get_origin(field.annotation) is not Literal:
        return None
    return tuple(str(value) for value in get_args(field.annotation))


def _spec(annotation: Any) -> _Spec | None:
    """What to walk below a field of this annotation; None: nothing (scalars, Any, dicts)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _spec(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        members = [spec for spec in map(_spec, get_args(annotation)) if spec is not None]
        if len(members) == 1:
            return members[0]
        models = [spec for spec in members if isinstance(spec, type)]
        if not models:
            return None
        by_type: dict[str, type[BaseModel]] = {}
        default: type[BaseModel] | None = None
        for model in models:
            values = _type_values(model)
            if values is None:
                default = model
            else:
                by_type.update(dict.fromkeys(values, model))
        return _OneOf(by_type, default)
    if origin is list:
        item = _spec(get_args(annotation)[0])
        return None if item is None else _ListOf(item)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


@functools.cache
def _shape(model: type[BaseModel]) -> _Shape:
    unused = sorted(KNOWN_UNUSED.get(model, ()))
    known: set[str] = set(unused)
    aliases: list[str] = []
    children: dict[str, _Spec] = {}
    for name, field in model.model_fields.items():
        alias = field.alias or name
        known.add(alias)
        aliases.append(alias)
        spec = _spec(field.annotation)
        if spec is not None:
            children[alias] = spec
    aliases.sort(key=lambda alias: alias != "type")  # a variant's `type` first
    return _Shape(frozenset(known), (*aliases, *unused), children, model in _OPAQUE)


def _normal(key: str) -> str:
    return key.replace("_", "").replace("-", "").casefold()


def _suggestion(model: type[BaseModel], key: str) -> str | None:
    aliases = _shape(model).aliases
    normal = _normal(key)
    for alias in aliases:
        if _normal(alias) == normal:
            return alias
    synonym = _SYNONYMS.get(model, {}).get(normal)
    if synonym is not None:
        return synonym
    by_lower = {alias.casefold(): alias for alias in aliases}
    close = difflib.get_close_matches(key.casefold(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def unknown_key_message(model: type[BaseModel], key: str) -> str:
    """`unknown key (did you mean "delay"?)`, or the known keys when none is close."""
    suggestion = _suggestion(model, key)
    if suggestion is not None:
        return f'unknown key (did you mean "{suggestion}"?)'
    aliases = _shape(model).aliases
    return f"unknown key (known keys: {', '.join(aliases)})" if aliases else "unknown key"


# --- the walk --------------------------------------------------------------------

_Emit = Callable[[str, str, bool], None]  # path, message, is_error


def _walk_spec(value: Any, spec: _Spec, path: str, emit: _Emit) -> None:
    if isinstance(spec, _ListOf):
        if isinstance(value, list):
            for index, item in enumerate(value):
                _walk_spec(item, spec.item, f"{path}[{index}]", emit)
        return
    if isinstance(spec, _OneOf):
        if not isinstance(value, dict):
            return
        kind = value.get("type")
        model = spec.by_type.get(kind, spec.default) if isinstance(kind, str) else spec.default
        if model is not None:
            _walk_model(value, model, path, emit)
        return
    _walk_model(value, spec, path, emit)


def _walk_model(
    value: Any, model: type[BaseModel], path: str, emit: _Emit, skip: frozenset[str] = frozenset()
) -> None:
    """Report the unknown keys of `value`, read as `model`, and walk its known ones."""
    if not isinstance(value, dict):
        return
    shape = _shape(model)
    if shape.opaque:
        return
    if issubclass(model, Edge):
        _check_edge(value, path, emit)
        return
    for key, child in value.items():
        name = str(key)
        if name in skip:
            continue
        if name not in shape.known:
            emit(join_path(path, format_path([name])), unknown_key_message(model, name), False)
        elif (spec := shape.children.get(name)) is not None:
            _walk_spec(child, spec, join_path(path, format_path([name])), emit)


def _check_edge(edge: dict[Any, Any], path: str, emit: _Emit) -> None:
    known = _shape(Edge).known
    conditional = edge.get("where") is not None
    for key, value in edge.items():
        name = str(key)
        if name in known:
            continue
        key_path = join_path(path, format_path([name]))
        message = unknown_key_message(Edge, name)
        if not conditional and (isinstance(value, dict) or _suggestion(Edge, name) == "where"):
            emit(key_path, f"{message}; without a where this edge is taken unconditionally", True)
        else:
            emit(key_path, message, False)


def _emitter(report: Reporter) -> _Emit:
    def emit(path: str, message: str, is_error: bool) -> None:
        (report.error if is_error else report.warning)(path, message)

    return emit


def check_bot_keys(data: dict[str, Any], report: Reporter) -> None:
    """The bot's own keys (`title`, `preference` and what is inside it), not its flows."""
    _walk_model(data, Bot, "", _emitter(report), frozenset({"flows"}))


def check_flow_keys(flow: dict[str, Any], report: Reporter) -> None:
    """A flow's own keys (`id`, `title`, `data`), not its nodes."""
    _walk_model(flow, Flow, "", _emitter(report), frozenset({"nodes"}))


_NODE_SHAPE: Final = _spec(Flow.model_fields["nodes"].annotation)


def check_node_keys(node: dict[str, Any], report: Reporter) -> None:
    """Every key of a node, its data, messages, buttons and edges included."""
    assert isinstance(_NODE_SHAPE, _ListOf)
    _walk_spec(node, _NODE_SHAPE.item, "", _emitter(report))
