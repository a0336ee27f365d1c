"""Conversations in SQLite or PostgreSQL through SQLAlchemy Core.

One code path serves both databases: each operation is one function in
``flowbot.store.operations`` over a SQLAlchemy ``Connection``, using Core
statements compiled once. Where it runs is the runner's business
(``flowbot.store.runners``): asyncpg through ``AsyncConnection.run_sync`` on
PostgreSQL, the event loop's own thread on SQLite (the standard ``sqlite3``
module; ``sqlite+aiosqlite`` URLs are accepted and mean the same file).

SQLite
    Connections use WAL, ``synchronous=NORMAL``, foreign keys on and a busy
    timeout. Statements run on the event loop's thread, in order, and the
    writes made during one pass of the loop share one commit (see
    ``flowbot.store.runners``). A write returns only after its commit. WAL
    checkpoints run on a thread of their own (``flowbot.store.checkpoint``).
    One server process per SQLite file: several processes share PostgreSQL.
    With WAL and NORMAL a committed turn survives the process crashing or
    being killed; a power cut or OS crash may lose the turns committed since
    the WAL was last synced (the database stays consistent).
    ``SQLStore(url, sqlite_synchronous="FULL")`` syncs the WAL on every commit
    instead: one fsync per commit, shared by the turns of a group commit, and
    the loop waits for it (bench/store.py prints both figures).

PostgreSQL
    Every commit is durable. ``SQLStore(url, schema="name")`` keeps the tables
    in their own schema (created if missing) through ``search_path``. Several
    processes may share one database: migrations take an advisory lock, and
    concurrent turns of one conversation meet the version check.

Webhook events
    The ``outbox`` table (``flowbot.events``): a turn's events are one more
    executemany INSERT in its transaction. Relays claim rows for a lease —
    ``FOR UPDATE SKIP LOCKED`` and the database's clock on PostgreSQL; on
    SQLite, one process per file, ``start()`` drops the claims it finds (a
    dead process's).

Migrations
    ``start()`` runs Alembic ``upgrade head`` (the scripts ship inside the
    package, in ``flowbot/store/migrations``), so running it again or from
    several processes is harmless. To change the schema:

    1. change the tables in ``flowbot/store/schema.py``;
    2. generate a revision against a scratch database at the current head::

           export FLOWBOT_DB=sqlite:///scratch.db
           alembic -c src/flowbot/store/migrations/alembic.ini upgrade head
           alembic -c src/flowbot/store/migrations/alembic.ini revision --autogenerate -m "…"

    3. read the new ``migrations/versions/v<rev>_<slug>.py``, make it work on
       both SQLite (batch operations) and PostgreSQL, run the store tests on
       both, and never edit a released revision: add another one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from flowbot.store import operations, postgres_turns, studio_ops
from flowbot.store.base import (
    BotVersion,
    ClaimedEvent,
    Conversation,
    ConversationExistsError,
    EventStatus,
    OutboxEvent,
    StoredBot,
    TranscriptEntry,
    TurnTrace,
    dump_json,
    encode_entry,
    new_conversation,
    utc_now,
)
from flowbot.store.checkpoint import BACKSTOP_PAGES, WalCheckpointer
from flowbot.store.runners import AsyncEngineRunner, LoopRunner, Runner
from flowbot.store.urls import database_url

__all__ = ["SQLStore"]

SQLITE_BUSY_TIMEOUT_MS = 10_000


# PostgreSQL connections kept (and as many more at a peak, closed after)
POOL_SIZE = 20
POOL_RECYCLE_SECONDS = 1800


class SQLStore:
    """A ``Store`` on SQLite or PostgreSQL; see the module docstring."""

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL",
        pool_size: int = POOL_SIZE,
    ) -> None:
        self.url: URL = database_url(url)
        self.backend = self.url.get_backend_name()
        if self.backend == "sqlite" and self.url.database in (None, "", ":memory:"):
            raise ValueError(
                f"{url!r} is an in-memory SQLite database, which each thread would see "
                "empty: use memory:// for a store that is not kept, or a file path"
            )
        if schema is not None and self.backend != "postgresql":
            raise ValueError("a schema can only be chosen on PostgreSQL")
        if sqlite_synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"sqlite_synchronous is NORMAL or FULL, not {sqlite_synchronous!r}")
        self.schema = schema
        self._synchronous = sqlite_synchronous
        self._pool_size = pool_size
        self._runner: Runner | None = None
        self._postgres: AsyncEngine | None = None
        self._save_turn = (
            operations.save_turn_sqlite if self.backend == "sqlite" else operations.save_turn
        )

    @property
    def runner(self) -> Runner:
        if self._runner is None:
            raise RuntimeError("the store is not started: await store.start() first")
        return self._runner

    async def start(self) -> None:
        if self._runner is not None:
            return
        runner = self._create_runner()
        try:
            await runner.write(operations.upgrade_to_head, self.schema)
            if self.backend == "sqlite":
                # One process per SQLite file: a claim found now is a dead process's.
                await runner.write(operations.release_claims, None)
        except BaseException:
            await runner.close()
            raise
        self._runner = runner
        # the engine of the PostgreSQL fast paths (flowbot.store.postgres_turns)
        self._postgres = runner.engine if isinstance(runner, AsyncEngineRunner) else None

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        self._postgres = None
        if runner is not None:
            await runner.close()

    async def ping(self) -> bool:
        if self._runner is None:
            return False
        try:
            await self._runner.read(operations.ping)
        except Exception:
            return False
        return True

    async def create_conversation(
        self, bot_id: str, channel: str, user_key: str, token: str
    ) -> Conversation:
        conversation = new_conversation(bot_id, channel, user_key, token)
        try:
            await self.runner.write(operations.insert_conversation, conversation)
        except IntegrityError as error:
            raise ConversationExistsError.for_user(bot_id, channel, user_key) from error
        return conversation

    async def find_conversation(
        self, bot_id: str, channel: str, user_key: str
    ) -> Conversation | None:
        if self._postgres is not None:
            return await postgres_turns.find_conversation(self._postgres, bot_id, channel, user_key)
        return await self.runner.read(operations.find_conversation, bot_id, channel, user_key)

    async def get_conversation(self, conversation_id: str) -> Conversation | None:
        return await self.runner.read(operations.get_conversation, conversation_id)

    async def list_conversations(self, bot_id: str, limit: int = 100) -> list[Conversation]:
        if limit <= 0:
            return []
        return await self.runner.read(operations.list_conversations, bot_id, limit)

    async def save_turn(
        self,
        conversation_id: str,
        state: dict[str, Any],
        entries: list[TranscriptEntry],
        expected_version: int,
        *,
        payloads: Mapping[str, str] | None = None,
        delivery: str | None = None,
        events: Sequence[OutboxEvent] | None = None,
        answer: str | None = None,
    ) -> int:
        # Serialise first: a value that is not JSON fails with nothing written.
        state_json = dump_json(state)
        lines = [encode_entry(entry) for entry in entries]
        engine = self._postgres
        if engine is not None and not payloads and not events:
            # the common turn in one statement (flowbot.store.postgres_turns)
            version = await postgres_turns.save_turn(
                engine,
                conversation_id,
                state_json,
                lines,
                expected_version,
                utc_now(),
                delivery,
                answer,
            )
            if version is None:
                raise await self.runner.read(
                    operations.not_saved, conversation_id, expected_version
                )
            return version
        return await self.runner.write(
            self._save_turn,
            conversation_id,
            state_json,
            lines,
            expected_version,
            utc_now(),
            payloads,
            delivery,
            events,
            answer,
        )

    async def save_first_turn(
        self,
        conversation: Conversation,
        state: dict[str, Any],
        entries: list[TranscriptEntry],
        *,
        payloads: Mapping[str, str] | None = None,
        delivery: str | None = None,
        events: Sequence[OutboxEvent] | None = None,
        answer: str | None = None,
    ) -> int:
        state_json = dump_json(state)
        lines = [encode_entry(entry) for entry in entries]
        try:
            return await self.runner.write(
                operations.insert_first_turn,
                conversation,
                state_json,
                lines,
                utc_now(),
                payloads,
                delivery,
                events,
                answer,
            )
        except IntegrityError as error:
            raise ConversationExistsError.for_user(
                conversation.bot_id, conversation.channel, conversation.user_key
            ) from error

    async def append_transcript(self, conversation_id: str, entries: list[TranscriptEntry]) -> None:
        lines = [encode_entry(entry) for entry in entries]
        await self.runner.write(operations.append_transcript, conversation_id, lines, utc_now())

    async def transcript(self, conversation_id: str, limit: int = 200) -> list[TranscriptEntry]:
        if limit <= 0:
            return []
        return await self.runner.read(operations.read_transcript, conversation_id, limit)

    async def put_payload(self, key: str, payload: str) -> None:
        await self.put_payloads({key: payload})

    async def put_payloads(self, payloads: Mapping[str, str]) -> None:
        await self.runner.write(operations.put_payloads, dict(payloads), utc_now())

    async def get_payload(self, key: str) -> str | None:
        return await self.runner.read(operations.get_payload, key)

    async def has_delivery(self, key: str) -> bool:
        return await self.runner.read(operations.has_delivery, key)

    async def get_delivery(self, key: str) -> tuple[str | None] | None:
        return await self.runner.read(operations.get_delivery, key)

    async def purge(self, payloads_before: datetime, deliveries_before: datetime) -> None:
        await self.runner.write(operations.purge, payloads_before, deliveries_before)

    async def put_bot(self, bot_id: str, bot: Mapping[str, Any]) -> None:
        bot_json = dump_json(bot)
        await self.runner.write(operations.put_bot, bot_id, bot_json, utc_now())

    async def get_bot(self, bot_id: str) -> StoredBot | None:
        return await self.runner.read(operations.get_bot, bot_id)

    async def list_bots(self) -> list[StoredBot]:
        return await self.runner.read(operations.list_bots)

    async def add_events(self, events: Sequence[OutboxEvent]) -> None:
        if events:
            await self.runner.write(operations.insert_events, list(events), utc_now())

    async def claim_events(
        self, webhook: str, claimer: str, limit: int, lease: float
    ) -> list[ClaimedEvent]:
        if limit <= 0:
            return []
        return await self.runner.write(
            operations.claim_events, webhook, claimer, limit, lease, utc_now()
        )

    async def mark_delivered(self, seqs: Sequence[int], claimer: str) -> None:
        await self.runner.write(operations.mark_delivered, list(seqs), claimer, utc_now())

    async def mark_sent(self, event_ids: Sequence[str]) -> None:
        if event_ids:
            await self.runner.write(operations.mark_sent, list(event_ids), utc_now())

    async def mark_failed(
        self,
        seqs: Sequence[int],
        claimer: str,
        error: str,
        retry_in: float | None,
        max_attempts: int,
    ) -> list[int]:
        return await self.runner.write(
            operations.mark_failed,
            list(seqs),
            claimer,
            error,
            retry_in,
            max_attempts,
            utc_now(),
        )

    async def release_claims(self, claimer: str | None) -> None:
        await self.runner.write(operations.release_claims, claimer)

    async def purge_events(self, delivered_before: datetime, failed_before: datetime) -> None:
        await self.runner.write(operations.purge_events, delivered_before, failed_before)

    async def count_events(self) -> dict[EventStatus, int]:
        return await self.runner.read(operations.count_events)

    async def add_bot_version(
        self,
        bot_id: str,
        bot: Mapping[str, Any],
        *,
        author: str,
        revision: str,
        flows: int,
        nodes: int,
    ) -> BotVersion:
        bot_json = dump_json(bot)
        for attempt in range(5):
            try:
                return await self.runner.write(
                    studio_ops.add_bot_version,
                    bot_id,
                    bot_json,
                    author,
                    revision,
                    flows,
                    nodes,
                    utc_now(),
                )
            except IntegrityError:  # another process took that number first
                if attempt == 4:
                    raise
        raise AssertionError("unreachable")

    async def list_bot_versions(self, bot_id: str, limit: int = 1000) -> list[BotVersion]:
        return await self.runner.read(studio_ops.list_bot_versions, bot_id, limit)

    async def get_bot_version(self, bot_id: str, number: int) -> BotVersion | None:
        return await self.runner.read(studio_ops.get_bot_version, bot_id, number)

    async def turn_traces(self, bot_id: str, since: datetime, until: datetime) -> list[TurnTrace]:
        return await self.runner.read(studio_ops.turn_traces, bot_id, since, until)

    def _create_runner(self) -> Runner:
        if self.backend == "sqlite":
            # one connection, on the loop's thread (LoopRunner)
            engine = create_engine(self.url, pool_size=1, max_overflow=1)
            event.listen(engine, "connect", self._configure_sqlite)
            assert self.url.database is not None
            return LoopRunner(engine, WalCheckpointer(self.url.database))
        connect_args: dict[str, Any] = {}
        if self.schema is not None:
            connect_args["server_settings"] = {"search_path": self.schema}
        # A connection for every turn that saves at once, kept: the pool's
        # overflow connections were opened and closed again under load (an
        # SSL attempt and a handshake each, most of a turn's CPU). No ping
        # before each use (a round trip per query): a connection the server
        # dropped fails its query once, and SQLAlchemy then discards the
        # whole pool's connections of before the drop (an outage is a 503,
        # then it recovers by itself).
        async_engine = create_async_engine(
            self.url,
            pool_size=self._pool_size,
            max_overflow=self._pool_size,
            pool_recycle=POOL_RECYCLE_SECONDS,
            connect_args=connect_args,
        )
        return AsyncEngineRunner(async_engine)

    def _configure_sqlite(self, dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={self._synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        # A WalCheckpointer thread checkpoints; this is its backstop.
        cursor.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        cursor.close()
