"""The store contract on PostgreSQL: every test gets its own schema, dropped after."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from flowbot.store import SQLStore, open_store

from .contract import HOOK, MakeStore, StoreContract, outbox_event

pytestmark = pytest.mark.postgres

URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
async def schema() -> AsyncIterator[str]:
    try:
        admin = await asyncpg.connect(URL, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.skip(f"PostgreSQL not reachable on 127.0.0.1:5432 ({error})")
    name = f"flowbot_test_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        await admin.close()


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def make_store(self, schema: str) -> MakeStore:
        return lambda: SQLStore(URL, schema=schema)


def test_postgresql_urls_use_asyncpg() -> None:
    for url in (
        URL,
        "postgres://postgres@127.0.0.1:5432/test",
        URL.replace("sql:", "sql+asyncpg:"),
    ):
        store = open_store(url)
        assert isinstance(store, SQLStore)
        assert store.url.drivername == "postgresql+asyncpg"


async def test_schema_holds_the_tables_and_migration_state(schema: str) -> None:
    store = SQLStore(URL, schema=schema)
    await store.start()
    await SQLStore(URL, schema=schema).start()  # a second process starting: no-op
    await store.close()

    connection = await asyncpg.connect(URL)
    try:
        tables = {
            row["table_name"]
            for row in await connection.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema
            )
        }
        version = await connection.fetchval(f'SELECT version_num FROM "{schema}".alembic_version')
    finally:
        await connection.close()
    assert tables == {
        "alembic_version",
        "conversations",
        "transcript",
        "payload_keys",
        "deliveries",
        "bots",
        "outbox",
        "bot_versions",
    }
    assert version == "0006"


async def test_ping_is_false_when_the_server_does_not_answer() -> None:
    store = SQLStore("postgresql://postgres@127.0.0.1:1/test")
    assert await store.ping() is False
    with pytest.raises(OSError):
        await store.start()
    assert await store.ping() is False


async def test_concurrent_claims_of_two_processes_never_overlap(schema: str) -> None:
    # Two stores are two processes' pools; SKIP LOCKED and the lease keep claims apart.
    stores = [SQLStore(URL, schema=schema), SQLStore(URL, schema=schema)]
    for store in stores:
        await store.start()
    try:
        await stores[0].add_events([outbox_event(str(n)) for n in range(300)])

        async def claim_all(store: SQLStore, claimer: str) -> list[int]:
            seqs: list[int] = []
            while batch := await store.claim_events(HOOK, claimer, 7, 60.0):
                seqs.extend(event.seq for event in batch)
            return seqs

        claims = await asyncio.gather(*(claim_all(stores[n % 2], f"relay-{n}") for n in range(8)))
    finally:
        for store in stores:
            await store.close()
    every = [seq for seqs in claims for seq in seqs]
    assert len(every) == len(set(every)) == 300
    assert sum(1 for seqs in claims if seqs) > 1
