"""Merging imported flows into a bot (`POST /api/bots/{id}/flows/import`), as JSON.

`mode` "add": every imported flow is added; one whose id the bot already has
gets a new one (the next free integer for an integer id, `"<id>-2"`, `-3`…
for a string), and the `flowId`s inside the imported flows that named the
old id (flow nodes, goto buttons) follow it. "replace": an imported flow
replaces the bot's flow of the same id, in place; the others are added. The
bot's preference (start and fallback flows, system messages) is kept.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal

from flowbot.format.models import id_key
from flowbot.format.validate import is_flow_data

__all__ = ["merge_flows"]


def _imported_flows(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    if is_flow_data(data):
        return [copy.deepcopy(dict(data))]
    flows = data.get("flows")
    if not isinstance(flows, list):
        raise ValueError("data: expected a flow {id, nodes} or a bot {flows}")
    return [copy.deepcopy(flow) for flow in flows if isinstance(flow, dict)]


def _new_id(old: Any, taken: set[str]) -> Any:
    if isinstance(old, int) and not isinstance(old, bool):
        numbers = [int(key) for key in taken if key.lstrip("-").isdigit()]
        return max([old, *numbers]) + 1
    suffix = 2
    while id_key(f"{old}-{suffix}") in taken:
        suffix += 1
    return f"{old}-{suffix}"


def _rename_refs(value: Any, renames: Mapping[str, Any]) -> Any:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "flowId" and isinstance(item, int | str) and id_key(item) in renames:
                value[key] = renames[id_key(item)]
            else:
                _rename_refs(item, renames)
    elif isinstance(value, list):
        for item in value:
            _rename_refs(item, renames)
    return value


def merge_flows(
    bot: Mapping[str, Any], data: Mapping[str, Any], mode: Literal["add", "replace"]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The merged bot JSON, and for each imported flow `{"from": old id, "as": new id}`."""
    merged = copy.deepcopy(dict(bot))
    flows: list[Any] = merged.setdefault("flows", [])
    imported = _imported_flows(data)
    position = {id_key(f.get("id")): i for i, f in enumerate(flows) if isinstance(f, dict)}
    taken = set(position)
    renames: dict[str, Any] = {}
    report: list[dict[str, Any]] = []
    for flow in imported:
        old = flow.get("id")
        key = id_key(old) if isinstance(old, int | str) else ""
        if mode == "replace" and key in position:
            report.append({"from": old, "as": old})
            continue
        new = _new_id(old, taken) if key in taken else old
        if new != old:
            renames[key] = new
        taken.add(id_key(new))
        report.append({"from": old, "as": new})
    for flow, entry in zip(imported, report, strict=True):
        if renames:
            _rename_refs(flow.get("nodes"), renames)
        flow["id"] = entry["as"]
        key = id_key(entry["as"])
        if mode == "replace" and key in position:
            flows[position[key]] = flow
        else:
            flows.append(flow)
    return merged, report
