"""Outbound event webhooks: `bot.message.*` and `bot.conversation.*` (SPEC §7).

Durable, through an outbox table of the store (`flowbot.store`, `outbox`):

- A turn's events are rows the turn's own `save_turn` writes, in its
  transaction (one executemany INSERT), so they exist if and only if the
  turn was saved; events outside a turn (an agent joining, a push) are
  written by `publish` in a transaction of their own. One row per event per
  webhook that wants it. With no webhook configured nothing is built or
  written (and an event of that time is never sent to a webhook added later).
- A relay in every server process (`start`, from the app's lifespan, only
  when webhooks are configured) has one task per webhook: it claims the
  webhook's oldest due rows (`Store.claim_events`: a lease of `lease`
  seconds, `FOR UPDATE SKIP LOCKED` on PostgreSQL so two processes never
  claim one row while the lease holds), POSTs them as one JSON body::

      {"events": [{"id", "type", "createdAt", "botId", "conversationId", "data"}, …]}

  signed with the webhook's secret in `X-Flowbot-Signature: sha256=<hex>`
  (HMAC-SHA256 of the raw body), and marks them delivered. A turn in this
  process wakes its relay at once (then it waits up to `flush_interval`
  seconds for `batch_size` events); rows other processes left are found by
  polling every `poll_interval` seconds.
- A network error, 429 or 5xx answer is retried after `backoff · 2^n`
  seconds (at most `max_backoff`), up to `retries` times; meanwhile the
  webhook's newer events wait behind the batch, so a receiver gets them in
  order. Any other answer, or the last failed retry, gives the rows up:
  marked failed and logged. Retries keep each event's `id`; the
  `X-Flowbot-Delivery` header is derived from the ids of the batch's events.
- At least once: a process that dies after the POST and before the mark
  leaves its claim to expire (PostgreSQL: after `lease` seconds; SQLite,
  one process per file: at the next start), and the rows are sent again —
  the same events with the same ids. A receiver drops the ids it has seen.

Delivered rows are purged after `OUTBOX_DELIVERED_HOURS`, given-up rows after
`OUTBOX_FAILED_DAYS` (`flowbot.store.retention`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import socket
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from flowbot.config import WebhookConfig
from flowbot.store import ClaimedEvent, OutboxEvent, Store
from flowbot.store.base import dump_json

__all__ = ["DeliveryStats", "Event", "EventDispatcher", "delivery_id", "sign", "webhook_keys"]

logger = logging.getLogger("flowbot.events")

SIGNATURE_HEADER = "X-Flowbot-Signature"
DELIVERY_HEADER = "X-Flowbot-Delivery"


def sign(secret: str, body: bytes) -> str:
    """The signature header value of one body: `sha256=<hex HMAC-SHA256>`."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def delivery_id(event_ids: Iterable[str]) -> str:
    """The `X-Flowbot-Delivery` of a batch: the same events give the same id, anywhere."""
    return hashlib.sha256(",".join(event_ids).encode("utf-8")).hexdigest()[:32]


def webhook_keys(webhooks: Sequence[WebhookConfig]) -> list[str]:
    """The outbox's name of each webhook: its URL (`#2`, `#3` … for a URL listed again)."""
    keys: list[str] = []
    seen: dict[str, int] = {}
    for hook in webhooks:
        count = seen[hook.url] = seen.get(hook.url, 0) + 1
        keys.append(hook.url if count == 1 else f"{hook.url}#{count}")
    return keys


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
    """What this process's relay did."""

    delivered_batches: int = 0
    delivered_events: int = 0
    # batches with events given up, and those events
    failed_batches: int = 0
    failed_events: int = 0
    attempts: int = 0


