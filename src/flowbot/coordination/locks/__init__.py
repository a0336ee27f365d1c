"""Per-conversation locks that hold across processes (see `base` for the interface).

- `MemoryLocks`: one holder per key among this process's tasks, in arrival
  order; a holder never loses its lock.
- `RedisLocks`: among every process on the Redis server, in arrival order
  (a queue in Redis); a renewed lease, freed at most `lease` s after its
  holder died.
- `PostgresAdvisoryLocks`: among every session on the database, in arrival
  order (PostgreSQL's lock queue); freed as soon as the holder's session ends.
- `FallbackLocks`: Redis, and PostgreSQL while Redis does not answer, never
  two holders at once (the rule is in `fallback`); in arrival order within a
  backend.
"""

from __future__ import annotations

from flowbot.coordination.locks.base import (
    ConversationLocks,
    Held,
    Lease,
    LeaseLocks,
    LockLostError,
)
from flowbot.coordination.locks.fallback import FallbackHeld, FallbackLocks
from flowbot.coordination.locks.memory import MemoryLocks
from flowbot.coordination.locks.postgres import PostgresAdvisoryLocks, PostgresLease
from flowbot.coordination.locks.redis import RedisLease, RedisLocks

__all__ = [
    "ConversationLocks",
    "FallbackHeld",
    "FallbackLocks",
    "Held",
    "Lease",
    "LeaseLocks",
    "LockLostError",
    "MemoryLocks",
    "PostgresAdvisoryLocks",
    "PostgresLease",
    "RedisLease",
    "RedisLocks",
]
