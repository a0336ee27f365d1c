"""LINE's webhook side as pure functions: sign, verify, parse, prepare, Settings.

Webhook bodies are built as LINE documents them
(https://developers.line.biz/en/reference/messaging-api/#webhook-event-objects)
and checked with LINE's own SDK (`linebot.v3.webhook.WebhookParser`), so a
test body is one LINE could send. The rendering side is in test_line_render.py.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from linebot.v3.models.events import UnknownEvent
from linebot.v3.webhook import SignatureValidator, WebhookParser
from linebot.v3.webhooks import (
    FollowEvent,
    ImageMessageContent,
    JoinEvent,
    LeaveEvent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
)
from pydantic import SecretStr, ValidationError

from flowbot.channels import (
    ChannelInputError,
    ChannelRefused,
    OutboundCall,
    Parsed,
    WebhookRequest,
    line,
)
from flowbot.engine import GotoTarget

SECRET = "8c570fa6dd201bb328f1c1eac23a96d8"
TOKEN = "channel-access-token"
SETTINGS = line.Settings(channel_secret=SECRET, channel_access_token=TOKEN)
USER = "U4af4980629c4e7b7a8e6c5f0d1c2b3a4"
GROUP = "Ca56f94637cc4347f90a25382909b24b9"
ROOM = "Ra8dbf4673c4c812cd491258042226c99"
REPLY_TOKEN = "b60d432864f44d079f6d8efe86cf404b"
EVENT_ID = "01FZ74A0TDDPYRVKNK77XKC3ZR"


# --- webhook bodies, as LINE documents them -----------------------------------------


def _event(kind: str, **fields: Any) -> dict[str, Any]:
    """A webhook event object with the properties every event has."""
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": 1462629479859,
        "source": {"type": "user", "userId": USER},
        "webhookEventId": EVENT_ID,
        "deliveryContext": {"isRedelivery": False},
    }
    event.update(fields)
    return event


def _message_event(message: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return _event("message", replyToken=REPLY_TOKEN, message=message, **fields)


def _text_event(text: str, **fields: Any) -> dict[str, Any]:
    message = {
        "id": "444573844083572737",
        "type": "text",
        "quoteToken": "q3Plxr4AgKd",
        "text": text,
    }
    return _message_event(message, **fields)


def _postback_event(data: str, **fields: Any) -> dict[str, Any]:
    return _event("postback", replyToken=REPLY_TOKEN, postback={"data": data}, **fields)


def _body(*events: dict[str, Any]) -> bytes:
    return json.dumps({"destination": "Uxxxxxxxxxxxxxx", "events": list(events)}).encode()


def _signature(body: bytes, secret: str = SECRET) -> str:
    """Base64 HMAC-SHA256 of the raw body, computed here as LINE describes it."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _request(body: bytes, signature: str | None) -> WebhookRequest:
    headers = {} if signature is None else {line.SIGNATURE_HEADER: signature}
    return WebhookRequest("POST", headers, {}, body)


def _sdk_events(body: bytes) -> list[Any]:
    """The SDK's reading of a signed body: it checks the signature and each event's shape."""
    events = WebhookParser(SECRET).parse(body.decode(), _signature(body))
    assert isinstance(events, list)
    assert not any(isinstance(event, UnknownEvent) for event in events)
    return events


def _parse(*events: dict[str, Any]) -> Parsed:
    """Sign a body of documented events, check it with the SDK, verify and parse it."""
    body = _body(*events)
    _sdk_events(body)
    request = _request(body, _signature(body))
    line.verify(SETTINGS, request)
    return line.parse(request)


def _parse_raw(body: bytes) -> Parsed:
    return line.parse(_request(body, _signature(body)))


def _refused(body: bytes, signature: str | None) -> ChannelRefused:
    with pytest.raises(ChannelRefused) as caught:
        line.verify(SETTINGS, _request(body, signature))
    assert caught.value.status == 403
    return caught.value


def _bad_body(body: bytes) -> ChannelInputError:
    with pytest.raises(ChannelInputError) as caught:
        _parse_raw(body)
    assert caught.value.status == 400
    return caught.value


# --- sign and verify --------------------------------------------------------------


