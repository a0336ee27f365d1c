"""What a turn ran, kept compactly with its transcript row, for the statistics.

`turn_trace(result)` is computed by the conversation service for every saved
turn and stored in the "in" transcript row's `trace` column
(`TranscriptEntry.trace`): JSON `{"n": [[flow, node], …], "e": [[flow, from,
to], …], "x": [flow, node]}` — the nodes that ran (not the keyboard node
taking the user's answer: it was counted when it asked), the edges followed
(that answer's edge included) and the node the turn ended at. A few dozen
bytes; building it is a walk over the trace steps the turn made anyway.
"""

from __future__ import annotations

from typing import Any

import orjson

from flowbot.engine.turn import TurnResult

__all__ = ["read_trace", "turn_trace"]


def turn_trace(result: TurnResult) -> str | None:
    """The stored trace of a turn, or None when it ran no node."""
    steps = result.trace
    if not steps:
        return None
    nodes: list[list[Any]] = []
    edges: list[list[Any]] = []
    for step in steps:
        if step.phase != "input":
            nodes.append([step.flow_id, step.node_id])
        choice = step.edge
        if choice is not None and choice.edge is not None:
            edges.append([step.flow_id, step.node_id, choice.edge.target.id])
    last = steps[-1]
    data = {"n": nodes, "e": edges, "x": [last.flow_id, last.node_id]}
    return orjson.dumps(data).decode()


def read_trace(text: str | None) -> dict[str, Any] | None:
    """A stored trace, or None for a turn without one (or one that is not a trace)."""
    if not text:
        return None
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None
