"""Payload parsing and the message in the context (SPEC §3)."""

from __future__ import annotations

from typing import Any

import pytest

from flowbot.engine import InboundMessage, message_context, parse_payload, run_turn

from .support import Chat, node, one_flow, program_of, text, texts


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ('{ "pokemon": "파이리" }', {"pokemon": "파이리"}),
        ('{"array": [{"property": 1}]}', {"array": [{"property": 1}]}),
        ("[1, 2]", [1, 2]),
        ("42", 42),
        ("-1.5", -1.5),
        ("true", True),
        ("null", None),
        ('"quoted"', "quoted"),
        (" 7 ", 7),
        ("YES", "YES"),
        ("{not json}", "{not json}"),
        ("[1, 2", "[1, 2"),
        ("NaN", "NaN"),
        ("Infinity", "Infinity"),
        ("[-Infinity]", "[-Infinity]"),
        ("", ""),
        ("{{params.secret}}", "{{params.secret}}"),
    ],
)
def test_parse_payload(raw: str, parsed: Any) -> None:
    assert parse_payload(raw) == parsed


def test_a_payload_nested_deeper_than_the_decoder_goes_stays_a_string() -> None:
    raw = "[" * 100_000 + "]" * 100_000
    assert parse_payload(raw) == raw


def test_postback_with_a_payload_is_a_postback() -> None:
    message = InboundMessage("c", type="postback", text="Go", payload='{"flowId": 2}')
    assert message_context(message) == {
        "type": "postback",
        "text": "Go",
        "payload": {"flowId": 2},
        "media": None,
    }


def test_postback_without_payload_is_just_its_label_as_text() -> None:
    message = InboundMessage("c", type="postback", text="진행")
    assert message_context(message) == {
        "type": "text",
        "text": "진행",
        "payload": None,
        "media": None,
    }


def _echo_bot() -> dict[str, Any]:
    return one_flow(
        node(1, "entry", {}, 2),
        text(2, "text={{message.text}} payload={{message.payload}} id={{message.payload.id}}"),
    )


async def test_user_text_and_payload_are_never_rendered_as_templates() -> None:
    chat = Chat(program_of(_echo_bot()))
    said = await chat.say("{{botId}}")
    assert texts(said) == ["text={{botId}} payload= id="]
    clicked = await chat.click("x", "{{botId}}")
    assert texts(clicked) == ["text=x payload={{botId}} id="]


async def test_payload_paths_reach_into_json_in_templates_and_conditions() -> None:
    bot = one_flow(
        node(
            1,
            "entry",
            {},
            {"nodeId": 2, "where": {"message.payload.array[0].property": {"equals": 7}}},
            3,
        ),
        text(2, "seven {{message.payload.array[0].property}}"),
        text(3, "other"),
    )
    chat = Chat(program_of(bot))
    assert texts(await chat.click("b", '{"array": [{"property": 7}]}')) == ["seven 7"]
    assert texts(await chat.click("b", '{"array": [{"property": 8}]}')) == ["other"]
    assert texts(await chat.click("b", "array")) == ["other"]


async def test_context_holds_the_conversation_identity() -> None:
    bot = one_flow(
        node(1, "entry", {}, 2),
        text(2, "{{botId}}|{{conversationId}}|{{platform}}|{{userKey}}|{{endUserId}}"),
    )
    program = program_of(bot)
    result = await run_turn(
        program, None, InboundMessage("conv-1", text="hi", channel="line", user_key="U1")
    )
    # endUserId is unique across messengers, userKey is the messenger's own
    # (CLOSER's chatbot/context.md): see test_closer_guide_context.py
    assert texts(result) == ["bot|conv-1|line|U1|line:U1"]


async def test_the_message_prints_as_its_text_as_in_closer() -> None:
    from .support import Chat, node, one_flow, program_of, text, texts

    bot = one_flow(
        node(1, "entry", {}, 2),
        node(2, "keyboard", {"type": "text"}, 3),
        text(3, '{"query": "{{message}}"} {{message.type}} {{#if message}}yes{{/if}}'),
    )
    chat = Chat(program_of(bot))
    await chat.open()
    assert texts(await chat.say("안녕")) == ['{"query": "안녕"} text yes']
