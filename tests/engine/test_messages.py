"""The inbound message model shared by every channel."""

from __future__ import annotations

from dataclasses import fields, replace

from flowbot.engine import GotoTarget, InboundMessage


def test_with_conversation_key_keeps_every_other_field() -> None:
    message = InboundMessage(
        "user-key",
        type="postback",
        text="I choose you!",
        payload='{"pokemon": "Squirtle"}',
        media={"uri": "https://img.example/a.png"},
        location={"latitude": 1.0, "longitude": 2.0},
        event="open",
        goto=GotoTarget("1", "2"),
        channel="web",
        user_key="u1",
        params={"campaign": "spring"},
    )
    # every field set to something other than its default, so a field the copy forgot shows
    defaults = InboundMessage("")
    assert all(
        getattr(message, field.name) != getattr(defaults, field.name) for field in fields(message)
    )
    copied = message.with_conversation_key("conversation-id")
    assert copied == replace(message, conversation_key="conversation-id")
    assert message.conversation_key == "user-key"
