"""MASK through the server: the web answer shows the text, transcripts and webhooks star it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx

from flowbot.config import BotSource, Settings, WebhookConfig
from flowbot.events import EventDispatcher

from .support import API_KEY, AppFactory, Conversation, texts

CARD_BOT = """\
title: Card check
flows:
  - id: 1
    title: main
    data: {entry: 1}
    nodes:
      - {id: 1, type: entry, data: {}, next: [{nodeId: 2}]}
      - id: 2
        type: response
        data: {message: {type: text, text: "card {{MASK(params.card)}} is on file"}}
        next: []
"""


async def test_the_transcript_and_webhooks_star_what_the_user_sees(
    serve_asgi: AppFactory, settings: Settings, tmp_path: Path
) -> None:
    bot_file = tmp_path / "cards.yaml"
    bot_file.write_text(CARD_BOT, encoding="utf-8")
    settings.bots = [BotSource("cards", bot_file)]
    received: list[dict[str, Any]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        received.extend(json.loads(request.content)["events"])
        return httpx.Response(204)

    settings.webhooks = [WebhookConfig("https://crm.example/hook", "hook-secret")]
    events = EventDispatcher(
        settings.webhooks, transport=httpx.MockTransport(handle), flush_interval=0.02
    )
    async with serve_asgi(settings, events=events) as client:
        user = Conversation(client, "payer", bot_id="cards")
        answer = await user.send(params={"card": "4111-2222"})
        assert texts(answer) == ["card 4111-2222 is on file"]
        body = (
            await client.get(
                f"/api/conversations/{user.conversation_id}", headers={"X-API-Key": API_KEY}
            )
        ).json()
        for _ in range(500):
            if any(e["type"] == "bot.message.sent" for e in received):
                break
            await asyncio.sleep(0.01)
    outbound = [e["message"] for e in body["transcript"] if e["direction"] == "out"]
    assert outbound == [{"type": "text", "text": "card ********* is on file"}]
    assert body["params"] == {"card": "4111-2222"}  # state, not a log
    sent = [e["data"]["message"] for e in received if e["type"] == "bot.message.sent"]
    assert sent == [{"type": "text", "text": "card ********* is on file"}]