def test_sign_is_lines_signature() -> None:
    body = _body(_text_event("こんにちは 🍎"))
    signature = line.sign(SECRET, body)
    assert signature == _signature(body)
    assert SignatureValidator(SECRET).validate(body.decode(), signature)
    assert not SignatureValidator("another secret").validate(body.decode(), signature)


def test_a_good_signature_passes() -> None:
    body = _body(_text_event("hello"))
    line.verify(SETTINGS, _request(body, _signature(body)))
    line.verify(SETTINGS, _request(body, f" {_signature(body)}\t"))  # surrounding blanks


def test_a_missing_or_empty_signature_is_refused() -> None:
    body = _body(_text_event("hello"))
    assert "no x-line-signature" in _refused(body, None).message
    assert "no x-line-signature" in _refused(body, "").message


def test_a_wrong_signature_is_refused() -> None:
    body = _body(_text_event("hello"))
    _refused(body, _signature(body, "another secret"))
    _refused(body, _signature(body)[:-2])
    _refused(body, "not base64 at all")


def test_the_signature_of_another_body_is_refused() -> None:
    body = _body(_text_event("hello"))
    other = _body(_text_event("hello!"))
    _refused(body, _signature(other))
    _refused(body + b" ", _signature(body))


@pytest.mark.parametrize("header", ["é", "日本語の署名", "🍎" * 44, "\ud800", "\udcff abc", "\x00"])
def test_a_header_with_other_characters_is_refused_not_an_error(header: str) -> None:
    _refused(_body(), header)


@given(st.text(st.characters(exclude_categories=())))
def test_any_header_is_refused_or_passes(header: str) -> None:
    with contextlib.suppress(ChannelRefused):
        line.verify(SETTINGS, _request(b'{"events": []}', header))


def test_handshake_is_none() -> None:
    assert line.handshake(SETTINGS, WebhookRequest("GET", {}, {}, b"")) is None


# --- parse -----------------------------------------------------------------------


def test_the_consoles_verify_post_has_no_events() -> None:
    parsed = _parse()
    assert parsed.events == []
    assert parsed.ignored == 0
    assert parsed.acknowledgement.status == 200
    assert parsed.acknowledgement.body == b""


def test_a_text_message() -> None:
    [event] = _parse(_text_event("Hello, world")).events
    assert (event.user_key, event.delivery_id, event.reply_token) == (USER, EVENT_ID, REPLY_TOKEN)
    assert event.redelivery is False
    assert event.click_key is None
    message = event.message
    assert (message.type, message.text, message.payload) == ("text", "Hello, world", None)
    assert (message.conversation_key, message.user_key, message.channel) == (USER, USER, "line")


def test_a_redelivered_event() -> None:
    [event] = _parse(_text_event("again", deliveryContext={"isRedelivery": True})).events
    assert event.redelivery is True
    assert event.delivery_id == EVENT_ID


def test_events_keep_their_order_and_ids() -> None:
    first = _text_event("one", webhookEventId="01H000000000000000000000A1")
    second = _text_event("two", webhookEventId="01H000000000000000000000B2")
    parsed = _parse(first, second)
    assert [e.message.text for e in parsed.events] == ["one", "two"]
    assert [e.delivery_id for e in parsed.events] == [
        "01H000000000000000000000A1",
        "01H000000000000000000000B2",
    ]


def test_the_sdk_reads_the_test_bodies_as_the_same_events() -> None:
    body = _body(
        _text_event("hi"),
        _postback_event("action=buy&itemid=111"),
        _event("follow", replyToken=REPLY_TOKEN, follow={"isUnblocked": False}),
    )
    text, postback, follow = _sdk_events(body)
    assert isinstance(text, MessageEvent) and isinstance(text.message, TextMessageContent)
    assert text.message.text == "hi"
    assert text.webhook_event_id == EVENT_ID
    assert text.reply_token == REPLY_TOKEN
    assert isinstance(postback, PostbackEvent)
    assert postback.postback.data == "action=buy&itemid=111"
    assert isinstance(follow, FollowEvent)


def test_a_postback_with_raw_data_is_its_payload() -> None:
    [event] = _parse(_postback_event("action=buy&itemid=111")).events
    message = event.message
    assert (message.type, message.payload, message.text) == (
        "postback",
        "action=buy&itemid=111",
        None,
    )
    assert message.goto is None
    assert event.click_key is None
    assert (event.user_key, event.reply_token, event.delivery_id) == (USER, REPLY_TOKEN, EVENT_ID)


