"""Events to the subscribers of a topic in every process (see `base` for the interface).

- `MemoryHub`: this process only; the event object itself, not serialized.
- `RedisHub`: every process on the Redis server; one subscriber connection
  per process, publishes on the client's pool.
- `PostgresHub`: every process on the database (LISTEN/NOTIFY); one
  listening connection per process, publishes on the engine's pool; events
  up to `max_event_bytes` of JSON (1 MB), larger ones refused.
"""

from __future__ import annotations

from flowbot.coordination.pubsub.base import (
    EventTooLargeError,
    Hub,
    HubClosedError,
    Subscription,
)
from flowbot.coordination.pubsub.memory import MemoryHub
from flowbot.coordination.pubsub.postgres import PostgresHub
from flowbot.coordination.pubsub.redis import RedisHub

__all__ = [
    "EventTooLargeError",
    "Hub",
    "HubClosedError",
    "MemoryHub",
    "PostgresHub",
    "RedisHub",
    "Subscription",
]
