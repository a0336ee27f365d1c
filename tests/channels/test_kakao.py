"""KakaoTalk's skill side as pure functions: verify, parse, Settings, the callback.

Skill payloads are built as Kakao documents them ("응답 타입별 JSON 포맷 >
SkillPayload" and the AI chatbot callback guide,
https://kakaobusiness.gitbook.io/main/tool/chatbot/skill_guide/answer_json_format)
and read with the `kakao-chatbot` SDK's `Payload` too, so a test body is one
the SDK takes for Kakao's. The rendering side is in test_kakao_render.py.
"""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from kakao_chatbot import Payload
from pydantic import SecretStr, ValidationError

from flowbot.channels import (
    ChannelInputError,
    ChannelRefused,
    OutboundCall,
    Parsed,
    WebhookRequest,
    kakao,
)
from flowbot.engine import GotoTarget

TOKEN = "Zx8Qm3vR7tLp2WkN9aBc4DeF"
SETTINGS = kakao.Settings(path_token=TOKEN)
USER = "c1b0e7e52bbd8d7f6b5c4a3e2f1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9"[:70]
CALLBACK = "https://bot-api.kakao.com/v1/bots/5a548e36aea1a43fa851ecd9/callback/AbCdEf0123"
KEY = "AbCdEfGhIjKlMnOpQrStUv"


# --- skill payloads, as Kakao documents them -----------------------------------------


def _payload(
    utterance: str = "안녕하세요",
    *,
    client_extra: Any = None,
    params: Any = None,
    callback_url: str | None = None,
    trigger: str = "TEXT_INPUT",
) -> dict[str, Any]:
    """A SkillPayload with every documented part: intent, userRequest, bot, action, flow."""
    user_request: dict[str, Any] = {
        "timezone": "Asia/Seoul",
        "params": {"surface": "Kakaotalk.plusfriend"},
        "block": {"id": "62654c249ac8ed78441532de", "name": "포켓몬 블록"},
        "utterance": utterance,
        "lang": "ko",
        "user": {
            "id": USER,
            "type": "botUserKey",
            "properties": {
                "botUserKey": USER,
                "plusfriendUserKey": "BlGTEYoiNoSh",
                "isFriend": True,
            },
        },
    }
    if callback_url is not None:
        user_request["callbackUrl"] = callback_url
    return {
        "intent": {"id": "62654c249ac8ed78441532de", "name": "포켓몬 블록"},
        "userRequest": user_request,
        "bot": {"id": "5a548e36aea1a43fa851ecd9", "name": "포켓몬 봇"},
        "action": {
            "name": "flowbot",
            "clientExtra": client_extra,
            "params": {} if params is None else params,
            "id": "5a56ebaa211ee046633e958d",
            "detailParams": {},
        },
        "contexts": [],
        "flow": {
            "trigger": {
                "type": trigger,
                "referrerBlock": {"id": "62654c249ac8ed78441532de", "name": "포켓몬 블록"},
            },
            "lastBlock": {"id": "62654c249ac8ed78441532de", "name": "포켓몬 블록"},
        },
    }


def _request(
    body: bytes,
    token: str | None = TOKEN,
    *,
    client: str | None = "211.249.200.1",
    headers: dict[str, str] | None = None,
) -> WebhookRequest:
    return WebhookRequest("POST", headers or {}, {}, body, client=client, path_token=token)


def _body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode()


def _parse(payload: dict[str, Any]) -> Parsed:
    """Check a payload with the SDK, then verify and parse it."""
    sdk = Payload.from_dict(copy.deepcopy(payload))
    assert sdk.user_request.user.id == payload["userRequest"]["user"]["id"]
    request = _request(_body(payload))
    kakao.verify(SETTINGS, request)
    return kakao.parse(request)


def _refused(settings: kakao.Settings, request: WebhookRequest, status: int) -> ChannelRefused:
    with pytest.raises(ChannelRefused) as caught:
        kakao.verify(settings, request)
    assert caught.value.status == status
    return caught.value


def _bad_body(body: bytes) -> ChannelInputError:
    with pytest.raises(ChannelInputError) as caught:
        kakao.parse(_request(body))
    assert caught.value.status == 400
    return caught.value


# --- verify --------------------------------------------------------------------------


def test_the_path_token_passes() -> None:
    kakao.verify(SETTINGS, _request(_body(_payload())))


