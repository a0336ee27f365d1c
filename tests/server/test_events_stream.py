"""The widget's event stream (server-sent events) on a real uvicorn server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx

from flowbot.config import Settings
from flowbot.server import create_app

from .support import API_KEY, WELCOME, Conversation, texts, uvicorn_server

API = {"X-API-Key": API_KEY}


async def _events(response: httpx.Response) -> AsyncIterator[tuple[str, str]]:
    """(event name, data) per server-sent event; comments come as ("comment", text)."""
    name, data = "message", ""
    async for line in response.aiter_lines():
        if line.startswith(":"):
            yield "comment", line[1:].strip()
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif line == "" and data:
            yield name, data
            name, data = "message", ""


async def _next_event(stream: AsyncIterator[tuple[str, str]], kind: str) -> str:
    async def find() -> str:
        async for name, data in stream:
            if name == kind:
                return data
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(find(), 5)


async def test_pushed_messages_reach_the_open_stream(settings: Settings) -> None:
    app = create_app(settings, ping_interval=0.2)
    async with uvicorn_server(app) as base, httpx.AsyncClient(base_url=base) as client:
        user = Conversation(client, "listener")
        await user.send()
        url = f"/channels/web/pokemon/conversations/{user.conversation_id}/events"
        async with client.stream("GET", url, params={"token": user.token}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            stream = _events(response)
            assert await _next_event(stream, "comment") == "connected"

            message: dict[str, Any] = {"type": "text", "text": "Oak: check your bag.", "delay": 500}
            pushed = await client.post(
                f"/api/conversations/{user.conversation_id}/messages",
                json={"message": message, "quickReplies": [{"label": "OK"}]},
                headers=API,
            )
            assert pushed.json()["delivered"] == 1
            event = json.loads(await _next_event(stream, "replies"))
            assert event == {
                "replies": [message],
                "quickReplies": [{"type": "postback", "label": "OK", "payload": None}],
                "source": "api",
            }
            # An idle stream is kept alive with ping comments.
            assert await _next_event(stream, "comment") == "ping"

            # A navigation run's replies are pushed too.
            ran = await client.post(
                f"/api/conversations/{user.conversation_id}/navigation",
                json={"flowId": 1, "run": True},
                headers=API,
            )
            assert ran.status_code == 200
            event = json.loads(await _next_event(stream, "replies"))
            assert texts(event) == [WELCOME, "<cards>"]
            assert event["source"] == "api"


async def test_the_stream_needs_the_conversation_token(settings: Settings) -> None:
    app = create_app(settings)
    async with uvicorn_server(app) as base, httpx.AsyncClient(base_url=base) as client:
        user = Conversation(client, "private")
        await user.send()
        other = Conversation(client, "other")
        await other.send()
        url = f"/channels/web/pokemon/conversations/{user.conversation_id}/events"
        assert (await client.get(url)).status_code == 403
        assert (await client.get(url, params={"token": "wrong"})).status_code == 403
        assert (await client.get(url, params={"token": other.token})).status_code == 403
        missing = "/channels/web/pokemon/conversations/nope/events"
        assert (await client.get(missing, params={"token": user.token})).status_code == 404
        wrong_bot = f"/channels/web/digimon/conversations/{user.conversation_id}/events"
        assert (await client.get(wrong_bot, params={"token": user.token})).status_code == 404


async def test_a_closed_stream_unsubscribes(settings: Settings) -> None:
    app = create_app(settings)
    hub = app.state.flowbot.hub
    async with uvicorn_server(app) as base, httpx.AsyncClient(base_url=base) as client:
        user = Conversation(client, "leaver")
        await user.send()
        assert user.conversation_id is not None
        url = f"/channels/web/pokemon/conversations/{user.conversation_id}/events"
        async with client.stream("GET", url, params={"token": user.token}) as response:
            await _next_event(_events(response), "comment")
            assert hub.subscribers(user.conversation_id) == 1
        for _ in range(100):
            if hub.subscribers(user.conversation_id) == 0:
                break
            await asyncio.sleep(0.02)
        assert hub.subscribers(user.conversation_id) == 0
