"""Small builders of raw CLOSER JSON for tests (dicts, as a file would hold them)."""

from __future__ import annotations

from typing import Any


def node(
    node_id: Any, type_: str, data: dict[str, Any] | None = None, *edges: dict[str, Any]
) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "data": data or {}, "next": list(edges)}


def edge(node_id: Any, where: Any = None, priority: Any = None) -> dict[str, Any]:
    result: dict[str, Any] = {"nodeId": node_id}
    if where is not None:
        result["where"] = where
    if priority is not None:
        result["priority"] = priority
    return result


def entry(node_id: Any = 1, *edges: dict[str, Any]) -> dict[str, Any]:
    return node(node_id, "entry", {}, *(edges or (edge(2),)))


def text(
    node_id: Any, message: str = "hi", *edges: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    return node(
        node_id, "response", {"message": {"type": "text", "text": message, **fields}}, *edges
    )


def flow(flow_id: Any, *nodes: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"id": flow_id, "title": f"flow {flow_id}", **fields, "nodes": list(nodes)}


def simple_flow(flow_id: Any, *extra: dict[str, Any]) -> dict[str, Any]:
    """entry 1 → response 2, plus `extra` nodes."""
    return flow(flow_id, entry(1), text(2), *extra)


def bot(*flows: dict[str, Any], **preference: Any) -> dict[str, Any]:
    first = flows[0]["id"] if flows else 1
    return {
        "title": "test bot",
        "flows": list(flows),
        "preference": {"entryFlowId": first, **preference},
    }