@pytest.mark.parametrize(
    "token", [None, "", TOKEN[:-1], TOKEN + "x", TOKEN.lower(), f" {TOKEN}", "é", "\ud800"]
)
def test_a_wrong_or_missing_path_token_is_404(token: str | None) -> None:
    refused = _refused(SETTINGS, _request(b"{}", token), 404)
    assert refused.message == "no such webhook"


@pytest.mark.parametrize("token", ["日本語のトークン", "🍎" * 24, "\udcff" * 24, "\x00" * 24])
def test_non_ascii_tokens_are_refused_not_an_error(token: str) -> None:
    _refused(SETTINGS, _request(b"{}", token), 404)


@given(st.text(st.characters(exclude_categories=())))
def test_any_token_is_refused_or_passes(token: str) -> None:
    with contextlib.suppress(ChannelRefused):
        kakao.verify(SETTINGS, _request(b"{}", token))


def test_an_address_outside_allowed_ips_is_403() -> None:
    settings = kakao.Settings(path_token=TOKEN, allowed_ips=("211.249.200.0/24", "::1/128"))
    kakao.verify(settings, _request(b"{}", client="211.249.200.7"))
    kakao.verify(settings, _request(b"{}", client="::ffff:211.249.200.7"))
    kakao.verify(settings, _request(b"{}", client="::1"))
    for client in ("211.249.201.7", "10.0.0.1", None, "not an address", "::2"):
        refused = _refused(settings, _request(b"{}", client=client), 403)
        assert "allowed_ips" in refused.message


def test_a_wrong_token_is_404_before_the_address_is_checked() -> None:
    settings = kakao.Settings(path_token=TOKEN, allowed_ips=("211.249.200.0/24",))
    _refused(settings, _request(b"{}", "wrong", client="10.0.0.1"), 404)


def test_the_header_secret() -> None:
    settings = kakao.Settings(path_token=TOKEN, header_secret="s3cr3t-header-value")
    kakao.verify(settings, _request(b"{}", headers={"x-flowbot-secret": "s3cr3t-header-value"}))
    for headers in (
        {},
        {"x-flowbot-secret": ""},
        {"x-flowbot-secret": "s3cr3t-header-valuE"},
        {"x-flowbot-secret": "s3cr3t-header-value "},
        {"x-flowbot-secret": "é" * 19},
        {"x-flowbot-secret": "\ud800"},
        {"x-other": "s3cr3t-header-value"},
    ):
        refused = _refused(settings, _request(b"{}", headers=headers), 403)
        assert refused.message == "the x-flowbot-secret header does not match"
    # the token is checked first: a wrong one is still 404
    headers = {"x-flowbot-secret": "s3cr3t-header-value"}
    _refused(settings, _request(b"{}", "wrong", headers=headers), 404)


def test_without_a_header_secret_any_header_passes() -> None:
    kakao.verify(SETTINGS, _request(b"{}", headers={"x-flowbot-secret": "anything"}))


def test_handshake_is_none() -> None:
    assert kakao.handshake(SETTINGS, WebhookRequest("GET", {}, {}, b"")) is None


# --- parse ---------------------------------------------------------------------------


def test_an_utterance_is_a_text_message() -> None:
    parsed = _parse(_payload("피카츄 알려줘"))
    [event] = parsed.events
    assert (event.user_key, event.delivery_id, event.reply_token) == (USER, None, None)
    assert (event.click_key, event.redelivery, event.callback_url) == (None, False, None)
    message = event.message
    assert (message.type, message.text, message.payload, message.goto) == (
        "text",
        "피카츄 알려줘",
        None,
        None,
    )
    assert (message.conversation_key, message.user_key, message.channel) == (USER, USER, "kakao")
    assert message.params == {}
    assert (parsed.ignored, parsed.acknowledgement.status) == (0, 200)


def test_the_sdk_reads_the_test_payload_as_the_same_request() -> None:
    payload = _payload("hi", params={"pokemon": "피카츄"}, callback_url=CALLBACK)
    sdk = Payload.from_json(json.dumps(payload))
    assert (sdk.user_id, sdk.utterance) == (USER, "hi")
    assert sdk.user_request.callback_url == CALLBACK
    assert sdk.action.params == {"pokemon": "피카츄"}
    [event] = _parse(payload).events
    assert (event.user_key, event.message.text, event.callback_url) == (USER, "hi", CALLBACK)
    assert event.message.params == {"pokemon": "피카츄"}


