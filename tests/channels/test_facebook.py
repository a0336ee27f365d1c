"""Facebook Messenger's webhook side, pure functions: verify, handshake, parse, prepare, Settings.

The bodies follow the Messenger Platform's webhook reference
(https://developers.facebook.com/docs/messenger-platform/webhooks and the
`messages`, `messaging_postbacks`, `message_echoes`, `message_deliveries`,
`message_reads` and `standby` event pages). The Send API side is in
test_facebook_render.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from flowbot.channels import (
    Acknowledgement,
    ChannelInputError,
    ChannelRefused,
    OutboundCall,
    WebhookRequest,
    facebook,
)
from flowbot.channels.clicks import payload_key
from flowbot.engine import GotoTarget

SECRET = "app-secret-0123"
PSID = "PSID-1"
PAGE = "PAGE-9"


def _settings(**overrides: Any) -> facebook.Settings:
    values: dict[str, Any] = {
        "app_secret": SECRET,
        "verify_token": "let-me-in",
        "page_access_token": "EAAB-page-token",
    }
    return facebook.Settings(**(values | overrides))


def _post(body: bytes, headers: dict[str, str] | None = None) -> WebhookRequest:
    return WebhookRequest("POST", headers or {}, {}, body)


def _get(query: dict[str, str]) -> WebhookRequest:
    return WebhookRequest("GET", {}, query, b"")


def _page(*entries: Any) -> bytes:
    return json.dumps({"object": "page", "entry": list(entries)}).encode()


def _entry(*messaging: Any, standby: list[Any] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": PAGE, "time": 1458692752478, "messaging": list(messaging)}
    if standby is not None:
        entry["standby"] = standby
    return entry


def _item(kind: str, value: Any, sender: str = PSID, timestamp: int = 1458692752478) -> Any:
    return {
        "sender": {"id": sender},
        "recipient": {"id": PAGE},
        "timestamp": timestamp,
        kind: value,
    }


def _text(text: str, mid: str = "m_1", sender: str = PSID) -> Any:
    return _item("message", {"mid": mid, "text": text}, sender)


def _postback(payload: Any, title: str = "Pick", mid: str | None = "m_pb") -> Any:
    postback: dict[str, Any] = {"title": title, "payload": payload}
    if mid is not None:
        postback["mid"] = mid
    return _item("postback", postback)


def _bad(body: bytes) -> ChannelInputError:
    with pytest.raises(ChannelInputError) as caught:
        facebook.parse(_post(body))
    assert caught.value.status == 400
    return caught.value


# --- verify -----------------------------------------------------------------------


def test_sign_is_sha256_hmac_of_the_raw_body_in_hex() -> None:
    body = _page(_entry(_text("hello, world!")))
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert facebook.sign(SECRET, body) == expected
    facebook.verify(_settings(), _post(body, {"x-hub-signature-256": expected}))


def test_verify_refuses_wrong_missing_and_foreign_signatures() -> None:
    body = _page(_entry(_text("hello")))
    other = _page(_entry(_text("hellO")))
    for headers in (
        {},
        {"x-hub-signature-256": ""},
        {"x-hub-signature-256": "sha256=" + "0" * 64},
        {"x-hub-signature-256": facebook.sign(SECRET, other)},
        {"x-hub-signature-256": facebook.sign("another-secret", body)},
        {"x-hub-signature-256": facebook.sign(SECRET, body)[len("sha256=") :]},
        # the old SHA-1 header alone is not enough
        {"x-hub-signature": "sha1=" + hmac.new(SECRET.encode(), body, "sha1").hexdigest()},
    ):
        with pytest.raises(ChannelRefused) as caught:
            facebook.verify(_settings(), _post(body, headers))
        assert caught.value.status == 403


@pytest.mark.parametrize(
    "header", ["sha256=é", "sha256=\u00e9" * 40, "\ud800", "sha256=\udcff", "\x00", "☃ snow"]
)
def test_verify_refuses_non_ascii_headers_without_crashing(header: str) -> None:
    with pytest.raises(ChannelRefused):
        facebook.verify(_settings(), _post(b"{}", {"x-hub-signature-256": header}))


@settings(max_examples=200)
@given(st.text(max_size=80))
def test_verify_refuses_any_header_text(header: str) -> None:
    with pytest.raises(ChannelRefused):
        facebook.verify(_settings(), _post(b"{}", {"x-hub-signature-256": header}))


# --- handshake --------------------------------------------------------------------


def _hub(mode: str = "subscribe", token: str = "let-me-in", challenge: str = "1158201444") -> Any:
    return {"hub.mode": mode, "hub.verify_token": token, "hub.challenge": challenge}


def test_handshake_echoes_the_challenge_for_the_right_token() -> None:
    assert facebook.handshake(_settings(), _get(_hub())) == Acknowledgement(200, b"1158201444")


@pytest.mark.parametrize(
    "query",
    [
        _hub(token="wrong"),
        _hub(token=""),
        _hub(token="let-me-in "),
        _hub(mode="unsubscribe"),
        _hub(challenge=""),
        {"hub.mode": "subscribe", "hub.verify_token": "let-me-in"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
        {},
    ],
)
def test_handshake_refuses_with_403(query: dict[str, str]) -> None:
    answer = facebook.handshake(_settings(), _get(query))
    assert answer is not None and answer.status == 403


# --- parse: user events -----------------------------------------------------------


def test_entries_and_their_messaging_items_become_events_in_order() -> None:
    body = _page(
        _entry(_text("one", "m_1"), _text("two", "m_2", "PSID-2")),
        _entry(_text("three", "m_3"), _postback("FOUR", "Four", "m_4")),
    )
    parsed = facebook.parse(_post(body))
    assert [(e.user_key, e.message.text, e.delivery_id) for e in parsed.events] == [
        (PSID, "one", "m_1"),
        ("PSID-2", "two", "m_2"),
        (PSID, "three", "m_3"),
        (PSID, "Four", "m_4"),
    ]
    assert parsed.acknowledgement == Acknowledgement(200, b"EVENT_RECEIVED")
    assert parsed.ignored == 0


def test_text_message() -> None:
    [event] = facebook.parse(_post(_page(_entry(_text("hello, world!"))))).events
    message = event.message
    assert (event.user_key, event.delivery_id, event.click_key) == (PSID, "m_1", None)
    assert (message.type, message.text, message.payload) == ("text", "hello, world!", None)
    assert (message.conversation_key, message.user_key, message.channel) == (
        PSID,
        PSID,
        "facebook",
    )


def test_quick_reply_click_is_its_title_and_decoded_payload() -> None:
    raw = _item("message", {"mid": "m_q", "text": "Red", "quick_reply": {"payload": "RED"}})
    text_only = _item(
        "message", {"mid": "m_t", "text": "Blue", "quick_reply": {"payload": "~fb:t:Blue"}}
    )
    [red, blue] = facebook.parse(_post(_page(_entry(raw, text_only)))).events
    assert (red.message.type, red.message.text, red.message.payload) == ("postback", "Red", "RED")
    assert red.delivery_id == "m_q"
    assert (blue.message.type, blue.message.text, blue.message.payload) == (
        "postback",
        "Blue",
        None,
    )


def test_postback_with_a_raw_payload() -> None:
    [event] = facebook.parse(
        _post(_page(_entry(_postback('{"pokemon": "X"}', "I choose you!"))))
    ).events
    message = event.message
    assert (message.type, message.text, message.payload) == (
        "postback",
        "I choose you!",
        '{"pokemon": "X"}',
    )
    assert (event.delivery_id, event.click_key, message.goto) == ("m_pb", None, None)


def test_postbacks_in_the_click_forms() -> None:
    key = payload_key("pokemon/facebook", '{"t":"x"}')
    goto = '~fb:g:{"f":"2","n":"4","t":"Start over"}'
    body = _page(
        _entry(
            _postback("~fb:t:Yes please", "Yes please"),
            _postback(goto, "Start over"),
            _postback("~fb:k:" + key, "Pikachu, I choose y…"),
            _postback("~fb:n", "…"),
        )
    )
    parsed = facebook.parse(_post(body))
    text, jump, keyed = parsed.events
    assert (text.message.text, text.message.payload, text.click_key) == ("Yes please", None, None)
    assert (jump.message.text, jump.message.goto) == ("Start over", GotoTarget("2", "4"))
    assert (keyed.message.text, keyed.message.payload, keyed.click_key) == (
        "Pikachu, I choose y…",
        None,
        key,
    )
    assert parsed.ignored == 1  # a button that does nothing


def test_an_old_postback_without_mid_is_named_by_sender_and_time() -> None:
    item = _postback("GET_STARTED", "Get Started", mid=None)
    [event] = facebook.parse(_post(_page(_entry(item)))).events
    assert event.delivery_id == f"{PSID}:1458692752478"


def test_image_attachment_is_a_media_message() -> None:
    image = {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/p.png"}}
    item = _item("message", {"mid": "m_img", "attachments": [image]})
    [event] = facebook.parse(_post(_page(_entry(item)))).events
    assert event.delivery_id == "m_img"
    assert event.message.type == "media"
    assert event.message.media == {
        "uri": "https://scontent.xx.fbcdn.net/p.png",
        "contentType": "image",
    }


def test_location_attachment() -> None:
    place = {"type": "location", "payload": {"coordinates": {"lat": 48.85, "long": 2.35}}}
    item = _item("message", {"mid": "m_loc", "attachments": [place]})
    [event] = facebook.parse(_post(_page(_entry(item)))).events
    assert event.message.type == "location"
    assert event.message.location == {"latitude": 48.85, "longitude": 2.35}


def test_echoes_receipts_reactions_and_standby_are_acknowledged_and_ignored() -> None:
    echo = _item(
        "message",
        {"is_echo": True, "app_id": 1517776481860111, "mid": "m_e", "text": "hi"},
        sender=PAGE,
    )
    delivery = _item("delivery", {"mids": ["m_1"], "watermark": 1458668856253})
    read = _item("read", {"watermark": 1458668856253})
    reaction = _item("reaction", {"reaction": "love", "action": "react", "mid": "m_1"})
    guest = {"sender": {"user_ref": "USER-REF"}, "recipient": {"id": PAGE}, "postback": {}}
    standby = [_text("seen by another app", "m_s1"), _item("read", {"watermark": 1})]
    body = _page(
        _entry(echo, delivery, read, reaction, guest, _text("hi")), _entry(standby=standby)
    )
    parsed = facebook.parse(_post(body))
    assert [e.message.text for e in parsed.events] == ["hi"]
    assert parsed.ignored == 7


def test_a_postback_without_payload_is_another_apps_and_ignored() -> None:
    # "postback.payload … is only included in the webhook notification sent to
    # the app that sent the message to the person" (messaging_postbacks reference)
    item = _item("postback", {"mid": "m_x", "title": "Their button"})
    parsed = facebook.parse(_post(_page(_entry(item))))
    assert (parsed.events, parsed.ignored) == ([], 1)


# --- parse: malformed bodies --------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{nope",
        b"\xff\xfe\x00",
        b"[]",
        b'"page"',
        b"null",
        json.dumps({"object": "instagram", "entry": []}).encode(),
        json.dumps({"entry": []}).encode(),
        json.dumps({"object": "page"}).encode(),
        json.dumps({"object": "page", "entry": {"messaging": []}}).encode(),
        _page("not an entry"),
        _page({"messaging": {"sender": {"id": PSID}}}),
        _page(_entry("not an object")),
        _page(_entry(["a list"])),
        _page(_entry({"message": {"mid": "m", "text": "hi"}})),
        _page(_entry({"sender": {"id": 42}, "message": {"mid": "m", "text": "hi"}})),
        _page(_entry({"sender": "PSID-1", "message": {"mid": "m", "text": "hi"}})),
        _page(_entry(_item("message", {"text": "no mid"}))),
        _page(_entry(_item("message", {"mid": "m", "text": 5}))),
        _page(_entry(_item("message", "not an object"))),
        _page(_entry(_postback(5))),
        _page(_entry(_postback({"nested": "object"}))),
        b"[" * 10_000 + b"]" * 10_000,
        b'{"object": "page", "entry": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
        b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
    ],
)
def test_malformed_bodies_are_400(body: bytes) -> None:
    _bad(body)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
# near-valid bodies, to reach parse's deeper branches: each field of its shape or a scalar
_words = st.sampled_from(
    [
        *("m_1", PSID, "image", "location", "", "~fb:n", "~fb:t:Hi", "~fb:k:" + "k" * 22),
        *('~fb:g:{"f":1,"t":"Go"}', "~fb:g:[", "~fb:k:short"),
    ]
)
_leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8), _words)


def _object(
    required: dict[str, st.SearchStrategy[Any]], **fields: st.SearchStrategy[Any]
) -> st.SearchStrategy[dict[str, Any]]:
    optional = {k: st.one_of(v, _leaf) for k, v in fields.items()}
    return st.fixed_dictionaries(required, optional=optional)


_ids = st.sampled_from(["m_1", "m_2", PSID])
_place = _object({}, url=_leaf, coordinates=_object({}, lat=_leaf, long=_leaf))
_message = _object(
    {"mid": st.one_of(_ids, _ids, _leaf)},
    text=_leaf,
    is_echo=st.booleans(),
    quick_reply=_object({}, payload=_words),
    attachments=st.lists(_object({}, type=_words, payload=_place), max_size=2),
)
_postback_ = _object({"payload": st.one_of(_words, _words, _leaf)}, mid=_words, title=_leaf)
_user = st.fixed_dictionaries({"id": _ids})
_near = st.one_of(
    st.fixed_dictionaries({"sender": _user, "message": _message}),
    st.fixed_dictionaries({"sender": _user, "postback": _postback_}, optional={"timestamp": _leaf}),
    _object({}, sender=_object({}, id=_ids, user_ref=_leaf), message=_message, postback=_postback_),
)
_entries = st.lists(
    st.fixed_dictionaries({"messaging": st.lists(_near, max_size=3)}, optional={"standby": _json}),
    max_size=3,
)
_bodies = st.one_of(
    _json,
    st.fixed_dictionaries({"object": st.just("page"), "entry": _json}),
    _entries.map(lambda entries: {"object": "page", "entry": entries}),
)


@settings(max_examples=400)
@given(_bodies)
def test_any_json_body_parses_or_is_a_400(body: Any) -> None:
    try:
        parsed = facebook.parse(_post(json.dumps(body).encode()))
    except ChannelInputError as error:
        assert error.status == 400
    else:
        for event in parsed.events:
            assert event.user_key and isinstance(event.delivery_id, str) and event.delivery_id
            assert event.message.type in ("text", "postback", "media", "location")


@settings(max_examples=200)
@given(st.binary(max_size=64))
def test_any_bytes_parse_or_are_a_400(body: bytes) -> None:
    try:
        facebook.parse(_post(body))
    except ChannelInputError as error:
        assert error.status == 400


# --- prepare and Settings -----------------------------------------------------------


def test_prepare_adds_the_page_token_and_its_appsecret_proof() -> None:
    call = OutboundCall("/me/messages", {"recipient": {"id": PSID}, "message": {"text": "hi"}})
    prepared = facebook.prepare(_settings(api_base="http://127.0.0.1:9/v21.0/"), call)
    proof = hmac.new(SECRET.encode(), b"EAAB-page-token", hashlib.sha256).hexdigest()
    assert prepared.method == "POST"
    assert prepared.url == "http://127.0.0.1:9/v21.0/me/messages"
    assert prepared.json == call.body
    assert dict(prepared.params) == {"access_token": "EAAB-page-token", "appsecret_proof": proof}


def test_settings_keep_secrets_secret_and_default_to_the_graph_api() -> None:
    configured = _settings()
    assert configured.api_base == "https://graph.facebook.com/v21.0"
    for name in ("app_secret", "verify_token", "page_access_token"):
        assert isinstance(getattr(configured, name), SecretStr)
    assert SECRET not in repr(configured) and "let-me-in" not in str(configured)
    assert configured.app_secret.get_secret_value() == SECRET


@pytest.mark.parametrize(
    "overrides",
    [
        {"api_base": "graph.facebook.com/v21.0"},
        {"api_base": "ftp://graph.facebook.com"},
        {"api_base": ""},
        {"page_token": "typo"},
        {"app_secret": ""},
        {"verify_token": ""},
        {"page_access_token": ""},
    ],
)
def test_settings_refuse_bad_values(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _settings(**overrides)


def test_settings_need_all_three_secrets() -> None:
    with pytest.raises(ValidationError):
        facebook.Settings.model_validate({"app_secret": SECRET, "verify_token": "t"})
