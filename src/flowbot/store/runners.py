"""How ``SQLStore`` runs one operation: a sync function over a SQLAlchemy Connection.

Every store operation is written once, as a plain function taking a
``Connection`` (``flowbot.store.operations``); a runner decides where it runs:

- ``AsyncEngineRunner`` (PostgreSQL via asyncpg): ``AsyncConnection.run_sync``
  on the event loop, one transaction per operation; each statement awaits
  the driver.
- ``ThreadRunner`` (SQLite via the standard ``sqlite3`` module): the whole
  operation in ONE hand-off to a thread. Reads run on a few reader threads,
  which WAL lets run beside the writer. Writes queue for the single writer
  thread (SQLite has one writer at a time: they wait here, not in busy-timeout
  retries), which runs the writes queued while it was busy in one
  transaction, in order — group commit: one commit and one fsync for many
  turns when many users talk at once. If any write of a batch raises, the
  batch is rolled back and each write runs again in its own transaction, so
  every write behaves exactly as if it had committed alone.

Why not aiosqlite: it hands every cursor, execute, fetch and close to its
thread separately — about nine hand-offs per saved turn, which capped
``save_turn`` at ~800/s, against several thousand here (bench/store.py).

Cancelling the awaiting task does not stop an operation already handed to a
thread: it finishes and commits, like a request already sent to PostgreSQL;
the version check makes retrying the turn safe either way.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from queue import SimpleQueue
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["AsyncEngineRunner", "Runner", "ThreadRunner"]

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

    async def read(
        self, operation: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        async with self.engine.connect() as connection:
            return await connection.run_sync(operation, *args, **kwargs)

    async def write(
        self, operation: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        async with self.engine.begin() as connection:
            return await connection.run_sync(operation, *args, **kwargs)

    async def close(self) -> None:
        await self.engine.dispose()


class ThreadRunner:
    def __init__(self, engine: Engine, readers: int = 4) -> None:
        self.engine = engine
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="flowbot-sqlite-reader")
        self._jobs: SimpleQueue[_WriteJob | None] = SimpleQueue()
        self._closed = False
        self._writer = threading.Thread(
            target=_write_loop, args=(engine, self._jobs), name="flowbot-sqlite-writer", daemon=True
        )
        self._writer.start()

    async def read(
        self, operation: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        def call(connection: Connection) -> T:
            return operation(connection, *args, **kwargs)

        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, _on_connection, self.engine, call)

    async def write(
        self, operation: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        if self._closed:
            raise RuntimeError("the store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def call(connection: Connection) -> T:
            return operation(connection, *args, **kwargs)

        self._jobs.put(_WriteJob(call, future, loop))
        return await future

    async def close(self) -> None:
        # Queued writes finish first: a turn handed to the writer is committed.
        self._closed = True
        self._jobs.put(None)
        await asyncio.to_thread(self._shut_down)

    def _shut_down(self) -> None:
        self._writer.join()
        self._readers.shutdown(wait=True)
        self.engine.dispose()


@dataclass(slots=True)
class _WriteJob:
    call: Callable[[Connection], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


# (True, result) or (False, exception)
_Outcome = tuple[bool, Any]

# Writes queued while one batch commits share the next transaction: one commit
# (and one wake-up of the event loop) for many turns when many users talk.
MAX_BATCH = 64


def _write_loop(engine: Engine, jobs: SimpleQueue[_WriteJob | None]) -> None:
    # One connection for the thread's life: no pool checkout and reset per batch.
    with engine.connect() as connection:
        while True:
            job = jobs.get()
            if job is None:
                return
            batch = [job]
            stopping = False
            while len(batch) < MAX_BATCH and not jobs.empty():
                queued = jobs.get()
                if queued is None:
                    stopping = True
                    break
                batch.append(queued)
            _settle_all(batch, _run_batch(connection, batch))
            if stopping:
                return


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


def _settle_all(batch: list[_WriteJob], outcomes: list[_Outcome]) -> None:
    """Hand the outcomes to their loops: one wake-up per loop, not one per job."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], _Outcome]]] = {}
    for job, outcome in zip(batch, outcomes, strict=True):
        by_loop.setdefault(job.loop, []).append((job.future, outcome))
    for loop, settled in by_loop.items():
        # A closed loop raises RuntimeError: nobody awaits its futures any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle_batch, settled)


def _settle_batch(settled: list[tuple[asyncio.Future[Any], _Outcome]]) -> None:
    for future, outcome in settled:
        _settle(future, outcome)


def _settle(future: asyncio.Future[Any], outcome: _Outcome) -> None:
    if future.cancelled():
        return
    succeeded, value = outcome
    if succeeded:
        future.set_result(value)
    else:
        future.set_exception(value)


def _on_connection(engine: Engine, call: Callable[[Connection], T]) -> T:
    with engine.connect() as connection:
        return call(connection)
