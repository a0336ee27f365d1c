"""What every hub offers: `publish` to every process, `subscribe` in this one.

`await hub.publish(topic, event)` hands `event` (a JSON object) to the
subscribers of `topic` in every process connected to the same backend,
this one included, or raises the backend's error when it cannot send;
`async with hub.subscribe(topic) as subscription:` receives them, from the
moment the context manager has entered (the backend has confirmed the
subscription: while the backend is away, entering waits for it to come
back, so put a timeout around it where that matters) until it exits.
Delivery is at most once:
events published while a process is reconnecting to its backend are lost to
its subscribers (each subscription counts such `gaps`), and a subscriber
that falls `queue_size` events behind loses its oldest (`dropped`). Events
from one publisher to one topic arrive in the order they were published.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

__all__ = ["EventTooLargeError", "Hub", "HubClosedError", "Subscription"]

Event = dict[str, Any]


class HubClosedError(RuntimeError):
    """The hub was closed: the subscription ends."""


class EventTooLargeError(ValueError):
    """An event over the backend's limit; nothing was sent."""

    def __init__(self, topic: str, size: int, limit: int) -> None:
        super().__init__(
            f"event for topic {topic!r} is {size} bytes as JSON; this hub sends at most {limit}"
        )
        self.topic = topic
        self.size = size
        self.limit = limit


class Subscription:
    """One local subscriber's feed of a topic: `await sub.get()` or `async for event in sub`."""

    __slots__ = ("_queue", "dropped", "gaps", "topic")

    def __init__(self, topic: str, queue_size: int) -> None:
        self.topic = topic
        # one more place than events for the end-of-feed marker
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=queue_size + 1)
        self.dropped = 0  # events lost because this subscriber fell behind
        self.gaps = 0  # times the backend connection was lost (events meanwhile are lost)

    async def get(self) -> Event:
        """The next event; raises `HubClosedError` once the hub is closed."""
        event = await self._queue.get()
        if event is None:
            self._queue.put_nowait(None)  # for the next get too
            raise HubClosedError("the hub was closed")
        return event

    def get_nowait(self) -> Event:
        """The next event if one is waiting; raises `asyncio.QueueEmpty` otherwise."""
        event = self._queue.get_nowait()
        if event is None:
            self._queue.put_nowait(None)
            raise HubClosedError("the hub was closed")
        return event

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        try:
            return await self.get()
        except HubClosedError:
            raise StopAsyncIteration from None

    def put(self, event: Event) -> None:
        queue = self._queue
        if queue.qsize() >= queue.maxsize - 1:
            queue.get_nowait()  # a stalled reader loses its oldest event
            self.dropped += 1
        queue.put_nowait(event)

    def end(self) -> None:
        queue = self._queue
        if queue.full():
            queue.get_nowait()
        queue.put_nowait(None)


class Hub(Protocol):
    async def publish(self, topic: str, event: Event) -> int | None:
        """Hand `event` to the subscribers of `topic` in every process.

        Returns who took it where the backend tells: `MemoryHub` its
        subscribers, `RedisHub` the processes with a subscriber of the topic;
        None where it cannot (`PostgresHub`: NOTIFY does not count listeners).
        """
        ...

    def subscribe(self, topic: str) -> AbstractAsyncContextManager[Subscription]:
        """`async with hub.subscribe(topic) as subscription:` this process's feed."""
        ...

    def subscribers(self, topic: str) -> int:
        """Open subscriptions of `topic` in this process."""
        ...

    @property
    def streams(self) -> int:
        """Open subscriptions in this process, all topics."""
        ...

    async def close(self) -> None:
        """End every subscription and the hub's connection (clients passed in stay open)."""
        ...