def test_a_postback_with_datetime_params() -> None:
    event = _postback_event("storeId=12345")
    event["postback"]["params"] = {"datetime": "2017-12-25T01:00"}
    [parsed] = _parse(event).events
    assert parsed.message.payload == "storeId=12345"


def test_a_postback_with_a_stored_key() -> None:
    key = "AbCdEfGhIjKlMnOpQrStUv"
    [event] = _parse(_postback_event(f"~fb:k:{key}")).events
    assert event.click_key == key
    assert event.message.type == "postback"
    assert event.message.payload is None


def test_a_postback_key_of_the_wrong_length_is_a_raw_payload() -> None:
    [event] = _parse(_postback_event("~fb:k:short")).events
    assert event.click_key is None
    assert event.message.payload == "~fb:k:short"


def test_a_goto_postback() -> None:
    data = '~fb:g:{"f":"2","n":"4","t":"Start over"}'
    [event] = _parse(_postback_event(data)).events
    assert event.message.goto == GotoTarget("2", "4")
    assert event.message.text == "Start over"
    assert event.message.payload is None
    [entry] = _parse(_postback_event('~fb:g:{"f":7,"n":null,"t":"Menu"}')).events
    assert entry.message.goto == GotoTarget("7", None)


def test_a_noop_postback_is_ignored() -> None:
    parsed = _parse(_postback_event("~fb:n"), _text_event("after"))
    assert [e.message.text for e in parsed.events] == ["after"]
    assert parsed.ignored == 1


def test_follow_opens_the_conversation() -> None:
    follow = _event("follow", replyToken=REPLY_TOKEN, follow={"isUnblocked": True})
    [event] = _parse(follow).events
    assert (event.message.type, event.message.event) == ("event", "open")
    assert (event.user_key, event.reply_token, event.delivery_id) == (USER, REPLY_TOKEN, EVENT_ID)
    assert event.message.channel == "line"


def test_unfollow_join_leave_are_ignored() -> None:
    group = {"type": "group", "groupId": GROUP}
    events = [
        _event("unfollow"),
        _event("join", replyToken=REPLY_TOKEN, source=group),
        _event("leave", source=group),
    ]
    body = _body(*events)
    assert [type(e) for e in _sdk_events(body)] == [UnfollowEvent, JoinEvent, LeaveEvent]
    parsed = _parse(*events)
    assert parsed.events == []
    assert parsed.ignored == 3


def test_standby_events_are_ignored() -> None:
    parsed = _parse(_text_event("for the module", mode="standby"), _text_event("mine"))
    assert [e.message.text for e in parsed.events] == ["mine"]
    assert parsed.ignored == 1


@pytest.mark.parametrize(
    ("source", "key"),
    [
        ({"type": "group", "groupId": GROUP, "userId": USER}, GROUP),
        ({"type": "group", "groupId": GROUP}, GROUP),
        ({"type": "room", "roomId": ROOM, "userId": USER}, ROOM),
    ],
)
def test_group_and_room_chats_are_their_own_conversations(source: dict[str, str], key: str) -> None:
    [event] = _parse(_text_event("hi all", source=source)).events
    assert event.user_key == key
    assert event.message.conversation_key == key
    assert event.message.user_key == key


def test_a_source_without_an_id_is_ignored() -> None:
    parsed = _parse_raw(_body(_text_event("?", source={"type": "user"})))
    assert (parsed.events, parsed.ignored) == ([], 1)
    parsed = _parse_raw(_body(_text_event("?", source={"type": "channel", "userId": USER})))
    assert (parsed.events, parsed.ignored) == ([], 1)


@pytest.mark.parametrize("kind", [["user"], {"user": 1}, None, 5])
def test_a_source_type_of_any_json_is_ignored(kind: Any) -> None:
    # (a list or an object as the type once made parse raise TypeError)
    parsed = _parse_raw(_body(_text_event("?", source={"type": kind, "userId": USER})))
    assert (parsed.events, parsed.ignored) == ([], 1)


