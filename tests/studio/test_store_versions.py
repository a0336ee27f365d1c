"""The stores' bot versions (memory and SQLite): numbered per bot, listed newest first."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowbot.store import MemoryStore, SQLStore, Store


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "memory":
        return MemoryStore()
    sql = SQLStore(f"sqlite:///{tmp_path / 'versions.db'}")
    await sql.start()
    return sql


async def test_versions_are_numbered_per_bot(store: Store) -> None:
    first = await store.add_bot_version(
        "a", {"flows": [1]}, author="start", revision="r1", flows=1, nodes=2
    )
    await store.add_bot_version("b", {"flows": []}, author="x", revision="rb", flows=0, nodes=0)
    second = await store.add_bot_version(
        "a", {"flows": [2]}, author="alice", revision="r2", flows=1, nodes=3
    )
    assert (first.number, second.number) == (1, 2)
    listed = await store.list_bot_versions("a")
    assert [(v.number, v.author, v.revision, v.bot) for v in listed] == [
        (2, "alice", "r2", None),
        (1, "start", "r1", None),
    ]
    assert [v.number for v in await store.list_bot_versions("a", 1)] == [2]
    got = await store.get_bot_version("a", 1)
    assert got is not None and got.bot == {"flows": [1]} and got.nodes == 2
    assert got.created_at.tzinfo is not None
    assert await store.get_bot_version("a", 3) is None
    assert await store.list_bot_versions("nobody") == []
    await store.close()
