"""Hostile requests at the routes that read bodies, tokens and signatures: never a 5xx.

Each target gets a fixed number of hypothesis examples: arbitrary bytes,
arbitrary JSON (nested past any recursion limit, lone surrogates written as
"\\ud800" escapes, NUL characters, numbers no float holds, fields of every
type), the route's own shapes with every field fuzzed, and odd headers
(non-ASCII Authorization, a Content-Length that is not the body's, odd
Content-Types, the body in chunks). Every answer must be 2xx or 4xx, nothing
may fail in the log (a webhook's turns run after its answer: their failures
only show there), what was stored must read back through the API, and after
each target the server still answers a normal web turn.

The requests go straight into the ASGI app (tests/server/fuzzing.py), on a
real SQLite file. No timing is asserted: a request only fails for time when
it has no answer after 30 s (a hang). Derandomized in CI like the rest of the
suite (tests/conftest.py).
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flowbot.channels import facebook, line

from .fuzzing import (
    Raw,
    Server,
    api_headers,
    bearer,
    big_numbers,
    bodies,
    chunked,
    deep,
    dump,
    header_bytes,
    headers_for,
    ids,
    json_values,
    mostly,
    serve,
    some_of,
    texts,
)
from .platforms import FB_SECRET, LINE_SECRET, PAGE_ID
from .support import API_KEY

EXAMPLES = 150
DEEP_PARAMS = b'{"userKey": "deep", "params": {"p": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
DEEP_BOT = b'{"title": "deep", "flows": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
DEEP_MESSAGE = (
    b'{"message": {"type": "text", "text": "x", "meta": '
    + b'{"a":' * 50_000
    + b"1"
    + b"}" * 50_000
    + b"}}"
)
LOCATION_1E400 = b'{"message": {"type": "location", "latitude": 1e400, "longitude": 0}}'
FUZZ = settings(
    max_examples=EXAMPLES,
    # no per-example deadline (a timing assertion under load): a request that is
    # not answered in 30 s fails instead (fuzzing.ANSWER_WITHIN)
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    with serve(f"sqlite:///{folder / 'flowbot.db'}") as running:
        yield running


@pytest.fixture(scope="module")
def web_conversation(server: Server) -> dict[str, Any]:
    """A web conversation that exists: its id and token."""
    answer = server.web_turn("fuzz-visitor")
    assert answer.status == 200, answer
    result: dict[str, Any] = answer.json()
    return result


def read_back(server: Server, conversation_id: str) -> None:
    """What a turn stored reads back through the API (a 404 for an id never stored)."""
    path = f"/api/conversations/{conversation_id}"
    answer = server.request("GET", path, query=b"limit=1000", headers=api_headers())
    server.check(answer, f"GET {path}")
    if answer.status == 200:
        json.loads(answer.body)


# --- POST /channels/web/pokemon/messages ---------------------------------------------

web_messages = some_of(
    {
        # mostly a new visitor (a random key); else the one who has a conversation, or odd
        "userKey": mostly(
            st.text(string.ascii_letters + string.digits, min_size=12, max_size=20),
            st.just("fuzz-visitor"),
            texts,
        ),
        "text": texts,
        "payload": st.one_of(texts, st.just('{"pokemon": "Pikachu"}')),
        "event": st.sampled_from(["open", "close"]),
        "goto": some_of({"flowId": ids, "nodeId": ids}),
        "params": st.dictionaries(
            st.one_of(st.sampled_from(["name", "a-b_1"]), texts), json_values, max_size=4
        ),
        "messageId": texts,
    },
    required=("userKey",),
)


def test_web_messages(server: Server, web_conversation: dict[str, Any]) -> None:
    token = web_conversation["token"]
    # none (a new userKey needs none), the right one, or not the right one
    authorization = mostly(
        st.sampled_from([None, f"Bearer {token}".encode()]),
        bearer(texts),
        bearer(st.just(token + "é")),
        header_bytes,
    )

    @st.composite
    def requests(draw: st.DrawFn) -> tuple[bytes, Any, list[bytes]]:
        body = draw(bodies(web_messages))
        return body, draw(headers_for(body, authorization)), draw(chunked(body))

    @FUZZ
    @given(requests())
    # the hostile cases every run tries, whatever hypothesis draws
    @example((DEEP_PARAMS, [], [DEEP_PARAMS]))
    @example((b'{"userKey": "\\ud800"}', [], [b'{"userKey": "\\ud800"}']))
    @example(
        (
            b'{"userKey": "k1", "text": "\\udfff\\u0000"}',
            [],
            [b'{"userKey": "k1", "text": "\\udfff\\u0000"}'],
        )
    )
    @example((b'{"userKey": "k\\u0000"}', [], [b'{"userKey": "k\\u0000"}']))
    @example(
        (
            b'{"userKey": "k2", "params": {"n": 1e400}}',
            [],
            [b'{"userKey": "k2", "params": {"n": 1e400}}'],
        )
    )
    @example(
        (
            b'{"userKey": "fuzz-visitor"}',
            [(b"authorization", "Bearer é".encode())],
            [b'{"userKey": "fuzz-visitor"}'],
        )
    )
    @example((b'{"userKey": "k3"}', [(b"content-length", b"\xb2")], [b'{"userKey": "k3"}']))
    def fuzz(request: tuple[bytes, Any, list[bytes]]) -> None:
        body, headers, chunks = request
        path = "/channels/web/pokemon/messages"
        answer = server.request("POST", path, headers=headers, chunks=chunks)
        server.check(answer, f"POST {path} {body[:300]!r} {headers!r}")
        if answer.status == 200:
            read_back(server, answer.json()["conversationId"])

    fuzz()
    server.assert_answers_a_normal_turn("after-web-fuzz")


# --- GET /channels/web/pokemon/conversations/{id}/events?token=… --------------------


def test_event_stream(server: Server, web_conversation: dict[str, Any]) -> None:
    real_id, real_token = web_conversation["conversationId"], web_conversation["token"]
    conversation_ids = mostly(
        st.just(real_id), st.text(st.characters(exclude_characters="/"), min_size=1, max_size=40)
    )
    raw_tokens = st.one_of(
        st.just(real_token.encode()),
        st.just(real_token.encode() + b"%C3%A9"),
        st.binary(max_size=40),
        texts.map(lambda text: text.encode("utf-8", "surrogatepass")),
        st.sampled_from([b"%ff%fe", b"%ed%a0%80", b"%00", b"%", b"caf%C3%A9"]),
    )
    queries = st.one_of(
        raw_tokens.map(lambda token: b"token=" + token),
        st.tuples(raw_tokens, raw_tokens).map(lambda pair: b"token=%s&token=%s" % pair),
        st.binary(max_size=40),
    )

    @FUZZ
    @given(st.tuples(conversation_ids, queries, st.sampled_from(["pokemon", "nobot"])))
    @example((real_id, b"token=\x80", "pokemon"))
    @example((real_id, b"token=%ff%fe", "pokemon"))
    @example((real_id, b"token=" + real_token.encode() + b"%C3%A9", "pokemon"))
    def fuzz(request: tuple[str, bytes, str]) -> None:
        conversation_id, query, bot = request
        path = f"/channels/web/{bot}/conversations/{conversation_id}/events"
        answer = server.request("GET", path, query=query)
        server.check(answer, f"GET {path}?{query!r}")

    fuzz()
    server.assert_answers_a_normal_turn("after-events-fuzz")


# --- PUT /api/bots/{id} -----------------------------------------------------------------

nodes = some_of(
    {
        "id": ids,
        "type": st.sampled_from(["entry", "response", "keyboard", "flow", "parameter", "back"]),
        "label": texts,
        "data": some_of(
            {
                "message": some_of({"type": st.sampled_from(["text", "cards"]), "text": texts}),
                "flowId": ids,
                "nodeId": ids,
                "buttons": st.lists(some_of({"label": texts, "payload": texts}), max_size=2),
                "params": st.lists(some_of({"key": texts, "value": json_values}), max_size=2),
            }
        ),
        "next": st.lists(some_of({"nodeId": ids, "condition": texts}), max_size=2),
    }
)
bots = some_of(
    {
        "title": texts,
        "flows": st.lists(
            some_of({"id": ids, "title": texts, "nodes": st.lists(nodes, max_size=4)}),
            max_size=3,
        ),
        "preference": some_of({"entryFlowId": ids, "fallbackFlowId": ids}),
    }
)
HELLO = {
    "title": "Hello",
    "flows": [
        {
            "id": 1,
            "nodes": [
                {"id": 1, "type": "entry", "next": [{"nodeId": 2}]},
                {"id": 2, "type": "response", "data": {"message": {"type": "text", "text": "Hi"}}},
            ],
        }
    ],
}


def test_put_bot(server: Server) -> None:
    bot_ids = st.one_of(st.just("fuzzed"), texts.filter(lambda t: "/" not in t and t))
    authorization = mostly(st.just(f"Bearer {API_KEY}".encode()), bearer(texts), header_bytes)
    hello_with_a_hostile_text = st.one_of(texts, big_numbers, deep()).map(
        lambda value: {**HELLO, "title": value}
    )

    @st.composite
    def requests(draw: st.DrawFn) -> tuple[str, bytes, Any]:
        body = draw(bodies(st.one_of(bots, hello_with_a_hostile_text)))
        return draw(bot_ids), body, draw(headers_for(body, authorization))

    @FUZZ
    @given(requests())
    @example(("fuzzed", DEEP_BOT, api_headers()))
    @example(("fuzzed", dump({**HELLO, "title": "\ud800"}).encode(), api_headers()))
    @example(("fuzzed", b"{}", [*api_headers(), (b"content-length", b"\xb2")]))
    def fuzz(request: tuple[str, bytes, Any]) -> None:
        bot_id, body, headers = request
        if bot_id == "pokemon":
            return  # the bot the other targets talk to stays
        path = f"/api/bots/{bot_id}"
        answer = server.request("PUT", path, headers=headers, body=body)
        server.check(answer, f"PUT {path} {body[:300]!r} {headers!r}")
        if answer.status in (200, 201):
            exported = server.request("GET", path, headers=api_headers())
            server.check(exported, f"GET {path}")
            assert exported.status == 200, exported

    fuzz()
    server.assert_answers_a_normal_turn("after-put-fuzz")


# --- POST /api/conversations/{id}/messages ------------------------------------------

buttons = some_of(
    {
        "type": st.sampled_from(["postback", "link", "goto", "other"]),
        "label": texts,
        "payload": texts,
        "uri": texts,
        "flowId": ids,
        "nodeId": ids,
    }
)
messages = some_of(
    {
        "type": st.sampled_from(["text", "media", "cards", "location", "other"]),
        "text": texts,
        "buttons": st.lists(buttons, max_size=3),
        "media": some_of({"uri": texts, "contentType": texts}),
        "cards": st.lists(
            some_of(
                {"title": texts, "media": some_of({"uri": texts}), "buttons": st.lists(buttons)}
            ),
            max_size=3,
        ),
        "latitude": big_numbers,
        "longitude": st.one_of(big_numbers, texts),
        "label": texts,
        "delay": st.one_of(big_numbers, texts),
        "meta": some_of({"custom": texts}),
    }
)
sends = st.one_of(
    some_of({"text": texts, "quickReplies": st.lists(some_of({"label": texts, "payload": texts}))}),
    some_of({"message": messages, "quickReplies": st.lists(some_of({"label": texts}))}),
    some_of({"messages": st.lists(messages, max_size=3)}),
)


def test_api_send_messages(server: Server, web_conversation: dict[str, Any]) -> None:
    conversation_ids = mostly(
        st.just(web_conversation["conversationId"]),
        st.text(st.characters(exclude_characters="/"), min_size=1, max_size=40),
    )
    authorization = mostly(st.just(f"Bearer {API_KEY}".encode()), bearer(texts), header_bytes)

    @st.composite
    def requests(draw: st.DrawFn) -> tuple[str, bytes, Any]:
        body = draw(bodies(sends))
        return draw(conversation_ids), body, draw(headers_for(body, authorization))

    @FUZZ
    @given(requests())
    @example((web_conversation["conversationId"], LOCATION_1E400, api_headers()))
    @example((web_conversation["conversationId"], b'{"text": "a\\u0000b"}', api_headers()))
    @example((web_conversation["conversationId"], b'{"text": "\\ud800"}', api_headers()))
    @example((web_conversation["conversationId"], DEEP_MESSAGE, api_headers()))
    @example(
        (web_conversation["conversationId"], b"{}", [*api_headers(), (b"content-length", b"\xb2")])
    )
    def fuzz(request: tuple[str, bytes, Any]) -> None:
        conversation_id, body, headers = request
        path = f"/api/conversations/{conversation_id}/messages"
        answer = server.request("POST", path, headers=headers, body=body)
        server.check(answer, f"POST {path} {body[:300]!r} {headers!r}")
        if answer.status == 200:
            read_back(server, conversation_id)

    fuzz()
    server.assert_answers_a_normal_turn("after-api-fuzz")


# --- ?limit= on the list routes ------------------------------------------------------


def test_limits(server: Server, web_conversation: dict[str, Any]) -> None:
    paths = st.sampled_from(
        [
            "/api/bots/pokemon/conversations",
            f"/api/conversations/{web_conversation['conversationId']}",
        ]
    )
    limits = st.one_of(
        st.integers().map(lambda n: str(n).encode()),
        st.sampled_from([b"", b"%C2%B2", b"\xb2", b"1e3", b"0x10", b"%00", b"10%20", b"+5"]),
        st.binary(max_size=12),
        texts.map(lambda text: text.encode("utf-8", "surrogatepass")),
    )

    @FUZZ
    @given(paths, limits)
    @example("/api/bots/pokemon/conversations", b"%C2%B2")
    def fuzz(path: str, limit: bytes) -> None:
        answer = server.request("GET", path, query=b"limit=" + limit, headers=api_headers())
        server.check(answer, f"GET {path}?limit={limit!r}")

    fuzz()


# --- the messenger webhooks ------------------------------------------------------------

fb_events = some_of(
    {
        "sender": some_of({"id": st.one_of(st.just("psid-1"), texts)}),
        "recipient": st.just({"id": PAGE_ID}),
        "timestamp": big_numbers,
        "message": some_of(
            {
                "mid": texts,
                "text": texts,
                "is_echo": st.booleans(),
                "quick_reply": some_of({"payload": texts}),
                "attachments": st.lists(
                    some_of(
                        {
                            "type": st.sampled_from(["image", "location", "file"]),
                            "payload": some_of(
                                {"url": texts, "coordinates": some_of({"lat": big_numbers})}
                            ),
                        }
                    ),
                    max_size=2,
                ),
            }
        ),
        "postback": some_of({"mid": texts, "title": texts, "payload": texts}),
    }
)
facebook_bodies = some_of(
    {
        "object": st.just("page"),
        "entry": st.lists(
            some_of(
                {"id": st.just(PAGE_ID), "time": big_numbers, "messaging": st.lists(fb_events)}
            ),
            max_size=2,
        ),
    }
)
line_events = some_of(
    {
        "type": st.sampled_from(["message", "postback", "follow", "unfollow", "other"]),
        "mode": st.sampled_from(["active", "standby"]),
        "timestamp": big_numbers,
        "source": some_of(
            {
                "type": st.sampled_from(["user", "group", "room"]),
                "userId": st.one_of(st.just("U1"), texts),
                "groupId": texts,
            }
        ),
        "webhookEventId": texts,
        "deliveryContext": some_of({"isRedelivery": st.booleans()}),
        "replyToken": texts,
        "message": some_of(
            {
                "type": st.sampled_from(["text", "image", "location", "sticker"]),
                "id": texts,
                "text": texts,
                "latitude": big_numbers,
            }
        ),
        "postback": some_of({"data": texts}),
    }
)
line_bodies = some_of({"destination": texts, "events": st.lists(line_events, max_size=3)})


def signatures(name: str, body: bytes) -> st.SearchStrategy[bytes | None]:
    """The right signature (most often: the body then reaches the parser), none, or wrong."""
    if name == "facebook":
        right = facebook.sign(FB_SECRET, body).encode()
    else:
        right = line.sign(LINE_SECRET, body).encode()
    return mostly(
        st.just(right),
        st.none(),
        st.just(right[:-1] + b"\xff"),
        st.just(right + b"\xc3\xa9"),
        header_bytes,
    )


@pytest.mark.parametrize("name", ["facebook", "line"])
def test_messenger_webhooks(server: Server, name: str) -> None:
    shaped = facebook_bodies if name == "facebook" else line_bodies
    header = facebook.SIGNATURE_HEADER if name == "facebook" else line.SIGNATURE_HEADER

    def sign(body: bytes) -> bytes:
        if name == "facebook":
            return facebook.sign(FB_SECRET, body).encode()
        return line.sign(LINE_SECRET, body).encode()

    @st.composite
    def requests(draw: st.DrawFn) -> tuple[bytes, Any, list[bytes]]:
        body = draw(bodies(shaped))
        headers = draw(headers_for(body, st.none()))
        signature = draw(signatures(name, body))
        if signature is not None:
            headers.append((header.encode(), signature))
        return body, headers, draw(chunked(body))

    @FUZZ
    @given(requests())
    @example((b"{}", [(b"content-length", b"\xb2"), (header.encode(), sign(b"{}"))], [b"{}"]))
    @example((DEEP_PARAMS, [(header.encode(), sign(DEEP_PARAMS))], [DEEP_PARAMS]))
    @example((b"{}", [(header.encode(), "sha256=é".encode())], [b"{}"]))
    def fuzz(request: tuple[bytes, Any, list[bytes]]) -> None:
        body, headers, chunks = request
        path = f"/channels/{name}/pokemon"
        answer = server.request("POST", path, headers=headers, chunks=chunks)
        server.check(answer, f"POST {path} {body[:300]!r} {headers!r}")

    fuzz()
    # what the webhooks' turns stored reads back
    listed = server.request(
        "GET", "/api/bots/pokemon/conversations", query=b"limit=1000", headers=api_headers()
    )
    server.check(listed, "GET /api/bots/pokemon/conversations")
    for conversation in listed.json()["conversations"]:
        read_back(server, conversation["id"])
    server.assert_answers_a_normal_turn(f"after-{name}-fuzz")


kakao_bodies = some_of(
    {
        "intent": some_of({"id": texts, "name": texts}),
        "userRequest": some_of(
            {
                "utterance": texts,
                "callbackUrl": st.one_of(texts, st.just("http://127.0.0.1:9/callback/x")),
                "params": some_of({"surface": texts}),
                "user": some_of({"id": st.one_of(st.just("kakao-u1"), texts), "type": texts}),
            }
        ),
        "bot": some_of({"id": texts, "name": texts}),
        "action": some_of(
            {
                "name": texts,
                "params": some_of({"size": texts, "count": big_numbers}),
                "clientExtra": st.one_of(texts, some_of({"flowbot": texts})),
            }
        ),
    }
)
talktalk_bodies = some_of(
    {
        "event": st.sampled_from(["open", "send", "leave", "friend", "echo", "other"]),
        "user": st.one_of(st.just("tt-u1"), texts),
        "options": some_of({"inflow": texts, "referer": texts, "set": texts}),
        "textContent": some_of({"text": texts, "code": texts, "inputType": texts}),
        "imageContent": some_of({"imageUrl": texts}),
    }
)


@pytest.mark.parametrize("name", ["kakao", "navertalk"])
def test_unsigned_messenger_webhooks(server: Server, name: str) -> None:
    """Kakao's skill and TalkTalk's webhook: any body, any path token, never a 500."""
    from .korean_platforms import KAKAO_TOKEN, NAVER_TOKEN

    shaped = kakao_bodies if name == "kakao" else talktalk_bodies
    right = KAKAO_TOKEN if name == "kakao" else NAVER_TOKEN
    tokens = mostly(
        st.just(right),
        st.just(right[:-1]),
        st.just(right + "%C3%A9"),
        st.just("%ED%95%9C"),
        st.just(""),
    )

    @st.composite
    def requests(draw: st.DrawFn) -> tuple[bytes, Any, list[bytes], str]:
        body = draw(bodies(shaped))
        return body, draw(headers_for(body, st.none())), draw(chunked(body)), draw(tokens)

    @FUZZ
    @given(requests())
    @example((DEEP_PARAMS, [], [DEEP_PARAMS], right))
    @example((b"{}", [(b"content-length", b"\xb2")], [b"{}"], right))
    def fuzz(request: tuple[bytes, Any, list[bytes], str]) -> None:
        body, headers, chunks, token = request
        path = f"/channels/{name}/pokemon/{token}"
        answer = server.request("POST", path, headers=headers, chunks=chunks)
        server.check(answer, f"POST {path} {body[:300]!r} {headers!r}")

    fuzz()
    server.assert_answers_a_normal_turn(f"after-{name}-fuzz")


def test_the_hostile_json_is_hostile() -> None:
    """The strategies write what the docstring says (a check of the tools, not the app)."""
    assert dump("\ud800\x00") == '"\\ud800\\u0000"'
    assert dump({"n": Raw("1e400")}) == '{"n":1e400}'
