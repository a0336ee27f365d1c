from __future__ import annotations

import pytest

from flowbot.store import MemoryStore, SQLStore, database_url, open_store
from flowbot.store.urls import split_schema


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("sqlite:///flowbot.db", "sqlite+pysqlite:///flowbot.db"),
        ("sqlite+aiosqlite:////var/lib/flowbot.db", "sqlite+pysqlite:////var/lib/flowbot.db"),
        ("postgresql://bot@db:5432/flowbot", "postgresql+asyncpg://bot@db:5432/flowbot"),
        ("postgres://bot@db/flowbot", "postgresql+asyncpg://bot@db/flowbot"),
        ("postgresql+asyncpg://bot:pw@db/flowbot", "postgresql+asyncpg://bot:pw@db/flowbot"),
    ],
)
def test_database_url_picks_the_driver(given: str, used: str) -> None:
    assert database_url(given).render_as_string(hide_password=False) == used


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("mysql://bot@db/flowbot", "unsupported database 'mysql'"),
        ("postgresql+psycopg2://bot@db/flowbot", "unsupported database"),
        ("flowbot.db", "not a database URL"),
        ("", "not a database URL"),
    ],
)
def test_unsupported_urls_are_clear_errors(given: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        open_store(given)
    assert "memory://" in str(raised.value)


def test_open_store_picks_the_store() -> None:
    assert isinstance(open_store("memory://"), MemoryStore)
    assert isinstance(open_store("sqlite:///flowbot.db"), SQLStore)
    assert isinstance(open_store("postgresql://bot@db/flowbot"), SQLStore)


def test_a_postgresql_url_names_its_schema() -> None:
    store = open_store("postgresql://bot@db:5432/flowbot?schema=tenant_1&ssl=prefer")
    assert isinstance(store, SQLStore)
    assert store.schema == "tenant_1"
    assert "schema" not in store.url.query and store.url.query["ssl"] == "prefer"
    assert split_schema("postgresql://bot@db/flowbot") == (None, "postgresql://bot@db/flowbot")


def test_a_schema_on_sqlite_is_refused() -> None:
    with pytest.raises(ValueError, match="schema"):
        open_store("sqlite:///flowbot.db?schema=x")
