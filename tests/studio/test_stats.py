"""Statistics: real web turns keep their traces, counted per node, edge, drop-off and day."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from flowbot.store import MemoryStore, SQLStore, Store, TranscriptEntry
from flowbot.store.base import new_conversation
from flowbot.studio.stats import bot_stats
from server.support import Conversation, choose

from .conftest import API

TRACE = '{"n":[[1,4],[1,5]],"e":[[1,4,5]],"x":[1,5]}'


async def test_stats_after_real_turns(client: httpx.AsyncClient) -> None:
    picker = Conversation(client, "picker")
    await picker.send()
    await picker.send(**choose("Squirtle"))
    browser = Conversation(client, "browser")
    await browser.send()
    await browser.send(text="hm")

    today = datetime.now(UTC).date().isoformat()
    response = await client.get(f"/api/bots/pokemon/stats?from={today}&to={today}", headers=API)
    assert response.status_code == 200, response.text
    stats = response.json()
    assert stats["turns"] == 4
    assert stats["days"] == [{"date": today, "conversations": 2, "messages": 4, "users": 2}]
    visits = {(n["flowId"], n["nodeId"]): n["visits"] for n in stats["nodes"]}
    # both opened (entry, welcome, cards, keyboard); the browser was scolded and asked again
    assert visits[1, 1] == 2 and visits[1, 3] == 3 and visits[1, 4] == 3
    assert visits[1, 5] == 1 and visits[1, 7] == 1
    edges = {(e["flowId"], e["from"], e["to"]): e["count"] for e in stats["edges"]}
    assert edges[1, 4, 5] == 1 and edges[1, 4, 7] == 1 and edges[1, 3, 4] == 3
    dropoff = {(d["flowId"], d["nodeId"]): d["ended"] for d in stats["dropoff"]}
    assert dropoff == {(1, 6): 1, (1, 4): 1}

    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    empty = await client.get(f"/api/bots/pokemon/stats?to={yesterday}", headers=API)
    assert empty.json()["turns"] == 0 and empty.json()["days"] == []
    for query in ("from=2027-13-01", f"from={today}&to={yesterday}", "from=2000-01-01"):
        refused = await client.get(f"/api/bots/pokemon/stats?{query}", headers=API)
        assert refused.status_code == 422, query


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "memory":
        return MemoryStore()
    sql = SQLStore(f"sqlite:///{tmp_path / 'stats.db'}")
    await sql.start()
    return sql


async def test_ten_thousand_turns_under_a_second(store: Store) -> None:
    at = datetime.now(UTC)
    for number in range(100):
        conversation = new_conversation("bot", "web", f"user-{number}", "token")
        entries = []
        for _ in range(100):
            entries.append(TranscriptEntry("in", {"text": "x"}, at, TRACE))
            entries.append(TranscriptEntry("out", {"type": "text", "text": "y"}, at))
        await store.save_first_turn(conversation, {"v": 1}, entries)
    other = new_conversation("other", "web", "user-0", "token")
    await store.save_first_turn(other, {"v": 1}, [TranscriptEntry("in", {}, at, TRACE)])
    started = time.perf_counter()
    stats = await bot_stats(store, "bot", at.date(), at.date())
    elapsed = time.perf_counter() - started
    await store.close()
    assert stats["turns"] == 10_000
    assert stats["nodes"] == [
        {"flowId": 1, "nodeId": 4, "visits": 10_000},
        {"flowId": 1, "nodeId": 5, "visits": 10_000},
    ]
    assert stats["dropoff"] == [{"flowId": 1, "nodeId": 5, "ended": 100}]
    assert stats["days"][0]["users"] == 100
    assert elapsed < 1.0, elapsed
