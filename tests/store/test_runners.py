"""The SQLite writer thread: queued writes share a commit, a failure stays alone."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Connection

from flowbot.store import ConflictError, SQLStore
from flowbot.store.runners import ThreadRunner

from .contract import said, sample_state, texts


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLStore]:
    store = SQLStore(f"sqlite:///{tmp_path / 'flowbot.db'}")
    await store.start()
    yield store
    await store.close()


class HeldWriter:
    """Occupies the writer thread so that the next writes queue up behind it."""

    def __init__(self, runner: ThreadRunner) -> None:
        self.runner = runner
        self.gate = threading.Event()
        self.task: asyncio.Future[None] | None = None

    async def __aenter__(self) -> HeldWriter:
        started = threading.Event()

        def wait_at_gate(_connection: Connection) -> None:
            started.set()
            self.gate.wait(10)

        self.task = asyncio.ensure_future(self.runner.write(wait_at_gate))
        await asyncio.to_thread(started.wait, 10)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.gate.set()
        assert self.task is not None
        await self.task


def count_commits(store: SQLStore) -> list[int]:
    runner = store.runner
    assert isinstance(runner, ThreadRunner)
    commits = [0]

    def on_commit(_connection: Any) -> None:
        commits[0] += 1

    event.listen(runner.engine, "commit", on_commit)
    return commits


async def test_queued_writes_share_one_commit(store: SQLStore) -> None:
    created = [await store.create_conversation("pokemon", "web", f"u{n}", "t") for n in range(5)]
    commits = count_commits(store)
    runner = store.runner
    assert isinstance(runner, ThreadRunner)

    async with HeldWriter(runner):
        saves = [
            asyncio.ensure_future(store.save_turn(c.id, sample_state(1), [said(c.id)], 0))
            for c in created
        ]
        await asyncio.sleep(0.05)
        assert commits == [0]
    assert await asyncio.gather(*saves) == [1] * 5

    assert commits == [2]  # the held job, then the five queued saves together
    for conversation in created:
        assert texts(await store.transcript(conversation.id)) == [conversation.id]


async def test_a_failing_write_in_a_batch_fails_alone(store: SQLStore) -> None:
    first = await store.create_conversation("pokemon", "web", "first", "t")
    second = await store.create_conversation("pokemon", "web", "second", "t")
    runner = store.runner
    assert isinstance(runner, ThreadRunner)

    async with HeldWriter(runner):
        outcomes = asyncio.gather(
            store.save_turn(first.id, sample_state(1), [said("one")], 0),
            store.save_turn(second.id, sample_state(1), [said("stale")], 7),
            store.save_turn(first.id, sample_state(2), [said("two")], 1),
            store.put_payload("k", "v"),
            store.save_turn(first.id, sample_state(3), [said("lost")], 1),
            return_exceptions=True,
        )
        await asyncio.sleep(0.05)
    results = await outcomes

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
    assert isinstance(runner, ThreadRunner)

    saves = [store.put_payload(f"k{n}", str(n)) for n in range(20)]
    pending = asyncio.gather(*saves)
    await asyncio.sleep(0)
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
