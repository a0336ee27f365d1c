"""A turn's two statements on PostgreSQL, each one round trip, straight on asyncpg.

Every turn reads its conversation (when several processes share it) and
saves it. Through SQLAlchemy's asyncpg adapter the save was five round trips
(BEGIN, the version-checked UPDATE, the transcript INSERT, the delivery
INSERT, COMMIT) and each statement went through the adapter's greenlet and
compiled cache: measured here, 1.9 ms of flowbot's CPU per turn against
0.25 ms on SQLite. Here the save is one statement — the UPDATE and the
INSERTs as data-modifying CTEs, atomic as any single statement is — and the
read is one SELECT outside a transaction, both sent on the pooled
connection's own asyncpg connection with asyncpg's prepared-statement cache.

Used for the common turn: no payload keys and no outbox rows (those go the
general way, `flowbot.store.operations.save_turn`, in one transaction).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from flowbot.store.base import Conversation, DeliveryAnsweredError
from flowbot.store.operations import conversation_of

__all__ = ["DatabaseUnavailableError", "find_conversation", "save_turn"]

# (direction, message JSON text, time, trace): `flowbot.store.operations.Line`
Line = tuple[str, str, datetime, str | None]

_FIND = (
    "SELECT id, bot_id, channel, user_key, token, state, version, created_at, updated_at"
    " FROM conversations WHERE bot_id = $1 AND channel = $2 AND user_key = $3"
)

# The transcript rows are numbered from the UPDATE's new last_seq; the
# delivery row is inserted only if the UPDATE matched (FROM saved), and a
# delivery answered before fails the whole statement: nothing is written.
_SAVE = """
WITH saved AS (
    UPDATE conversations
    SET state = $2, version = version + 1, last_seq = last_seq + $4, updated_at = $5
    WHERE id = $1 AND version = $3
    RETURNING version, last_seq
), lines AS (
    INSERT INTO transcript (conversation_id, seq, direction, message, at, trace)
    SELECT $1, saved.last_seq - $4 + line.n, line.direction, line.message, line.at, line.trace
    FROM saved,
        unnest($6::text[], $7::text[], $8::timestamptz[], $11::text[])
            WITH ORDINALITY AS line(direction, message, at, trace, n)
), answered AS (
    INSERT INTO deliveries (key, at, answer)
    SELECT $9::text, $5, $10::text FROM saved WHERE $9::text IS NOT NULL
)
SELECT version FROM saved
"""


# asyncpg has no type information: its connection is Any here
async def _raw(connection: Any) -> Any:
    raw = await connection.get_raw_connection()
    return raw.driver_connection


UNIQUE_VIOLATION = "23505"
# asyncpg's errors of a connection that is gone (their SQLSTATE class 08, or none)
_GONE = ("InterfaceError", "ConnectionDoesNotExistError", "ConnectionFailureError")


class DatabaseUnavailableError(ConnectionError):
    """The connection to PostgreSQL broke (the server is away or restarted)."""


@contextlib.asynccontextmanager
async def _driver(engine: AsyncEngine) -> AsyncIterator[Any]:
    """The asyncpg connection of a pooled connection; a broken one leaves the pool.

    Bypassing SQLAlchemy's execution also bypasses its disconnect handling:
    done here, the way it does it — the connection is discarded, and so are
    the pool's other connections of before (PostgreSQL restarted: all are dead).
    """
    async with engine.connect() as connection:
        driver = await _raw(connection)
        try:
            yield driver
        except Exception as error:
            if not _is_gone(error):
                raise
            await connection.invalidate()
            await engine.dispose(close=False)
            raise DatabaseUnavailableError(f"PostgreSQL: {error}") from error


def _is_gone(error: BaseException) -> bool:
    if isinstance(error, OSError | TimeoutError):
        return True
    state = getattr(error, "sqlstate", None)
    if isinstance(state, str) and state.startswith("08"):
        return True
    return any(kind.__name__ in _GONE for kind in type(error).__mro__)


async def find_conversation(
    engine: AsyncEngine, bot_id: str, channel: str, user_key: str
) -> Conversation | None:
    async with _driver(engine) as driver:
        row = await driver.fetchrow(_FIND, bot_id, channel, user_key)
    if row is None:
        return None
    # (the same columns, in the same order, as the store's own read)
    return conversation_of(row)


async def save_turn(
    engine: AsyncEngine,
    conversation_id: str,
    state_json: str,
    lines: Sequence[Line],
    expected_version: int,
    now: datetime,
    delivery: str | None = None,
    answer: str | None = None,
) -> int | None:
    """The new version, or None when the version-checked UPDATE matched no row."""
    directions = [line[0] for line in lines]
    messages = [line[1] for line in lines]
    times = [line[2] for line in lines]
    traces = [line[3] for line in lines]
    async with _driver(engine) as driver:
        try:
            version = await driver.fetchval(
                _SAVE,
                conversation_id,
                state_json,
                expected_version,
                len(lines),
                now,
                directions,
                messages,
                times,
                delivery,
                answer,
                traces,
            )
        except Exception as error:  # asyncpg.UniqueViolationError on the deliveries key
            if (
                getattr(error, "sqlstate", None) != UNIQUE_VIOLATION
                or getattr(error, "table_name", None) != "deliveries"
            ):
                raise
            raise DeliveryAnsweredError(f"delivery {delivery!r} was answered before") from None
    return None if version is None else int(version)
