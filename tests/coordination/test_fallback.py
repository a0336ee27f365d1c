"""FallbackLocks: the lock contract with Redis up, and the fallback rule when it is not."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from flowbot.coordination import FallbackLocks, PostgresAdvisoryLocks, RedisLocks
from flowbot.coordination.locks import FallbackHeld

from .contract import (
    Leftovers,
    LocksContract,
    MakeLocks,
    Steal,
    count_in_two_processes,
    key_of,
    takes,
    wait_until,
)
from .proxy import Proxy
from .services import (
    DEAD_REDIS_PORT,
    POSTGRES_URL,
    delete_prefix,
    engine,
    need_postgres,
    need_redis,
    redis_admin,
    redis_client,
    unique,
)
from .workers import Recipe

pytestmark = pytest.mark.postgres

LEASE = 0.5
# quicker rounds than the defaults (2 + 1 + 0.5 s), with room for a busy machine
OPTIONS: dict[str, Any] = {"trust": 0.8, "upgrade_within": 0.5, "margin": 0.2, "probe_every": 0.2}
QUARANTINE = 1.5

MakeFallback = Callable[..., FallbackLocks]


@pytest.fixture
async def name() -> AsyncIterator[str]:
    await need_redis()
    await need_postgres()
    name = unique("flowbot_test_")
    yield name
    await delete_prefix(name)


@pytest.fixture
async def make_fallback(name: str) -> AsyncIterator[MakeFallback]:
    """FallbackLocks of its own clients; `redis_port` another port (dead, a proxy)."""
    made: list[tuple[FallbackLocks, Redis, AsyncEngine]] = []

    def make(redis_port: int = 6379) -> FallbackLocks:
        client = redis_client(redis_port)
        pg = engine(connect_args={"server_settings": {"application_name": name}})
        locks = FallbackLocks(
            RedisLocks(client, name + ":", lease=LEASE), PostgresAdvisoryLocks(pg, name), **OPTIONS
        )
        made.append((locks, client, pg))
        return locks

    yield make
    for locks, client, pg in made:
        await locks.close()
        await client.aclose()
        await pg.dispose()


def backends(held: object) -> tuple[str, ...]:
    assert isinstance(held, FallbackHeld)
    return held.backends


class TestFallbackLocksWithRedisUp(LocksContract):
    lease = LEASE
    dead_holder_frees_within = LEASE

    @pytest.fixture
    def make_locks(self, make_fallback: MakeFallback) -> MakeLocks:
        return make_fallback

    @pytest.fixture
    def recipe(self, name: str) -> Recipe:
        return {
            "kind": "fallback",
            "prefix": name + ":",
            "namespace": name,
            "lease": LEASE,
            "fallback": OPTIONS,
        }

    @pytest.fixture
    def counter_store(self) -> str:
        return "postgres"

    @pytest.fixture
    def steal(self, name: str) -> Steal:
        async def steal(key: str) -> None:
            async with redis_admin() as admin:
                assert await admin.delete(f"{name}:l:{key}") == 1

        return steal

    @pytest.fixture
    def leftovers(self, name: str) -> Leftovers:
        async def left() -> list[str]:
            async with redis_admin() as admin:
                keys = [key.decode() async for key in admin.scan_iter(match=f"{name}:*")]
            connection = await asyncpg.connect(POSTGRES_URL)
            try:
                rows = await connection.fetch(
                    "SELECT l.objid FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                    " WHERE l.locktype = 'advisory' AND a.application_name = $1",
                    name,
                )
            finally:
                await connection.close()
            return keys + [f"advisory lock {row['objid']}" for row in rows]

        return left


async def test_with_redis_up_a_hold_takes_redis_alone(make_fallback: MakeFallback) -> None:
    locks = make_fallback()
    async with locks.hold(key_of("up")) as held:
        assert backends(held) == ("redis",)
    assert not locks.degraded


async def test_without_redis_processes_exclude_each_other_on_postgres(
    make_fallback: MakeFallback, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "flowbot.coordination")
    first, second = make_fallback(DEAD_REDIS_PORT), make_fallback(DEAD_REDIS_PORT)
    key = key_of("down")
    started = time.monotonic()
    # both announce the fallback and wait out their quarantines
    assert await asyncio.gather(*(takes(locks, key_of("warm"), 5) for locks in (first, second)))
    assert time.monotonic() - started >= QUARANTINE
    assert first.degraded and second.degraded
    async with first.hold(key) as held:
        assert backends(held) == ("postgres",)
        assert not await takes(second, key, within=0.3)
    inside = most = 0

    async def turn(locks: FallbackLocks) -> None:
        nonlocal inside, most
        for _ in range(5):
            async with locks.hold(key) as held:
                assert backends(held) == ("postgres",)
                inside += 1
                most = max(most, inside)
                await asyncio.sleep(0.002)
                inside -= 1

    await asyncio.gather(*(turn(locks) for locks in (first, second, first, second)))
    assert most == 1
    # one warning per process for the whole outage, not one per hold
    announced = [r for r in caplog.records if "Redis does not answer" in r.getMessage()]
    assert len(announced) == 2


async def test_a_process_cut_off_from_redis_waits_for_a_holder_on_redis(
    make_fallback: MakeFallback,
) -> None:
    on_redis, cut_off = make_fallback(), make_fallback(DEAD_REDIS_PORT)
    key = key_of("partition")
    async with on_redis.hold(key) as held:
        assert backends(held) == ("redis",)
        waiting = asyncio.create_task(takes(cut_off, key, within=30))
        # the cut-off process announces the fallback; the Redis holder takes PostgreSQL too
        assert await wait_until(lambda: backends(held) == ("redis", "postgres"), QUARANTINE)
        await asyncio.sleep(QUARANTINE + 0.3)
        assert not waiting.done() and not held.lost
        # meanwhile the process on Redis takes both for every new hold
        async with on_redis.hold(key_of("other")) as other:
            assert backends(other) == ("redis", "postgres")
        released = time.monotonic()
    assert await asyncio.wait_for(waiting, 5)
    assert time.monotonic() - released < 0.5
    async with cut_off.hold(key) as after:
        assert backends(after) == ("postgres",)


async def test_two_processes_count_exactly_with_one_cut_off_from_redis(name: str) -> None:
    recipe: Recipe = {
        "kind": "fallback",
        "prefix": name + ":",
        "namespace": name,
        "lease": LEASE,
        "fallback": OPTIONS,
    }
    total = await count_in_two_processes(
        recipe, "postgres", 20, other={**recipe, "redis_port": DEAD_REDIS_PORT}
    )
    assert total == 40


async def test_back_on_redis_once_it_answers_again(
    make_fallback: MakeFallback, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "flowbot.coordination")
    proxy = await Proxy(6379).start()
    try:
        locks = make_fallback(proxy.port)
        key = key_of("flaky")

        async def hold() -> tuple[str, ...]:
            async with asyncio.timeout(5), locks.hold(key) as held:
                return backends(held)

        assert await hold() == ("redis",)
        proxy.cut()
        assert await hold() == ("postgres",)
        proxy.restore()
        # Redis again (with PostgreSQL while anyone may still be on the fallback)…
        assert await until(hold, lambda taken: taken[0] == "redis")
        # …and Redis alone once nobody is
        assert await until(hold, lambda taken: taken == ("redis",))
        assert not locks.degraded
        assert any("Redis answers again" in r.getMessage() for r in caplog.records)
    finally:
        await proxy.close()


async def until(
    hold: Callable[[], Awaitable[tuple[str, ...]]],
    wanted: Callable[[tuple[str, ...]], bool],
    seconds: float = 5.0,
) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if wanted(await hold()):
            return True
        await asyncio.sleep(0.05)
    return False
