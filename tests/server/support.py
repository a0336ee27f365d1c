"""Helpers of the server tests: the Pokémon texts, a web-channel user, a live uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

REPO = Path(__file__).resolve().parents[2]


def _example_copy(name: str) -> Path:
    """A copy of an example bot (with its media) that the tests may import over.

    `PUT /api/bots/{id}` writes the bot back to its file: a test that served
    the repository's own example would rewrite it.
    """
    folder = Path(tempfile.mkdtemp(prefix="flowbot-examples-"))
    shutil.copy(REPO / "examples" / f"{name}.yaml", folder)
    media = REPO / "examples" / f"{name}.media"
    if media.is_dir():
        shutil.copytree(media, folder / media.name)
    return folder / f"{name}.yaml"


POKEMON = _example_copy("pokemon")
API_KEY = "test-api-key"

WELCOME = "Welcome to the world of Pokémon!\nPick the partner who will travel with you."
NOT_PICKED = "You have not picked a Pokémon yet! It is dangerous to go alone."
NOT_UNDERSTOOD = "Sorry, I did not understand that."


def choose(pokemon: str) -> dict[str, str]:
    """The body fields of a click on a card's "I choose you!" button."""
    return {"text": "I choose you!", "payload": f'{{"pokemon": "{pokemon}"}}'}


def texts(answer: dict[str, Any]) -> list[str]:
    return [reply.get("text", f"<{reply['type']}>") for reply in answer["replies"]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


AppFactory = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@contextlib.asynccontextmanager
async def uvicorn_server(app: Starlette) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1 at a free port in this event loop; yields the base URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


class Conversation:
    """A web-channel user: keeps the token the first answer hands out."""

    def __init__(self, client: httpx.AsyncClient, user_key: str, bot_id: str = "pokemon") -> None:
        self.client = client
        self.user_key = user_key
        self.bot_id = bot_id
        self.token: str | None = None
        self.conversation_id: str | None = None

    async def send(self, **fields: Any) -> dict[str, Any]:
        response = await self.post(**fields)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        self.token = answer["token"]
        self.conversation_id = answer["conversationId"]
        return answer

    async def post(self, **fields: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return await self.client.post(
            f"/channels/web/{self.bot_id}/messages",
            json={"userKey": self.user_key, **fields},
            headers=headers,
        )


# a bot with a manual node (test_handoffs, the agent console's browser test)
HELP_DESK_BOT = """
title: Help desk
flows:
  - id: 1
    title: Main
    data: {entry: 1}
    nodes:
      - {id: 1, type: entry, data: {}, next: [{nodeId: 2}]}
      - id: 2
        type: response
        data: {message: {type: text, text: "Hi! Type 'agent' to talk to a person."}}
        next: [{nodeId: 3}]
      - id: 3
        type: keyboard
        data: {type: text}
        next:
          - {nodeId: 4, where: {message: {equals: agent}}}
          - {nodeId: 6}
      - id: 4
        type: manual
        data: {messages: "Calling an agent… (type 취소 to cancel)"}
        next: [{nodeId: 5}]
      - id: 5
        type: response
        data: {message: {type: text, text: "Cancelled."}}
        next: [{nodeId: 3}]
      - id: 6
        type: response
        data: {message: {type: text, text: "I am just a bot."}}
        next: [{nodeId: 3}]
  - id: 2
    title: Survey
    data: {entry: 1}
    nodes:
      - {id: 1, type: entry, data: {}, next: [{nodeId: 2}]}
      - {id: 2, type: response, data: {message: {type: text, text: "How did we do?"}}}
"""
