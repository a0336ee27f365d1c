"""Database URLs: what ``--db`` accepts and which store serves it."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from flowbot.store.base import Store

__all__ = ["database_url", "is_postgres", "open_store", "split_schema"]

# What a user may write -> the driver flowbot runs it with. SQLite runs on the
# standard sqlite3 module in worker threads (see flowbot.store.runners for why
# not aiosqlite); "sqlite+aiosqlite" URLs are accepted as the same database.
_DRIVERS = {
    "sqlite": "sqlite+pysqlite",
    "sqlite+pysqlite": "sqlite+pysqlite",
    "sqlite+aiosqlite": "sqlite+pysqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}

_ACCEPTED = "memory://, sqlite:///path.db or postgresql://user@host/database"


def database_url(url: str) -> URL:
    """The SQLAlchemy URL, with the driver flowbot uses, for a ``--db`` URL.

    ``sqlite:///flowbot.db`` (or ``sqlite+aiosqlite:///…``) becomes
    ``sqlite+pysqlite:///flowbot.db`` and ``postgresql://…`` becomes
    ``postgresql+asyncpg://…``; anything else is a ``ValueError`` naming what
    is accepted.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ValueError(f"not a database URL: {url!r} (expected {_ACCEPTED})") from error
    driver = _DRIVERS.get(parsed.drivername)
    if driver is None:
        raise ValueError(
            f"unsupported database {parsed.drivername!r} in {url!r} (expected {_ACCEPTED})"
        )
    return parsed.set(drivername=driver)


def is_postgres(url: str) -> bool:
    """Whether a ``--db`` URL names a PostgreSQL database (which processes can share)."""
    return url.strip().startswith(("postgres://", "postgres+", "postgresql"))


def open_store(url: str) -> Store:
    """The store for a ``--db`` URL, not started yet (call ``await store.start()``).

    A PostgreSQL URL may name the schema of flowbot's tables with
    ``?schema=name`` (created if missing): several deployments, or tests, on
    one database.
    """
    if url.strip() in ("memory://", "memory:"):
        from flowbot.store.memory import MemoryStore

        return MemoryStore()
    from flowbot.store.sql import SQLStore

    schema, url = split_schema(url)
    return SQLStore(url, schema=schema)


def split_schema(url: str) -> tuple[str | None, str]:
    """(the ``schema`` query parameter or None, the URL without it)."""
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ValueError(f"not a database URL: {url!r} (expected {_ACCEPTED})") from error
    schema = parsed.query.get("schema")
    if schema is None:
        return None, url
    if isinstance(schema, tuple):
        raise ValueError(f"{url!r}: give one schema")
    rest = parsed.difference_update_query(["schema"])
    return schema, rest.render_as_string(hide_password=False)
