"""`response` nodes: templating, array expansion, the payload limit."""

from __future__ import annotations

from flowbot.engine import ConversationState

from .support import Chat, node, one_flow, program_of, text, texts


async def test_cards_expand_per_array_element() -> None:
    card = {
        "title": "{{params.items[i].name}}",
        "description": "#{{params.items[i].id}}",
    }
    bot = one_flow(
        node(1, "entry", {}, 2),
        node(2, "response", {"message": {"type": "cards", "cards": [card]}}),
    )
    chat = Chat(program_of(bot))
    chat.state = ConversationState(
        params={"items": [{"name": "a", "id": 1}, {"name": "b", "id": 2}]}
    )
    result = await chat.say("x")
    cards = result.replies[0]["cards"]
    assert [c["title"] for c in cards] == ["a", "b"]
    assert [c["description"] for c in cards] == ["#1", "#2"]


async def test_static_messages_are_fresh_copies_every_time() -> None:
    chat = Chat(program_of(one_flow(node(1, "entry", {}, 2), text(2, "same"))))
    first = await chat.say("x")
    first.replies[0]["text"] = "changed by a channel"
    assert texts(await chat.say("x")) == ["same"]


async def test_a_payload_over_1000_characters_after_templating_is_an_error() -> None:
    button = {"type": "postback", "label": "go", "payload": "{{message.text}}{{message.text}}"}
    bot = one_flow(node(1, "entry", {}, 2), text(2, "pick", buttons=[button]))
    chat = Chat(program_of(bot))
    fine = await chat.say("x" * 500)
    assert fine.error is None and fine.replies[0]["buttons"][0]["payload"] == "x" * 1000
    too_long = await chat.say("x" * 501)
    assert too_long.error == (
        "flow 1 node 2 (response): the message's buttons[0].payload is 1002 characters "
        "after templating (a payload holds at most 1,000)"
    )


async def test_a_template_error_at_run_time_is_a_turn_error() -> None:
    bot = one_flow(node(1, "entry", {}, 2), text(2, "q={{ESCAPE(message.text)}}"))
    chat = Chat(program_of(bot))
    assert texts(await chat.say("a b")) == ["q=a%20b"]
    result = await chat.say("\ud800")  # a lone surrogate cannot be URI-encoded
    assert result.error is not None
    assert result.error.startswith("flow 1 node 2 (response): ESCAPE")
    assert result.replies[0]["text"].startswith("[ERROR]")
