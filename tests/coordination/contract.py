"""The one contract every lock backend and every hub passes.

A test module subclasses `LocksContract` or `HubContract` (so pytest collects
the tests there, once per backend) and provides the fixtures:

locks
    `make_locks`: a callable returning a NEW lock object on its own client or
    engine, over the same namespace every time (as two processes would have
    it; `MemoryLocks`, one process's, returns the same object);
    `recipe`: how a spawned process builds the same locks (None: one process
    only); `steal`: makes the holder of a key lose it behind its back (None:
    cannot be lost); `leftovers`: what the backend still keeps once every
    lock is released.
hubs
    `make_hub(queue_size=100)`: a NEW hub on its own client or engine, same
    prefix (`MemoryHub`: the same hub); `kill_connection(hub)`: cuts the hub's
    subscriber connection from the server side (None: it has none);
    `subscriber_connections(hub)`: the server's count of the hub's subscriber
    connections (None: not observable).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, ClassVar

import pytest

from flowbot.coordination import (
    ConversationLocks,
    Hub,
    HubClosedError,
    LockLostError,
)

from .workers import Counter, Recipe, count, hold_until_killed

MakeLocks = Callable[[], ConversationLocks]
Steal = Callable[[str], Awaitable[None]]
Leftovers = Callable[[], Awaitable[list[str]]]
MakeHub = Callable[..., Hub]
KillConnection = Callable[[Hub], Awaitable[None]]
CountConnections = Callable[[Hub], Awaitable[int]]

SPAWN = multiprocessing.get_context("spawn")


async def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.01)
    return condition()


async def takes(locks: ConversationLocks, key: str, within: float) -> bool:
    """Whether `key` can be taken within `within` seconds (given back at once)."""
    try:
        async with asyncio.timeout(within), locks.hold(key):
            return True
    except TimeoutError:
        return False


def key_of(name: str) -> str:
    # lock keys are `bot \0 channel \0 user` in the server (flowbot.server.conversations)
    return f"bot\x00web\x00{name}-{uuid.uuid4().hex[:8]}"


class LocksContract:
    lease: ClassVar[float] = 0.5
    dead_holder_frees_within: ClassVar[float] = 1.0

    # -- exclusion ----------------------------------------------------------

    async def test_one_holder_at_a_time_across_two_lock_objects(
        self, make_locks: MakeLocks
    ) -> None:
        first, second = make_locks(), make_locks()
        key = key_of("exclusive")
        inside = 0
        most = 0
        entered = 0

        async def turn(locks: ConversationLocks) -> None:
            nonlocal inside, most, entered
            for _ in range(3):
                async with locks.hold(key) as held:
                    inside += 1
                    entered += 1
                    most = max(most, inside)
                    assert held.key == key and not held.lost
                    await asyncio.sleep(0.001)
                    inside -= 1

        await asyncio.gather(*(turn(first if n % 2 else second) for n in range(10)))
        assert (most, entered, inside) == (1, 30, 0)

    async def test_other_keys_do_not_wait(self, make_locks: MakeLocks) -> None:
        first, second = make_locks(), make_locks()
        busy = key_of("busy")
        async with first.hold(busy):
            assert await takes(second, key_of("other"), within=1.0)
            assert await takes(first, key_of("other"), within=1.0)
            assert not await takes(second, busy, within=0.2)

    async def test_waiters_are_served_in_arrival_order(self, make_locks: MakeLocks) -> None:
        objects = [make_locks(), make_locks()]
        key = key_of("order")
        served: list[int] = []

        async def waiter(n: int) -> None:
            async with objects[n % 2].hold(key):
                served.append(n)
                await asyncio.sleep(0.01)

        async with objects[0].hold(key):
            waiters = []
            for n in range(6):
                waiters.append(asyncio.create_task(waiter(n)))
                await asyncio.sleep(0.04)  # each is queued before the next comes
        await asyncio.wait_for(asyncio.gather(*waiters), 10)
        assert served == list(range(6))

    async def test_an_exception_in_the_block_releases_the_key(self, make_locks: MakeLocks) -> None:
        first, second = make_locks(), make_locks()
        key = key_of("raises")
        with pytest.raises(ZeroDivisionError):
            async with first.hold(key):
                _ = 1 / 0
        assert await takes(second, key, within=1.0)

    async def test_a_cancelled_waiter_holds_nobody_up(self, make_locks: MakeLocks) -> None:
        first, second = make_locks(), make_locks()
        key = key_of("cancelled")
        async with first.hold(key):
            cancelled = asyncio.create_task(takes(second, key, within=30))
            await asyncio.sleep(0.1)
            behind = asyncio.create_task(takes(first, key, within=30))
            await asyncio.sleep(0.1)
            cancelled.cancel()
            await asyncio.gather(cancelled, return_exceptions=True)
        started = time.monotonic()
        assert await asyncio.wait_for(behind, 5)
        assert time.monotonic() - started < 0.5  # not after the waiter's expiry
        assert await takes(second, key, within=1.0)

    async def test_nothing_stays_behind_once_released(
        self, make_locks: MakeLocks, leftovers: Leftovers
    ) -> None:
        first, second = make_locks(), make_locks()
        keys = [key_of(f"left{n}") for n in range(3)]

        async def use(locks: ConversationLocks, key: str) -> None:
            async with locks.hold(key):
                await asyncio.sleep(0.01)

        await asyncio.gather(*(use(locks, key) for key in keys for locks in (first, second)))
        assert await leftovers() == []

    # -- holding long, losing, dying ----------------------------------------

    async def test_a_long_holder_keeps_its_lock(self, make_locks: MakeLocks) -> None:
        first, second = make_locks(), make_locks()
        key = key_of("long")
        async with first.hold(key) as held:
            assert not await takes(second, key, within=3 * self.lease)
            assert not held.lost
            held.check()
        assert await takes(second, key, within=1.0)

    async def test_a_lost_lock_is_reported(
        self, make_locks: MakeLocks, steal: Steal | None
    ) -> None:
        if steal is None:
            pytest.skip("a lock of one process is never lost")
        first, second = make_locks(), make_locks()
        key = key_of("stolen")
        with pytest.raises(LockLostError) as raised:
            async with first.hold(key) as held:
                await steal(key)
                assert await wait_until(lambda: held.lost, self.lease + 1.0)
                with pytest.raises(LockLostError):
                    held.check()
                assert await takes(second, key, within=self.lease + 1.0)
        assert raised.value.key == key
        # the block's own error wins over the loss
        with pytest.raises(KeyError):
            async with first.hold(key) as held:
                await steal(key)
                assert await wait_until(lambda: held.lost, self.lease + 1.0)
                raise KeyError("the block's")

    async def test_a_holder_that_dies_frees_the_key(
        self, make_locks: MakeLocks, recipe: Recipe | None
    ) -> None:
        if recipe is None:
            pytest.skip("the locks of one process die with it")
        key = key_of("dies")
        ready = SPAWN.Event()
        holder = SPAWN.Process(target=hold_until_killed, args=(recipe, key, ready), daemon=True)
        holder.start()
        try:
            assert await asyncio.to_thread(ready.wait, 20), "the holder did not start"
            locks = make_locks()
            assert not await takes(locks, key, within=0.2)
            holder.kill()  # no release, no clean-up: SIGKILL
            await asyncio.to_thread(holder.join, 5)
            started = time.monotonic()
            assert await takes(locks, key, within=self.dead_holder_frees_within + 1.0)
            assert time.monotonic() - started <= self.dead_holder_frees_within + 0.5
        finally:
            if holder.is_alive():
                holder.kill()

    async def test_two_processes_count_exactly(
        self, recipe: Recipe | None, counter_store: str
    ) -> None:
        if recipe is None:
            pytest.skip("one process only")
        times = 20
        assert await count_in_two_processes(recipe, counter_store, times) == 2 * times


async def count_in_two_processes(
    recipe: Recipe, store: str, times: int, other: Recipe | None = None
) -> int:
    """Two spawned processes add 1 `times` times each, read-modify-write under the lock.

    The second builds its locks from `other` when given (a process cut off from Redis).
    """
    key = key_of("count")
    counter = Counter({"store": store, "name": f"coordination_count_{uuid.uuid4().hex[:12]}"})
    await counter.create()
    start = SPAWN.Barrier(2)
    workers = [
        SPAWN.Process(target=count, args=(each, key, counter.spec, times, start))
        for each in (recipe, other or recipe)
    ]
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            await asyncio.to_thread(worker.join, 60)
        assert [worker.exitcode for worker in workers] == [0, 0]
        return await counter.read()
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
        await counter.drop()
        await counter.close()


class HubContract:
    @pytest.fixture
    async def hubs(self, make_hub: MakeHub) -> AsyncIterator[tuple[Hub, Hub]]:
        first, second = make_hub(), make_hub()
        yield first, second

    async def test_an_event_reaches_the_subscribers_of_every_hub(
        self, hubs: tuple[Hub, Hub]
    ) -> None:
        first, second = hubs
        event: dict[str, Any] = {
            "type": "text",
            "text": "피카츄 ⚡",
            "nested": {"list": [1, 2.5, None, True]},
        }
        async with first.subscribe("room") as here, second.subscribe("room") as there:
            await second.publish("room", event)
            received = await asyncio.wait_for(asyncio.gather(here.get(), there.get()), 5)
        assert list(received) == [event, event]
        assert here.topic == "room"

    async def test_topics_are_apart(self, hubs: tuple[Hub, Hub]) -> None:
        first, second = hubs
        async with first.subscribe("mine") as mine:
            await second.publish("yours", {"n": 1})
            await second.publish("mine", {"n": 2})
            assert await asyncio.wait_for(mine.get(), 5) == {"n": 2}
            await asyncio.sleep(0.05)
            with pytest.raises(asyncio.QueueEmpty):
                mine.get_nowait()

    async def test_events_of_one_publisher_keep_their_order(self, hubs: tuple[Hub, Hub]) -> None:
        first, second = hubs
        async with first.subscribe("ordered") as subscription:
            for n in range(50):
                await second.publish("ordered", {"n": n})
            got = [(await asyncio.wait_for(subscription.get(), 5))["n"] for _ in range(50)]
        assert got == list(range(50))

    async def test_many_streams_share_one_connection(
        self,
        hubs: tuple[Hub, Hub],
        subscriber_connections: CountConnections | None,
    ) -> None:
        first, second = hubs
        async with (
            first.subscribe("a") as a1,
            first.subscribe("a") as a2,
            first.subscribe("b") as b1,
            first.subscribe("b") as b2,
            first.subscribe("c") as c1,
        ):
            assert (first.subscribers("a"), first.subscribers("c"), first.streams) == (2, 1, 5)
            for topic in ("a", "b", "c"):
                await second.publish(topic, {"to": topic})
            for subscription, topic in ((a1, "a"), (a2, "a"), (b1, "b"), (b2, "b"), (c1, "c")):
                assert await asyncio.wait_for(subscription.get(), 5) == {"to": topic}
            if subscriber_connections is not None:
                assert await subscriber_connections(first) == 1

    async def test_a_subscriber_that_leaves_is_dropped(self, hubs: tuple[Hub, Hub]) -> None:
        first, second = hubs
        async with first.subscribe("leaving") as staying:
            async with first.subscribe("leaving") as leaving:
                assert first.subscribers("leaving") == 2
            assert first.subscribers("leaving") == 1
            await second.publish("leaving", {"n": 1})
            assert await asyncio.wait_for(staying.get(), 5) == {"n": 1}
            with pytest.raises(asyncio.QueueEmpty):
                leaving.get_nowait()
        assert (first.subscribers("leaving"), first.streams) == (0, 0)
        await second.publish("leaving", {"n": 2})  # nobody: fine
        # subscribed again: the topic works as before
        async with first.subscribe("leaving") as again:
            await second.publish("leaving", {"n": 3})
            assert await asyncio.wait_for(again.get(), 5) == {"n": 3}

    async def test_a_slow_subscriber_loses_its_oldest_events(self, make_hub: MakeHub) -> None:
        first, second = make_hub(queue_size=3), make_hub(queue_size=3)
        async with first.subscribe("slow") as slow, first.subscribe("slow") as fast:
            seen = []
            for n in range(5):
                await second.publish("slow", {"n": n})
                seen.append((await asyncio.wait_for(fast.get(), 5))["n"])
            assert await wait_until(lambda: slow.dropped == 2)
            assert [(await slow.get())["n"] for _ in range(3)] == [2, 3, 4]
            assert (seen, fast.dropped) == ([0, 1, 2, 3, 4], 0)

    async def test_closing_the_hub_ends_its_subscriptions(self, make_hub: MakeHub) -> None:
        hub = make_hub()
        async with hub.subscribe("closing") as subscription:
            waiting = asyncio.create_task(subscription.get())
            await asyncio.sleep(0.05)
            await hub.close()
            with pytest.raises(HubClosedError):
                await asyncio.wait_for(waiting, 5)
            assert [event async for event in subscription] == []
        with pytest.raises(HubClosedError):
            async with hub.subscribe("closing"):
                pass

    async def test_the_hub_reconnects_after_its_connection_is_killed(
        self, hubs: tuple[Hub, Hub], kill_connection: KillConnection | None
    ) -> None:
        if kill_connection is None:
            pytest.skip("no connection to lose")
        first, second = hubs
        async with first.subscribe("resilient") as subscription:
            await second.publish("resilient", {"n": 0})
            assert await asyncio.wait_for(subscription.get(), 5) == {"n": 0}
            await kill_connection(first)
            # events while the hub reconnects may be lost; a later one arrives
            n = 0
            received: dict[str, Any] | None = None
            deadline = time.monotonic() + 10
            while received is None and time.monotonic() < deadline:
                n += 1
                await second.publish("resilient", {"n": n})
                with contextlib.suppress(TimeoutError):
                    received = await asyncio.wait_for(subscription.get(), 0.1)
            assert received is not None, "no event after the connection was killed"
            assert subscription.gaps == 1
            # and from then on, every event
            for later in range(n + 1, n + 6):
                await second.publish("resilient", {"n": later})
            got: list[int] = []
            while len(got) < 5:
                event = await asyncio.wait_for(subscription.get(), 5)
                if event["n"] > n:
                    got.append(event["n"])
            assert got == list(range(n + 1, n + 6))