def test_the_callback_url_is_kept() -> None:
    [event] = _parse(_payload("오래 걸리는 질문", callback_url=CALLBACK)).events
    assert event.callback_url == CALLBACK
    [event] = _parse(_payload("empty", callback_url="")).events
    assert event.callback_url is None


def test_action_params_become_the_message_params() -> None:
    # as Kakao documents an utterance "1 금요일 강남": entities as strings
    params = {
        "sys_date": '{"dateTag": "Friday", "date": "2023-03-31"}',
        "sys_location": "강남",
        "sys_number": '{"amount": 1, "unit": null}',
        "count": 3,
        "ratio": 0.5,
        "ok": True,
        "nothing": None,
        "list": ["a"],
        "object": {"a": 1},
    }
    [event] = _parse(_payload("1 금요일 강남", params=params)).events
    assert event.message.params == {
        "sys_date": '{"dateTag": "Friday", "date": "2023-03-31"}',
        "sys_location": "강남",
        "sys_number": '{"amount": 1, "unit": null}',
        "count": 3,
        "ratio": 0.5,
        "ok": True,
    }


def test_a_click_with_a_raw_payload() -> None:
    extra = {"flowbot": '{"pokemon": "pikachu"}'}
    payload = _payload("Pikachu", client_extra=extra, trigger="CARD_BUTTON_MESSAGE")
    [event] = _parse(payload).events
    message = event.message
    assert (message.type, message.text, message.payload, message.goto) == (
        "postback",
        "Pikachu",
        '{"pokemon": "pikachu"}',
        None,
    )
    assert (message.channel, message.user_key, message.conversation_key) == ("kakao", USER, USER)
    assert event.click_key is None


def test_a_click_keeps_the_params_and_the_callback() -> None:
    payload = _payload(
        "Pikachu", client_extra={"flowbot": "p1"}, params={"a": "b"}, callback_url=CALLBACK
    )
    [event] = _parse(payload).events
    assert (event.message.payload, event.message.params, event.callback_url) == (
        "p1",
        {"a": "b"},
        CALLBACK,
    )


def test_a_click_with_a_stored_key() -> None:
    payload = _payload("Pikachu", client_extra={"flowbot": f"~fb:k:{KEY}"})
    [event] = _parse(payload).events
    assert event.click_key == KEY
    assert (event.message.type, event.message.text, event.message.payload) == (
        "postback",
        "Pikachu",
        None,
    )


def test_a_goto_click() -> None:
    extra = {"flowbot": '~fb:g:{"f":"2","n":"4","t":"Start over"}'}
    [event] = _parse(_payload("Start over", client_extra=extra)).events
    assert event.message.goto == GotoTarget("2", "4")
    assert (event.message.text, event.message.payload) == ("Start over", None)


def test_a_text_click_is_its_label() -> None:
    [event] = _parse(_payload("Menu", client_extra={"flowbot": "~fb:t:Menu"})).events
    assert (event.message.type, event.message.text, event.message.payload) == (
        "postback",
        "Menu",
        None,
    )


@pytest.mark.parametrize(
    "extra",
    [
        None,
        {},
        "null",  # the v1 payload's clientExtra
        {"key1": "value1", "key2": "value2"},  # another skill's extra, as Kakao's examples
        {"flowbot": 5},
        {"flowbot": ""},
        {"flowbot": None},
        {"flowbot": ["p1"]},
        {"Flowbot": "p1"},
        ["flowbot", "p1"],
        {"flowbot": "~fb:n"},  # flowbot sends no do-nothing buttons on Kakao
    ],
)
def test_a_client_extra_that_is_not_flowbots_is_the_utterance(extra: Any) -> None:
    [event] = _parse(_payload("라이언 알아보기", client_extra=extra)).events
    message = event.message
    assert (message.type, message.text, message.payload, message.goto) == (
        "text",
        "라이언 알아보기",
        None,
        None,
    )
    assert event.click_key is None


def test_a_payload_without_an_utterance_or_an_action_is_an_empty_text() -> None:
    payload = _payload()
    del payload["userRequest"]["utterance"], payload["action"]
    [event] = kakao.parse(_request(_body(payload))).events
    assert (event.message.type, event.message.text, event.message.params) == ("text", "", {})
    payload = _payload()
    payload["userRequest"]["utterance"] = None
    payload["action"] = None
    payload["userRequest"]["callbackUrl"] = None
    [event] = kakao.parse(_request(_body(payload))).events
    assert (event.message.text, event.callback_url) == ("", None)


