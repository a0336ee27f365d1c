"""A hub on Redis pub/sub: one subscriber connection per process, a channel per topic.

- `publish` is `PUBLISH <prefix><topic> <event as JSON>` on the client's
  pool. Every process with a subscriber of the topic receives it (this one
  too: local subscribers get it through Redis, in the same order as
  everyone else).
- This process subscribes on ONE connection of its own (a one-connection
  pool with the client's settings, no retries), whatever the number of
  streams: a topic's channel is subscribed while the process has a
  subscriber of it, and a reader task routes each message to the topic's
  local subscribers. A control channel of its own keeps the connection
  subscribed, and a PING after `heartbeat` s of silence (no answer for
  another `heartbeat` s: dead) catches a connection that went away quietly.
- A lost connection (Redis restarted, `CLIENT KILL`, a network cut) is
  logged, re-established with exponential backoff (`backoff`), and every
  channel is subscribed again; each subscription's `gaps` counts it, since
  Redis pub/sub does not keep what was published meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from typing import Any

import orjson
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from flowbot.coordination.cancelling import cancel_requests, stop_if_cancelled
from flowbot.coordination.pubsub.base import Event, HubClosedError, Subscription
from flowbot.coordination.pubsub.fanout import Fanout, RemoteHubBase

__all__ = ["RedisHub"]

logger = logging.getLogger("flowbot.coordination")


def _text(value: Any) -> str:
    return value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else str(value)


class RedisHub(RemoteHubBase):
    def __init__(
        self,
        client: Redis,
        prefix: str = "flowbot:push:",
        *,
        queue_size: int = 100,
        heartbeat: float = 5.0,
        backoff: tuple[float, float] = (0.05, 2.0),
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.heartbeat = heartbeat
        self.backoff = backoff
        self._fanout = Fanout(queue_size)
        # the control channel: a name no topic's channel has (NUL after the prefix)
        self._control = f"{prefix}\x00hub:{secrets.token_hex(8)}"
        pool = client.connection_pool
        settings = dict(pool.connection_kwargs)
        settings["retry"] = Retry(NoBackoff(), 0)  # reconnecting is the reader's job
        self._listener = Redis(
            connection_pool=ConnectionPool(
                connection_class=pool.connection_class, max_connections=1, **settings
            )
        )
        self._pubsub: PubSub | None = None
        self._reader: asyncio.Task[None] | None = None
        self._confirmed: set[str] = set()  # channels the current connection listens to
        self._waiting: dict[str, list[asyncio.Future[None]]] = {}
        self._closed = False
        self.connects = 0  # connections made (1 + reconnections)

    # --- the interface --------------------------------------------------------

    async def publish(self, topic: str, event: Event) -> int:
        cancels = cancel_requests()
        receivers = await self.client.publish(self.prefix + topic, orjson.dumps(event))
        stop_if_cancelled(cancels)  # (redis-py may have swallowed it)
        return int(receivers)

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        if self._closed:
            raise HubClosedError("the hub was closed")
        self._start()
        channel = self.prefix + topic
        subscription, first = self._fanout.add(topic)
        try:
            if first:
                self._confirmed.discard(channel)
                waiting = self._wait_for(channel)
                await self._send("subscribe", channel)
                await waiting
            elif channel not in self._confirmed:
                await self._wait_for(channel)
            yield subscription
        finally:
            if self._fanout.remove(subscription) and not self._closed:
                self._confirmed.discard(channel)
                await self._send("unsubscribe", channel)

    async def close(self) -> None:
        self._closed = True
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        self._close_fanout()
        await self._listener.aclose(close_connection_pool=True)

    # --- the connection -------------------------------------------------------

    def _start(self) -> None:
        if self._reader is None:
            self._reader = asyncio.get_running_loop().create_task(self._run())

    async def _send(self, command: str, channel: str) -> None:
        """(Un)subscribe on the current connection; with none, the next one does it."""
        pubsub = self._pubsub
        if pubsub is None:  # connecting: the reader subscribes what is wanted then
            return
        try:
            if command == "subscribe":
                await pubsub.subscribe(channel)
            else:
                await pubsub.unsubscribe(channel)
        except (RedisError, OSError) as error:  # the reader reconnects
            logger.debug("pub/sub %s %r: %r", command, channel, error)

    async def _run(self) -> None:
        delay = self.backoff[0]
        failing = False
        while not self._closed:
            pubsub = self._listener.pubsub()
            try:
                channels = {self.prefix + topic for topic in self._fanout.topics()}
                await pubsub.subscribe(self._control, *channels)
                # from here on a new topic subscribes itself; catch up on those
                # that came and went while connecting
                self._pubsub = pubsub
                now = {self.prefix + topic for topic in self._fanout.topics()}
                for channel in now - channels:
                    await pubsub.subscribe(channel)
                for channel in channels - now:
                    await pubsub.unsubscribe(channel)
                self.connects += 1
                if failing:
                    logger.warning(
                        "Redis pub/sub connected again: %d topics subscribed", len(channels)
                    )
                    failing = False
                delay = self.backoff[0]
                await self._read(pubsub)
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as error:
                if self._closed:
                    break
                if not failing:
                    logger.warning(
                        "Redis pub/sub connection lost (%r): reconnecting, events meanwhile "
                        "are lost",
                        error,
                    )
                    failing = True
                    self._fanout.gap()
            finally:
                self._pubsub = None
                self._confirmed.clear()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.backoff[1])

    async def _read(self, pubsub: PubSub) -> None:
        quiet = 0
        prefix = self.prefix
        cancels = cancel_requests()
        while True:
            message = await pubsub.get_message(timeout=self.heartbeat)
            stop_if_cancelled(cancels)
            if message is None:
                quiet += 1
                if quiet > 1:
                    raise OSError(f"Redis did not answer a PING within {self.heartbeat} s")
                await pubsub.ping()
                stop_if_cancelled(cancels)
                continue
            quiet = 0
            kind = _text(message["type"])
            if kind == "message":
                channel = _text(message["channel"])
                try:
                    event = orjson.loads(message["data"])
                except orjson.JSONDecodeError:
                    logger.warning("pub/sub channel %r: a message that is not JSON", channel)
                    continue
                self._fanout.deliver(channel[len(prefix) :], event)
            elif kind == "subscribe":
                channel = _text(message["channel"])
                self._confirmed.add(channel)
                for future in self._waiting.pop(channel, ()):
                    if not future.done():
                        future.set_result(None)