def test_an_image_message() -> None:
    image = {
        "id": "354718705033693859",
        "type": "image",
        "quoteToken": "q3Plxr4AgKd",
        "contentProvider": {"type": "line"},
    }
    body = _body(_message_event(image))
    [sdk_event] = _sdk_events(body)
    assert isinstance(sdk_event.message, ImageMessageContent)
    [event] = _parse(_message_event(image)).events
    assert event.message.type == "media"
    assert event.message.media == {
        "contentType": "image",
        "uri": "https://api-data.line.me/v2/bot/message/354718705033693859/content",
    }


def test_a_sticker_message() -> None:
    sticker = {
        "id": "468789577898262530",
        "type": "sticker",
        "quoteToken": "q3Plxr4AgKd",
        "stickerId": "52002734",
        "packageId": "11537",
        "stickerResourceType": "ANIMATION",
        "keywords": ["cony", "Party"],
    }
    [sdk_event] = _sdk_events(_body(_message_event(sticker)))
    assert isinstance(sdk_event.message, StickerMessageContent)
    [event] = _parse(_message_event(sticker)).events
    assert event.message.type == "media"
    assert event.message.media == {
        "contentType": "sticker",
        "packageId": "11537",
        "stickerId": "52002734",
    }


def test_a_location_message() -> None:
    location = {
        "id": "325708",
        "type": "location",
        "title": "my location",
        "address": "1-3 Kioicho, Chiyoda-ku, Tokyo, 102-8282, Japan",
        "latitude": 35.67966,
        "longitude": 139.73669,
    }
    [sdk_event] = _sdk_events(_body(_message_event(location)))
    assert isinstance(sdk_event.message, LocationMessageContent)
    [event] = _parse(_message_event(location)).events
    assert event.message.type == "location"
    assert event.message.location == {
        "latitude": 35.67966,
        "longitude": 139.73669,
        "title": "my location",
        "address": "1-3 Kioicho, Chiyoda-ku, Tokyo, 102-8282, Japan",
    }


def test_an_event_without_a_reply_token_or_an_id() -> None:
    event = _text_event("hi")
    del event["replyToken"], event["webhookEventId"], event["deliveryContext"]
    [parsed] = _parse_raw(_body(event)).events
    assert (parsed.reply_token, parsed.delivery_id, parsed.redelivery) == (None, None, False)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{nope",
        b"\xff\xfe not utf-8",
        b"[]",
        b'"events"',
        b"{}",
        b'{"events": {}}',
        b'{"events": "[]"}',
        b'{"events": null}',
        b'{"events": [1]}',
        b'{"events": [{}]}',
        b'{"events": [{"type": 5}]}',
        b'{"events": [{"type": "message", "source": "U1"}]}',
        b'{"events": [{"type": "message"}]}',
        b'{"events": [{"type": "message", "source": {"type": "user", "userId": "U1"}}]}',
        b'{"events": [{"type": "message", "source": {"type": "user", "userId": "U1"},'
        b' "message": {"type": "text"}}]}',
        b'{"events": [{"type": "postback", "source": {"type": "user", "userId": "U1"},'
        b' "postback": {"data": 5}}]}',
        b'{"events": [{"type": "postback", "source": {"type": "user", "userId": "U1"}}]}',
        b"[" * 10_000 + b"]" * 10_000,
        b'{"events": [' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"]}",
        b'{"events": [' + b"[" * 100 + b"]" * 100 + b"]}",
        b'{"events": [], "n": ' + b"9" * 5000 + b"}",
    ],
)
def test_malformed_bodies_are_400(body: bytes) -> None:
    _bad_body(body)


def test_nesting_a_platform_would_send_is_accepted() -> None:
    deep: dict[str, Any] = {"v": 1}
    for _ in range(40):
        deep = {"v": deep}
    parsed = _parse_raw(_body(_text_event("deep", extra=deep)))
    assert [e.message.text for e in parsed.events] == ["deep"]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=25,
)
# values that reach the deeper branches of parse
_words = st.sampled_from(
    [
        *("message", "postback", "follow", "user", "group", "room", "text", "image"),
        *("sticker", "location", "active", "standby", USER),
        *("~fb:n", "~fb:k:" + "k" * 22, "~fb:g:{}", '~fb:g:{"f":1}'),
    ]
)
_keys = st.sampled_from(
    [
        "type",
        "mode",
        "source",
        "message",
        "postback",
        "data",
        "userId",
        "groupId",
        "roomId",
        "replyToken",
        "webhookEventId",
        "deliveryContext",
        "isRedelivery",
        "text",
        "id",
    ]
)
_events = st.recursive(
    _words | _json,
    lambda children: st.dictionaries(_keys, children, max_size=6),
    max_leaves=20,
)