def test_unknown_fields_are_ignored() -> None:
    # Kakao adds fields to the payload over time ("알 수 없는 필드가 있어도 예외 발생시키지 않도록")
    payload = _payload("hi")
    payload["userRequest"]["chat"] = {"id": "g1", "type": "botGroupKey", "properties": {}}
    payload["future"] = {"anything": [1, 2, 3]}
    payload["action"]["params"] = {"sys_text": "hi"}
    [event] = _parse(payload).events
    assert (event.user_key, event.message.text) == (USER, "hi")


def test_nesting_a_platform_would_send_is_accepted() -> None:
    deep: dict[str, Any] = {"v": 1}
    for _ in range(40):
        deep = {"v": deep}
    payload = _payload("deep")
    payload["action"]["clientExtra"] = deep
    [event] = kakao.parse(_request(_body(payload))).events
    assert event.message.text == "deep"


def _with(path: str, value: Any) -> bytes:
    """The documented payload with one field replaced (`a.b`) or removed (value ...)."""
    payload = _payload()
    *parents, last = path.split(".")
    target = payload
    for part in parents:
        target = target[part]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return json.dumps(payload).encode()


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (b"", "not JSON"),
        (b"{nope", "not JSON"),
        (b"\xff\xfe not utf-8", "not JSON"),
        (b"[]", "SkillPayload"),
        (b'"userRequest"', "SkillPayload"),
        (b"null", "SkillPayload"),
        (b"{}", "userRequest"),
        (_with("userRequest", ...), "userRequest"),
        (_with("userRequest", "hi"), "userRequest"),
        (_with("userRequest", []), "userRequest"),
        (_with("userRequest.user", ...), "userRequest.user"),
        (_with("userRequest.user", "U1"), "userRequest.user"),
        (_with("userRequest.user.id", ...), "userRequest.user.id"),
        (_with("userRequest.user.id", ""), "userRequest.user.id"),
        (_with("userRequest.user.id", 620678), "userRequest.user.id"),
        (_with("userRequest.user.id", ["U1"]), "userRequest.user.id"),
        (_with("userRequest.utterance", 5), "userRequest.utterance"),
        (_with("userRequest.utterance", {"text": "hi"}), "userRequest.utterance"),
        (_with("userRequest.callbackUrl", 5), "userRequest.callbackUrl"),
        (_with("userRequest.callbackUrl", ["https://x"]), "userRequest.callbackUrl"),
        (_with("action", "skill"), "action"),
        (_with("action", []), "action"),
        (_with("action.params", []), "action.params"),
        (_with("action.params", "a=b"), "action.params"),
        (_with("userRequest.utterance", "\ud800"), "lone surrogate"),
        (b'{"userRequest": {"utterance": "\\udcff"}}', "lone surrogate"),
        (b"[" * 10_000 + b"]" * 10_000, "nested"),
        (b'{"userRequest": ' + b'{"a":' * 10_000 + b"1" + b"}" * 10_001, "nested"),
        (b'{"userRequest": ' + b"[" * 100 + b"]" * 100 + b"}", "nested"),
        (b'{"userRequest": {}, "n": ' + b"9" * 5000 + b"}", "not JSON"),
        (b'{"userRequest": {}, "n": 1e400}', "number"),
        (b'{"userRequest": {}, "n": NaN}', "number"),
    ],
)
def test_malformed_bodies_are_400(body: bytes, where: str) -> None:
    error = _bad_body(body)
    assert where in error.message


def test_the_400_names_the_field() -> None:
    assert _bad_body(_with("userRequest.user.id", 1)).message == (
        "userRequest.user.id: expected a string"
    )
    assert _bad_body(_with("action.params", [])).message == "action.params: expected an object"
    assert _bad_body(b"{}").message == "userRequest: expected an object"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=25,
)
_words = st.sampled_from(
    [USER, "hi", "~fb:n", "~fb:k:" + "k" * 22, "~fb:g:{}", '~fb:g:{"f":1}', "~fb:t:x", CALLBACK]
)
_keys = st.sampled_from(
    [
        *("userRequest", "user", "id", "utterance", "callbackUrl", "action", "params"),
        *("clientExtra", "flowbot", "type", "properties", "detailParams"),
    ]
)
_payloads = st.recursive(
    _words | _json,
    lambda children: st.dictionaries(_keys, children, max_size=6),
    max_leaves=25,
)


