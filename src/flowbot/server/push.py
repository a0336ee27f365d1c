"""Messages pushed to open chat widgets (server-sent events), within one process.

The JSON API's "send a message" and "change navigation" publish here; each
open `EventSource` of the conversation holds one subscription. A subscriber
that does not keep up loses its oldest events rather than growing without
bound. Several server processes would need a shared bus (Redis pub/sub); one
process is what `flowbot serve` runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

__all__ = ["PushHub"]


class PushHub:
    def __init__(self, queue_size: int = 100) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._streams = 0

    def subscribers(self, conversation_id: str) -> int:
        return len(self._subscribers.get(conversation_id, ()))

    @property
    def streams(self) -> int:
        """Open subscriptions in all."""
        return self._streams

    @contextlib.asynccontextmanager
    async def subscribe(self, conversation_id: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=self._queue_size)
        self._subscribers.setdefault(conversation_id, set()).add(queue)
        self._streams += 1
        try:
            yield queue
        finally:
            self._streams -= 1
            queues = self._subscribers.get(conversation_id)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._subscribers[conversation_id]

    def publish(self, conversation_id: str, event: dict[str, Any]) -> int:
        """Hand `event` to every open stream of the conversation; returns how many."""
        queues = self._subscribers.get(conversation_id, ())
        for queue in queues:
            if queue.full():
                queue.get_nowait()  # a stalled reader loses its oldest event
            queue.put_nowait(event)
        return len(queues)
