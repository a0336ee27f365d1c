"""What a visitor may send, and what it cannot do: issue 9's server-side regressions.

Tokens that are not ASCII, expired tokens, params after the conversation
opened, keep-alive after an error, JSON nested past the parser's depth,
text that is not Unicode.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from flowbot.config import BotSource, Settings

from .support import API_KEY, POKEMON, AppFactory, Conversation, choose, texts, uvicorn_server

API = {"Authorization": f"Bearer {API_KEY}"}
URL = "/channels/web/pokemon/messages"


# --- tokens -----------------------------------------------------------------------------


async def test_a_non_ascii_token_is_a_403_everywhere(client: httpx.AsyncClient) -> None:
    user = Conversation(client, "ash")
    await user.send()
    odd = "토큰".encode()
    answer = await client.post(
        URL, json={"userKey": "ash", "text": "hi"}, headers={"Authorization": b"Bearer " + odd}
    )
    assert answer.status_code == 403
    events = f"/channels/web/pokemon/conversations/{user.conversation_id}/events"
    streamed = await client.get(events, params={"token": "토큰\ud7ff"})
    assert streamed.status_code == 403
    api = await client.get("/api/bots", headers={"Authorization": b"Bearer " + odd})
    assert api.status_code == 403


async def test_an_idle_conversations_token_expires(
    serve_asgi: AppFactory, settings: Settings
) -> None:
    settings.web_token_ttl = 0.3
    async with serve_asgi(settings) as client:
        user = Conversation(client, "ash")
        await user.send()
        assert (await user.post(text="hi")).status_code == 200  # in use: still open
        await asyncio.sleep(0.4)
        expired = await user.post(text="hi")
        assert expired.status_code == 403
        assert expired.json()["code"] == "token_expired"
        events = f"/channels/web/pokemon/conversations/{user.conversation_id}/events"
        stream = await client.get(events, params={"token": user.token})
        assert (stream.status_code, stream.json()["code"]) == (403, "token_expired")
        # a new conversation (what the widget opens) works at once
        fresh = Conversation(client, "ash-2")
        assert texts(await fresh.send())[0].startswith("Welcome")


# --- params -----------------------------------------------------------------------------


async def params_of(client: httpx.AsyncClient, user: Conversation) -> dict[str, Any]:
    detail = await client.get(f"/api/conversations/{user.conversation_id}", headers=API)
    return dict(detail.json()["params"])


async def test_visitor_params_apply_when_the_conversation_opens_only(
    client: httpx.AsyncClient,
) -> None:
    user = Conversation(client, "ash")
    await user.send(event="open", params={"name": "Ash"})
    await user.send(**choose("Bulbasaur"))
    assert await params_of(client, user) == {"name": "Ash", "partner": "Bulbasaur"}
    # later requests cannot overwrite what the bot decided, nor add params
    await user.send(text="hi", params={"partner": "Mewtwo", "vip": True})
    await user.send(event="open", params={"partner": "Mewtwo", "name": "Gary"})
    assert await params_of(client, user) == {"name": "Ash", "partner": "Bulbasaur"}


async def test_a_bot_may_allow_some_params_on_every_message(
    serve_asgi: AppFactory, settings: Settings
) -> None:
    settings.bots = [BotSource("pokemon", POKEMON, message_params=("utm_source",))]
    async with serve_asgi(settings) as client:
        user = Conversation(client, "ash")
        await user.send()
        await user.send(text="hi", params={"utm_source": "mail", "partner": "Mewtwo"})
        assert await params_of(client, user) == {"utm_source": "mail"}


# --- bodies that are not what they claim --------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 30_000 + b"]" * 30_000,
        b'{"userKey": "u", "params": {"p": ' + b"[" * 5_000 + b"]" * 5_000 + b"}}",
        b'{"userKey": "\\ud800"}',
        b'{"userKey": "u", "text": "\\udfff hi"}',
        b'{"userKey": "u", "text": "\xed\xa0\x80"}',  # a surrogate as raw (CESU-8) bytes
        b'{"userKey": "u\\u0000"}',
        b'{"userKey": "u", "goto": {"flowId": "\\ud800"}}',
        b'{"userKey": "u", "params": {"name": "\\ud800"}}',
    ],
)
async def test_bodies_that_are_not_unicode_or_too_deep_are_4xx_and_store_nothing(
    client: httpx.AsyncClient, body: bytes
) -> None:
    answer = await client.post(URL, content=body, headers={"content-type": "application/json"})
    assert answer.status_code in (400, 422), answer.text
    assert "error" in answer.json()
    store = client.app.state.flowbot.store  # type: ignore[attr-defined]
    assert await store.list_conversations("pokemon") == []


async def test_a_text_with_nul_is_kept_and_answered(client: httpx.AsyncClient) -> None:
    user = Conversation(client, "ash")
    await user.send()
    answer = await user.send(text="a\x00b")
    assert answer["replies"][0]["text"].startswith("You have not picked")


async def test_a_deep_bot_import_is_refused(client: httpx.AsyncClient) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    refused = await client.put("/api/bots/deep", content=deep, headers=API)
    assert refused.status_code == 400
    bot = json.loads(
        (Path(__file__).parents[2] / "examples" / "pokemon.yaml").read_text() if False else "{}"
    )
    assert bot == {}


# --- a failing route keeps the connection ----------------------------------------------


async def test_an_error_on_a_starlette_route_keeps_the_connection_alive(
    serve_asgi: AppFactory, settings: Settings
) -> None:
    from flowbot.server import create_app

    app = create_app(settings)

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    app.state.flowbot.store.list_conversations = broken
    async with uvicorn_server(app) as url, httpx.AsyncClient(base_url=url) as client:
        failed = await client.get("/api/bots/pokemon/conversations", headers=API)
        assert failed.status_code == 500
        assert failed.headers.get("connection") != "close"
        again = await client.get("/healthz")
        assert again.status_code == 200
        # the same connection served both: the pool holds one
        pool = client._transport._pool  # type: ignore[attr-defined]
        assert len(pool.connections) == 1


# --- floods -------------------------------------------------------------------------------


async def test_opening_conversations_is_rate_limited_per_address_when_asked(
    serve_asgi: AppFactory, settings: Settings
) -> None:
    settings.web_open_rate = (3, 60.0)
    async with serve_asgi(settings) as client:
        for n in range(3):
            await Conversation(client, f"visitor-{n}").send()
        refused = await Conversation(client, "visitor-3").post()
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert "too many new conversations" in refused.json()["error"]
        # a conversation already open goes on
        again = Conversation(client, "visitor-0")
        assert (await client.post(URL, json={"userKey": "visitor-0"})).status_code == 403
        assert again.user_key == "visitor-0"


async def test_no_open_rate_by_default(client: httpx.AsyncClient) -> None:
    for n in range(40):
        await Conversation(client, f"visitor-{n}").send()


async def test_event_streams_are_capped_per_conversation_and_per_server(
    settings: Settings,
) -> None:
    from flowbot.server import create_app

    settings.web_streams_per_conversation = 2
    settings.web_streams = 3
    app = create_app(settings, ping_interval=5)
    async with uvicorn_server(app) as base, httpx.AsyncClient(base_url=base) as client:
        first, second = Conversation(client, "a"), Conversation(client, "b")
        await first.send()
        await second.send()

        def url(user: Conversation) -> str:
            return f"/channels/web/pokemon/conversations/{user.conversation_id}/events"

        readers: list[AsyncIterator[str]] = []  # kept: a dropped reader closes its stream

        async def opened(user: Conversation) -> httpx.Response:
            request = client.build_request("GET", url(user), params={"token": user.token})
            response = await client.send(request, stream=True)
            if response.status_code == 200:
                readers.append(response.aiter_lines())
                await anext(readers[-1])  # subscribed once the first line is out
            return response

        streams = [await opened(first), await opened(first)]
        assert [s.status_code for s in streams] == [200, 200]
        third = await opened(first)
        assert third.status_code == 429
        assert "2 open event streams" in (await third.aread()).decode()
        streams.append(await opened(second))
        assert streams[-1].status_code == 200
        full = await opened(second)
        assert full.status_code == 503
        for stream in streams:
            await stream.aclose()
        for _ in range(50):  # the server sees the streams go
            if app.state.flowbot.hub.streams == 0:
                break
            await asyncio.sleep(0.05)
        assert (await opened(second)).status_code == 200


async def test_api_ids_and_bodies_that_are_not_unicode_are_4xx(client: httpx.AsyncClient) -> None:
    user = Conversation(client, "ash")
    await user.send()
    for path in ("/api/conversations/%ED%A0%80", "/api/bots/%00x", "/api/conversations/a%00"):
        assert (await client.get(path, headers=API)).status_code == 404, path
    sent = await client.post(
        f"/api/conversations/{user.conversation_id}/messages",
        content=b'{"text": "\\ud800"}',
        headers={**API, "content-type": "application/json"},
    )
    assert sent.status_code == 422
    for depth in (50, 100_000):  # deeper than a message is; deeper than the parser goes
        deep = b'{"message": ' + b"[" * depth + b"]" * depth + b"}"
        sent = await client.post(
            f"/api/conversations/{user.conversation_id}/messages", content=deep, headers=API
        )
        assert sent.status_code == (422 if depth == 50 else 400)
    moved = await client.post(
        f"/api/conversations/{user.conversation_id}/navigation",
        content=b'{"flowId": "\\udc00"}',
        headers=API,
    )
    assert moved.status_code == 422
