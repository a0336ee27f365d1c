"""`keyboard` nodes: stop the run, offer rendered quick replies, keep the position."""

from __future__ import annotations

from flowbot.engine import ConversationState

from .support import Chat, node, one_flow, program_of, text, texts


async def test_quick_replies_are_rendered_and_expanded() -> None:
    buttons = [
        {
            "type": "postback",
            "label": "{{params.sizes[i]}}",
            "payload": '{"size": "{{params.sizes[i]}}"}',
        },
        {"type": "postback", "label": "none"},
    ]
    bot = one_flow(
        node(1, "entry", {}, 2),
        text(2, "size?", 3),
        node(3, "keyboard", {"type": "buttons", "buttons": buttons}, 4),
        text(4, "got {{message.payload.size}}"),
    )
    chat = Chat(program_of(bot))
    chat.state = ConversationState(params={"sizes": ["S", "M"]})
    asked = await chat.say("x")
    assert asked.quick_replies == [
        {"type": "postback", "label": "S", "payload": '{"size": "S"}'},
        {"type": "postback", "label": "M", "payload": '{"size": "M"}'},
        {"type": "postback", "label": "none"},
    ]
    assert asked.state.navigation == {"flowId": 1, "nodeId": 3}
    assert texts(await chat.click("M", '{"size": "M"}')) == ["got M"]


async def test_the_keyboard_result_is_in_the_context_of_the_answer() -> None:
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(2, "keyboard", {"type": "text"}, 3),
        text(3, "{{keyboard.text}} at {{keyboard.nodeId}}"),
    )
    chat = Chat(program_of(bot))
    opened = await chat.open()
    assert opened.quick_replies == []
    assert texts(opened) == ["(메시지 없음)"]  # nothing sent before the keyboard
    assert texts(await chat.say("hello")) == ["hello at 2"]
