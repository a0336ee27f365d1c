"""Outbound event webhooks through the outbox: batching, signatures, retries, claims.

On the memory store (the same contract as SQLite and PostgreSQL, see
tests/store/contract.py); tests/server/test_outbox.py runs relays on real
databases, real receivers and a killed server process.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import pytest

from flowbot.config import WebhookConfig
from flowbot.events import Event, EventDispatcher, delivery_id, sign, webhook_keys
from flowbot.store import MemoryStore, Store

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

    def ids(self) -> list[list[str]]:
        return [[e["id"] for e in json.loads(r.content)["events"]] for r in self.requests]


async def _wait_for(condition: Any, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
async def relay(store: MemoryStore) -> AsyncIterator[Any]:
    """`await relay(hooks, transport, **options)`: a started dispatcher, closed after."""
    started: list[EventDispatcher] = []

    async def start(
        hooks: Sequence[WebhookConfig], transport: httpx.AsyncBaseTransport, **options: Any
    ) -> EventDispatcher:
        options.setdefault("flush_interval", 0.01)
        options.setdefault("poll_interval", 0.05)
        dispatcher = EventDispatcher(hooks, store=store, transport=transport, **options)
        await dispatcher.start()
        started.append(dispatcher)
        return dispatcher

    yield start
    for dispatcher in started:
        await dispatcher.close(drain_timeout=0.5)


def test_sign_is_hex_hmac_sha256() -> None:
    body = b'{"events":[]}'
    expected = hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert sign("s3cret", body) == f"sha256={expected}"


def test_a_webhook_listed_twice_gets_its_own_outbox_name() -> None:
    other = WebhookConfig("https://b.example/", "b")
    assert webhook_keys([HOOK, other, HOOK, HOOK]) == [
        HOOK.url,
        other.url,
        f"{HOOK.url}#2",
        f"{HOOK.url}#3",
    ]


async def test_with_no_webhook_nothing_is_built_or_written(store: MemoryStore) -> None:
    dispatcher = EventDispatcher([], store=store)
    await dispatcher.start()
    assert not dispatcher.enabled
    assert dispatcher.rows([Event("bot.message.sent", "b", "c", {})]) == []
    await dispatcher.publish("bot.message.sent", bot_id="b", conversation_id="c", data={})
    assert await store.count_events() == {}
    await dispatcher.close()


async def test_events_are_batched_and_signed(store: MemoryStore, relay: Any) -> None:
    receiver = Receiver()
    dispatcher = await relay([HOOK], receiver.transport, flush_interval=0.05)
    await dispatcher.publish_all(
        [Event("bot.message.received", "pokemon", "c1", {"n": i}) for i in range(3)]
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
    assert request.headers["X-Flowbot-Delivery"] == delivery_id(e["id"] for e in events)
    assert await store.count_events() == {"delivered": 3}
    assert dispatcher.stats.delivered_events == 3


async def test_a_full_batch_goes_out_without_waiting_for_the_interval(relay: Any) -> None:
    receiver = Receiver()
    dispatcher = await relay([HOOK], receiver.transport, flush_interval=30, batch_size=5)
    for i in range(12):
        await dispatcher.publish("bot.message.sent", bot_id="b", conversation_id="c", data={"n": i})
    await _wait_for(lambda: len(receiver.requests) >= 2)
    assert [len(json.loads(r.content)["events"]) for r in receiver.requests[:2]] == [5, 5]


async def test_failed_deliveries_are_retried_with_backoff_keeping_the_ids(
    store: MemoryStore, relay: Any
) -> None:
    receiver = Receiver([500, 0, 503, 200])
    dispatcher = await relay([HOOK], receiver.transport, backoff=0.02)
    await dispatcher.publish("bot.conversation.created", bot_id="b", conversation_id="c", data={})
    await _wait_for(lambda: dispatcher.stats.delivered_batches == 1)
    assert len(receiver.requests) == 4
    # The same body, ids and delivery id every attempt: the receiver can drop duplicates.
    assert len({r.content for r in receiver.requests}) == 1
    assert len({r.headers["X-Flowbot-Delivery"] for r in receiver.requests}) == 1
    assert await store.count_events() == {"delivered": 1}


async def test_a_delivery_is_given_up_after_its_retries(
    store: MemoryStore, relay: Any, caplog: pytest.LogCaptureFixture
) -> None:
    receiver = Receiver([500] * 10)
    dispatcher = await relay([HOOK], receiver.transport, retries=3, backoff=0.01)
    await dispatcher.publish("bot.conversation.updated", bot_id="b", conversation_id="c", data={})
    await _wait_for(lambda: dispatcher.stats.failed_batches == 1)
    assert len(receiver.requests) == 4
    assert "after 4 attempt(s): HTTP 500" in caplog.text
    assert await store.count_events() == {"failed": 1}


async def test_a_client_error_is_not_retried(store: MemoryStore, relay: Any) -> None:
    receiver = Receiver([400])
    dispatcher = await relay([HOOK], receiver.transport)
    await dispatcher.publish("bot.message.sent", bot_id="b", conversation_id="c", data={})
    await _wait_for(lambda: dispatcher.stats.failed_batches == 1)
    await asyncio.sleep(0.1)
    assert len(receiver.requests) == 1
    assert await store.count_events() == {"failed": 1}


async def test_newer_events_wait_behind_a_failed_batch(relay: Any) -> None:
    receiver = Receiver([503])
    dispatcher = await relay([HOOK], receiver.transport, backoff=0.2)
    await dispatcher.publish("bot.message.sent", bot_id="b", conversation_id="c", data={"n": 1})
    await _wait_for(lambda: receiver.requests)
    await dispatcher.publish("bot.message.sent", bot_id="b", conversation_id="c", data={"n": 2})
    await _wait_for(lambda: len(receiver.requests) == 2)
    first, retried = receiver.ids()
    # the retry carries the failed event first, then the one written meanwhile
    assert retried[0] == first[0] and len(retried) == 2
    assert [e["data"]["n"] for e in receiver.events()] == [1, 1, 2]


async def test_webhooks_get_only_the_events_they_want(relay: Any) -> None:
    receiver = Receiver()
    hooks = [
        WebhookConfig("https://a.example/", "a", ("bot.conversation.*",)),
        WebhookConfig("https://b.example/", "b", ("bot.message.sent",)),
    ]
    dispatcher = await relay(hooks, receiver.transport)
    kinds = ("bot.conversation.created", "bot.message.sent", "bot.message.received")
    rows = dispatcher.rows([Event(kind, "b", "c", {}) for kind in kinds])
    assert [(row.webhook, row.event_id) for row in rows] == [
        ("https://a.example/", rows[0].event_id),
        ("https://b.example/", rows[1].event_id),
    ]
    for kind in kinds:
        await dispatcher.publish(kind, bot_id="b", conversation_id="c", data={})
    await _wait_for(lambda: len(receiver.requests) == 2)
    by_host = {
        r.url.host: [e["type"] for e in json.loads(r.content)["events"]] for r in receiver.requests
    }
    assert by_host == {"a.example": ["bot.conversation.created"], "b.example": ["bot.message.sent"]}
    signed = {
        r.url.host: r.headers["X-Flowbot-Signature"] == sign(r.url.host[0], r.content)
        for r in receiver.requests
    }
    assert signed == {"a.example": True, "b.example": True}


async def test_publishing_never_waits_for_a_slow_receiver_and_drops_nothing(
    store: MemoryStore, relay: Any
) -> None:
    release = asyncio.Event()
    received: list[str] = []

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()
        received.extend(e["id"] for e in json.loads(request.content)["events"])
        return httpx.Response(200)

    dispatcher = await relay([HOOK], httpx.MockTransport(slow))
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(1000):
        await dispatcher.publish("bot.message.sent", bot_id="b", conversation_id="c", data={})
    assert loop.time() - started < 2.0
    release.set()
    await _wait_for(lambda: len(received) == 1000)
    assert len(set(received)) == 1000


async def test_what_a_closed_relay_left_is_sent_by_the_next_one(store: MemoryStore) -> None:
    down = Receiver([0] * 100)
    first = EventDispatcher([HOOK], store=store, transport=down.transport, backoff=0.05)
    await first.start()
    await first.publish("bot.message.sent", bot_id="b", conversation_id="c", data={})
    await _wait_for(lambda: down.requests)
    await first.close(drain_timeout=0.01)
    assert await store.count_events() == {"pending": 1}

    up = Receiver()
    second = EventDispatcher([HOOK], store=store, transport=up.transport, poll_interval=0.05)
    await second.start()
    await _wait_for(lambda: up.requests)
    await second.close()
    assert up.ids() == [[json.loads(down.requests[0].content)["events"][0]["id"]]]
    assert await store.count_events() == {"delivered": 1}


class DiesBeforeMarking:
    """The shared store, seen by a process that dies between the POST and the mark."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def mark_delivered(self, seqs: Sequence[int], claimer: str) -> None:
        raise asyncio.CancelledError  # the process is gone: no mark, no release


