"""load_program: indexes, start and fallback flows, and refusing what cannot run."""

from __future__ import annotations

from typing import Any

import pytest

from flowbot.format.problems import BotLoadError

from .support import node, one_flow, program_of, text


def _flow(id: Any, *nodes: dict[str, Any], entry: Any = 1) -> dict[str, Any]:
    return {"id": id, "data": {"entry": entry}, "nodes": list(nodes)}


def test_flows_and_nodes_are_indexed_by_id_key() -> None:
    bot = {
        "flows": [
            _flow(1, node(1, "entry", {}, 2), text(2, "a")),
            _flow("two", node("e", "entry", {}), entry="e"),
        ]
    }
    program = program_of(bot)
    assert program.flow_ids() == ["1", "two"]
    assert program.node("1", 2) is program.node(1, "2")
    entry = program.node("two")
    assert entry is not None and entry.id == "e" and entry.position == ("two", "e")
    assert program.node(3, 1) is None and program.node(1, 9) is None


def test_start_and_fallback_flows_follow_the_preference() -> None:
    flows = [_flow(n, node(1, "entry", {})) for n in (1, 2, 3)]
    assert program_of({"flows": flows}).start_flow.id == 1
    assert program_of({"flows": flows}).fallback_flow.id == 1
    chosen = program_of({"flows": flows, "preference": {"entryFlowId": "2", "fallbackFlowId": 3}})
    assert (chosen.start_flow.id, chosen.fallback_flow.id) == (2, 3)
    only_start = program_of({"flows": flows, "preference": {"entryFlowId": 3}})
    assert only_start.fallback_flow.id == 3


def test_a_flow_without_data_entry_starts_at_its_entry_node() -> None:
    program = program_of({"flows": [{"id": 1, "nodes": [text(2, "x"), node(5, "entry", {}, 2)]}]})
    assert program.start_flow.entry is not None and program.start_flow.entry.id == 5


def test_edges_are_ranked_once_at_load() -> None:
    entry = node(
        1,
        "entry",
        {},
        {"nodeId": 2},
        {"nodeId": 3, "where": {"message": {"equals": "a"}}},
        {"nodeId": 4, "priority": 2},
        {"nodeId": 2, "where": {"message": {"equals": "a"}, "message.type": {"exists": True}}},
    )
    program = program_of(one_flow(entry, text(2, "2"), text(3, "3"), text(4, "4")))
    ranked = program.start_flow.nodes["1"].edges
    assert [edge.index for edge in ranked] == [2, 3, 1, 0]


@pytest.mark.parametrize(
    ("bot", "expected"),
    [
        ({"flows": []}, "bot: flows:"),
        (
            one_flow(node(1, "entry", {}, 7)),
            "bot: flow 1 node 1 next[0].nodeId:",
        ),
        (
            one_flow(node(1, "entry", {}, {"nodeId": 1, "where": {"message": {"regex": "("}}})),
            'bot: flow 1 node 1 next[0].where["message"].regex:',
        ),
        (
            one_flow(node(1, "entry", {}), node(1, "entry", {})),
            "bot: flow 1 node 1 id:",
        ),
        (
            {"flows": [_flow(1, node(1, "entry", {})), _flow("1", node(1, "entry", {}))]},
            "bot: flow 1 id:",
        ),
        (
            {"flows": [_flow(1, node(1, "entry", {}), entry=3)]},
            "bot: flow 1 data.entry:",
        ),
        (
            {"flows": [{"id": 1, "nodes": [text(1, "x")]}]},
            "bot: flow 1 nodes:",
        ),
        (
            {"flows": [_flow(1, node(1, "entry", {}))], "preference": {"entryFlowId": 4}},
            "bot: preference.entryFlowId:",
        ),
        (
            one_flow(node(1, "parameter", {"type": "set", "params": [{"key": "a b", "value": 1}]})),
            "bot: flow 1 node 1 data.params[0].key:",
        ),
        (
            one_flow(node(1, "back", {"operation": "pop", "count": 0})),
            "bot: flow 1 node 1 data.count:",
        ),
        (
            one_flow(
                text(1, "x", buttons=[{"type": "postback", "label": "l", "payload": "p" * 1001}])
            ),
            "bot: flow 1 node 1 data.message.buttons[0].payload:",
        ),
        (
            one_flow(node(1, "keyboard", {"buttons": [{"label": "l", "payload": "p" * 1001}]})),
            "bot: flow 1 node 1 data.buttons[0].payload:",
        ),
    ],
)
def test_what_cannot_run_is_refused_with_its_location(
    # the wording is the validator's (flowbot.format); the engine guarantees the refusal
    # and a location: flow, node and JSON path
    bot: dict[str, Any],
    expected: str,
) -> None:
    with pytest.raises(BotLoadError) as caught:
        program_of(bot)
    assert any(str(problem).startswith(expected) for problem in caught.value.problems), [
        str(problem) for problem in caught.value.problems
    ]
