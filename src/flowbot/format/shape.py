"""What a bot document must be before its structure is even read: Unicode, and not absurdly deep.

A string holding a lone surrogate (from a `"\\ud800"` escape or raw bytes)
is not Unicode: every store refuses to write it, so a bot that sends one
fails every turn, and its export fails too. Data nested hundreds of levels
deep makes the JSON writers recurse past their limits the same way. Both
are errors at load time, reported where they are (flow, node, JSON path),
rather than failures later.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from typing import Any

from flowbot.format.problems import Problem

__all__ = ["LONE_SURROGATE", "MAX_DEPTH", "shape_problems", "value_problem"]

# A node's data is a handful of levels deep (message → cards → buttons → …);
# this leaves room for any `meta` a builder keeps there.
MAX_DEPTH = 40
_MAX_PROBLEMS = 20
# a code point of a surrogate pair left alone: not Unicode, refused by every store
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_LONE_SURROGATE = LONE_SURROGATE


def value_problem(value: Any, *, max_depth: int, max_chars: int | None = None) -> str | None:
    """Why a JSON value from outside is not one flowbot keeps, or None.

    Nested deeper than `max_depth`, over `max_chars` characters (roughly, as
    JSON), or text holding a lone surrogate. Without recursion: the value may
    be as deep as the parser allowed.
    """
    budget = max_chars
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if LONE_SURROGATE.search(item) is not None:
                return "it holds a lone surrogate (\\ud800–\\udfff), which is not Unicode"
            cost = len(item) + 2
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                return f"it is nested deeper than {max_depth} levels"
            if isinstance(item, dict):
                for key, child in item.items():
                    stack.append((key, depth + 1))
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
            cost = 2
        else:
            if isinstance(item, float) and not math.isfinite(item):
                return "it holds a number JSON cannot write (such as 1e400)"
            cost = 8
        if budget is not None:
            budget -= cost
            if budget < 0:
                return f"it is over {max_chars} characters"
    return None


def shape_problems(
    data: Any, source: str, *, lone_flow: bool, flow_sources: Sequence[str] = ()
) -> list[Problem]:
    """Every lone surrogate and every place nested deeper than MAX_DEPTH (the first 20)."""
    problems: list[Problem] = []
    for path, message in _walk(data):
        problems.append(_locate(data, path, message, source, lone_flow, flow_sources))
        if len(problems) == _MAX_PROBLEMS:
            break
    return problems


def _walk(data: Any) -> Iterator[tuple[list[str | int], str]]:
    stack: list[tuple[Any, list[str | int]]] = [(data, [])]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item) is not None:
                yield path, "holds a lone surrogate (\\ud800–\\udfff), which is not Unicode"
            continue
        if not isinstance(item, dict | list):
            continue
        if len(path) >= MAX_DEPTH:
            yield path, f"nested deeper than {MAX_DEPTH} levels"
            continue
        if isinstance(item, dict):
            children = list(item.items())
            for key, _ in children:
                if isinstance(key, str) and _LONE_SURROGATE.search(key) is not None:
                    yield path, "a key holds a lone surrogate (\\ud800–\\udfff)"
            stack.extend((child, [*path, key]) for key, child in reversed(children))
        else:
            stack.extend((child, [*path, i]) for i, child in reversed(list(enumerate(item))))


def _locate(
    data: Any,
    path: list[str | int],
    message: str,
    source: str,
    lone_flow: bool,
    flow_sources: Sequence[str],
) -> Problem:
    """The problem at `path`, named by flow, node and the JSON path inside them."""
    flow_index: int | None = None
    rest = path
    flow: Any = data
    if lone_flow:
        flow_index = 0
    elif len(path) >= 2 and path[0] == "flows" and isinstance(path[1], int):
        flow_index, rest, flow = path[1], path[2:], data["flows"][path[1]]
    if flow_index is None or not isinstance(flow, dict):
        return Problem(source, message, path=_json_path(path) or "$")
    flow_source = flow_sources[flow_index] if flow_index < len(flow_sources) else source
    flow_id = _id(flow.get("id"))
    if len(rest) >= 2 and rest[0] == "nodes" and isinstance(rest[1], int):
        node = flow["nodes"][rest[1]] if isinstance(flow.get("nodes"), list) else None
        node_id = _id(node.get("id")) if isinstance(node, dict) else None
        if node_id is not None:
            return Problem(flow_source, message, flow_id, node_id, _json_path(rest[2:]))
    return Problem(flow_source, message, flow_id, None, _json_path(rest))


def _id(value: Any) -> str | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _LONE_SURROGATE.search(value) is None:
        return value
    return None


def _json_path(path: list[str | int]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", part):
            out += f".{part}" if out else part
        else:
            shown = part.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
            out += f'["{shown}"]'
    return out
