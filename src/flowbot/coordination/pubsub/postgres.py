"""A hub on PostgreSQL LISTEN/NOTIFY: one listening connection per process, a channel per topic.

- A topic's channel is `<prefix><32 hex digits of a hash of the topic>` (a
  channel name is an identifier of at most 63 bytes); the payload carries
  the topic itself, so two topics sharing a channel are still told apart.
- `publish` runs `pg_notify` on a pooled connection of the engine. A
  payload must be shorter than 8000 bytes: a larger event (up to
  `max_event_bytes` of JSON, 1 MB by default) is sent as base64 pieces in
  ONE transaction, which PostgreSQL delivers together and in order, and the
  listeners put it back together; beyond `max_event_bytes`,
  `EventTooLargeError` and nothing is sent.
- This process listens on ONE connection taken out of the engine's pool
  (detached: it never goes back), whatever the number of streams: a
  channel is LISTENed while the process has a subscriber of the topic. One
  task owns that connection: it applies the (UN)LISTENs the subscribers
  ask for, runs `SELECT 1` after `heartbeat` s of quiet, and when the
  connection ends (asyncpg's termination callback, a failed heartbeat) logs
  it, reconnects with exponential backoff and LISTENs again; each
  subscription's `gaps` counts it (notifications sent meanwhile are lost).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from flowbot.coordination.names import notify_channel, valid_channel_prefix
from flowbot.coordination.pubsub.base import (
    Event,
    EventTooLargeError,
    HubClosedError,
    Subscription,
)
from flowbot.coordination.pubsub.fanout import Fanout, RemoteHubBase

__all__ = ["MAX_PAYLOAD_BYTES", "PostgresHub"]

logger = logging.getLogger("flowbot.coordination")

MAX_PAYLOAD_BYTES = 7999  # NOTIFY: "shorter than 8000 bytes"
_PIECE_BYTES = 5940  # base64: 7920 characters, and the piece's header
_PIECES_KEPT = 30.0  # seconds an incomplete event waits for its other pieces

_NOTIFY = text("SELECT pg_notify(:channel, :payload)")


class PostgresHub(RemoteHubBase):
    def __init__(
        self,
        engine: AsyncEngine,
        prefix: str = "flowbot_push_",
        *,
        queue_size: int = 100,
        heartbeat: float = 5.0,
        backoff: tuple[float, float] = (0.05, 2.0),
        max_event_bytes: int = 1_000_000,
    ) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError(f"LISTEN/NOTIFY needs PostgreSQL, not {engine.dialect.name}")
        self.engine = engine
        self.prefix = valid_channel_prefix(prefix)
        self.heartbeat = heartbeat
        self.backoff = backoff
        self.max_event_bytes = max_event_bytes
        self._fanout = Fanout(queue_size)
        self._channels: dict[str, int] = {}  # channel → topics of it subscribed here
        self._listening: set[str] = set()  # on the current connection
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        self._changed = asyncio.Event()
        self._pieces: dict[str, tuple[float, list[str | None]]] = {}
        self._owner: asyncio.Task[None] | None = None
        self._closed = False
        self.connects = 0
        self.pid: int | None = None  # the listening session's backend pid

    # --- the interface --------------------------------------------------------

    async def publish(self, topic: str, event: Event) -> None:
        # (NOTIFY does not tell how many listen)
        body = orjson.dumps({"t": topic, "e": event})
        if len(body) > self.max_event_bytes:
            raise EventTooLargeError(topic, len(body), self.max_event_bytes)
        if len(body) <= MAX_PAYLOAD_BYTES:
            payloads = [body.decode()]
        else:
            name = secrets.token_hex(8)
            pieces = [body[at : at + _PIECE_BYTES] for at in range(0, len(body), _PIECE_BYTES)]
            payloads = [
                f"~{name}:{index}:{len(pieces)}:{base64.b64encode(piece).decode()}"
                for index, piece in enumerate(pieces)
            ]
        channel = notify_channel(self.prefix, topic)
        async with self.engine.begin() as connection:
            for payload in payloads:
                await connection.execute(_NOTIFY, {"channel": channel, "payload": payload})

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        if self._closed:
            raise HubClosedError("the hub was closed")
        self._start()
        channel = notify_channel(self.prefix, topic)
        subscription, first = self._fanout.add(topic)
        try:
            if first:
                self._channels[channel] = self._channels.get(channel, 0) + 1
            if channel not in self._listening:
                waiting = self._wait_for(channel)
                self._changed.set()
                await waiting
            yield subscription
        finally:
            if self._fanout.remove(subscription) and not self._closed:
                left = self._channels[channel] - 1
                if left:
                    self._channels[channel] = left
                else:
                    del self._channels[channel]
                    self._changed.set()

    async def close(self) -> None:
        self._closed = True
        owner, self._owner = self._owner, None
        if owner is not None:
            owner.cancel()
            await asyncio.gather(owner, return_exceptions=True)
        self._close_fanout()

    # --- the listening connection ---------------------------------------------

    def _start(self) -> None:
        if self._owner is None:
            self._owner = asyncio.get_running_loop().create_task(self._run())

    async def _connect(self) -> Any:
        raw = await self.engine.raw_connection()
        driver = raw.driver_connection
        raw.detach()  # LISTENs must not go back to the pool
        return driver

    async def _run(self) -> None:
        delay = self.backoff[0]
        failing = False
        while not self._closed:
            driver: Any = None
            try:
                driver = await self._connect()
                ended = asyncio.Event()
                driver.add_termination_listener(lambda _driver, ended=ended: ended.set())
                self.pid = driver.get_server_pid()
                self.connects += 1
                if failing:
                    logger.warning("PostgreSQL LISTEN connection open again")
                    failing = False
                delay = self.backoff[0]
                await self._serve(driver, ended)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if self._closed:
                    break
                if not failing:
                    logger.warning(
                        "PostgreSQL LISTEN connection lost (%r): reconnecting, events "
                        "meanwhile are lost",
                        error,
                    )
                    failing = True
                    self._fanout.gap()
            finally:
                self._listening.clear()
                self._pieces.clear()
                if driver is not None:
                    driver.terminate()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff[1])

    async def _serve(self, driver: Any, ended: asyncio.Event) -> None:
        while True:
            self._changed.clear()
            await self._sync(driver)
            if ended.is_set():
                raise ConnectionError("the LISTEN session ended")
            changed = asyncio.ensure_future(self._changed.wait())
            gone = asyncio.ensure_future(ended.wait())
            try:
                done, _ = await asyncio.wait(
                    {changed, gone}, timeout=self.heartbeat, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                changed.cancel()
                gone.cancel()
            if gone in done or ended.is_set():
                raise ConnectionError("the LISTEN session ended")
            if not done:
                await driver.fetchval("SELECT 1", timeout=self.heartbeat)

    async def _sync(self, driver: Any) -> None:
        """LISTEN to the channels wanted, UNLISTEN the others; tell the waiters."""
        for channel in [c for c in self._listening if c not in self._channels]:
            # not listening from now on: a subscriber coming back meanwhile waits
            # for the LISTEN after this UNLISTEN
            self._listening.discard(channel)
            await driver.remove_listener(channel, self._notified)
        for channel in [c for c in self._channels if c not in self._listening]:
            await driver.add_listener(channel, self._notified)
            self._listening.add(channel)
        for channel in [c for c in self._waiting if c in self._listening]:
            for future in self._waiting.pop(channel):
                if not future.done():
                    future.set_result(None)

    def _notified(self, _driver: Any, _pid: int, channel: str, payload: str) -> None:
        if payload.startswith("~"):
            whole = self._piece(payload)
            if whole is None:
                return
            body: str | bytes = whole
        else:
            body = payload
        try:
            message = orjson.loads(body)
            topic, event = message["t"], message["e"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            logger.warning("NOTIFY channel %r: a payload that is not a hub event", channel)
            return
        self._fanout.deliver(topic, event)

    def _piece(self, payload: str) -> bytes | None:
        """One piece of a large event; the whole event once its last piece came."""
        try:
            name, index, count, data = payload[1:].split(":", 3)
            at, total = int(index), int(count)
        except ValueError:
            logger.warning("NOTIFY: a malformed piece of an event")
            return None
        now = time.monotonic()
        for stale in [n for n, (seen, _) in self._pieces.items() if now - seen > _PIECES_KEPT]:
            del self._pieces[stale]
        _, pieces = self._pieces.setdefault(name, (now, [None] * total))
        if not 0 <= at < len(pieces):
            return None
        pieces[at] = data
        if any(piece is None for piece in pieces):
            return None
        del self._pieces[name]
        return b"".join(base64.b64decode(piece) for piece in pieces if piece is not None)
