"""Coordination between server processes: per-conversation locks and a pub/sub hub.

Two interfaces, several backends each, one contract suite
(`tests/coordination/contract.py`) that every backend passes:

- `flowbot.coordination.locks`: `ConversationLocks.hold(key)`, one holder per
  key across every process on the same backend — `MemoryLocks` (one process),
  `RedisLocks` (a renewed lease), `PostgresAdvisoryLocks` (a session-level
  advisory lock), `FallbackLocks` (Redis, PostgreSQL while Redis is away).
- `flowbot.coordination.pubsub`: `Hub.publish(topic, event)` reaches the
  subscribers of every process, `Hub.subscribe(topic)` is this process's —
  `MemoryHub`, `RedisHub` (one pub/sub connection per process),
  `PostgresHub` (LISTEN/NOTIFY on one connection per process).
"""

from __future__ import annotations

from flowbot.coordination.locks import (
    ConversationLocks,
    FallbackLocks,
    Held,
    LockLostError,
    MemoryLocks,
    PostgresAdvisoryLocks,
    RedisLocks,
)
from flowbot.coordination.pubsub import (
    EventTooLargeError,
    Hub,
    HubClosedError,
    MemoryHub,
    PostgresHub,
    RedisHub,
    Subscription,
)

__all__ = [
    "ConversationLocks",
    "EventTooLargeError",
    "FallbackLocks",
    "Held",
    "Hub",
    "HubClosedError",
    "LockLostError",
    "MemoryHub",
    "MemoryLocks",
    "PostgresAdvisoryLocks",
    "PostgresHub",
    "RedisHub",
    "RedisLocks",
    "Subscription",
]
