"""Redis or PostgreSQL going away under a running server, and coming back.

The server reaches both through TCP proxies the test cuts and restores
(tests/coordination/proxy.py): a Redis outage moves the locks to
PostgreSQL's advisory locks and the turns go on; a PostgreSQL outage
answers 503 and /healthz names the database; both recover by themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from coordination.proxy import Proxy
from coordination.services import (
    POSTGRES_URL,
    delete_prefix,
    need_postgres,
    need_redis,
    unique,
)
from flowbot.config import BotSource, Settings
from flowbot.server import create_app

from .support import API_KEY, POKEMON, Conversation, uvicorn_server


@pytest.fixture
async def schema() -> AsyncIterator[str]:
    await need_postgres()
    await need_redis()
    name = unique("outage_")
    yield name
    connection = await asyncpg.connect(POSTGRES_URL)
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
    finally:
        await connection.close()
    await delete_prefix(f"{name}:")


@contextlib.asynccontextmanager
async def served(schema: str) -> AsyncIterator[tuple[httpx.AsyncClient, Proxy, Proxy]]:
    postgres, redis = await Proxy(5432).start(), await Proxy(6379).start()
    settings = Settings(
        bots=[BotSource("pokemon", POKEMON)],
        database=f"postgresql://postgres@127.0.0.1:{postgres.port}/test?schema={schema}",
        redis=f"redis://127.0.0.1:{redis.port}/0",
        redis_prefix=f"{schema}:",
        api_key=API_KEY,
        access_log=False,
    )
    try:
        async with (
            uvicorn_server(create_app(settings)) as url,
            httpx.AsyncClient(base_url=url, timeout=20) as client,
        ):
            yield client, postgres, redis
    finally:
        await postgres.close()
        await redis.close()


async def _health(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    answer = await client.get("/healthz")
    return answer.status_code, answer.json()


async def _eventually(check: Any, seconds: float = 15.0) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        found = await check()
        if found:
            return found
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_a_redis_outage_moves_the_locks_to_postgresql_and_back(
    schema: str, tmp_path: Path
) -> None:
    async with served(schema) as (client, _, redis):
        ash = Conversation(client, "ash")
        await ash.send(text="hi")
        assert await _health(client) == (
            200,
            {"status": "ok", "bots": ["pokemon"], "database": "ok", "redis": "ok"},
        )

        redis.cut()
        # the turns go on, one at a time per conversation, on PostgreSQL's locks
        answers = await asyncio.gather(*(ash.post(text=f"during {n}") for n in range(3)))
        assert [answer.status_code for answer in answers] == [200] * 3
        status, body = await _health(client)
        assert (status, body["redis"], body["database"]) == (200, "unavailable", "ok")
        assert "postgresql" in body["locks"]

        redis.restore()

        async def redis_back() -> bool:
            status, body = await _health(client)
            return status == 200 and body.get("redis") == "ok" and "locks" not in body

        await _eventually(redis_back)
        await ash.send(text="after")
        transcript = await client.get(
            f"/api/conversations/{ash.conversation_id}",
            headers={"Authorization": f"Bearer {API_KEY}"},
        )
        said = [
            entry["message"].get("text")
            for entry in transcript.json()["transcript"]
            if entry["direction"] == "in"
        ]
        assert said[0] == "hi" and said[-1] == "after"
        assert sorted(said[1:-1]) == [f"during {n}" for n in range(3)]


async def test_a_postgresql_outage_answers_503_and_recovers(schema: str) -> None:
    async with served(schema) as (client, postgres, _):
        ash = Conversation(client, "ash")
        await ash.send(text="hi")

        postgres.cut()
        refused = await ash.post(text="while the database is away")
        assert refused.status_code == 503, refused.text
        assert "unavailable" in refused.json()["error"]
        status, body = await _health(client)
        assert (status, body["status"], body["database"], body["redis"]) == (
            503,
            "unavailable",
            "unavailable",
            "ok",
        )

        postgres.restore()

        async def answered() -> bool:
            return (await ash.post(text="back")).status_code == 200

        await _eventually(answered)
        assert (await _health(client))[0] == 200
