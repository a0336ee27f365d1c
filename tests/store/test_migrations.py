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
