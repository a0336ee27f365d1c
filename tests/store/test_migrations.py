from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from flowbot.store import SQLStore
from flowbot.store.schema import metadata


async def test_migrations_build_exactly_the_tables_of_schema_py(tmp_path: Path) -> None:
    # A change to schema.py without a migration (or the reverse) shows up here.
    database = tmp_path / "flowbot.db"
    store = SQLStore(f"sqlite:///{database}")
    await store.start()
    await store.close()

    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []


async def test_start_twice_and_a_second_store_leave_one_head(tmp_path: Path) -> None:
    database = tmp_path / "flowbot.db"
    first = SQLStore(f"sqlite:///{database}")
    await first.start()
    await first.start()
    second = SQLStore(f"sqlite:///{database}")
    await second.start()
    try:
        created = await first.create_conversation("pokemon", "web", "u", "t")
        assert await second.get_conversation(created.id) == created
    finally:
        await first.close()
        await second.close()


async def test_a_database_at_0001_upgrades_and_keeps_its_conversations(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from flowbot.store.operations import MIGRATIONS

    database = tmp_path / "flowbot.db"
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", MIGRATIONS)
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    engine.dispose()
    store = SQLStore(f"sqlite:///{database}")
    await store.start()
    created = await store.create_conversation("pokemon", "web", "u", "t")
    await store.close()

    # 0001 → 0002 happened at start; a second store sees the data and the new tables
    again = SQLStore(f"sqlite:///{database}")
    await again.start()
    try:
        assert await again.get_conversation(created.id) == created
        await again.save_turn(created.id, {}, [], 0, payloads={"k": "v"}, delivery="line:1")
        assert await again.get_payload("k") == "v"
        assert await again.has_delivery("line:1")
    finally:
        await again.close()


async def test_a_database_at_0002_upgrades_to_the_bots_table(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from flowbot.store.operations import MIGRATIONS

    database = tmp_path / "flowbot.db"
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", MIGRATIONS)
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    engine.dispose()

    store = SQLStore(f"sqlite:///{database}")
    await store.start()
    try:
        created = await store.create_conversation("pokemon", "web", "u", "t")
        await store.put_bot("echo", {"id": 1, "nodes": []})
        assert [(s.bot_id, s.bot) for s in await store.list_bots()] == [
            ("echo", {"id": 1, "nodes": []})
        ]
        assert await store.get_conversation(created.id) == created
    finally:
        await store.close()
