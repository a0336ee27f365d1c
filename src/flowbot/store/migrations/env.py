"""Alembic environment for the flowbot store.

``SQLStore.start()`` runs the migrations on its own connection (passed in
``config.attributes["connection"]``). Run from the ``alembic`` command line
(see ``alembic.ini`` here) it connects to the URL in ``FLOWBOT_DB`` instead,
which is what ``alembic revision --autogenerate`` needs.
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import create_async_engine

from flowbot.store.schema import metadata
from flowbot.store.urls import database_url


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things: autogenerate "move and copy" batches.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_from_command_line() -> None:
    given_url = os.environ.get("FLOWBOT_DB")
    if not given_url:
        raise SystemExit("set FLOWBOT_DB to the database URL, e.g. sqlite:///scratch.db")
    url = database_url(given_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, poolclass=pool.NullPool)
        with engine.begin() as connection:
            run_migrations(connection)
        engine.dispose()
    else:
        asyncio.run(run_async(url))


async def run_async(url: URL) -> None:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    async with engine.begin() as connection:
        await connection.run_sync(run_migrations)
    await engine.dispose()


given: Connection | None = context.config.attributes.get("connection")
if given is not None:
    run_migrations(given)
elif context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; connect with FLOWBOT_DB")
else:
    run_from_command_line()
