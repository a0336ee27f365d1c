"""The contracts on Redis: every test on key and channel prefixes of its own."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from flowbot.coordination import Hub, RedisHub, RedisLocks, Subscription

from .contract import (
    CountConnections,
    HubContract,
    KillConnection,
    Leftovers,
    LocksContract,
    MakeHub,
    MakeLocks,
    Steal,
    count_in_two_processes,
)
from .proxy import Proxy
from .services import DEAD_REDIS_PORT, delete_prefix, need_redis, redis_admin, redis_client, unique
from .workers import Recipe

LEASE = 0.5


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    await need_redis()
    name = unique("flowbot-test:")
    yield name + ":"
    await delete_prefix(name)


class TestRedisLocks(LocksContract):
    lease = LEASE
    dead_holder_frees_within = LEASE

    @pytest.fixture
    async def make_locks(self, prefix: str) -> AsyncIterator[MakeLocks]:
        clients: list[Redis] = []

        def make() -> RedisLocks:
            clients.append(redis_client())
            return RedisLocks(clients[-1], prefix, lease=LEASE)

        yield make
        for client in clients:
            await client.aclose()

    @pytest.fixture
    def recipe(self, prefix: str) -> Recipe:
        return {"kind": "redis", "prefix": prefix, "lease": LEASE}

    @pytest.fixture
    def counter_store(self) -> str:
        return "redis"

    @pytest.fixture
    def steal(self, prefix: str) -> Steal:
        async def steal(key: str) -> None:
            async with redis_admin() as admin:
                assert await admin.delete(f"{prefix}l:{key}") == 1

        return steal

    @pytest.fixture
    def leftovers(self, prefix: str) -> Leftovers:
        async def left() -> list[str]:
            async with redis_admin() as admin:
                return [key.decode() async for key in admin.scan_iter(match=f"{prefix}*")]

        return left


class TestRedisHub(HubContract):
    @pytest.fixture
    async def make_hub(self, prefix: str) -> AsyncIterator[MakeHub]:
        made: list[tuple[RedisHub, Redis]] = []

        def make(queue_size: int = 100) -> RedisHub:
            client = redis_client(name=unique("flowbot-test-hub-"))
            made.append((RedisHub(client, prefix, queue_size=queue_size), client))
            return made[-1][0]

        yield make
        for hub, client in made:
            await hub.close()
            await client.aclose()

    @pytest.fixture
    def kill_connection(self) -> KillConnection:
        async def kill(hub: Hub) -> None:
            assert isinstance(hub, RedisHub)
            name = hub.client.connection_pool.connection_kwargs["client_name"]
            async with redis_admin() as admin:
                # only this hub's connection: others use this Redis too
                ids = [
                    c["id"] for c in await admin.client_list(_type="pubsub") if c["name"] == name
                ]
                assert len(ids) == 1
                await admin.client_kill_filter(_id=ids[0])

        return kill

    @pytest.fixture
    def subscriber_connections(self) -> CountConnections:
        async def connections(hub: Hub) -> int:
            assert isinstance(hub, RedisHub)
            name = hub.client.connection_pool.connection_kwargs["client_name"]
            async with redis_admin() as admin:
                return sum(c["name"] == name for c in await admin.client_list(_type="pubsub"))

        return connections


async def test_a_hub_unsubscribes_the_topics_nobody_here_wants(prefix: str) -> None:
    client = redis_client()
    hub = RedisHub(client, prefix)
    try:
        async with redis_admin() as admin:

            async def listeners(topic: str) -> int:
                return dict(await admin.pubsub_numsub(prefix + topic))[(prefix + topic).encode()]

            async with hub.subscribe("t"), hub.subscribe("t"):
                assert await listeners("t") == 1  # one connection, however many streams
            for _ in range(100):
                if await listeners("t") == 0:
                    break
                await asyncio.sleep(0.01)
            assert await listeners("t") == 0
    finally:
        await hub.close()
        await client.aclose()


async def test_a_dead_waiter_holds_the_queue_only_until_its_expiry(prefix: str) -> None:
    client = redis_client()
    locks = RedisLocks(client, prefix, lease=LEASE, waiter_ttl=0.4)
    try:
        keys = locks.keys("k")
        async with redis_admin() as admin:
            seconds, micros = await admin.time()
            now_ms = seconds * 1000 + micros // 1000
            # a waiter of a process that died, queued first, alive for 0.4 s more
            await admin.zadd(keys[1], {"dead-token": 1})
            await admin.zadd(keys[2], {"dead-token": now_ms + 400})
            started = time.monotonic()
            async with asyncio.timeout(2), locks.hold("k"):
                waited = time.monotonic() - started
            assert 0.3 < waited < 1.0
            assert await admin.exists(*keys) == 0  # queue and expiries gone with it
    finally:
        await client.aclose()


async def test_the_race_window_is_real_without_a_shared_lock(prefix: str) -> None:
    # each process's MemoryLocks excludes only its own tasks: updates get lost,
    # which is what the contract's count under a shared lock rules out
    total = await count_in_two_processes({"kind": "memory"}, "redis", 20)
    assert total < 40


async def kill_clients(name: str, kind: str | None = None) -> int:
    """CLIENT KILL the connections of one client name (others share this Redis)."""
    async with redis_admin() as admin:
        clients = await admin.client_list(_type=kind) if kind else await admin.client_list()
        ids = [c["id"] for c in clients if c["name"] == name]
        for client_id in ids:
            await admin.client_kill_filter(_id=client_id)
        return len(ids)


async def test_a_holder_keeps_its_lock_when_its_connection_is_killed(prefix: str) -> None:
    name = unique("flowbot-test-locks-")
    client, other = redis_client(name=name), redis_client()
    try:
        first, second = RedisLocks(client, prefix, lease=LEASE), RedisLocks(other, prefix)
        async with first.hold("k") as held:
            assert await kill_clients(name) >= 1
            await asyncio.sleep(2 * LEASE)  # renewals reconnect
            assert not held.lost
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2), second.hold("k"):
                    pass
    finally:
        await client.aclose()
        await other.aclose()


async def test_a_hub_waits_out_an_outage_and_counts_it_once(prefix: str) -> None:
    proxy = await Proxy(6379).start()
    client, publisher = redis_client(proxy.port), redis_client()
    hub = RedisHub(client, prefix, backoff=(0.02, 0.1))
    entered: asyncio.Future[Subscription] = asyncio.get_running_loop().create_future()
    left = asyncio.Event()

    async def subscribe_during_the_outage() -> None:
        async with hub.subscribe("during") as subscription:
            entered.set_result(subscription)
            await left.wait()

    try:
        async with hub.subscribe("before") as before:
            proxy.cut()
            await asyncio.sleep(0.5)  # several failed reconnections
            entering = asyncio.create_task(subscribe_during_the_outage())
            await asyncio.sleep(0.2)
            assert not entered.done()  # no confirmation while Redis is away
            proxy.restore()
            during = await asyncio.wait_for(entered, 5)
            await publisher.publish(prefix + "before", b'{"n": 1}')
            await publisher.publish(prefix + "during", b'{"n": 2}')
            assert await asyncio.wait_for(before.get(), 5) == {"n": 1}
            assert await asyncio.wait_for(during.get(), 5) == {"n": 2}
            assert before.gaps == 1  # one outage, however many attempts
            assert hub.connects == 2
            left.set()
            await entering
    finally:
        await hub.close()
        await client.aclose()
        await publisher.aclose()
        await proxy.close()


async def test_a_waiter_stops_even_when_the_client_swallows_its_cancellation() -> None:
    # Python 3.11's wait_for (which redis-py sends commands through when the
    # client has a socket_timeout) can return a reply and drop the cancellation
    client = redis_client(DEAD_REDIS_PORT)
    locks = RedisLocks(client, "unused:")
    calls = 0

    async def swallowing_script(keys: object, args: object) -> int:
        nonlocal calls
        calls += 1
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(0.05)  # the bug: a reply instead of the cancellation
        return 0  # "wait"

    locks._acquire = swallowing_script  # type: ignore[assignment]
    locks._release = swallowing_script  # type: ignore[assignment]
    waiter = asyncio.create_task(locks.acquire("k"))
    await asyncio.sleep(0.02)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(asyncio.shield(waiter), 1)
    assert calls <= 2  # stopped at once, not polling on
    await client.aclose()