def _parses_or_400(body: bytes) -> None:
    try:
        parsed = kakao.parse(_request(body))
    except ChannelInputError as error:
        assert error.status == 400
    else:
        [event] = parsed.events
        assert isinstance(event.message.text, str)


@given(_json)
def test_any_json_body_parses_or_is_400(value: Any) -> None:
    _parses_or_400(json.dumps(value).encode())


@given(_payloads)
@example({"userRequest": {"user": {"id": USER}}, "action": {"clientExtra": {"flowbot": "~fb:n"}}})
@example({"userRequest": {"user": {"id": USER}}, "action": {"params": {"": "x"}}})
def test_any_payload_like_body_parses_or_is_400(value: Any) -> None:
    _parses_or_400(json.dumps(value).encode())


@given(st.text(), st.one_of(_json, _words))
def test_any_utterance_and_client_extra_parse(utterance: str, extra: Any) -> None:
    if any(0xD800 <= ord(c) <= 0xDFFF for c in utterance):
        return  # a lone surrogate: 400 (see test_malformed_bodies_are_400)
    payload = _payload(utterance, client_extra={"flowbot": extra})
    with contextlib.suppress(ChannelInputError):  # (a lone surrogate in the extra)
        [event] = kakao.parse(_request(_body(payload))).events
        assert event.user_key == USER
        if event.message.type == "text":
            assert event.message.text == utterance


@given(st.binary(max_size=200))
def test_any_bytes_parse_or_are_400(body: bytes) -> None:
    _parses_or_400(body)


# --- the answers ---------------------------------------------------------------------


def test_the_waiting_answer_asks_for_the_callback() -> None:
    # the callback guide's SkillResponse: useCallback true, no template, data for the block
    assert kakao.waiting_answer("생각하고 있는 중이에요") == {
        "version": "2.0",
        "useCallback": True,
        "data": {"text": "생각하고 있는 중이에요"},
    }


def test_a_text_answer_is_one_simple_text() -> None:
    assert kakao.text_answer("잠시 후 다시 시도해 주세요.") == {
        "version": "2.0",
        "template": {"outputs": [{"simpleText": {"text": "잠시 후 다시 시도해 주세요."}}]},
    }
    long = kakao.text_answer("가" * 1500)
    assert long["template"]["outputs"][0]["simpleText"]["text"] == "가" * 999 + "…"
    assert kakao.text_answer("")["template"]["outputs"] == [{"simpleText": {"text": "…"}}]


# --- the callback ------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        CALLBACK,
        "https://bot-api.kakao.com/v1/callback/secret-token",
        "https://BOT-API.KAKAO.COM/callback/x",
        "https://bot-api.kakao.com:443/callback/x",
        "https://other.kakao.com/callback/x",
        "https://a.b.kakao.com/x?y=1#z",
    ],
)
def test_kakaos_callback_urls_are_allowed(url: str) -> None:
    assert kakao.callback_allowed(SETTINGS, url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "bot-api.kakao.com/callback",
        "//bot-api.kakao.com/callback",
        "http://bot-api.kakao.com/callback",  # plain http to a name
        "ftp://bot-api.kakao.com/callback",
        "https://kakao.com/callback",
        "https://evilkakao.com/callback",
        "https://bot-api.kakao.com.evil.example/callback",
        "https://evil.example/bot-api.kakao.com",
        "https://evil.example/?host=bot-api.kakao.com",
        "https://bot-api.kakao.com@evil.example/",
        "https://user:pw@bot-api.kakao.com/callback",
        "https://bot-api.kakao.com:99999/callback",
        "https://bot-api.kakao.com:x/callback",
        "https://[::1/callback",
        "https://bot-api.kakao.com/call back",
        "https://bot-api.kakao.com/\ncallback",
        "https://bot-api.kakao.com/\x00",
        "https://bot-api.kakao.çom/callback",
        "https://bot-api.kakao.com/" + "x" * 3000,
        "https://127.0.0.1/callback",
        "javascript:alert(1)",
    ],
)
def test_other_urls_are_not_allowed(url: str) -> None:
    assert not kakao.callback_allowed(SETTINGS, url)


