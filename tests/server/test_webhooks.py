"""Event webhooks fired by real turns: to an httpx MockTransport and to a real receiver."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowbot.config import BotSource, Settings, WebhookConfig
from flowbot.events import EventDispatcher, sign

from .support import API_KEY, HELP_DESK_BOT, AppFactory, Conversation, choose, uvicorn_server


async def _wait_for(condition: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


async def test_a_turn_emits_the_four_event_types(
    serve_asgi: AppFactory, settings: Settings
) -> None:
    received: list[dict[str, Any]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.headers["X-Flowbot-Signature"] == sign("hook-secret", request.content)
        received.extend(json.loads(request.content)["events"])
        return httpx.Response(204)

    settings.webhooks = [WebhookConfig("https://crm.example/hook", "hook-secret")]
    events = EventDispatcher(
        settings.webhooks, transport=httpx.MockTransport(handle), flush_interval=0.02
    )
    async with serve_asgi(settings, events=events) as client:
        user = Conversation(client, "watched")
        await user.send()
        await user.send(**choose("Charmander"))
        await client.post(
            f"/api/conversations/{user.conversation_id}/messages",
            json={"text": "Hi from the CRM"},
            headers={"X-API-Key": API_KEY},
        )
        await _wait_for(lambda: len(received) >= 9)
    # One queue per webhook: the events arrive in the order the turns emitted them.
    assert [e["type"] for e in received] == [
        "bot.conversation.created",
        "bot.message.received",
        "bot.message.sent",
        "bot.message.sent",
        "bot.conversation.updated",
        "bot.message.received",
        "bot.message.sent",
        "bot.conversation.updated",
        "bot.message.sent",
    ]
    assert {e["conversationId"] for e in received} == {user.conversation_id}
    created = received[0]
    assert created["data"] == {"channel": "web", "userKey": "watched"}
    click = next(
        e
        for e in received
        if e["type"] == "bot.message.received" and "payload" in e["data"]["message"]
    )
    assert click["data"]["message"]["payload"] == '{"pokemon": "Charmander"}'
    updated = [e for e in received if e["type"] == "bot.conversation.updated"]
    assert updated[0]["data"]["navigation"] == {"flowId": 1, "nodeId": 4}
    assert updated[1]["data"]["navigation"] is None
    pushed = [e for e in received if e["data"].get("source") == "api"]
    assert pushed[0]["data"]["message"] == {"type": "text", "text": "Hi from the CRM"}


async def test_events_reach_a_real_receiver_signed_and_retried(
    serve_asgi: AppFactory, settings: Settings
) -> None:
    bodies: list[bytes] = []
    signatures: list[str] = []
    deliveries: list[str] = []

    async def hook(request: Request) -> Response:
        body = await request.body()
        deliveries.append(request.headers["x-flowbot-delivery"])
        if len(deliveries) == 1:
            return Response(status_code=503)  # the first attempt fails
        bodies.append(body)
        signatures.append(request.headers["x-flowbot-signature"])
        return Response(status_code=200)

    receiver = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    async with uvicorn_server(receiver) as base:
        settings.webhooks = [WebhookConfig(f"{base}/hook", "real-secret", ("bot.conversation.*",))]
        events = EventDispatcher(settings.webhooks, flush_interval=0.02, backoff=0.05)
        async with serve_asgi(settings, events=events) as client:
            await Conversation(client, "really-watched").send()
            await _wait_for(lambda: bodies)
    assert len(deliveries) == 2 and deliveries[0] == deliveries[1]
    assert signatures[0] == sign("real-secret", bodies[0])
    kinds = [e["type"] for e in json.loads(bodies[0])["events"]]
    assert kinds == ["bot.conversation.created", "bot.conversation.updated"]


async def test_handoff_events_come_from_the_turn_and_the_agents_api(
    serve_asgi: AppFactory, settings: Settings, tmp_path: Path
) -> None:
    received: list[dict[str, Any]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        received.extend(json.loads(request.content)["events"])
        return httpx.Response(200)

    bot = tmp_path / "desk.yaml"
    bot.write_text(HELP_DESK_BOT, encoding="utf-8")
    settings.bots = [BotSource("desk", bot)]
    settings.webhooks = [WebhookConfig("https://crm.example/hook", "s", ("bot.conversation.*",))]
    events = EventDispatcher(
        settings.webhooks, transport=httpx.MockTransport(handle), flush_interval=0.01
    )
    agent = {"X-API-Key": API_KEY}
    async with serve_asgi(settings, events=events) as client:
        waiting = Conversation(client, "waiting", bot_id="desk")
        await waiting.send()
        await waiting.send(text="agent")  # the manual node: written with this turn
        url = f"/api/conversations/{waiting.conversation_id}/handoff"
        assert (await client.post(f"{url}/join", json={"agent": "Kim"}, headers=agent)).is_success
        assert (await client.post(f"{url}/end", json={"agent": "Kim"}, headers=agent)).is_success
        cancelling = Conversation(client, "cancelling", bot_id="desk")
        await cancelling.send()
        await cancelling.send(text="agent")
        await cancelling.send(text="취소")
        await _wait_for(lambda: len(received) >= 14)
        counts = await client.app.state.flowbot.store.count_events()  # type: ignore[attr-defined]
    kinds = [(e["conversationId"] == waiting.conversation_id, e["type"]) for e in received]
    assert kinds == [
        (True, "bot.conversation.created"),
        (True, "bot.conversation.updated"),
        (True, "bot.conversation.updated"),
        (True, "bot.conversation.agent_call_requested"),
        (True, "bot.conversation.updated"),  # joined: the state saved, then the event
        (True, "bot.conversation.agent_joined"),
        (True, "bot.conversation.updated"),
        (True, "bot.conversation.handoff_ended"),
        (False, "bot.conversation.created"),
        (False, "bot.conversation.updated"),
        (False, "bot.conversation.updated"),
        (False, "bot.conversation.agent_call_requested"),
        (False, "bot.conversation.updated"),
        (False, "bot.conversation.handoff_ended"),
    ]
    by_type = {
        e["type"]: e["data"] for e in received if e["conversationId"] != waiting.conversation_id
    }
    assert by_type["bot.conversation.handoff_ended"] == {"by": "user"}
    assert by_type["bot.conversation.agent_call_requested"]["userKey"] == "cancelling"
    ended = [e["data"] for e in received if e["type"] == "bot.conversation.handoff_ended"]
    assert ended[0] == {"by": "agent", "agent": "Kim"}
    assert counts == {"delivered": 14}