def _parses_or_400(body: bytes) -> None:
    try:
        _parse_raw(body)
    except ChannelInputError as error:
        assert error.status == 400


@given(_json)
def test_any_json_body_parses_or_is_400(value: Any) -> None:
    _parses_or_400(json.dumps(value).encode())


@given(st.lists(_events, max_size=4))
@example([{"type": "message", "source": {"type": ["user"], "userId": USER}}])
def test_any_events_parse_or_are_400(events: list[Any]) -> None:
    _parses_or_400(json.dumps({"destination": "U", "events": events}).encode())


@given(st.binary(max_size=200))
def test_any_bytes_parse_or_are_400(body: bytes) -> None:
    _parses_or_400(body)


# --- prepare ---------------------------------------------------------------------


def test_prepare_a_reply() -> None:
    body = {"replyToken": "rt-1", "messages": [{"type": "text", "text": "hi"}]}
    request = line.prepare(SETTINGS, OutboundCall(line.REPLY_PATH, body))
    assert request.method == "POST"
    assert request.url == "https://api.line.me/v2/bot/message/reply"
    assert request.json == body
    assert request.headers == {"Authorization": f"Bearer {TOKEN}"}
    assert request.params == {}
    assert request.retry_key_header is None


def test_prepare_a_push_has_a_retry_key() -> None:
    body = {"to": USER, "messages": [{"type": "text", "text": "hi"}]}
    request = line.prepare(SETTINGS, OutboundCall(line.PUSH_PATH, body))
    assert request.url == "https://api.line.me/v2/bot/message/push"
    assert request.headers == {"Authorization": f"Bearer {TOKEN}"}
    assert request.retry_key_header == "X-Line-Retry-Key"


def test_prepare_a_loading_animation() -> None:
    body = {"chatId": USER, "loadingSeconds": 5}
    request = line.prepare(SETTINGS, OutboundCall(line.LOADING_PATH, body, purpose="typing"))
    assert request.url == "https://api.line.me/v2/bot/chat/loading/start"
    assert request.json == body
    assert request.retry_key_header is None


def test_prepare_uses_the_api_base() -> None:
    settings = line.Settings(
        channel_secret=SECRET, channel_access_token=TOKEN, api_base="http://127.0.0.1:8081/line/"
    )
    request = line.prepare(settings, OutboundCall(line.PUSH_PATH, {}))
    assert request.url == "http://127.0.0.1:8081/line/v2/bot/message/push"


# --- settings --------------------------------------------------------------------


def test_settings_keep_secrets_secret() -> None:
    assert isinstance(SETTINGS.channel_secret, SecretStr)
    assert isinstance(SETTINGS.channel_access_token, SecretStr)
    assert SETTINGS.channel_secret.get_secret_value() == SECRET
    assert SECRET not in repr(SETTINGS)
    assert TOKEN not in repr(SETTINGS)
    assert SETTINGS.api_base == "https://api.line.me"


@pytest.mark.parametrize(
    "values",
    [
        {"channel_secret": SECRET},
        {"channel_access_token": TOKEN},
        {"channel_secret": SECRET, "channel_access_token": TOKEN, "api_base": "api.line.me"},
        {"channel_secret": SECRET, "channel_access_token": TOKEN, "api_base": "ftp://line.me"},
        {"channel_secret": SECRET, "channel_access_token": TOKEN, "api_base": ""},
        {"channel_secret": SECRET, "channel_access_token": TOKEN, "channelSecret": SECRET},
        {"channel_secret": SECRET, "channel_access_token": TOKEN, "verify_token": "x"},
    ],
)
def test_settings_refuse_bad_values(values: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        line.Settings.model_validate(values)


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        SETTINGS.api_base = "https://example.com"  # type: ignore[misc]
