"""Outbound event webhooks: batching, signatures, retries, drops."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest

from flowbot.config import WebhookConfig
from flowbot.events import EventDispatcher, sign

HOOK = WebhookConfig("https://hooks.example/flowbot", "s3cret")


class Receiver:
    """An httpx MockTransport recording requests and answering from a script."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.statuses = list(statuses or [])
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 0:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(status)

    def events(self) -> list[dict[str, Any]]:
        return [event for r in self.requests for event in json.loads(r.content)["events"]]


async def _wait_for(condition: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


def test_sign_is_hex_hmac_sha256() -> None:
    body = b'{"events":[]}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert sign("s3cret", body) == f"sha256={expected}"


async def test_events_are_batched_and_signed() -> None:
    receiver = Receiver()
    dispatcher = EventDispatcher([HOOK], transport=receiver.transport, flush_interval=0.05)
    await dispatcher.start()
    for i in range(3):
        dispatcher.emit(
            "bot.message.received", bot_id="pokemon", conversation_id="c1", data={"n": i}
        )
    await _wait_for(lambda: receiver.requests)
    await dispatcher.close()
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.headers["X-Flowbot-Signature"] == sign("s3cret", request.content)
    assert request.headers["Content-Type"] == "application/json"
    events = receiver.events()
    assert [e["data"]["n"] for e in events] == [0, 1, 2]
    assert {e["type"] for e in events} == {"bot.message.received"}
    assert events[0]["botId"] == "pokemon"
    assert events[0]["conversationId"] == "c1"
    assert events[0]["id"] and events[0]["createdAt"].endswith("+00:00")


async def test_a_full_batch_goes_out_without_waiting_for_the_interval() -> None:
    receiver = Receiver()
    dispatcher = EventDispatcher(
        [HOOK], transport=receiver.transport, flush_interval=30, batch_size=5
    )
    await dispatcher.start()
    for i in range(12):
        dispatcher.emit("bot.message.sent", bot_id="b", conversation_id="c", data={"n": i})
    await _wait_for(lambda: len(receiver.requests) >= 2)
    assert [len(json.loads(r.content)["events"]) for r in receiver.requests[:2]] == [5, 5]
    await dispatcher.close(drain_timeout=0.1)


async def test_failed_deliveries_are_retried_three_times_with_backoff() -> None:
    receiver = Receiver([500, 0, 503, 200])
    dispatcher = EventDispatcher(
        [HOOK], transport=receiver.transport, flush_interval=0.01, backoff=0.02
    )
    await dispatcher.start()
    dispatcher.emit("bot.conversation.created", bot_id="b", conversation_id="c", data={})
    await _wait_for(lambda: dispatcher.stats.delivered_batches == 1)
    await dispatcher.close()
    assert len(receiver.requests) == 4
    # One delivery id for every attempt: the receiver can drop duplicates.
    assert len({r.headers["X-Flowbot-Delivery"] for r in receiver.requests}) == 1
    assert len({r.content for r in receiver.requests}) == 1


async def test_a_delivery_is_given_up_after_three_retries(caplog: pytest.LogCaptureFixture) -> None:
    receiver = Receiver([500, 500, 500, 500, 500])
    dispatcher = EventDispatcher(
        [HOOK], transport=receiver.transport, flush_interval=0.01, backoff=0.01
    )
    await dispatcher.start()
    dispatcher.emit("bot.conversation.updated", bot_id="b", conversation_id="c", data={})
    await _wait_for(lambda: dispatcher.stats.failed_batches == 1)
    await dispatcher.close()
    assert len(receiver.requests) == 4
    assert "after 4 attempt(s): HTTP 500" in caplog.text


async def test_a_client_error_is_not_retried() -> None:
    receiver = Receiver([400])
    dispatcher = EventDispatcher([HOOK], transport=receiver.transport, flush_interval=0.01)
    await dispatcher.start()
    dispatcher.emit("bot.message.sent", bot_id="b", conversation_id="c", data={})
    await _wait_for(lambda: dispatcher.stats.failed_batches == 1)
    await dispatcher.close()
    assert len(receiver.requests) == 1


async def test_a_full_queue_drops_events_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    receiver = Receiver()
    dispatcher = EventDispatcher([HOOK], transport=receiver.transport, max_queue=3)
    # Not started: nothing drains the queue.
    for _ in range(5):
        dispatcher.emit("bot.message.sent", bot_id="b", conversation_id="c", data={})
    assert dispatcher.stats.dropped_events == 2
    assert "queue for https://hooks.example/flowbot is full" in caplog.text


async def test_webhooks_get_only_the_events_they_want() -> None:
    receiver = Receiver()
    hooks = [
        WebhookConfig("https://a.example/", "a", ("bot.conversation.*",)),
        WebhookConfig("https://b.example/", "b", ("bot.message.sent",)),
    ]
    dispatcher = EventDispatcher(hooks, transport=receiver.transport, flush_interval=0.01)
    await dispatcher.start()
    for kind in ("bot.conversation.created", "bot.message.sent", "bot.message.received"):
        dispatcher.emit(kind, bot_id="b", conversation_id="c", data={})
    await _wait_for(lambda: len(receiver.requests) == 2)
    await dispatcher.close()
    by_host = {
        r.url.host: [e["type"] for e in json.loads(r.content)["events"]] for r in receiver.requests
    }
    assert by_host == {"a.example": ["bot.conversation.created"], "b.example": ["bot.message.sent"]}
    signed = {
        r.url.host: r.headers["X-Flowbot-Signature"] == sign(r.url.host[0], r.content)
        for r in receiver.requests
    }
    assert signed == {"a.example": True, "b.example": True}


async def test_emit_never_blocks_on_a_slow_receiver() -> None:
    release = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(200)

    dispatcher = EventDispatcher(
        [HOOK], transport=httpx.MockTransport(slow), flush_interval=0.01, max_queue=100
    )
    await dispatcher.start()
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(1000):
        dispatcher.emit("bot.message.sent", bot_id="b", conversation_id="c", data={})
    assert loop.time() - started < 0.5
    assert dispatcher.stats.dropped_events > 0
    release.set()
    await dispatcher.close(drain_timeout=2)
