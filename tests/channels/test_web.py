"""The web channel's pure functions: parse a request body, render replies."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowbot.channels import ChannelInputError, Recipient, Rendered, WebhookRequest, web
from flowbot.engine import GotoTarget


def _parse(body: object) -> web.WebRequest:
    return web.parse_request(json.dumps(body).encode())


def _request(body: bytes) -> WebhookRequest:
    return WebhookRequest("POST", {}, {}, body)


def test_text_message() -> None:
    parsed = web.parse(_request(b'{"userKey": "u1", "text": "hello", "messageId": "m1"}'))
    [event] = parsed.events
    assert (event.user_key, event.delivery_id) == ("u1", "m1")
    message = event.message
    assert message.type == "text"
    assert message.text == "hello"
    assert message.payload is None
    assert message.user_key == "u1"
    assert message.channel == "web"


def test_postback_click_keeps_the_raw_payload() -> None:
    message = _parse({"userKey": "u", "text": "I choose you!", "payload": '{"pokemon": "X"}'})
    assert message.message.type == "postback"
    assert message.message.text == "I choose you!"
    assert message.message.payload == '{"pokemon": "X"}'  # the engine parses it, not the channel


def test_goto_click() -> None:
    message = _parse({"userKey": "u", "text": "Start over", "goto": {"flowId": 1, "nodeId": "4"}})
    assert message.message.type == "postback"
    assert message.message.goto == GotoTarget("1", "4")
    assert _parse({"userKey": "u", "goto": {"flowId": "2"}}).message.goto == GotoTarget("2", None)


def test_open_event_and_empty_body_open_the_conversation() -> None:
    for body in ({"userKey": "u", "event": "open"}, {"userKey": "u"}):
        message = _parse(body).message
        assert message.type == "event"
        assert message.event == "open"
    opened = _parse({"userKey": "u", "params": {"campaign": "spring"}, "messageId": "m1"})
    assert opened.message.params == {"campaign": "spring"}
    assert opened.message_id == "m1"


def test_not_json_is_400() -> None:
    with pytest.raises(ChannelInputError) as caught:
        web.parse(_request(b"{nope"))
    assert caught.value.status == 400


def test_schema_problems_are_422_and_all_listed() -> None:
    with pytest.raises(ChannelInputError) as caught:
        _parse({"text": 5, "payload": "x" * 1001, "event": "click", "unknown": 1})
    assert caught.value.status == 422
    assert caught.value.problems == [
        "userKey: required",
        "text: expected a string, got a number",
        "payload: 1001 characters, at most 1000 allowed",
        'event: the only event is "open"',
    ]


def test_render_passes_replies_within_the_limits_unchanged() -> None:
    replies = [
        {"type": "text", "text": "hi", "buttons": [{"type": "postback", "label": "a"}]},
        {"type": "cards", "cards": [{"title": "t", "buttons": []}]},
    ]
    quick = [{"type": "postback", "label": "yes", "payload": "1"}]
    rendered = web.render_answer(replies, quick)
    assert rendered == {"replies": replies, "quickReplies": quick}
    assert rendered["replies"][0] is replies[0]  # no copy on the common path
    assert web.render(replies, quick, Recipient("bot", "u")) == Rendered(answer=rendered)


def test_render_degrades_over_the_web_limits() -> None:
    long_text = "x" * 1200
    buttons = [{"type": "postback", "label": f"b{i}"} for i in range(12)]
    cards = [{"title": "t" * 300, "description": "d"} for _ in range(12)]
    quick = [{"type": "postback", "label": "q" * 300}] * 60
    rendered = web.render_answer(
        [
            {"type": "text", "text": long_text, "buttons": buttons},
            {"type": "cards", "cards": cards},
        ],
        quick,
    )
    text, first_cards, more_cards = rendered["replies"]
    assert len(text["text"]) == 1000 and text["text"].endswith("…")
    assert [b["label"] for b in text["buttons"]] == [f"b{i}" for i in range(9)]
    assert len(first_cards["cards"]) == 10 and len(more_cards["cards"]) == 2
    assert len(first_cards["cards"][0]["title"]) == 255
    assert len(rendered["quickReplies"]) == 50
    assert len(rendered["quickReplies"][0]["label"]) == 255


# --- the fast JSON reader reads exactly what `json` reads ---------------------------------

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**62, max_value=2**80)
    | st.floats()
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


def _read(body: bytes) -> str:
    """What the channel makes of a body: repr of the value (tells 1 from 1.0), or the error."""
    try:
        return repr(web._load_json(body))
    except ChannelInputError as error:
        return f"{error.status} {error.message}"


def _read_with_json(body: bytes) -> str:
    try:
        return repr(json.loads(body))
    except (ValueError, UnicodeDecodeError) as error:
        return f"400 the body is not JSON: {error}"


@settings(max_examples=300, deadline=None)
@given(value=_json_values, ascii_only=st.booleans())
def test_bodies_read_as_json_reads_them(value: object, ascii_only: bool) -> None:
    body = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    assert _read(body) == _read_with_json(body)


@pytest.mark.parametrize(
    "body",
    [
        b"NaN",
        b"[1e400]",
        b'"\\ud800"',
        b'"\xed\xa0\x80"',
        b"123456789012345678901234567890",
        b'{"goto": {"flowId": -98765432109876543210}}',
        b'{"a": 1.2345678901234567890123}',
        '{"a": 1}'.encode("utf-16"),
        b'\xef\xbb\xbf{"a": 1}',
        b'{"a": 1} x',
        b'{"a": 1, "a": 2}',
        b"[-0.0, -0, 1E2, 5e-324]",
        b'"\xff"',
        b"",
        b"{'a': 1}",
    ],
)
def test_tricky_bodies_read_as_json_reads_them(body: bytes) -> None:
    assert _read(body) == _read_with_json(body)
