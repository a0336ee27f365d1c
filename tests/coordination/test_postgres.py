"""The contracts on PostgreSQL: every test on a lock namespace and channel prefix of its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from flowbot.coordination import EventTooLargeError, Hub, PostgresAdvisoryLocks, PostgresHub
from flowbot.coordination.names import advisory_key

from .contract import (
    CountConnections,
    HubContract,
    KillConnection,
    Leftovers,
    LocksContract,
    MakeHub,
    MakeLocks,
    Steal,
)
from .services import POSTGRES_URL, engine, need_postgres, unique
from .workers import Recipe

pytestmark = pytest.mark.postgres


@pytest.fixture
async def admin() -> AsyncIterator[asyncpg.Connection]:
    await need_postgres()
    connection = await asyncpg.connect(POSTGRES_URL)
    yield connection
    await connection.close()


@pytest.fixture
def name(admin: asyncpg.Connection) -> str:
    """This test's lock namespace, channel prefix and application_name."""
    return unique("flowbot_test_")


def named_engine(application: str) -> AsyncEngine:
    return engine(connect_args={"server_settings": {"application_name": application}})


def lock_parts(lock_id: int) -> tuple[int, int]:
    """pg_locks' (classid, objid) of a bigint advisory lock."""
    unsigned = lock_id & 0xFFFF_FFFF_FFFF_FFFF
    return unsigned >> 32, unsigned & 0xFFFF_FFFF


class TestPostgresAdvisoryLocks(LocksContract):
    dead_holder_frees_within = 0.5  # at once: the session ends with the process

    @pytest.fixture
    async def make_locks(self, name: str) -> AsyncIterator[MakeLocks]:
        engines: list[AsyncEngine] = []

        def make() -> PostgresAdvisoryLocks:
            engines.append(named_engine(name))
            return PostgresAdvisoryLocks(engines[-1], name)

        yield make
        for made in engines:
            await made.dispose()

    @pytest.fixture
    def recipe(self, name: str) -> Recipe:
        return {"kind": "postgres", "namespace": name}

    @pytest.fixture
    def counter_store(self) -> str:
        return "postgres"

    @pytest.fixture
    def steal(self, name: str, admin: asyncpg.Connection) -> Steal:
        async def steal(key: str) -> None:
            classid, objid = lock_parts(advisory_key(name, key))
            pids = await admin.fetch(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid = $1 AND objid = $2 AND objsubid = 1",
                classid,
                objid,
            )
            assert len(pids) == 1
            await admin.execute("SELECT pg_terminate_backend($1)", pids[0]["pid"])

        return steal

    @pytest.fixture
    def leftovers(self, name: str, admin: asyncpg.Connection) -> Leftovers:
        async def left() -> list[str]:
            rows = await admin.fetch(
                "SELECT l.objid FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
                " WHERE l.locktype = 'advisory' AND a.application_name = $1",
                name,
            )
            return [f"advisory lock {row['objid']}" for row in rows]

        return left


class TestPostgresHub(HubContract):
    @pytest.fixture
    def applications(self) -> dict[int, str]:
        """id(hub) → the application_name of its engine's sessions."""
        return {}

    @pytest.fixture
    async def make_hub(self, name: str, applications: dict[int, str]) -> AsyncIterator[MakeHub]:
        made: list[tuple[PostgresHub, AsyncEngine]] = []

        def make(queue_size: int = 100) -> PostgresHub:
            application = f"{name}_{len(made)}"
            hub_engine = named_engine(application)
            hub = PostgresHub(hub_engine, name, queue_size=queue_size)
            applications[id(hub)] = application
            made.append((hub, hub_engine))
            return hub

        yield make
        for hub, hub_engine in made:
            await hub.close()
            await hub_engine.dispose()

    @pytest.fixture
    def kill_connection(self, admin: asyncpg.Connection) -> KillConnection:
        async def kill(hub: Hub) -> None:
            assert isinstance(hub, PostgresHub) and hub.pid is not None
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", hub.pid)

        return kill

    @pytest.fixture
    def subscriber_connections(
        self, admin: asyncpg.Connection, applications: dict[int, str]
    ) -> CountConnections:
        async def connections(hub: Hub) -> int:
            # (the contract's subscribing hub never publishes: all its sessions listen)
            rows = await admin.fetch(
                "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
                applications[id(hub)],
            )
            return len(rows)

        return connections


async def test_a_large_event_goes_in_pieces_and_arrives_whole(name: str) -> None:
    publisher_engine, listener_engine = engine(), engine()
    publisher, listener = PostgresHub(publisher_engine, name), PostgresHub(listener_engine, name)
    try:
        large = {"type": "carousel", "cards": [{"title": f"카드 {n}" * 20} for n in range(400)]}
        async with listener.subscribe("big") as subscription:
            await publisher.publish("big", {"n": 1})
            await publisher.publish("big", large)
            await publisher.publish("big", {"n": 2})
            got = [await asyncio.wait_for(subscription.get(), 5) for _ in range(3)]
        assert got == [{"n": 1}, large, {"n": 2}]
    finally:
        for hub in (publisher, listener):
            await hub.close()
        for made in (publisher_engine, listener_engine):
            await made.dispose()


async def test_an_event_over_the_limit_is_refused_and_not_sent(name: str) -> None:
    hub_engine = engine()
    hub = PostgresHub(hub_engine, name, max_event_bytes=10_000)
    try:
        async with hub.subscribe("big") as subscription:
            with pytest.raises(EventTooLargeError) as raised:
                await hub.publish("big", {"text": "x" * 10_000})
            assert raised.value.limit == 10_000 and raised.value.size > 10_000
            await hub.publish("big", {"text": "small"})
            assert await asyncio.wait_for(subscription.get(), 5) == {"text": "small"}
    finally:
        await hub.close()
        await hub_engine.dispose()


def test_channel_prefixes_are_identifiers() -> None:
    for bad in ("Upper", "with space", "x" * 32, "", "1digit"):
        with pytest.raises(ValueError):
            PostgresHub(engine(), bad)
