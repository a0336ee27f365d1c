"""TalkTalk's webhook side as pure functions: verify, parse, prepare, Settings.

Webhook bodies are built as the chatbot API's README documents them
(https://github.com/navertalk/chatbot-api: "이벤트 명세", the `open`,
`leave`, `friend`, `send` and `echo` events, `textContent.inputType`; the
Handover API's `standby` and `handover`). Where the community library `nta`
is installed, its `WebhookParser` reads every test body as the event it is
meant to be. The rendering side is in test_navertalk_render.py.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from flowbot.channels import (
    ChannelInputError,
    ChannelRefused,
    OutboundCall,
    Parsed,
    WebhookRequest,
    navertalk,
)
from flowbot.engine import GotoTarget

TOKEN = "s3cr3t-path-token-0123456789"
KEY = "ct_wc8b1i_Pb1AXDQ0RZWuCccpzdNL"  # the README's example send API key
SETTINGS = navertalk.Settings(path_token=TOKEN, authorization=KEY)
TALKTALK = "117.52.141.192/27"  # the README's webhook ACL
ALLOWING = navertalk.Settings(path_token=TOKEN, authorization=KEY, allowed_ips=(TALKTALK,))
USER = "al-2eGuGr5WQOnco1_V-FQ"


# --- events, as the README documents them ------------------------------------------


def _open(**options: Any) -> dict[str, Any]:
    return {"event": "open", "options": options, "user": USER}


# entering from the chat list, as in "[STEP 1]"'s event log
OPEN_FROM_LIST = _open(
    inflow="list", referer="https://talk.naver.com/", friend=False, under14=False, under19=False
)
# entering through a button on a page, with a `from` parameter
OPEN_FROM_BUTTON = _open(
    inflow="button",
    referer="http://storefarm.naver.com/pqbdo/products/309672359",
    **{"from": "309672359"},
    friend=False,
    under14=False,
    under19=False,
)


def _send(content: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"event": "send", "user": USER, **content, **fields}


def _text(text: str, input_type: str = "typing", **fields: Any) -> dict[str, Any]:
    return _send({"textContent": {"text": text, "inputType": input_type}}, **fields)


def _click(title: str, code: str) -> dict[str, Any]:
    """What TalkTalk posts when the user taps a TEXT button with this title and code."""
    content = {"text": title, "code": code, "inputType": "button"}
    return _send({"textContent": content}, options={"mobile": True})


def _friend(setting: str) -> dict[str, Any]:
    return {"event": "friend", "options": {"set": setting}, "user": USER}


ECHO = {
    "event": "echo",
    "echoedEvent": "send",
    "user": "5KcCQTARWKNKv1IOvXwYQw",
    "partner": "wc8b1i",
    "textContent": {"text": "명함을 보냈습니다.", "inputType": "nameCard"},
    "options": {"mobile": False},
}
HANDOVER = {
    "event": "handover",
    "user": USER,
    "partner": "wc1234",
    "options": {
        "control": "passThread",
        "metadata": '{"managerNickname":"파트너닉네임","autoEnd":false}',
    },
}


def _nta_event(event: dict[str, Any]) -> Any:
    """The `nta` library's reading of a body, when it is installed (else None)."""
    try:
        from nta.api import WebhookParser  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        return None
    return WebhookParser().parse(json.dumps(event))


def _request(
    body: bytes, token: str | None = TOKEN, client: str | None = "117.52.141.200"
) -> WebhookRequest:
    headers = {"content-type": "application/json;charset=UTF-8"}
    return WebhookRequest("POST", headers, {}, body, client=client, path_token=token)


def _parse(event: dict[str, Any]) -> Parsed:
    """Verify and parse a documented event, as the server would."""
    request = _request(json.dumps(event, ensure_ascii=False).encode())
    navertalk.verify(ALLOWING, request)
    parsed = navertalk.parse(request)
    assert parsed.acknowledgement.status == 200
    assert parsed.acknowledgement.body == b""
    assert len(parsed.events) + parsed.ignored == 1
    return parsed


def _bad_body(body: bytes) -> ChannelInputError:
    with pytest.raises(ChannelInputError) as caught:
        navertalk.parse(_request(body))
    assert caught.value.status == 400
    return caught.value


# --- verify -----------------------------------------------------------------------


def test_the_right_path_token_passes() -> None:
    navertalk.verify(SETTINGS, _request(b"{}", client=None))
    navertalk.verify(SETTINGS, _request(b"{}", client="203.0.113.9"))


