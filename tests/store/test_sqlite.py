from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flowbot.store import SQLStore, TranscriptEntry, open_store

from .contract import (
    AT,
    HOOK,
    MakeStore,
    StoreContract,
    names,
    outbox_event,
    said,
    sample_state,
    texts,
)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    return tmp_path / "flowbot.db"


class TestSQLiteStore(StoreContract):
    @pytest.fixture
    def make_store(self, database: Path) -> MakeStore:
        return lambda: SQLStore(f"sqlite:///{database}")


def test_sqlite_urls_open_a_sql_store(database: Path) -> None:
    for url in (f"sqlite:///{database}", f"sqlite+aiosqlite:///{database}"):
        store = open_store(url)
        assert isinstance(store, SQLStore)
        assert store.backend == "sqlite"
        assert store.url.database == str(database)


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="memory://"):
        SQLStore(url)


def test_schema_is_postgresql_only(database: Path) -> None:
    with pytest.raises(ValueError, match="PostgreSQL"):
        SQLStore(f"sqlite:///{database}", schema="flowbot")


async def test_start_migrates_to_head_with_wal(database: Path) -> None:
    store = SQLStore(f"sqlite:///{database}")
    await store.start()
    await store.close()

    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("0006",)]
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"conversations", "transcript", "payload_keys", "deliveries", "bots", "outbox"} <= tables


async def test_foreign_keys_are_enforced(database: Path) -> None:
    store = SQLStore(f"sqlite:///{database}")
    await store.start()
    await store.close()
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA foreign_keys=ON")
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(
                "INSERT INTO transcript (conversation_id, seq, direction, message, at)"
                " VALUES ('missing', 1, 'in', '{}', '2024-01-01 00:00:00')"
            )


async def test_a_saved_turn_survives_the_process_dying(database: Path) -> None:
    # The child saves a turn and dies at once: no close(), no WAL checkpoint.
    child = textwrap.dedent(
        f"""
        import asyncio, os
        from datetime import datetime, timezone
        from flowbot.store import SQLStore, TranscriptEntry

        async def main():
            store = SQLStore({f"sqlite:///{database}"!r})
            await store.start()
            created = await store.create_conversation("pokemon", "web", "user-1", "t")
            now = datetime.now(timezone.utc)
            entry = TranscriptEntry("in", {{"type": "text", "text": "저장"}}, now)
            await store.save_turn(created.id, {{"params": {{"n": 1}}}}, [entry], 0)
            os._exit(0)

        asyncio.run(main())
        """
    )
    subprocess.run([sys.executable, "-c", child], check=True, timeout=60)

    store = SQLStore(f"sqlite:///{database}")
    await store.start()
    try:
        loaded = await store.find_conversation("pokemon", "web", "user-1")
        assert loaded is not None
        assert (loaded.version, loaded.state) == (1, {"params": {"n": 1}})
        assert texts(await store.transcript(loaded.id)) == ["저장"]
    finally:
        await store.close()


async def test_two_stores_on_one_file_write_safely(database: Path) -> None:
    # Two stores stand for two server processes sharing the file: they have
    # separate writer threads, so SQLite's own locking (busy timeout) decides.
    stores = [SQLStore(f"sqlite:///{database}"), SQLStore(f"sqlite:///{database}")]
    for store in stores:
        await store.start()
    try:
        created = [
            await stores[n % 2].create_conversation("pokemon", "web", f"user-{n}", "t")
            for n in range(6)
        ]

        async def talk(store: SQLStore, conversation_id: str) -> int:
            version = 0
            for turn in range(15):
                entry = TranscriptEntry("in", {"type": "text", "text": str(turn)}, AT)
                version = await store.save_turn(
                    conversation_id, sample_state(turn), [entry], version
                )
            return version

        versions = await asyncio.gather(*(talk(stores[n % 2], c.id) for n, c in enumerate(created)))

        assert versions == [15] * 6
        for conversation in created:
            assert texts(await stores[0].transcript(conversation.id)) == [
                str(turn) for turn in range(15)
            ]
    finally:
        for store in stores:
            await store.close()


async def test_full_synchronous_mode_saves_too(database: Path) -> None:
    store = SQLStore(f"sqlite:///{database}", sqlite_synchronous="FULL")
    await store.start()
    try:
        created = await store.create_conversation("pokemon", "web", "user-1", "t")
        assert await store.save_turn(created.id, sample_state(1), [said("hi")], 0) == 1
    finally:
        await store.close()


async def test_a_dead_processs_outbox_claims_are_dropped_at_the_next_start(
    database: Path,
) -> None:
    # One server process per SQLite file: a claim found at start has no live owner.
    dead = SQLStore(f"sqlite:///{database}")
    await dead.start()
    await dead.add_events([outbox_event("a"), outbox_event("b")])
    assert names(await dead.claim_events(HOOK, "dead-relay", 10, 3600.0)) == ["a", "b"]
    await dead.close()  # as if killed: its claims are still in the file

    store = SQLStore(f"sqlite:///{database}")
    await store.start()
    try:
        assert names(await store.claim_events(HOOK, "next-relay", 10, 60.0)) == ["a", "b"]
    finally:
        await store.close()
