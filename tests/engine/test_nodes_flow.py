"""`flow` nodes: jump to a flow's entry or one of its nodes; ids may be templates."""

from __future__ import annotations

from typing import Any

from .support import Chat, node, program_of, text, texts


def _bot(jump: dict[str, Any]) -> dict[str, Any]:
    return {
        "flows": [
            {
                "id": 1,
                "data": {"entry": 1},
                "nodes": [node(1, "entry", {}, 2), node(2, "flow", jump)],
            },
            {
                "id": "menu",
                "data": {"entry": 1},
                "nodes": [node(1, "entry", {}, 2), text(2, "menu entry"), text(3, "menu node 3")],
            },
        ]
    }


async def test_jump_to_a_flow_entry_and_to_a_node() -> None:
    assert texts(await Chat(program_of(_bot({"flowId": "menu"}))).say("x")) == ["menu entry"]
    to_node = await Chat(program_of(_bot({"flowId": "menu", "nodeId": 3}))).say("x")
    assert texts(to_node) == ["menu node 3"]
    assert to_node.trace[1].data == {"flowId": "menu", "nodeId": 3}


async def test_templated_ids_follow_the_payload() -> None:
    program = program_of(
        _bot({"flowId": "{{message.payload.flowId}}", "nodeId": "{{message.payload.nodeId}}"})
    )
    result = await Chat(program).click("go", '{"flowId": "menu", "nodeId": 3}')
    assert texts(result) == ["menu node 3"]


async def test_unknown_flow_or_node_is_a_turn_error() -> None:
    program = program_of(_bot({"flowId": "{{message.text}}", "nodeId": 9}))
    assert (await Chat(program).say("menu")).error == (
        "flow 1 node 2 (flow): unknown node '9' in flow 'menu'"
    )
    program = program_of(_bot({"flowId": "{{message.text}}"}))
    assert (await Chat(program).say("nope")).error == "flow 1 node 2 (flow): unknown flow 'nope'"
