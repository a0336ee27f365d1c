"""MASK in a turn: the user sees the text, `logged_replies` stars it, state stays clear."""

from __future__ import annotations

from typing import Any

from flowbot.engine import ConversationState, HttpResponse, InboundMessage, Ports, run_turn
from flowbot.template.masking import MASK_CLOSE, MASK_OPEN

from .support import Chat, node, one_flow, program_of, text, texts
from .test_nodes_ports import FakeHttp


def _set(id: int, key: str, value: Any, next: int) -> dict[str, Any]:
    return node(id, "parameter", {"type": "set", "params": [{"key": key, "value": value}]}, next)


async def test_reply_shows_the_masked_text_and_the_log_stars_it() -> None:
    bot = one_flow(node(1, "entry", {}, 2), text(2, "card {{MASK(params.card)}} ok"))
    state = ConversationState(params={"card": "4111-1111"})
    result = await run_turn(program_of(bot), state, InboundMessage("c", text="x"))
    assert texts(result) == ["card 4111-1111 ok"]
    assert result.logged_replies == [{"type": "text", "text": "card ********* ok"}]


async def test_a_bot_without_mask_logs_its_replies_as_they_are() -> None:
    bot = one_flow(node(1, "entry", {}, 2), text(2, "card {{params.card}}"))
    program = program_of(bot)
    assert not program.uses_mask
    state = ConversationState(params={"card": "4111"})
    result = await run_turn(program, state, InboundMessage("c", text="x"))
    assert texts(result) == ["card 4111"]
    assert result.logged_replies is None


async def test_a_mask_bot_turn_without_a_masked_reply_has_no_logged_copy() -> None:
    bot = one_flow(
        node(1, "entry", {}, 2, {"nodeId": 3, "where": {"message.text": {"equals": "card"}}}),
        text(2, "hello"),
        text(3, "{{MASK(params.card)}}"),
    )
    program = program_of(bot)
    assert program.uses_mask
    result = await run_turn(program, None, InboundMessage("c", text="hi"))
    assert texts(result) == ["hello"]
    assert result.logged_replies is None


async def test_a_parameter_with_mask_stores_the_clear_value() -> None:
    bot = one_flow(
        node(1, "entry", {}, 2),
        _set(2, "card", "{{MASK(message.text)}}", 3),
        text(3, "saved {{card}}"),
    )
    result = await run_turn(program_of(bot), None, InboundMessage("c", text="4111"))
    assert result.state.params["card"] == "4111"
    assert texts(result) == ["saved 4111"]
    # the param itself is no longer masked: later messages show it (MASK it again there)
    assert result.logged_replies is None


async def test_stray_markers_typed_by_the_user_never_reach_the_replies() -> None:
    bot = one_flow(
        node(1, "entry", {}, 2),
        text(2, "{{MASK(params.card)}} / you said {{message.text}}"),
    )
    state = ConversationState(params={"card": "12"})
    said = f"a{MASK_CLOSE}b{MASK_OPEN}c"
    result = await run_turn(program_of(bot), state, InboundMessage("c", text=said))
    assert texts(result) == ["12 / you said abc"]
    assert result.logged_replies == [{"type": "text", "text": "** / you said ab*"}]


async def test_quick_replies_and_system_messages_never_carry_markers() -> None:
    buttons = [{"type": "postback", "label": "pay with {{MASK(params.card)}}", "payload": "p"}]
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(2, "keyboard", {"type": "buttons", "buttons": buttons}),
        systemMessage={"empty": "nothing for {{MASK(params.card)}}"},
    )
    chat = Chat(program_of(bot))
    chat.state = ConversationState(params={"card": "99"})
    result = await chat.say("x")
    assert result.quick_replies == [{"type": "postback", "label": "pay with 99", "payload": "p"}]
    assert texts(result) == ["nothing for 99"]
    assert result.logged_replies == [{"type": "text", "text": "nothing for **"}]


async def test_a_fetch_with_mask_sends_the_clear_text() -> None:
    fetch = {"uri": "https://api.example/{{MASK(message.text)}}", "method": "get"}
    bot = one_flow(node(1, "entry", {}, 2), node(2, "fetch", fetch, 3), text(3, "done"))
    http = FakeHttp(HttpResponse(200, {}))
    result = await Chat(program_of(bot), Ports(http=http)).say("4111")
    assert http.requests[0].uri == "https://api.example/4111"
    assert result.state.fetch["uri"] == "https://api.example/4111"
