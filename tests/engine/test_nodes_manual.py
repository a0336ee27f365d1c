"""`manual`: the conversation goes to a person; the bot is quiet until it comes back."""

from __future__ import annotations

from typing import Any

from flowbot.engine import InboundMessage
from flowbot.engine.state import ConversationState

from .support import Chat, node, one_flow, program_of, text, texts


def handoff_bot(**data: Any) -> dict[str, Any]:
    return one_flow(
        node(1, "entry", {}, 2),
        node(
            2,
            "keyboard",
            {"type": "text"},
            {"nodeId": 3, "where": {"message": {"equals": "agent"}}},
            5,
        ),
        node(3, "manual", {"messages": "Calling an agent, {{name}}…", **data}, 4),
        text(4, "Call cancelled. How else can I help?"),
        text(5, "Type 'agent' to talk to a person."),
    )


async def test_the_manual_node_announces_and_hands_over() -> None:
    chat = Chat(program_of(handoff_bot()))
    await chat.open(name="Kim")
    result = await chat.say("agent")
    assert texts(result) == ["Calling an agent, Kim…"]
    assert result.handoff == "requested"
    handoff = result.state.handoff
    assert handoff is not None and handoff["status"] == "waiting"
    assert (handoff["flowId"], handoff["nodeId"], handoff["agent"]) == (1, 3, None)
    assert result.state.navigation == {"flowId": 1, "nodeId": 3}


async def test_messages_with_a_person_are_held_not_answered() -> None:
    chat = Chat(program_of(handoff_bot()))
    await chat.open()
    await chat.say("agent")
    for sent in ("hello?", "is anyone there?"):
        held = await chat.say(sent)
        assert (held.replies, held.quick_replies, held.handoff) == ([], [], "held")
        assert held.state.last_message == {"type": "text", "text": sent}
        assert held.state.handoff is not None
    opened = await chat.open()  # a page reload says nothing either
    assert (opened.replies, opened.handoff) == ([], "held")


async def test_the_cancel_text_follows_the_nodes_edge_before_an_agent_joins() -> None:
    chat = Chat(program_of(handoff_bot(cancel=["그만", "stop"])))
    await chat.open()
    await chat.say("agent")
    assert (await chat.say("취소")).handoff == "held"  # not this node's cancel text
    result = await chat.say("  STOP ")
    assert texts(result) == ["Call cancelled. How else can I help?"]
    assert result.handoff == "cancelled"
    assert result.state.handoff is None


async def test_the_default_cancel_texts_and_an_active_handoff_that_cannot_be_cancelled() -> None:
    chat = Chat(program_of(handoff_bot()))
    await chat.open()
    await chat.say("agent")
    assert texts(await chat.say("취소")) == ["Call cancelled. How else can I help?"]
    await chat.say("hi")  # back at the keyboard
    await chat.say("agent")
    assert chat.state is not None and chat.state.handoff is not None
    chat.state = ConversationState(
        **{**_fields(chat.state), "handoff": {**chat.state.handoff, "status": "active"}}
    )
    assert (await chat.say("cancel")).handoff == "held"  # an agent has it: no cancelling


async def test_a_navigation_event_is_not_held() -> None:
    chat = Chat(program_of(handoff_bot()))
    await chat.open()
    await chat.say("agent")
    result = await chat.turn(InboundMessage("c", type="event", event="navigation", goto=None))
    assert result.handoff != "held"  # it ran: the manual node again, as it stands there


def _fields(state: ConversationState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in state.__dataclass_fields__}