async def test_a_crash_between_the_post_and_the_mark_sends_the_same_events_again(
    store: MemoryStore,
) -> None:
    receiver = Receiver()
    dying = EventDispatcher(
        [HOOK],
        store=DiesBeforeMarking(store),  # type: ignore[arg-type]
        transport=receiver.transport,
        lease=0.3,
        timeout=0.2,
    )
    await dying.start()
    await dying.publish_all([Event("bot.message.sent", "b", "c", {"n": n}) for n in range(3)])
    await _wait_for(lambda: receiver.requests)
    await asyncio.sleep(0.05)
    assert dying._tasks[0].done()  # the relay died with its claim held

    survivor = EventDispatcher(
        [HOOK], store=store, transport=receiver.transport, poll_interval=0.05
    )
    await survivor.start()
    assert survivor.claimer != dying.claimer
    await _wait_for(lambda: len(receiver.requests) == 2, seconds=3)
    await survivor.close()
    dying._tasks = []
    await dying.close()
    # at least once: the same events, the same ids, after the lease ran out
    assert receiver.ids()[0] == receiver.ids()[1]
    assert receiver.requests[0].content == receiver.requests[1].content
    assert await store.count_events() == {"delivered": 3}


def test_the_lease_must_outlast_a_delivery() -> None:
    with pytest.raises(ValueError, match="lease"):
        EventDispatcher([HOOK], lease=5.0, timeout=5.0)
