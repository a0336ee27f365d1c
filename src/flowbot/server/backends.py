"""The conversation locks and the push hub of a server, chosen from its settings.

One process on SQLite needs neither Redis nor PostgreSQL: its locks and its
hub live in its memory. Several processes behind a load balancer share them
(docs/deploy.md):

| settings                 | locks                                   | hub                 |
|--------------------------|-----------------------------------------|---------------------|
| Redis and PostgreSQL     | Redis leases, PostgreSQL advisory locks | Redis pub/sub       |
|                          | while Redis is away (`FallbackLocks`)   |                     |
| Redis, SQLite            | Redis leases (an outage answers 503)    | Redis pub/sub       |
| PostgreSQL, no Redis     | PostgreSQL advisory locks               | LISTEN/NOTIFY       |
| SQLite or memory         | this process's (`MemoryLocks`)          | this process's      |

`shared` says whether another process may take a request of a conversation
this process holds in its cache: the cache is then checked against the
store once the lock is held.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from flowbot.config import Settings
from flowbot.coordination import (
    ConversationLocks,
    FallbackLocks,
    Hub,
    MemoryHub,
    MemoryLocks,
    PostgresAdvisoryLocks,
    PostgresHub,
    RedisHub,
    RedisLocks,
)
from flowbot.store.urls import database_url, is_postgres, split_schema

__all__ = ["Backends", "open_backends"]

logger = logging.getLogger("flowbot.server")

# a lock's lease: renewed every third of it while the turn runs, so only a
# holder that died (or froze) keeps a conversation waiting this long
LOCK_LEASE_SECONDS = 10.0
# connections for the advisory locks: one per turn running or waiting
ADVISORY_POOL = 32
HEALTH_TIMEOUT = 2.0


@dataclass(slots=True)
class Backends:
    locks: ConversationLocks
    hub: Hub
    # another process may take requests of this process's conversations
    shared: bool
    redis: Redis | None = None
    # the locks' and the hub's own engine (never the store's: see locks/postgres.py)
    engine: AsyncEngine | None = None

    @property
    def described(self) -> str:
        locks = type(self.locks).__name__
        return f"locks {locks}, push {type(self.hub).__name__}"

    async def redis_health(self) -> str | None:
        """ "ok" or "unavailable"; None without Redis."""
        if self.redis is None:
            return None
        try:
            await asyncio.wait_for(self.redis.ping(), HEALTH_TIMEOUT)
        except Exception as error:  # an outage is an answer here, not a crash
            logger.warning("health check: Redis does not answer: %r", error)
            return "unavailable"
        return "ok"

    @property
    def degraded(self) -> bool:
        """The locks are on PostgreSQL while Redis is away."""
        return isinstance(self.locks, FallbackLocks) and self.locks.degraded

    async def close(self) -> None:
        await self.hub.close()
        await self.locks.close()
        await self.close_connections()

    async def close_connections(self) -> None:
        """Close the Redis client and the engine (after the hub and the locks)."""
        if self.redis is not None:
            await self.redis.aclose()
        if self.engine is not None:
            await self.engine.dispose()


def open_backends(settings: Settings) -> Backends:
    """The locks and hub for `settings`; nothing connects before first use."""
    database = settings.database.strip()
    postgres = is_postgres(database)
    engine = _coordination_engine(database) if postgres else None
    schema = split_schema(database)[0] if postgres else None
    # two deployments (or tests) on one database or Redis must not share locks
    scope = settings.redis_prefix + (f"{schema}:" if schema else "")
    if settings.redis is not None:
        redis = Redis.from_url(
            settings.redis, socket_timeout=5.0, socket_connect_timeout=2.0, health_check_interval=30
        )
        primary = RedisLocks(redis, f"{scope}lock:", lease=LOCK_LEASE_SECONDS)
        hub: Hub = RedisHub(redis, f"{scope}push:")
        if engine is not None:
            fallback = PostgresAdvisoryLocks(engine, f"{scope}lock:")
            locks: ConversationLocks = FallbackLocks(primary, fallback)
        else:
            locks = primary
        return Backends(locks, hub, shared=True, redis=redis, engine=engine)
    if engine is not None:
        return Backends(
            PostgresAdvisoryLocks(engine, f"{scope}lock:"),
            PostgresHub(engine, _channel_prefix(schema)),
            shared=True,
            engine=engine,
        )
    return Backends(MemoryLocks(), MemoryHub(), shared=False)


def _coordination_engine(database: str) -> AsyncEngine:
    schema, url = split_schema(database)
    del schema  # advisory locks and NOTIFY channels belong to the database, not a schema
    return create_async_engine(
        database_url(url),
        pool_size=ADVISORY_POOL,
        max_overflow=ADVISORY_POOL,
        pool_pre_ping=True,
        pool_timeout=10.0,
    )


def _channel_prefix(schema: str | None) -> str:
    """The NOTIFY channels' prefix: flowbot's, and the schema's when there is one."""
    if schema is None:
        return "flowbot_push_"
    cleaned = re.sub(r"[^a-z0-9_]", "_", schema.lower())[:16]
    return f"fb_{cleaned}_"
