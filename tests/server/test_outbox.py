"""Webhook events through the outbox, on a real SQLite file and a real PostgreSQL.

A turn's events are written in its transaction, a relay sends them to a real
receiver on 127.0.0.1 (uvicorn), the same ids across retries and processes;
a `flowbot serve` killed with SIGKILL leaves them to the next process; two
relays on one PostgreSQL database never send one event twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Connection
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flowbot.config import Settings, WebhookConfig
from flowbot.events import Event, EventDispatcher, sign
from flowbot.store import ConflictError, SQLStore, Store
from flowbot.store import operations as ops
from flowbot.store.base import utc_now

from .support import POKEMON, REPO, Conversation, choose, free_port

PG = "postgresql://postgres@127.0.0.1:5432/test"
SECRET = "outbox-secret"


async def _wait_for(condition: Callable[[], Any], seconds: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await _holds(condition):
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def _holds(condition: Callable[[], Any]) -> bool:
    value = condition()
    if asyncio.iscoroutine(value):
        value = await value
    return bool(value)


async def _postgres() -> asyncpg.Connection:
    try:
        return await asyncpg.connect(PG, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.skip(f"PostgreSQL not reachable on 127.0.0.1:5432 ({error})")


@pytest.fixture
async def pg_schema() -> AsyncIterator[str]:
    admin = await _postgres()
    name = f"flowbot_outbox_{uuid.uuid4().hex[:12]}"
    try:
        yield name
    finally:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], SQLStore]:
    """A new store over the same database every call (a second process's, say)."""
    if request.param == "sqlite":
        return lambda: SQLStore(f"sqlite:///{tmp_path / 'flowbot.db'}")
    schema: str = request.getfixturevalue("pg_schema")
    return lambda: SQLStore(PG, schema=schema)


class Receiver:
    """A webhook receiver: a Starlette app answering from a script of statuses."""

    def __init__(self, statuses: Sequence[int] = (), delay: float = 0.0) -> None:
        self.statuses = list(statuses)
        self.delay = delay
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.app = Starlette(routes=[Route("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        self.requests.append((dict(request.headers), body))
        if self.delay:
            await asyncio.sleep(self.delay)
        return Response(status_code=self.statuses.pop(0) if self.statuses else 200)

    def events(self) -> list[dict[str, Any]]:
        return [event for _, body in self.requests for event in json.loads(body)["events"]]

    def ids(self) -> list[str]:
        return [event["id"] for event in self.events()]


@contextlib.asynccontextmanager
async def serving(app: Starlette, port: int) -> AsyncIterator[str]:
    """`app` under uvicorn on 127.0.0.1:`port`, in this event loop."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await _wait_for(lambda: server.started or task.done())
        if task.done():
            task.result()
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


# --- a turn's events: written with it, or not at all ------------------------------------


async def test_a_failed_save_writes_no_events_even_after_inserting_them(
    make_store: Callable[[], SQLStore],
) -> None:
    store = make_store()
    await store.start()
    try:
        created = await store.create_conversation("pokemon", "web", "u", "t")
        dispatcher = EventDispatcher([WebhookConfig("http://127.0.0.1:9/hook", SECRET)])
        rows = dispatcher.rows([Event("bot.message.received", "pokemon", created.id, {})])

        def save_then_fail(connection: Connection) -> None:
            # the whole turn, outbox INSERT included, then a failure in the same transaction
            ops.save_turn(connection, created.id, "{}", [], 0, utc_now(), None, None, rows)
            raise OSError("disk I/O error")

        with pytest.raises(OSError):
            await store.runner.write(save_then_fail)
        assert await store.count_events() == {}
        assert (await store.get_conversation(created.id)).version == 0  # type: ignore[union-attr]

        await store.save_turn(created.id, {}, [], 0, events=rows)
        assert await store.count_events() == {"pending": 1}
    finally:
        await store.close()


async def test_the_events_of_a_turn_are_in_the_outbox_iff_the_turn_committed(
    make_store: Callable[[], SQLStore],
    serve_asgi: Any,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The next save raises this after all its statements ran, inside its transaction
    # (every time it runs: SQLite's group commit runs a failed batch's writes again).
    failure: list[Exception] = []
    doomed: list[tuple[object, Exception]] = []

    def failing(operation: Callable[..., int]) -> Callable[..., int]:
        def run(connection: Connection, *args: Any) -> int:
            version = operation(connection, *args)
            state_json = args[1]  # a new object for each attempt of a turn
            if failure:
                doomed[:] = [(state_json, failure.pop())]
            if doomed and doomed[0][0] is state_json:
                raise doomed[0][1]
            return version

        return run

    for name in ("save_turn", "save_turn_sqlite", "insert_first_turn"):
        monkeypatch.setattr(ops, name, failing(getattr(ops, name)))
    store = make_store()  # binds the patched save_turn
    received: list[dict[str, Any]] = []

    def handle(request: httpx.Request) -> httpx.Response:
        received.extend(json.loads(request.content)["events"])
        return httpx.Response(200)

    settings.webhooks = [WebhookConfig("https://crm.example/hook", SECRET)]
    events = EventDispatcher(
        settings.webhooks, transport=httpx.MockTransport(handle), flush_interval=0.01
    )
    async with serve_asgi(settings, store=store, events=events) as client:
        user = Conversation(client, "atomic")
        failure.append(OSError("disk I/O error"))
        assert (await user.post()).status_code == 503  # the first turn: nothing kept
        assert await store.count_events() == {}
        await user.send()
        failure.append(OSError("disk I/O error"))
        assert (await user.post(**choose("Squirtle"))).status_code == 503
        # a conflict at the very end: the turn runs again, its first events are gone
        failure.append(ConflictError("another process saved first"))
        await user.send(**choose("Squirtle"))
        await _wait_for(lambda: len(received) >= 8)
        await asyncio.sleep(0.1)
        counts = await store.count_events()
    assert [e["type"] for e in received] == [
        "bot.conversation.created",
        "bot.message.received",
        "bot.message.sent",
        "bot.message.sent",
        "bot.conversation.updated",
        "bot.message.received",
        "bot.message.sent",
        "bot.conversation.updated",
    ]
    assert received[-1]["data"]["version"] == 2
    assert len({e["id"] for e in received}) == 8
    assert counts == {"delivered": 8}


# --- a relay and a real receiver -------------------------------------------------------


async def test_a_relay_sends_to_a_real_receiver_with_the_same_ids_on_a_retry(
    make_store: Callable[[], SQLStore], serve_asgi: Any, settings: Settings
) -> None:
    receiver = Receiver([500])
    store = make_store()
    async with serving(receiver.app, free_port()) as base:
        settings.webhooks = [WebhookConfig(f"{base}/hook", SECRET, ("bot.conversation.*",))]
        events = EventDispatcher(settings.webhooks, flush_interval=0.02, backoff=0.05)
        async with serve_asgi(settings, store=store, events=events) as client:
            await Conversation(client, "watched").send()
            await _wait_for(lambda: len(receiver.requests) == 2)
            await _wait_for(lambda: store.count_events())
            await _wait_for(lambda: events.stats.delivered_batches == 1)
            counts = await store.count_events()
    (failed_headers, failed_body), (headers, body) = receiver.requests
    assert failed_body == body  # the same events, ids and times: a retry
    assert failed_headers["x-flowbot-delivery"] == headers["x-flowbot-delivery"]
    assert headers["x-flowbot-signature"] == sign(SECRET, body)
    sent = json.loads(body)["events"]
    assert [e["type"] for e in sent] == ["bot.conversation.created", "bot.conversation.updated"]
    assert counts == {"delivered": 2}


class DiesBeforeMarking:
    """A store seen by a process that dies between the POST and the mark."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def mark_delivered(self, seqs: Sequence[int], claimer: str) -> None:
        raise asyncio.CancelledError  # gone: no mark, no release of the claim


async def test_a_crash_after_the_post_sends_the_same_events_again(
    make_store: Callable[[], SQLStore],
) -> None:
    receiver = Receiver()
    first, second = make_store(), make_store()
    await first.start()
    try:
        async with serving(receiver.app, free_port()) as base:
            hook = WebhookConfig(f"{base}/hook", SECRET)
            dying = EventDispatcher(
                [hook],
                store=DiesBeforeMarking(first),  # type: ignore[arg-type]
                lease=1.0,
                timeout=0.5,
            )
            await dying.start()
            await dying.publish_all(
                [Event("bot.message.sent", "b", "c", {"n": n}) for n in range(3)]
            )
            await _wait_for(lambda: receiver.requests)
            # the next process: SQLite drops a dead process's claims at start,
            # PostgreSQL waits for the lease to run out
            await second.start()
            survivor = EventDispatcher([hook], store=second, poll_interval=0.1)
            await survivor.start()
            await _wait_for(lambda: len(receiver.requests) == 2)
            await survivor.close()
            counts = await second.count_events()
            dying._tasks = []
            await dying.close()
    finally:
        await first.close()
        await second.close()
    (_, lost), (_, again) = receiver.requests
    assert lost == again  # at least once: the same events with the same ids
    assert counts == {"delivered": 3}


async def test_two_relays_on_one_postgresql_database_never_send_one_event_twice(
    pg_schema: str,
) -> None:
    receiver = Receiver(delay=0.01)
    stores = [SQLStore(PG, schema=pg_schema), SQLStore(PG, schema=pg_schema)]
    for store in stores:
        await store.start()
    relays: list[EventDispatcher] = []
    try:
        async with serving(receiver.app, free_port()) as base:
            hook = WebhookConfig(f"{base}/hook", SECRET)
            relays = [
                EventDispatcher(
                    [hook], store=store, batch_size=10, flush_interval=0.01, poll_interval=0.05
                )
                for store in stores
            ]
            for relay in relays:
                await relay.start()
            for round_ in range(20):
                for n, relay in enumerate(relays):
                    await relay.publish_all(
                        [
                            Event("bot.message.sent", "b", "c", {"n": (round_, n, k)})
                            for k in range(8)
                        ]
                    )
            await _wait_for(lambda: len(receiver.ids()) >= 320, seconds=30)
            await asyncio.sleep(0.3)  # a duplicate would come now
            for relay in relays:
                await relay.close()
            counts = await stores[0].count_events()
    finally:
        for store in stores:
            await store.close()
    ids = receiver.ids()
    assert len(ids) == len(set(ids)) == 320
    assert counts == {"delivered": 320}
    assert all(relay.stats.delivered_events > 0 for relay in relays)  # both took a share
    assert sum(relay.stats.delivered_events for relay in relays) == 320


# --- a server process killed with SIGKILL ---------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database of its own for `flowbot serve` processes (PostgreSQL: a new database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'served.db'}"
        return
    admin = await _postgres()
    name = f"flowbot_kill_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _outbox(url: str) -> list[tuple[str, str, int, str | None]]:
    """(event id, status, attempts, claimed by) of every row, read from outside flowbot."""
    query = "SELECT event_id, status, attempts, claimed_by FROM outbox ORDER BY seq"
    if url.startswith("sqlite"):
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            try:
                return [tuple(row) for row in db.execute(query)]  # type: ignore[misc]
            except sqlite3.OperationalError:  # not migrated yet
                return []
    connection = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await connection.fetch(query)]  # type: ignore[misc]
    except asyncpg.UndefinedTableError:
        return []
    finally:
        await connection.close()


@contextlib.contextmanager
def flowbot_serve(config: Path, port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "flowbot.cli", "serve", str(config), "--port", str(port)],
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
            process.wait(15)


async def _healthy(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"{base}/healthz", timeout=1)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise AssertionError(f"flowbot serve did not become healthy:\n{log.read_text()}")


async def test_the_outbox_delivers_after_the_process_that_wrote_it_was_killed(
    database_url: str, tmp_path: Path
) -> None:
    receiver_port = free_port()
    config = tmp_path / "flowbot.toml"
    config.write_text(
        f'database = "{database_url}"\n'
        "access_log = false\n"
        f'[bots.pokemon]\npath = "{POKEMON}"\n'
        f'[[webhooks]]\nurl = "http://127.0.0.1:{receiver_port}/hook"\nsecret = "{SECRET}"\n'
    )
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"

    # 1. a turn while the receiver is down, then SIGKILL: no shutdown, no release
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with flowbot_serve(config, port, first_log) as first:
        await _healthy(first, base, first_log)
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                f"{base}/channels/web/pokemon/messages", json={"userKey": "ash"}
            )
        assert answer.status_code == 200, answer.text
        conversation_id = answer.json()["conversationId"]

        async def tried_and_waiting() -> bool:
            rows = await _outbox(database_url)
            return bool(rows) and all(a >= 1 and by is None for _, _, a, by in rows)

        await _wait_for(tried_and_waiting)  # its relay tried once, and waits for the retry
        first.send_signal(signal.SIGKILL)
        assert first.wait(15) == -signal.SIGKILL
    written = await _outbox(database_url)
    assert [status for _, status, _, _ in written] == ["pending"] * 5
    assert "ConnectError" in first_log.read_text()

    # 2. the receiver comes up; a second process on the same database delivers
    receiver = Receiver()
    async with serving(receiver.app, receiver_port):
        port = free_port()
        with flowbot_serve(config, port, second_log) as second:
            await _healthy(second, f"http://127.0.0.1:{port}", second_log)
            await _wait_for(lambda: len(receiver.ids()) >= 5, seconds=30)

            async def all_delivered() -> bool:
                rows = await _outbox(database_url)
                return all(status == "delivered" for _, status, _, _ in rows)

            await _wait_for(all_delivered)
    (headers, body), *more = receiver.requests
    assert more == []
    assert headers["x-flowbot-signature"] == sign(SECRET, body)
    events = json.loads(body)["events"]
    # the ids the first process wrote, each once
    assert [e["id"] for e in events] == [event_id for event_id, _, _, _ in written]
    assert [e["type"] for e in events] == [
        "bot.conversation.created",
        "bot.message.received",
        "bot.message.sent",
        "bot.message.sent",
        "bot.conversation.updated",
    ]
    assert {e["conversationId"] for e in events} == {conversation_id}
