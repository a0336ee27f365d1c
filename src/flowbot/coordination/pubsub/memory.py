"""One process's hub: `publish` puts the event straight into the local subscribers' queues.

The event object itself is shared by the subscribers (not copied, not
serialized): a subscriber must not change it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from flowbot.coordination.pubsub.base import Event, HubClosedError, Subscription
from flowbot.coordination.pubsub.fanout import Fanout

__all__ = ["MemoryHub"]


class MemoryHub:
    def __init__(self, queue_size: int = 100) -> None:
        self._fanout = Fanout(queue_size)
        self._closed = False

    async def publish(self, topic: str, event: Event) -> int:
        return self._fanout.deliver(topic, event)

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[Subscription]:
        if self._closed:
            raise HubClosedError("the hub was closed")
        subscription, _ = self._fanout.add(topic)
        try:
            yield subscription
        finally:
            self._fanout.remove(subscription)

    def subscribers(self, topic: str) -> int:
        return self._fanout.subscribers(topic)

    @property
    def streams(self) -> int:
        return self._fanout.streams

    async def close(self) -> None:
        self._closed = True
        self._fanout.close()
