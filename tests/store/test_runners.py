"""The SQLite runner: writes of one loop pass share a commit, a failure stays alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from flowbot.store import ConflictError, SQLStore
from flowbot.store.runners import LoopRunner

from .contract import said, sample_state, texts


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLStore]:
    store = SQLStore(f"sqlite:///{tmp_path / 'flowbot.db'}")
    await store.start()
    yield store
    await store.close()


def count_commits(store: SQLStore) -> list[int]:
    runner = store.runner
    assert isinstance(runner, LoopRunner)
    commits = [0]

    def on_commit(_connection: Any) -> None:
        commits[0] += 1

    event.listen(runner.engine, "commit", on_commit)
    return commits


async def test_writes_of_one_loop_pass_share_one_commit(store: SQLStore) -> None:
    created = [await store.create_conversation("pokemon", "web", f"u{n}", "t") for n in range(5)]
    commits = count_commits(store)

    saves = [store.save_turn(c.id, sample_state(1), [said(c.id)], 0) for c in created]
    assert await asyncio.gather(*saves) == [1] * 5

    assert commits == [1]
    for conversation in created:
        assert texts(await store.transcript(conversation.id)) == [conversation.id]


async def test_writes_awaited_one_by_one_commit_one_by_one(store: SQLStore) -> None:
    created = [await store.create_conversation("pokemon", "web", f"u{n}", "t") for n in range(3)]
    commits = count_commits(store)
    for conversation in created:
        await store.save_turn(conversation.id, sample_state(1), [], 0)
    assert commits == [3]


async def test_a_failing_write_in_a_batch_fails_alone(store: SQLStore) -> None:
    first = await store.create_conversation("pokemon", "web", "first", "t")
    second = await store.create_conversation("pokemon", "web", "second", "t")

    results = await asyncio.gather(
        store.save_turn(first.id, sample_state(1), [said("one")], 0),
        store.save_turn(second.id, sample_state(1), [said("stale")], 7),
        store.save_turn(first.id, sample_state(2), [said("two")], 1),
        store.put_payload("k", "v"),
        store.save_turn(first.id, sample_state(3), [said("lost")], 1),
        return_exceptions=True,
    )

    assert results[0] == 1 and results[2] == 2 and results[3] is None
    assert isinstance(results[1], ConflictError) and isinstance(results[4], ConflictError)
    loaded_first = await store.get_conversation(first.id)
    loaded_second = await store.get_conversation(second.id)
    assert loaded_first is not None and loaded_second is not None
    assert (loaded_first.version, loaded_first.state) == (2, sample_state(2))
    assert (loaded_second.version, loaded_second.state) == (0, None)
    assert texts(await store.transcript(first.id)) == ["one", "two"]
    assert await store.transcript(second.id) == []
    assert await store.get_payload("k") == "v"


async def test_close_commits_queued_writes_then_refuses_more(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'flowbot.db'}"
    store = SQLStore(url)
    await store.start()
    created = await store.create_conversation("pokemon", "web", "u", "t")
    runner = store.runner
    assert isinstance(runner, LoopRunner)

    pending = asyncio.gather(*[store.put_payload(f"k{n}", str(n)) for n in range(20)])
    await asyncio.sleep(0)  # the writes are queued, their flush not yet run
    await store.close()
    await pending
    with pytest.raises(RuntimeError, match="closed"):
        await runner.write(lambda _connection: None)
    with pytest.raises(RuntimeError, match="not started"):
        await store.save_turn(created.id, sample_state(1), [], 0)

    reopened = SQLStore(url)
    await reopened.start()
    try:
        assert [await reopened.get_payload(f"k{n}") for n in range(20)] == [
            str(n) for n in range(20)
        ]
    finally:
        await reopened.close()
