"""Structural (pydantic) errors as `Problem`s that name the flow, the node and the JSON path.

Pydantic's `loc` mixes the keys of the input with discriminator tags (`response`,
`text`, `postback`, `unknown`) and union member names (`int`, `str`); `locate`
walks the raw input along the loc so that only real keys and indexes remain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from flowbot.format.models import Id
from flowbot.format.problems import Problem

__all__ = ["as_id", "format_path", "join_path", "locate", "structural_problems"]

PathPart = str | int

_PLAIN_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_GONE = object()  # the walk left the input (a missing field)


def as_id(value: Any) -> Id | None:
    """A raw flow or node id if it is usable as one (int or non-empty string, not bool)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.strip()):
        return value
    return None


def format_path(parts: Sequence[PathPart]) -> str:
    out: list[str] = []
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_KEY.fullmatch(part):
            out.append(f".{part}" if out else part)
        else:
            out.append(f"[{json.dumps(part, ensure_ascii=False)}]")
    return "".join(out)


def join_path(base: str, sub: str) -> str:
    if not base:
        return sub
    if not sub:
        return base
    return f"{base}{sub}" if sub.startswith("[") else f"{base}.{sub}"


def locate(root: Any, loc: Sequence[PathPart]) -> list[PathPart]:
    """The keys and indexes of `loc` that exist in `root` (plus one missing key at the end)."""
    value: Any = root
    parts: list[PathPart] = []
    tagged: Any = None  # the dict whose discriminator tag was skipped
    for element in loc:
        if isinstance(value, dict):
            is_tag = element == value.get("type") or element == "unknown"
            if is_tag and tagged is not value:
                tagged = value  # a union's tag comes once, before the fields of that dict
                continue
            if element in value:
                parts.append(element)
                value = value[element]
            else:
                parts.append(element)  # a required field that is missing
                value = _GONE
        elif isinstance(value, list) and isinstance(element, int) and 0 <= element < len(value):
            parts.append(element)
            value = value[element]
        else:
            break  # union member names (`int`, `str`) below a scalar
    return parts


def _describe(input_value: Any) -> str:
    text = json.dumps(input_value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:39] + "…"


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    discriminator = str(ctx.get("discriminator", "type")).strip("'")
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        expected = str(ctx.get("expected_tags", "")).replace("'", "")
        return f"unknown {discriminator} {ctx.get('tag')!r} (expected {expected})"
    if kind == "union_tag_not_found":
        return f"missing {discriminator}"
    message = str(error["msg"])
    if kind.endswith("_type") or kind.endswith("_parsing") or kind == "literal_error":
        message += f", got {_describe(error.get('input'))}"
    return message


def _merge(messages: list[str]) -> str:
    if len(messages) == 2 and all(m.startswith("Input should be a valid ") for m in messages):
        # an `int | str` id or similar: say it once
        kinds = [m.removeprefix("Input should be a valid ").split(",")[0] for m in messages]
        got = messages[0].partition(", got ")[2]
        return f"Input should be a valid {kinds[0]} or {kinds[1]}" + (f", got {got}" if got else "")
    return "; ".join(messages)


def structural_problems(
    error: ValidationError,
    root: Any,
    *,
    lone_flow: bool,
    flow_sources: Sequence[str],
    source: str,
) -> tuple[list[Problem], set[tuple[int, int]], set[int]]:
    """Problems of a failed validation of `root` (a bot, or a flow when `lone_flow`).

    Also returns the (flow index, node index) pairs of nodes with errors and the
    indexes of flows whose own fields (not nodes) failed, so that the semantic
    checks can skip what has an unreliable shape.
    """
    grouped: dict[tuple[int | None, int | None, str], list[str]] = {}
    bad_nodes: set[tuple[int, int]] = set()
    bad_flows: set[int] = set()
    for details in error.errors():
        parts = locate(root, details["loc"])
        flow_index: int | None = 0 if lone_flow else None
        if not lone_flow and len(parts) >= 2 and parts[0] == "flows" and isinstance(parts[1], int):
            flow_index, parts = parts[1], parts[2:]
        node_index: int | None = None
        if flow_index is not None and len(parts) >= 2 and parts[0] == "nodes":
            node_index = parts[1] if isinstance(parts[1], int) else None
            if node_index is not None:
                parts = parts[2:]
                bad_nodes.add((flow_index, node_index))
        elif flow_index is not None:
            bad_flows.add(flow_index)
        key = (flow_index, node_index, format_path(parts))
        message = _message(details)
        messages = grouped.setdefault(key, [])
        if message not in messages:
            messages.append(message)

    flows: list[Any] = [root] if lone_flow else _list(root, "flows")
    problems: list[Problem] = []
    for (flow_index, node_index, path), messages in grouped.items():
        problem_source = source
        if flow_index is not None and flow_index < len(flow_sources):
            problem_source = flow_sources[flow_index]
        problems.append(
            _problem(
                problem_source,
                flows,
                flow_index,
                node_index,
                path,
                _merge(messages),
                lone_flow=lone_flow,
            )
        )
    return problems, bad_nodes, bad_flows


def _list(value: Any, key: str) -> list[Any]:
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, list) else []


def _problem(
    source: str,
    flows: list[Any],
    flow_index: int | None,
    node_index: int | None,
    path: str,
    message: str,
    *,
    lone_flow: bool,
) -> Problem:
    if flow_index is None:
        return Problem(source, message, path=path)
    flow = flows[flow_index] if flow_index < len(flows) else None
    flow_id = as_id(flow.get("id")) if isinstance(flow, dict) else None
    # a flow without a usable id is named by its place in the bot
    prefix = "" if flow_id is not None or lone_flow else f"flows[{flow_index}]"
    if node_index is None:
        return Problem(source, message, flow_id=flow_id, path=join_path(prefix, path))
    nodes = _list(flow, "nodes")
    node = nodes[node_index] if node_index < len(nodes) else None
    node_id = as_id(node.get("id")) if isinstance(node, dict) else None
    if node_id is None:
        node_path = join_path(join_path(prefix, f"nodes[{node_index}]"), path)
        return Problem(source, message, flow_id=flow_id, path=node_path)
    return Problem(source, message, flow_id=flow_id, node_id=node_id, path=path)
