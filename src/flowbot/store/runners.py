"""How ``SQLStore`` runs one operation: a sync function over a SQLAlchemy Connection.

Every store operation is written once, as a plain function taking a
``Connection`` (``flowbot.store.operations``); a runner decides where it runs:

- ``AsyncEngineRunner`` (PostgreSQL via asyncpg): ``AsyncConnection.run_sync``
  on the event loop, one transaction per operation; each statement awaits
  the driver.
- ``LoopRunner`` (SQLite via the standard ``sqlite3`` module): on the event
  loop's own thread. Writes made during one pass of the loop share one
  transaction, flushed by a callback on the next pass — group commit: one
  commit for many turns when many users talk at once. If any write of a
  batch raises, the batch is rolled back and each write runs again in its
  own transaction, so every write behaves exactly as if it had committed
  alone.

Why not aiosqlite: it hands every cursor, execute, fetch and close to its
thread separately — about nine hand-offs per saved turn, which capped
``save_turn`` at ~800/s. Why not one writer thread: that was the previous
design; the GIL hand-overs between the loop and the writer cost more than
the thread saved (bench/http.py: 3,975 against 5,285 turns/s in one run).

Cancelling the awaiting task does not withdraw a queued write: it is flushed
and committed, like a request already sent to PostgreSQL; the version check
makes retrying the turn safe either way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from flowbot.store.checkpoint import WalCheckpointer

__all__ = ["AsyncEngineRunner", "LoopRunner", "Runner"]

P = ParamSpec("P")
T = TypeVar("T")


class Runner(Protocol):
    async def read(
        self, operation: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``operation`` on a connection outside any write transaction."""

    async def write(
        self, operation: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``operation`` in one transaction: committed on return, rolled back on raise."""

    async def close(self) -> None: ...


class AsyncEngineRunner:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        # Reads of one statement need no transaction: without one, a read is
        # one round trip instead of three (BEGIN, the query, ROLLBACK).
        self._reads = engine.execution_options(isolation_level="AUTOCOMMIT")

    async def read(
        self, operation: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        async with self._reads.connect() as connection:
            return await connection.run_sync(operation, *args, **kwargs)

    async def write(
        self, operation: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        async with self.engine.begin() as connection:
            return await connection.run_sync(operation, *args, **kwargs)

    async def close(self) -> None:
        await self.engine.dispose()


@dataclass(slots=True)
class _WriteJob:
    call: Callable[[Connection], Any]
    future: asyncio.Future[Any]


# (True, result) or (False, exception)
_Outcome = tuple[bool, Any]


def _run_batch(connection: Connection, batch: list[_WriteJob]) -> list[_Outcome]:
    """Run the jobs in order in one transaction; if any raises, each alone.

    Either way every job sees the database as if the jobs before it had
    committed one by one, and a job that raises has written nothing.
    """
    if len(batch) > 1:
        try:
            with connection.begin():
                results = [job.call(connection) for job in batch]
        except Exception:
            pass  # rolled back: run them one by one below
        else:
            return [(True, result) for result in results]
    return [_run_alone(connection, job) for job in batch]


def _run_alone(connection: Connection, job: _WriteJob) -> _Outcome:
    try:
        with connection.begin():
            return True, job.call(connection)
    except Exception as error:
        return False, error


def _settle(future: asyncio.Future[Any], outcome: _Outcome) -> None:
    if future.cancelled():
        return
    succeeded, value = outcome
    if succeeded:
        future.set_result(value)
    else:
        future.set_exception(value)


class LoopRunner:
    """SQLite on the event loop's own thread, with group commit per loop tick.

    Writes made during one pass of the event loop are queued and flushed
    together by a callback scheduled for the next pass: one transaction and
    one commit for all of them, and no thread hand-off at all. A WAL commit
    with synchronous=NORMAL does not wait for the disk, so a flush costs
    about what its statements cost in C; handing them to a thread instead
    cost more in GIL hand-overs than it saved (bench/http.py).

    The price: while a flush runs, the loop runs nothing else, and a lock
    held by ANOTHER process on the same file would make it wait (busy
    timeout). One server process per SQLite file is the supported set-up;
    several processes share PostgreSQL.
    """

    def __init__(self, engine: Engine, checkpointer: WalCheckpointer | None = None) -> None:
        self.engine = engine
        # Told after each flush that committed something (see flowbot.store.checkpoint).
        self.checkpointer = checkpointer
        self._connection: Connection | None = None
        self._pending: list[_WriteJob] = []
        self._flush_scheduled = False
        self._closed = False

    def _connect(self) -> Connection:
        if self._connection is None:
            self._connection = self.engine.connect()
        return self._connection

    async def read(
        self, operation: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        connection = self._connect()
        try:
            return operation(connection, *args, **kwargs)
        finally:
            # end the implicit read transaction so the next flush can begin its own
            connection.rollback()

    async def write(
        self, operation: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self._closed:
            raise RuntimeError("the store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def call(connection: Connection) -> T:
            return operation(connection, *args, **kwargs)

        self._pending.append(_WriteJob(call, future))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        self._flush_scheduled = False
        batch, self._pending = self._pending, []
        if not batch:
            return
        try:
            outcomes = _run_batch(self._connect(), batch)
        except Exception as error:  # e.g. the database cannot be opened: fail them all
            outcomes = [(False, error)] * len(batch)
        for job, outcome in zip(batch, outcomes, strict=True):
            _settle(job.future, outcome)
        if self.checkpointer is not None:
            self.checkpointer.poke()

    async def close(self) -> None:
        self._closed = True
        self._flush()
        if self.checkpointer is not None:
            self.checkpointer.close()
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.engine.dispose()