@pytest.mark.parametrize(
    "token",
    [None, "", TOKEN[:-1], TOKEN + "x", TOKEN.upper(), f" {TOKEN}", "é" * 28, "\ud800", "🍕"],
)
def test_a_wrong_or_missing_path_token_is_404(token: str | None) -> None:
    with pytest.raises(ChannelRefused) as caught:
        navertalk.verify(SETTINGS, _request(b"{}", token=token))
    assert caught.value.status == 404


def test_an_address_outside_allowed_ips_is_403() -> None:
    navertalk.verify(ALLOWING, _request(b"{}", client="117.52.141.193"))
    navertalk.verify(ALLOWING, _request(b"{}", client="117.52.141.222"))
    navertalk.verify(ALLOWING, _request(b"{}", client="::ffff:117.52.141.200"))
    for client in ("117.52.141.224", "10.0.0.1", "not an address", "", None):
        with pytest.raises(ChannelRefused) as caught:
            navertalk.verify(ALLOWING, _request(b"{}", client=client))
        assert caught.value.status == 403


def test_a_wrong_token_is_404_before_the_address_is_looked_at() -> None:
    with pytest.raises(ChannelRefused) as caught:
        navertalk.verify(ALLOWING, _request(b"{}", token="wrong", client="10.0.0.1"))
    assert caught.value.status == 404


@given(st.text(st.characters(exclude_categories=())), st.one_of(st.none(), st.text()))
def test_any_token_and_client_are_refused_or_pass(token: str, client: str | None) -> None:
    with contextlib.suppress(ChannelRefused):
        navertalk.verify(ALLOWING, _request(b"{}", token=token, client=client))


def test_handshake_is_none() -> None:
    assert navertalk.handshake(SETTINGS, WebhookRequest("GET", {}, {}, b"")) is None


# --- open, friend and the ignored events ---------------------------------------------


def test_open_is_the_welcome_with_how_the_user_came() -> None:
    [event] = _parse(OPEN_FROM_LIST).events
    message = event.message
    assert (message.type, message.event) == ("event", "open")
    assert message.params == {"inflow": "list", "referer": "https://talk.naver.com/"}
    assert (message.conversation_key, message.user_key, message.channel) == (
        USER,
        USER,
        "navertalk",
    )
    assert (event.user_key, event.delivery_id, event.reply_token, event.click_key) == (
        USER,
        None,
        None,
        None,
    )


def test_open_from_a_button_and_from_nowhere() -> None:
    [event] = _parse(OPEN_FROM_BUTTON).events
    assert event.message.params == {
        "inflow": "button",
        "referer": "http://storefarm.naver.com/pqbdo/products/309672359",
    }
    [event] = _parse(_open(inflow="none")).events
    assert event.message.params == {"inflow": "none"}
    [event] = _parse({"event": "open", "user": USER}).events
    assert (event.message.event, event.message.params) == ("open", {})


def test_open_params_are_strings_only() -> None:
    [event] = _parse(_open(inflow=["list"], referer=5, friend=True)).events
    assert event.message.params == {}


def test_the_test_bodies_are_events_nta_knows() -> None:
    pytest.importorskip("nta")
    from nta.models.events import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
        EchoEvent,
        FriendEvent,
        HandOverEvent,
        LeaveEvent,
        OpenEvent,
        SendEvent,
    )

    opened = _nta_event(OPEN_FROM_BUTTON)
    assert isinstance(opened, OpenEvent)
    assert (opened.user_id, opened.inflow, opened.friend) == (USER, "button", False)
    sent = _nta_event(_text("hello world"))
    assert isinstance(sent, SendEvent)
    assert (sent.text, sent.code, sent.input_type) == ("hello world", None, "typing")
    clicked = _nta_event(_click("Pikachu", "pika"))
    assert isinstance(clicked, SendEvent) and clicked.is_code
    assert (clicked.text, clicked.code, clicked.input_type) == ("Pikachu", "pika", "button")
    image = _nta_event(_send({"imageContent": {"imageUrl": "https://talk.naver.com/a.jpg"}}))
    assert isinstance(image, SendEvent) and image.image_url == "https://talk.naver.com/a.jpg"
    friend = _nta_event(_friend("on"))
    assert isinstance(friend, FriendEvent) and friend.set_on
    assert isinstance(_nta_event({"event": "leave", "user": USER}), LeaveEvent)
    assert isinstance(_nta_event(ECHO), EchoEvent)
    assert isinstance(_nta_event(HANDOVER), HandOverEvent)


