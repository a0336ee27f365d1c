"""Outbound event webhooks: `bot.message.*` and `bot.conversation.*` (SPEC §7).

A turn only *emits* events: `EventDispatcher.emit` puts them on a bounded
queue per webhook and returns at once, so a slow or dead receiver never holds
up a conversation. A background task per webhook sends them in batches
(every `flush_interval` seconds or `batch_size` events, whichever comes
first) as one JSON body::

    {"events": [{"id", "type", "createdAt", "botId", "conversationId", "data"}, …]}

signed with the webhook's secret in `X-Flowbot-Signature: sha256=<hex>`
(HMAC-SHA256 of the raw body). A failed delivery (network error, 429 or
5xx) is retried `retries` times with exponential backoff, keeping the same
`X-Flowbot-Delivery` id so that a receiver can drop duplicates. When the
queue is full the event is dropped and the drop is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from flowbot.config import WebhookConfig

__all__ = ["Event", "EventDispatcher", "sign"]

logger = logging.getLogger("flowbot.events")

SIGNATURE_HEADER = "X-Flowbot-Signature"
DELIVERY_HEADER = "X-Flowbot-Delivery"


def sign(secret: str, body: bytes) -> str:
    """The signature header value of one body: `sha256=<hex HMAC-SHA256>`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    bot_id: str
    conversation_id: str
    data: dict[str, Any]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created_at: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="milliseconds")
    )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "createdAt": self.created_at,
            "botId": self.bot_id,
            "conversationId": self.conversation_id,
            "data": self.data,
        }


@dataclass
class DeliveryStats:
    delivered_batches: int = 0
    delivered_events: int = 0
    failed_batches: int = 0
    dropped_events: int = 0
    attempts: int = 0


class EventDispatcher:
    """Queues events per webhook and delivers them from background tasks."""

    def __init__(
        self,
        webhooks: Sequence[WebhookConfig],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        flush_interval: float = 0.2,
        batch_size: int = 50,
        max_queue: int = 10_000,
        retries: int = 3,
        backoff: float = 0.5,
        timeout: float = 5.0,
    ) -> None:
        self.webhooks = list(webhooks)
        self.flush_interval = flush_interval
        self.batch_size = batch_size
        self.retries = retries
        self.backoff = backoff
        self.stats = DeliveryStats()
        self._transport = transport
        self._timeout = timeout
        self._queues: list[asyncio.Queue[Event]] = [
            asyncio.Queue(maxsize=max_queue) for _ in self.webhooks
        ]
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None
        self._last_drop_log = 0.0

    @property
    def enabled(self) -> bool:
        return bool(self.webhooks)

    async def start(self) -> None:
        if not self.webhooks or self._tasks:
            return
        self._client = httpx.AsyncClient(
            transport=self._transport,
            timeout=self._timeout,
            headers={"User-Agent": "flowbot-events"},
        )
        self._tasks = [
            asyncio.create_task(self._deliver_forever(hook, queue), name=f"events:{hook.url}")
            for hook, queue in zip(self.webhooks, self._queues, strict=True)
        ]

    async def close(self, drain_timeout: float = 5.0) -> None:
        """Deliver what is queued (within `drain_timeout` seconds), then stop."""
        if self._tasks:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(queue.join() for queue in self._queues)), drain_timeout
                )
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def emit(
        self, event_type: str, *, bot_id: str, conversation_id: str, data: dict[str, Any]
    ) -> None:
        """Queue one event for every webhook that wants it; never blocks."""
        if not self.webhooks:
            return
        event: Event | None = None
        for hook, queue in zip(self.webhooks, self._queues, strict=True):
            if not hook.wants(event_type):
                continue
            event = event or Event(event_type, bot_id, conversation_id, data)
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self.stats.dropped_events += 1
                self._log_drop(hook)

    def _log_drop(self, hook: WebhookConfig) -> None:
        # One line per second at most: a dead receiver must not flood the log.
        now = time.monotonic()
        if now - self._last_drop_log >= 1.0:
            self._last_drop_log = now
            logger.warning(
                "event queue for %s is full: dropping events (%d dropped so far)",
                hook.url,
                self.stats.dropped_events,
            )

    async def _deliver_forever(self, hook: WebhookConfig, queue: asyncio.Queue[Event]) -> None:
        while True:
            batch = [await queue.get()]
            deadline = time.monotonic() + self.flush_interval
            while len(batch) < self.batch_size:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(queue.get(), remaining))
                except TimeoutError:
                    break
            try:
                await self._deliver(hook, batch)
            except Exception:  # a bug here must not kill the worker
                logger.exception("delivering %d event(s) to %s failed", len(batch), hook.url)
            finally:
                for _ in batch:
                    queue.task_done()

    async def _deliver(self, hook: WebhookConfig, batch: list[Event]) -> None:
        assert self._client is not None
        body = json.dumps(
            {"events": [event.to_json() for event in batch]},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(hook.secret, body),
            DELIVERY_HEADER: uuid.uuid4().hex,
        }
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
            self.stats.attempts += 1
            try:
                response = await self._client.post(hook.url, content=body, headers=headers)
            except httpx.HTTPError as error:
                problem = f"{type(error).__name__}: {error}"
                continue
            if response.is_success:
                self.stats.delivered_batches += 1
                self.stats.delivered_events += len(batch)
                return
            problem = f"HTTP {response.status_code}"
            if response.status_code != 429 and response.status_code < 500:
                break  # the receiver refuses this body: retrying cannot help
        self.stats.failed_batches += 1
        logger.error(
            "could not deliver %d event(s) to %s after %d attempt(s): %s",
            len(batch),
            hook.url,
            attempt + 1,
            problem,
        )
