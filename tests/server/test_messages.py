"""The web turn's bare ASGI path (flowbot.server.messages): what Starlette used to do for it.

test_web.py covers the route's behaviour; these pin what the bare path does by
hand: chunked bodies, the size limit without Content-Length, a client that
leaves, a root path, and which paths it takes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.types import Message

from flowbot.server.messages import MAX_BODY_BYTES, MessagesEndpoint

from .support import AppFactory

URL = "/channels/web/pokemon/messages"


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_a_body_in_several_chunks_is_read_whole(client: httpx.AsyncClient) -> None:
    body = json.dumps({"userKey": "chunky", "params": {"name": "Ash"}}).encode()
    response = await client.post(URL, content=chunks(body[:5], body[5:17], body[17:]))
    assert response.status_code == 200, response.text
    assert response.json()["replies"]


async def test_a_chunked_body_over_the_limit_is_413_without_content_length(
    client: httpx.AsyncClient,
) -> None:
    piece = b" " * (MAX_BODY_BYTES // 4)
    response = await client.post(URL, content=chunks(b'{"userKey": "big"', *[piece] * 5, b"}"))
    assert response.status_code == 413
    assert "over" in response.json()["error"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/channels/web/pokemon/messages", "pokemon"),
        ("/channels/web/a.b-c/messages", "a.b-c"),
        ("/channels/web//messages", None),
        ("/channels/web/a/b/messages", None),
        ("/channels/web/pokemon/messages/", None),
        ("/channels/web/pokemon/conversations/x/events", None),
        ("/api/bots", None),
    ],
)
def test_which_paths_are_turns(path: str, expected: str | None) -> None:
    assert MessagesEndpoint.bot_of({"path": path}) == expected


def test_a_root_path_is_taken_off_first() -> None:
    scope = {"path": "/bots/channels/web/pokemon/messages", "root_path": "/bots"}
    assert MessagesEndpoint.bot_of(scope) == "pokemon"


async def test_other_paths_and_methods_still_go_through_starlette(
    client: httpx.AsyncClient,
) -> None:
    # Starlette's own answers: redirect a trailing slash, 404, 405
    assert (await client.post(f"{URL}/", json={})).status_code == 307
    assert (await client.post(f"{URL}x", json={})).status_code == 404
    assert (await client.get(URL)).status_code == 405
    assert (await client.put(URL, json={"userKey": "u"})).status_code == 405


async def test_a_client_that_leaves_before_its_body_gets_nothing_and_changes_nothing(
    serve_asgi: AppFactory,
) -> None:
    async with serve_asgi() as client:
        app: Any = client.app  # type: ignore[attr-defined]
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": URL, "headers": []}
        await app(scope, receive, send)
        assert sent == []
        assert await app.state.flowbot.store.list_conversations("pokemon") == []


async def test_an_unexpected_error_is_a_logged_500_and_the_next_turn_works(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    service = client.app.state.flowbot.service  # type: ignore[attr-defined]
    turn = service.turn

    async def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    service.turn = broken
    with caplog.at_level(logging.ERROR, logger="flowbot.server"):
        response = await client.post(URL, json={"userKey": "u"}, headers={"Origin": "https://x"})
    assert response.status_code == 500
    assert response.json() == {"error": "internal error; see the server log"}
    # the refusal is readable by the page that sent it
    assert response.headers["access-control-allow-origin"] == "*"
    assert "boom" in caplog.text
    service.turn = turn
    assert (await client.post(URL, json={"userKey": "u"})).status_code == 200