@pytest.mark.parametrize("setting", ["on", "off"])
def test_friend_on_and_off_set_a_param(setting: str) -> None:
    [event] = _parse(_friend(setting)).events
    message = event.message
    assert (message.type, message.event, message.params) == (
        "event",
        "params",
        {"friend": setting},
    )
    assert (event.user_key, message.user_key, message.channel) == (USER, USER, "navertalk")


@pytest.mark.parametrize(
    "event",
    [
        {"event": "leave", "user": USER},
        {"event": "leave"},  # the README's first leave event carries no user
        ECHO,
        HANDOVER,
        {"event": "action", "user": USER, "options": {"action": "typingOn"}},
        {"event": "pay_complete", "user": USER, "options": {"paymentResult": {"code": "OK"}}},
        {"event": "profile", "user": USER, "options": {"result": "SUCCESS"}},
        {"event": "test"},  # the README's localhost test
        {"event": "something new", "user": 5},
    ],
)
def test_other_events_are_acknowledged_and_ignored(event: dict[str, Any]) -> None:
    parsed = _parse(event)
    assert (parsed.events, parsed.ignored) == ([], 1)


def test_a_send_in_standby_is_the_agents_and_ignored() -> None:
    # Handover API: while a person holds the conversation, the user's messages are standby
    standby = {**_text("헬로"), "standby": True, "partner": "wc8b1i", "options": {"mobile": False}}
    assert (_parse(standby).events, _parse(standby).ignored) == ([], 1)
    [event] = _parse({**standby, "standby": False}).events
    assert event.message.text == "헬로"


# --- send -----------------------------------------------------------------------


def test_a_typed_text() -> None:
    [event] = _parse(_text("hello world")).events
    message = event.message
    assert (message.type, message.text, message.payload, message.goto) == (
        "text",
        "hello world",
        None,
        None,
    )
    assert (message.conversation_key, message.user_key, message.channel) == (
        USER,
        USER,
        "navertalk",
    )
    assert (event.user_key, event.delivery_id, event.click_key) == (USER, None, None)


def test_a_text_of_an_older_event_without_input_type() -> None:
    [event] = _parse(_send({"textContent": {"text": "hello world"}})).events
    assert (event.message.type, event.message.text) == ("text", "hello world")


@pytest.mark.parametrize(
    ("text", "input_type"),
    [("050719003814,2017-11-03", "vphone"), ("상담 요청", "inquiry"), ("😀", "sticker")],
)
def test_other_input_types_are_texts(text: str, input_type: str) -> None:
    [event] = _parse(_text(text, input_type)).events
    assert (event.message.type, event.message.text) == ("text", text)


def test_an_empty_text_is_ignored() -> None:
    assert _parse(_text("")).ignored == 1
    assert _parse(_text("", "sticker")).ignored == 1


def test_a_click_with_a_raw_code_is_its_payload_and_title() -> None:
    [event] = _parse(_click("브레이즈드포크 콜라세트 주문하기", "1")).events
    message = event.message
    assert (message.type, message.payload, message.text) == (
        "postback",
        "1",
        "브레이즈드포크 콜라세트 주문하기",
    )
    assert message.goto is None
    assert event.click_key is None


def test_a_click_in_the_click_forms() -> None:
    [event] = _parse(_click("Tell me…", "~fb:t:Tell me more")).events
    assert (event.message.type, event.message.text, event.message.payload) == (
        "postback",
        "Tell me more",
        None,
    )
    [event] = _parse(_click("Start over", '~fb:g:{"f":"2","n":"4","t":"Start over"}')).events
    assert event.message.goto == GotoTarget("2", "4")
    assert (event.message.text, event.message.payload) == ("Start over", None)
    key = "AbCdEfGhIjKlMnOpQrStUv"
    [event] = _parse(_click("Pikachu, I choose…", f"~fb:k:{key}")).events
    assert event.click_key == key
    assert (event.message.type, event.message.text, event.message.payload) == (
        "postback",
        "Pikachu, I choose…",
        None,
    )


def test_a_noop_click_is_ignored() -> None:
    assert _parse(_click("-", "~fb:n")).ignored == 1


def test_a_code_without_input_type_is_a_click() -> None:
    # the README's events before `inputType`: a code is only ever a button's
    [event] = _parse(_send({"textContent": {"text": "남자", "code": "1-30"}})).events
    assert (event.message.type, event.message.payload, event.message.text) == (
        "postback",
        "1-30",
        "남자",
    )


