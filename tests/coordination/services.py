"""The real Redis and PostgreSQL of the machine, skipped with the reason when absent."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
ENGINE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
DEAD_REDIS_PORT = 1  # nothing listens there: connections are refused at once


def unique(prefix: str) -> str:
    """A name no other run uses (tests share the machine's servers)."""
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def redis_client(port: int = 6379, name: str | None = None) -> Redis:
    """A client that gives up at once: a dead server is an error, not ten retries."""
    return Redis(
        host="127.0.0.1",
        port=port,
        client_name=name,
        retry=Retry(NoBackoff(), 0),
        socket_connect_timeout=1.0,
        socket_timeout=5.0,
    )


def engine(**options: object) -> AsyncEngine:
    return create_async_engine(ENGINE_URL, **options)


async def need_redis() -> None:
    client = redis_client()
    try:
        async with asyncio.timeout(3):
            await client.ping()
    except (RedisError, OSError) as error:
        pytest.skip(f"Redis not reachable on 127.0.0.1:6379 ({error!r})")
    finally:
        await client.aclose()


async def need_postgres() -> None:
    try:
        connection = await asyncpg.connect(POSTGRES_URL, timeout=3)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.skip(f"PostgreSQL not reachable on 127.0.0.1:5432 ({error!r})")
    await connection.close()


@contextlib.asynccontextmanager
async def redis_admin() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


async def delete_prefix(prefix: str) -> None:
    async with redis_admin() as client:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=500)]
        if keys:
            await client.delete(*keys)
