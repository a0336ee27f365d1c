"""What pydantic cannot see, flow and bot level: node ids, entries, preference links.

The checks read the raw JSON of flows and nodes that passed structural
validation, so shapes are known and the paths printed are those of the file.
Errors are what the loader refuses; warnings are what may go wrong on some
channels (their limits, docs/channels.md) or look like a mistake; notes are
what only a run can check (templated flow ids and payloads).
`check_flow` runs the per-node checks of `flowbot.format.node_checks` on every
node; problems go to a `flowbot.format.check_reporter.Reporter`.
"""

from __future__ import annotations

from typing import Any

from flowbot.format.check_reporter import BotIndex, Reporter
from flowbot.format.models import id_key
from flowbot.format.node_checks import check_edges, check_node, check_templates
from flowbot.format.problems import format_id
from flowbot.format.structure import as_id

__all__ = ["check_flow", "check_preference"]


# --- flows and the bot ---------------------------------------------------------


def check_flow(
    flow: dict[str, Any],
    report: Reporter,
    index: BotIndex,
    bad_nodes: set[int],
    skip_nodes: bool = False,
) -> None:
    """Check a flow's nodes (except those in `bad_nodes`) and its entry."""
    nodes = flow.get("nodes")
    nodes = nodes if isinstance(nodes, list) else []
    node_ids: dict[str, int] = {}
    entries: list[int] = []
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            continue
        node_id = as_id(node.get("id"))
        if node.get("type") == "entry":
            entries.append(i)
        if node_id is None:
            continue
        key = id_key(node_id)
        if key in node_ids:
            first = nodes[node_ids[key]].get("id")
            report.at_node(node_id, i).error(
                "id", f"duplicate node id (nodes[{node_ids[key]}] has id {format_id(first)})"
            )
        else:
            node_ids[key] = i

    if not entries:
        report.error("nodes", "no entry node: a flow needs exactly one node of type entry")
    for i in entries[1:]:
        extra = nodes[i]
        report.at_node(as_id(extra.get("id")), i).error(
            "type",
            f"a second entry node (the first is node {format_id(nodes[entries[0]].get('id'))})",
        )
    meta = flow.get("data")
    entry = meta.get("entry") if isinstance(meta, dict) else None
    if entry is not None:
        named = node_ids.get(id_key(entry))
        if named is None:
            report.error("data.entry", f"no node {format_id(entry)} in this flow")
        elif nodes[named].get("type") != "entry":
            report.error(
                "data.entry",
                f"node {format_id(entry)} is a {nodes[named].get('type')} node, not the entry node",
            )

    if skip_nodes:
        return
    for i, node in enumerate(nodes):
        if not isinstance(node, dict):
            continue
        node_report = report.at_node(as_id(node.get("id")), i)
        if i in bad_nodes:
            # Its shape failed somewhere, but its edges are plain data that can
            # still be checked: a broken field must not hide a dangling edge.
            edges = node.get("next")
            if isinstance(edges, list) and all(isinstance(edge, dict) for edge in edges):
                check_edges(edges, node_ids, node_report)
            continue
        check_node(node, node_ids, node_report, index)


def check_preference(preference: Any, report: Reporter, index: BotIndex) -> None:
    if not isinstance(preference, dict):
        return
    for key in ("entryFlowId", "fallbackFlowId"):
        value = preference.get(key)
        if value is not None and id_key(value) not in index.flows:
            report.error(f"preference.{key}", f"no flow {format_id(value)} in the bot")
    system = preference.get("systemMessage")
    if isinstance(system, dict):
        check_templates(system, "preference.systemMessage", report)
