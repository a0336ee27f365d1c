"""fetch and sandbox nodes in a served bot: the server's own ports, from its settings.

No ports are injected: the app opens `world_ports` in its lifespan, so these
turns go through GuardedHttp (with `[fetch] allow`) and the ProcessSandbox as
they do under `flowbot serve`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from flowbot.config import BotSource, Settings
from flowbot.format.models import SystemMessages

from .support import AppFactory, Conversation, texts, uvicorn_server

ERROR = SystemMessages().error  # the bot sets none


def shop_bot(tmp_path: Path, base: str) -> Path:
    bot = tmp_path / "shop.yaml"
    bot.write_text(
        "start: 1\n"
        "flows:\n"
        "  - id: 1\n"
        "    name: Main\n"
        "    data: {entry: 1}\n"
        "    nodes:\n"
        "      - {id: 1, type: entry, data: {}, next: [{nodeId: 2}]}\n"
        "      - {id: 2, type: keyboard, data: {type: text}, next: [{nodeId: 3}]}\n"
        "      - id: 3\n"
        "        type: fetch\n"
        f"        data: {{uri: '{base}/price?item={{{{message}}}}', method: GET}}\n"
        "        next: [{nodeId: 4}]\n"
        "      - id: 4\n"
        "        type: sandbox\n"
        "        data:\n"
        "          runtime: python\n"
        "          script: |\n"
        "            def handler(context):\n"
        "                price = context['fetch']['data']['price']\n"
        "                return {'params': {'total': price * 2}}\n"
        "        next: [{nodeId: 5}]\n"
        "      - id: 5\n"
        "        type: response\n"
        "        data: {message: {type: text, text: '{{fetch.data.item}}: {{total}}'}}\n",
        encoding="utf-8",
    )
    return bot


@pytest.fixture
async def price_api() -> Any:
    seen: list[str] = []

    async def price(request: Request) -> JSONResponse:
        seen.append(str(request.url.query))
        return JSONResponse({"item": request.query_params["item"], "price": 21})

    async with uvicorn_server(Starlette(routes=[Route("/price", price)])) as base:
        yield base, seen


async def test_fetch_then_script_in_a_served_bot(
    serve_asgi: AppFactory, settings: Settings, tmp_path: Path, price_api: Any
) -> None:
    base, seen = price_api
    port = urlsplit(base).port
    served = dataclasses.replace(
        settings,
        bots=[BotSource("shop", shop_bot(tmp_path, base))],
        fetch_allow=(f"127.0.0.1:{port}",),
    )
    async with serve_asgi(served) as client:
        user = Conversation(client, "buyer", bot_id="shop")
        await user.send()
        assert texts(await user.send(text="tea")) == ["tea: 42"]
    assert seen == ["item=tea"]


async def test_without_allow_the_local_api_is_refused(
    serve_asgi: AppFactory, settings: Settings, tmp_path: Path, price_api: Any
) -> None:
    base, seen = price_api
    served = dataclasses.replace(settings, bots=[BotSource("shop", shop_bot(tmp_path, base))])
    async with serve_asgi(served) as client:
        user = Conversation(client, "buyer", bot_id="shop")
        await user.send()
        # 127.0.0.1 is not a public address: the request never leaves, the
        # unconditional edge after the fetch makes it the error message
        assert texts(await user.send(text="tea")) == [ERROR]
    assert seen == []


async def test_sandbox_off_turns_a_script_into_the_error_message(
    serve_asgi: AppFactory, settings: Settings, tmp_path: Path, price_api: Any
) -> None:
    base, seen = price_api
    served = dataclasses.replace(
        settings,
        bots=[BotSource("shop", shop_bot(tmp_path, base))],
        fetch_allow=(f"127.0.0.1:{urlsplit(base).port}",),
        sandbox_mode="off",
    )
    async with serve_asgi(served) as client:
        user = Conversation(client, "buyer", bot_id="shop")
        await user.send()
        assert texts(await user.send(text="tea")) == [ERROR]
    assert seen == ["item=tea"]
