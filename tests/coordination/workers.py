"""What the spawned processes of the multi-process tests run (importable by `spawn`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from multiprocessing.synchronize import Barrier, Event
from typing import Any

from sqlalchemy import text

from flowbot.coordination import (
    ConversationLocks,
    FallbackLocks,
    MemoryLocks,
    PostgresAdvisoryLocks,
    RedisLocks,
)

from .services import engine, redis_client

Recipe = dict[str, Any]
Closer = Callable[[], Awaitable[None]]


def build_locks(recipe: Recipe) -> tuple[ConversationLocks, Closer]:
    """The locks a recipe describes, on clients and engines of their own."""
    kind = recipe["kind"]
    if kind == "memory":
        locks = MemoryLocks()
        return locks, locks.close
    if kind == "redis":
        client = redis_client(recipe.get("redis_port", 6379))
        redis_locks = RedisLocks(client, recipe["prefix"], lease=recipe["lease"])

        async def close_redis() -> None:
            await redis_locks.close()
            await client.aclose()

        return redis_locks, close_redis
    if kind == "postgres":
        pg = engine()
        pg_locks = PostgresAdvisoryLocks(pg, recipe["namespace"])

        async def close_postgres() -> None:
            await pg_locks.close()
            await pg.dispose()

        return pg_locks, close_postgres
    if kind == "fallback":
        client = redis_client(recipe.get("redis_port", 6379))
        pg = engine()
        both = FallbackLocks(
            RedisLocks(client, recipe["prefix"], lease=recipe["lease"]),
            PostgresAdvisoryLocks(pg, recipe["namespace"]),
            **recipe.get("fallback", {}),
        )

        async def close_both() -> None:
            await both.close()
            await client.aclose()
            await pg.dispose()

        return both, close_both
    raise ValueError(kind)


def hold_until_killed(recipe: Recipe, key: str, ready: Event) -> None:
    async def main() -> None:
        locks, _ = build_locks(recipe)
        async with locks.hold(key):
            ready.set()
            await asyncio.sleep(120)  # killed long before

    asyncio.run(main())


class Counter:
    """A number in Redis or PostgreSQL, read and written in two steps (a race window)."""

    def __init__(self, spec: Recipe) -> None:
        self.spec = spec
        self.redis = redis_client() if spec["store"] == "redis" else None
        self.engine = engine() if spec["store"] == "postgres" else None

    async def create(self) -> None:
        if self.engine is not None:
            async with self.engine.begin() as connection:
                await connection.execute(text(f"CREATE TABLE {self.spec['name']} (n integer)"))
                await connection.execute(text(f"INSERT INTO {self.spec['name']} VALUES (0)"))

    async def read(self) -> int:
        if self.redis is not None:
            return int(await self.redis.get(self.spec["name"]) or 0)
        assert self.engine is not None
        async with self.engine.connect() as connection:
            value = (await connection.execute(text(f"SELECT n FROM {self.spec['name']}"))).scalar()
            return int(value or 0)

    async def write(self, value: int) -> None:
        if self.redis is not None:
            await self.redis.set(self.spec["name"], value)
            return
        assert self.engine is not None
        async with self.engine.begin() as connection:
            await connection.execute(text(f"UPDATE {self.spec['name']} SET n = :n"), {"n": value})

    async def drop(self) -> None:
        if self.redis is not None:
            await self.redis.delete(self.spec["name"])
        if self.engine is not None:
            async with self.engine.begin() as connection:
                await connection.execute(text(f"DROP TABLE IF EXISTS {self.spec['name']}"))

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        if self.engine is not None:
            await self.engine.dispose()


def count(recipe: Recipe, key: str, counter: Recipe, times: int, start: Barrier) -> None:
    async def main() -> None:
        locks, close = build_locks(recipe)
        number = Counter(counter)
        # one hold first (a process cut off from Redis waits out its quarantine
        # here), then both processes start together
        async with locks.hold(key + "-warm-up"):
            pass
        await asyncio.to_thread(start.wait, 30)
        for _ in range(times):
            async with locks.hold(key) as held:
                value = await number.read()
                await asyncio.sleep(0.002)  # another process would read the same value now
                held.check()
                await number.write(value + 1)
        await number.close()
        await close()

    asyncio.run(main())