def test_a_typed_text_with_a_code_or_a_button_without_one_is_a_text() -> None:
    typed = _send({"textContent": {"text": "hi", "code": "x", "inputType": "typing"}})
    [event] = _parse(typed).events
    assert (event.message.type, event.message.text, event.message.payload) == ("text", "hi", None)
    # another bot's TEXT button without a code sends its title alone
    [event] = _parse(_send({"textContent": {"text": "메뉴", "inputType": "button"}})).events
    assert (event.message.type, event.message.text) == ("text", "메뉴")
    [event] = _parse(_click("메뉴", "")).events
    assert (event.message.type, event.message.text) == ("text", "메뉴")


def test_an_image_is_a_media_message() -> None:
    url = "https://talk.naver.com/image/20170918_119/abc.jpg"
    [event] = _parse(_send({"imageContent": {"imageUrl": url}}, options={"mobile": False})).events
    message = event.message
    assert (message.type, message.media) == ("media", {"contentType": "image", "uri": url})
    assert (message.user_key, message.channel) == (USER, "navertalk")


def test_other_contents_are_ignored() -> None:
    composite = {"compositeContent": {"compositeList": [{"title": "t", "description": "d"}]}}
    assert _parse(_send(composite)).ignored == 1
    assert _parse(_send({})).ignored == 1


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{nope",
        b"\xff\xfe not utf-8",
        b"[]",
        b'"send"',
        b"null",
        b"{}",
        b'{"event": 5}',
        b'{"event": null, "user": "u"}',
        b'{"event": ["send"], "user": "u"}',
        b'{"event": "open"}',
        b'{"event": "open", "user": ""}',
        b'{"event": "open", "user": 5}',
        b'{"event": "open", "user": ["u"]}',
        b'{"event": "open", "user": "u", "options": []}',
        b'{"event": "open", "user": "u", "options": "list"}',
        b'{"event": "open", "user": "u", "options": null}',
        b'{"event": "friend", "user": "u"}',
        b'{"event": "friend", "user": "u", "options": {}}',
        b'{"event": "friend", "user": "u", "options": {"set": true}}',
        b'{"event": "friend", "user": "u", "options": {"set": ["on"]}}',
        b'{"event": "friend", "user": "u", "options": {"set": "ON"}}',
        b'{"event": "friend", "options": {"set": "on"}}',
        b'{"event": "send", "textContent": {"text": "hi"}}',
        b'{"event": "send", "user": "u", "textContent": "hi"}',
        b'{"event": "send", "user": "u", "textContent": []}',
        b'{"event": "send", "user": "u", "textContent": {}}',
        b'{"event": "send", "user": "u", "textContent": {"text": 5}}',
        b'{"event": "send", "user": "u", "textContent": {"text": null}}',
        b'{"event": "send", "user": "u", "textContent": {"text": "a", "code": 1}}',
        b'{"event": "send", "user": "u", "textContent": {"text": "a", "code": ["x"]}}',
        b'{"event": "send", "user": "u", "textContent": {"text": "a", "inputType": 1}}',
        b'{"event": "send", "user": "u", "imageContent": "https://x/a.png"}',
        b'{"event": "send", "user": "u", "imageContent": {}}',
        b'{"event": "send", "user": "u", "imageContent": {"imageUrl": ""}}',
        b'{"event": "send", "user": "u", "imageContent": {"imageUrl": {"u": 1}}}',
        b'{"event": "send", "user": "u", "options": [1]}',
        b"[" * 10_000 + b"]" * 10_000,
        b'{"event": "send", "x": ' + b'{"a":' * 10_000 + b"1" + b"}" * 10_000 + b"}",
        b'{"event": "send", "user": "u", "n": ' + b"9" * 5000 + b"}",
    ],
)
def test_malformed_bodies_are_400(body: bytes) -> None:
    error = _bad_body(body)
    assert error.message


