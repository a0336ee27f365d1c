"""The contracts on one process's backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from flowbot.coordination import MemoryHub, MemoryLocks

from .contract import HubContract, Leftovers, LocksContract, MakeHub, MakeLocks


class TestMemoryLocks(LocksContract):
    lease = 0.1  # no lease: the "long hold" is just a hold

    # cases of several processes: one process's locks are never lost, die with
    # it and are never shared (not collected here rather than skipped)
    test_a_lost_lock_is_reported = None
    test_a_holder_that_dies_frees_the_key = None
    test_two_processes_count_exactly = None

    @pytest.fixture
    def memory_locks(self) -> MemoryLocks:
        return MemoryLocks()

    @pytest.fixture
    def make_locks(self, memory_locks: MemoryLocks) -> MakeLocks:
        return lambda: memory_locks  # one process: one lock table

    @pytest.fixture
    def recipe(self) -> None:
        return None

    @pytest.fixture
    def steal(self) -> None:
        return None

    @pytest.fixture
    def counter_store(self) -> str:
        return "redis"

    @pytest.fixture
    def leftovers(self, memory_locks: MemoryLocks) -> Leftovers:
        async def left() -> list[str]:
            return [f"{len(memory_locks)} entries"] if len(memory_locks) else []

        return left


class TestMemoryHub(HubContract):
    # a memory hub has no connection to lose
    test_the_hub_reconnects_after_its_connection_is_killed = None

    @pytest.fixture
    async def make_hub(self) -> AsyncIterator[MakeHub]:
        made: dict[int, MemoryHub] = {}

        def make(queue_size: int = 100) -> MemoryHub:
            if queue_size not in made:
                made[queue_size] = MemoryHub(queue_size)
            return made[queue_size]

        yield make
        for hub in made.values():
            await hub.close()

    @pytest.fixture
    def kill_connection(self) -> None:
        return None

    @pytest.fixture
    def subscriber_connections(self) -> None:
        return None


async def test_memory_locks_under_contention_keep_arrival_order() -> None:
    locks = MemoryLocks()
    served: list[int] = []

    async def waiter(n: int) -> None:
        async with locks.hold("k") as held:
            assert not held.lost
            served.append(n)

    async with locks.hold("k"):
        tasks = [asyncio.create_task(waiter(n)) for n in range(100)]
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert served == list(range(100)) and len(locks) == 0
