"""`nlp`, `chitchat`, `email`, `gsheet`: a turn that reaches one fails like a failing node."""

from __future__ import annotations

from typing import Any

import pytest

from flowbot.engine import InboundMessage, run_turn
from flowbot.format.models import UNSUPPORTED_NODE_TYPES, SystemMessages

from .support import Chat, node, one_flow, program_of, text, texts

DATA: dict[str, dict[str, Any]] = {
    "nlp": {"provider": "watson", "workspaceId": "w-1", "query": "{{message.text}}"},
    "chitchat": {},
    "email": {"to": "desk@example.com", "subject": "{{message.text}}", "body": "hi"},
    "gsheet": {"spreadsheetId": "s-1", "sheetName": "log", "values": ["{{message.text}}"]},
}


def menu_bot(kind: str, **preference: Any) -> dict[str, Any]:
    """A menu that waits; "go" sets a param, says something, then reaches the `kind` node."""
    return one_flow(
        node(1, "entry", {}, 2),
        text(2, "menu", 3),
        node(
            3,
            "keyboard",
            {"type": "text"},
            {"nodeId": 4, "where": {"message": {"equals": "go"}}},
            7,
        ),
        node(4, "parameter", {"type": "set", "params": [{"key": "step", "value": "half"}]}, 5),
        text(5, "half way", 6),
        # an edge on the node's own result, as CLOSER's guide shows for nlp: never taken
        node(6, kind, DATA[kind], {"nodeId": 8, "where": {f"{kind}.error": {"exists": True}}}, 8),
        text(7, "you said {{message.text}}", 3),
        text(8, "after the node"),
        **preference,
    )


@pytest.mark.parametrize("kind", UNSUPPORTED_NODE_TYPES)
async def test_the_turn_answers_with_the_error_system_message(kind: str) -> None:
    chat = Chat(program_of(menu_bot(kind, systemMessage={"error": "sorry: {{error}}"})))
    await chat.open()
    failed = await chat.say("go")
    error = f"flow 1 node 6 ({kind}): the {kind} node does not run in flowbot"
    assert failed.error == error
    assert texts(failed) == [f"sorry: {error}"]
    assert failed.quick_replies == []
    step = failed.trace[-1]
    assert (step.node_id, step.type, step.error) == (6, kind, error)
    assert step.to_json()["error"] == error
    # nothing of the failed turn is applied, as for any failing node
    assert failed.state.params == {}
    assert failed.state.navigation is None
    assert failed.state.error == error


async def test_the_default_error_message_is_closers() -> None:
    chat = Chat(program_of(menu_bot("nlp")))
    await chat.open()
    failed = await chat.say("go")
    assert texts(failed) == [SystemMessages().error]
    assert failed.error == "flow 1 node 6 (nlp): the nlp node does not run in flowbot"


@pytest.mark.parametrize("kind", UNSUPPORTED_NODE_TYPES)
async def test_the_conversation_goes_on_after_the_failure(kind: str) -> None:
    chat = Chat(program_of(menu_bot(kind)))
    await chat.open()
    await chat.say("go")
    restarted = await chat.say("hello")  # no position: the fallback (start) flow's entry
    assert (restarted.error, texts(restarted)) == (None, ["menu"])
    assert restarted.state.error is None
    answered = await chat.say("hello")
    assert (answered.error, texts(answered)) == (None, ["you said hello"])
    again = await chat.say("go")
    assert again.error == f"flow 1 node 6 ({kind}): the {kind} node does not run in flowbot"


async def test_a_node_reached_on_welcome_fails_the_first_turn_only() -> None:
    program = program_of(one_flow(node(1, "entry", {}, 2), node(2, "gsheet", {}, 3), text(3, "x")))
    first = await run_turn(program, None, InboundMessage("c", type="event", event="open"))
    assert first.error == "flow 1 node 2 (gsheet): the gsheet node does not run in flowbot"
    assert [step.node_id for step in first.trace] == [1, 2]
    assert first.trace[0].error is None