def test_the_400_names_the_field() -> None:
    assert _bad_body(b'{"event": "send", "user": "u", "textContent": {"text": 5}}').message == (
        "textContent.text: expected a string"
    )
    assert _bad_body(b'{"event": "open"}').message == "user: expected a string"
    assert _bad_body(b'{"event": "friend", "user": "u", "options": {"set": 1}}').message == (
        'options.set: expected "on" or "off"'
    )


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=25,
)
# values and keys that reach the deeper branches of parse
_words = st.sampled_from(
    [
        *("open", "send", "friend", "leave", "echo", "on", "off", "button", "typing", USER),
        *("~fb:n", "~fb:k:" + "k" * 22, "~fb:g:{}", '~fb:g:{"f":1}', "~fb:t:x", ""),
    ]
)
_keys = st.sampled_from(
    [
        *("event", "user", "options", "set", "inflow", "referer", "standby"),
        *("textContent", "imageContent", "text", "code", "inputType", "imageUrl"),
    ]
)
_events = st.recursive(
    _words | _json,
    lambda children: st.dictionaries(_keys, children, max_size=6),
    max_leaves=20,
)


def _parses_or_400(body: bytes) -> None:
    try:
        parsed = navertalk.parse(_request(body))
    except ChannelInputError as error:
        assert error.status == 400
    else:
        assert len(parsed.events) + parsed.ignored == 1


@given(_json)
def test_any_json_body_parses_or_is_400(value: Any) -> None:
    _parses_or_400(json.dumps(value).encode())


@given(_events)
def test_any_event_parses_or_is_400(event: Any) -> None:
    _parses_or_400(json.dumps(event).encode())


@given(st.binary(max_size=200))
def test_any_bytes_parse_or_are_400(body: bytes) -> None:
    _parses_or_400(body)


# --- prepare ---------------------------------------------------------------------


def test_prepare_a_send_event() -> None:
    body = {"event": "send", "user": USER, "textContent": {"text": "hello world"}}
    request = navertalk.prepare(SETTINGS, OutboundCall(navertalk.SEND_PATH, body))
    assert request.method == "POST"
    assert request.url == "https://gw.talk.naver.com/chatbot/v1/event"
    assert request.json == body
    assert request.headers == {
        "Authorization": KEY,
        "Content-Type": "application/json;charset=UTF-8",
    }
    assert request.params == {}
    assert request.retry_key_header is None


def test_prepare_uses_the_api_base() -> None:
    settings = navertalk.Settings(
        path_token=TOKEN, authorization=KEY, api_base="http://127.0.0.1:8082/talk/"
    )
    request = navertalk.prepare(settings, OutboundCall(navertalk.SEND_PATH, {}))
    assert request.url == "http://127.0.0.1:8082/talk/chatbot/v1/event"


def test_prepare_matches_ntas_endpoint_and_headers() -> None:
    pytest.importorskip("nta")
    from nta import NaverTalkApi  # type: ignore[import-untyped,import-not-found,unused-ignore]

    api = NaverTalkApi(KEY)
    request = navertalk.prepare(SETTINGS, OutboundCall(navertalk.SEND_PATH, {}))
    assert request.url == api._endpoint
    assert {k.lower(): v for k, v in request.headers.items()} == {
        k.lower(): v for k, v in api._headers.items()
    }


# --- settings --------------------------------------------------------------------


def test_settings_keep_secrets_secret() -> None:
    assert isinstance(SETTINGS.authorization, SecretStr)
    assert isinstance(SETTINGS.path_token, SecretStr)
    assert SETTINGS.authorization.get_secret_value() == KEY
    assert KEY not in repr(SETTINGS) and TOKEN not in repr(SETTINGS)
    assert SETTINGS.api_base == "https://gw.talk.naver.com"
    assert SETTINGS.allowed_ips == ()
    assert navertalk.NAME == "navertalk"
    assert navertalk.SEND_PATH == "/chatbot/v1/event"


@pytest.mark.parametrize(
    "values",
    [
        {"path_token": TOKEN},
        {"authorization": KEY},
        {"path_token": "short", "authorization": KEY},
        {"path_token": TOKEN + "/x", "authorization": KEY},
        {"path_token": TOKEN, "authorization": ""},
        {"path_token": TOKEN, "authorization": "   "},
        {"path_token": TOKEN, "authorization": "key\r\nX-Evil: 1"},
        {"path_token": TOKEN, "authorization": "키"},
        {"path_token": TOKEN, "authorization": KEY, "api_base": "gw.talk.naver.com"},
        {"path_token": TOKEN, "authorization": KEY, "api_base": "ftp://talk.naver.com"},
        {"path_token": TOKEN, "authorization": KEY, "allowed_ips": ["117.52.141.300/27"]},
        {"path_token": TOKEN, "authorization": KEY, "channel_secret": "x"},
    ],
)
def test_settings_refuse_bad_values(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        navertalk.Settings.model_validate(values)


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        SETTINGS.api_base = "https://example.com"  # type: ignore[misc]
