"""Messages pushed to open chat widgets and agent consoles (server-sent events).

The JSON API's "send a message" and "change navigation", agents' replies and
the handoff notices publish here; each open `EventSource` holds one
subscription. Underneath is a `flowbot.coordination` hub: this process's
memory for one process, Redis pub/sub or PostgreSQL LISTEN/NOTIFY for
several (`flowbot.server.backends`), so a widget whose stream process A
holds receives what process B publishes. A subscriber that does not keep up
loses its oldest events rather than growing without bound.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractAsyncContextManager
from typing import Any

from flowbot.coordination import Hub, MemoryHub, Subscription

__all__ = ["PushHub"]

logger = logging.getLogger("flowbot.server")


class PushHub:
    def __init__(self, hub: Hub | None = None) -> None:
        self.hub: Hub = hub if hub is not None else MemoryHub()
        # publications sent without waiting (from turn listeners), kept until done
        self._sending: set[asyncio.Task[Any]] = set()

    def subscribers(self, topic: str) -> int:
        """Open streams of `topic` in this process."""
        return self.hub.subscribers(topic)

    @property
    def streams(self) -> int:
        """Open streams in this process, all topics."""
        return self.hub.streams

    def subscribe(self, topic: str) -> AbstractAsyncContextManager[Subscription]:
        return self.hub.subscribe(topic)

    async def publish(self, topic: str, event: dict[str, Any]) -> int:
        """Hand `event` to every open stream of `topic`, in any process.

        Returns how many took it: the open streams with one process; with
        Redis the processes holding a stream of it; with PostgreSQL (whose
        NOTIFY does not count listeners) this process's open streams.
        """
        local = self.hub.subscribers(topic)
        took = await self.hub.publish(topic, event)
        return local if took is None else took

    def publish_soon(self, topic: str, event: dict[str, Any]) -> None:
        """`publish` without waiting for it, for code that cannot await (turn listeners)."""
        task = asyncio.get_running_loop().create_task(self._publish_logged(topic, event))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _publish_logged(self, topic: str, event: dict[str, Any]) -> None:
        try:
            await self.publish(topic, event)
        except Exception as error:  # the hub's backend is away: the notice is lost, logged
            logger.warning("push to %s lost: %r", topic, error)

    async def close(self) -> None:
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
        await self.hub.close()