def test_tests_allow_a_local_address() -> None:
    settings = kakao.Settings(path_token=TOKEN, callback_hosts=("127.0.0.1", "::1"))
    assert kakao.callback_allowed(settings, "http://127.0.0.1:8081/kakao/callback/t1")
    assert kakao.callback_allowed(settings, "https://127.0.0.1/callback")
    assert kakao.callback_allowed(settings, "http://[::1]:8081/callback")
    assert not kakao.callback_allowed(settings, "http://127.0.0.2/callback")
    assert not kakao.callback_allowed(settings, "http://localhost/callback")
    assert not kakao.callback_allowed(settings, CALLBACK)
    # plain http only to an address listed as it is, never through a pattern
    glob = kakao.Settings(path_token=TOKEN, callback_hosts=("127.0.0.*",))
    assert not kakao.callback_allowed(glob, "http://127.0.0.1/callback")
    assert kakao.callback_allowed(glob, "https://127.0.0.1/callback")


@given(st.text())
@example("https://[")
@example("https://bot-api.kakao.com:-1/")
def test_any_text_is_allowed_or_not(url: str) -> None:
    assert kakao.callback_allowed(SETTINGS, url) in (True, False)


def test_the_callback_call_posts_the_answer_to_the_url() -> None:
    answer = kakao.text_answer("늦은 답변입니다.")
    call = kakao.callback_call(answer, CALLBACK)
    assert call == OutboundCall(path=CALLBACK, body=answer)
    request = kakao.prepare(SETTINGS, call)
    assert (request.method, request.url, request.json) == ("POST", CALLBACK, answer)
    assert request.headers == {"Content-Type": "application/json"}
    assert (request.params, request.retry_key_header) == ({}, None)


# --- settings ------------------------------------------------------------------------


def test_settings_defaults() -> None:
    settings = kakao.Settings(path_token="x" * 20)
    assert settings.api_base == ""
    assert settings.header_secret is None
    assert settings.allowed_ips == ()
    assert settings.callback_hosts == ("bot-api.kakao.com", "*.kakao.com")
    assert settings.waiting_text == "답변을 준비하고 있어요. 잠시만 기다려 주세요."
    assert kakao.Settings(path_token="x" * 20, api_base="").api_base == ""
    assert kakao.Settings(path_token="x" * 20, api_base="http://127.0.0.1:1/").api_base == (
        "http://127.0.0.1:1"
    )


def test_settings_keep_secrets_secret() -> None:
    settings = kakao.Settings(path_token=TOKEN, header_secret="s3cr3t-header-value")
    assert isinstance(settings.path_token, SecretStr)
    assert isinstance(settings.header_secret, SecretStr)
    assert TOKEN not in repr(settings) and "s3cr3t" not in repr(settings)


def test_callback_hosts_are_lower_case() -> None:
    settings = kakao.Settings(path_token=TOKEN, callback_hosts=(" Bot-API.Kakao.com ", "::1"))
    assert settings.callback_hosts == ("bot-api.kakao.com", "::1")


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"path_token": "short"},
        {"path_token": "x" * 15},
        {"path_token": "x" * 20 + "/"},
        {"path_token": "토큰" * 10},
        {"path_token": TOKEN, "api_base": "ftp://kakao.com"},
        {"path_token": TOKEN, "allowed_ips": ["not an address"]},
        {"path_token": TOKEN, "header_secret": ""},
        {"path_token": TOKEN, "header_secret": "비밀"},
        {"path_token": TOKEN, "header_secret": "a\nb"},
        {"path_token": TOKEN, "callback_hosts": [""]},
        {"path_token": TOKEN, "callback_hosts": ["bot-api.kakao.com/callback"]},
        {"path_token": TOKEN, "callback_hosts": ["user@kakao.com"]},
        {"path_token": TOKEN, "callback_hosts": ["kakao.com:443"]},
        {"path_token": TOKEN, "waiting_text": "  "},
        {"path_token": TOKEN, "channel_secret": "x"},
    ],
)
def test_settings_refuse_bad_values(values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        kakao.Settings.model_validate(values)


def test_settings_are_frozen() -> None:
    with pytest.raises(ValidationError):
        SETTINGS.waiting_text = "x"  # type: ignore[misc]