class EventDispatcher:
    """Builds the outbox rows of events, and relays the outbox to the webhooks.

    The store is the app's (`create_app` binds it); the relay needs it
    started, so `start` comes after `Store.start` and `close` before
    `Store.close`.
    """

    def __init__(
        self,
        webhooks: Sequence[WebhookConfig],
        *,
        store: Store | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        flush_interval: float = 0.2,
        batch_size: int = 50,
        retries: int = 10,
        backoff: float = 1.0,
        max_backoff: float = 300.0,
        timeout: float = 5.0,
        lease: float = 60.0,
        poll_interval: float = 1.0,
    ) -> None:
        if lease <= timeout:
            raise ValueError("the claim lease must outlast a delivery's timeout")
        self.webhooks = list(webhooks)
        self.keys = webhook_keys(self.webhooks)
        self.store = store
        self.flush_interval = flush_interval
        self.batch_size = batch_size
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.lease = lease
        self.poll_interval = poll_interval
        self.stats = DeliveryStats()
        # this process's relay, in the outbox's claims
        self.claimer = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._transport = transport
        self._timeout = timeout
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None
        # per webhook: set by `notify`, and how many rows this process wrote since
        self._wake = [asyncio.Event() for _ in self.webhooks]
        self._written = [0 for _ in self.webhooks]
        self._draining = False
        self._last_store_warning = 0.0

    @property
    def enabled(self) -> bool:
        return bool(self.webhooks)

    def bind(self, store: Store) -> None:
        """Use `store`'s outbox, unless the dispatcher was given one."""
        if self.store is None:
            self.store = store

    # --- writing events -----------------------------------------------------------

    def rows(self, events: Iterable[Event]) -> list[OutboxEvent]:
        """The outbox rows of `events`: one per event per webhook that wants it."""
        rows: list[OutboxEvent] = []
        if not self.webhooks:
            return rows
        for event in events:
            text: str | None = None
            for hook, key in zip(self.webhooks, self.keys, strict=True):
                if hook.wants(event.type):
                    text = text if text is not None else dump_json(event.to_json())
                    rows.append(OutboxEvent(key, event.id, text))
        return rows

    def notify(self, rows: Sequence[OutboxEvent]) -> None:
        """`rows` were committed to the outbox: wake their webhooks' relays."""
        if not rows or not self._tasks:
            return
        for index, key in enumerate(self.keys):
            written = sum(1 for row in rows if row.webhook == key)
            if written:
                self._written[index] += written
                self._wake[index].set()

    async def publish(
        self, event_type: str, *, bot_id: str, conversation_id: str, data: dict[str, Any]
    ) -> None:
        """One event outside a turn, written to the outbox in a transaction of its own."""
        await self.publish_all([Event(event_type, bot_id, conversation_id, data)])

    async def publish_all(self, events: Sequence[Event]) -> None:
        """Events outside a turn, in one transaction; a store failure is logged, not raised.

        The change they tell of has happened already (an agent joined, a
        message was pushed): failing it now would only make the caller do it
        again.
        """
        rows = self.rows(events)
        if not rows:
            return
        assert self.store is not None, "EventDispatcher.bind(store) first"
        try:
            await self.store.add_events(rows)
        except Exception:
            logger.exception(
                "could not write %d webhook event(s) to the outbox: not sent", len(events)
            )
            return
        self.notify(rows)

    # --- the relay ---------------------------------------------------------------------

    async def start(self) -> None:
        if not self.webhooks or self._tasks:
            return
        assert self.store is not None, "EventDispatcher.bind(store) first"
        self._draining = False
        self._client = httpx.AsyncClient(
            transport=self._transport,
            timeout=self._timeout,
            headers={"User-Agent": "flowbot-events"},
        )
        self._tasks = [
            asyncio.create_task(self._relay(index), name=f"events:{key}")
            for index, key in enumerate(self.keys)
        ]

    async def close(self, drain_timeout: float = 5.0) -> None:
        """Deliver what is due (within `drain_timeout` seconds), then stop.

        What is left stays in the outbox for the next relay: the claims of
        this one are dropped, so it need not wait for them to expire.
        """
        if self._tasks:
            self._draining = True
            for wake in self._wake:
                wake.set()
            _, pending = await asyncio.wait(self._tasks, timeout=drain_timeout)
            for task in pending:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks = []
            if self.store is not None:
                try:
                    await self.store.release_claims(self.claimer)
                except Exception as error:  # they expire with their lease
                    logger.warning("could not release the outbox claims: %s", error)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _relay(self, index: int) -> None:
        hook, key = self.webhooks[index], self.keys[index]
        while True:
            try:
                batch = await self._claim(key)
            except Exception as error:  # the database is away: try again later
                self._warn_store(error)
                if self._draining:
                    return
                await asyncio.sleep(self.poll_interval)
                continue
            if batch:
                try:
                    retry_in = await self._deliver(hook, batch)
                except Exception:  # a bug here must not kill the relay; the lease expires
                    logger.exception("delivering %d event(s) to %s failed", len(batch), hook.url)
                    retry_in = self.poll_interval
                if retry_in is not None:
                    await asyncio.sleep(retry_in)
                elif len(batch) < self.batch_size and not self._draining:
                    await self._wait(index)  # that was all there was to send
                continue
            if self._draining:
                return
            await self._wait(index)

    async def _claim(self, key: str) -> list[ClaimedEvent]:
        assert self.store is not None
        return await self.store.claim_events(key, self.claimer, self.batch_size, self.lease)

    async def _wait(self, index: int) -> None:
        """Until this process writes rows for the webhook (then a batch's worth), or a poll."""
        wake = self._wake[index]
        try:
            await asyncio.wait_for(wake.wait(), self.poll_interval)
        except TimeoutError:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.flush_interval
        while self._written[index] < self.batch_size and not self._draining:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), remaining)
            except TimeoutError:
                break
        wake.clear()
        self._written[index] = 0

    async def _deliver(self, hook: WebhookConfig, batch: list[ClaimedEvent]) -> float | None:
        """POST one batch and mark it; the seconds until its retry, or None."""
        assert self._client is not None and self.store is not None
        body = b'{"events":[' + ",".join(e.event for e in batch).encode("utf-8") + b"]}"
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(hook.secret, body),
            DELIVERY_HEADER: delivery_id(e.event_id for e in batch),
        }
        seqs = [event.seq for event in batch]
        self.stats.attempts += 1
        try:
            response = await self._client.post(hook.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            problem, retry = f"{type(error).__name__}: {error}", True
        else:
            if response.is_success:
                await self.store.mark_delivered(seqs, self.claimer)
                self.stats.delivered_batches += 1
                self.stats.delivered_events += len(batch)
                return None
            problem = f"HTTP {response.status_code}"
            # the receiver refuses this body otherwise: retrying cannot help
            retry = response.status_code == 429 or response.status_code >= 500
        max_attempts = self.retries + 1
        # the rows with attempts left wait for the retry, by the oldest one's count
        left = [event.attempts + 1 for event in batch if event.attempts + 1 < max_attempts]
        delay = (
            min(self.max_backoff, self.backoff * 2 ** (max(left) - 1)) if retry and left else None
        )
        given_up = await self.store.mark_failed(seqs, self.claimer, problem, delay, max_attempts)
        if given_up:
            self.stats.failed_batches += 1
            self.stats.failed_events += len(given_up)
            logger.error(
                "could not deliver %d event(s) to %s after %d attempt(s): %s",
                len(given_up),
                hook.url,
                1 + max(event.attempts for event in batch),
                problem,
            )
        if delay is not None:
            logger.warning(
                "delivering %d event(s) to %s failed: %s; trying again in %.1f s",
                len(batch) - len(given_up),
                hook.url,
                problem,
                delay,
            )
        return delay

    def _warn_store(self, error: Exception) -> None:
        # One line a minute at most: a database that is away must not flood the log.
        now = time.monotonic()
        if now - self._last_store_warning >= 60.0:
            self._last_store_warning = now
            logger.warning("webhook events: the outbox cannot be read: %s", error)
