"""Locks in PostgreSQL: a session-level advisory lock on a pooled connection kept while held.

`pg_advisory_lock(id)`, `id` a 64-bit hash of the namespace and the key,
runs on a connection taken from the engine's pool (autocommit: no
transaction stays open) and kept until `pg_advisory_unlock(id)` at the end of
the block. PostgreSQL queues the waiters of a lock in the order their
requests reached the server, and wakes the first when the holder lets go:
waiters of all processes are served in arrival order, handed over without
polling.

- A process that dies ends its sessions, and their locks go with them at once
  (as soon as the server sees the connection close; a host that vanishes
  without closing its sockets keeps them until TCP keepalive ends them).
- A session ended under a holder (terminated, the server restarted) is
  noticed through asyncpg's termination callback: `held.lost` (with another
  driver, only when the unlock at the end of the block fails).
- A waiter cancelled, or any error while taking the lock, closes its
  connection instead of returning it to the pool: a lock granted in the
  meantime cannot stay behind in a pooled session.

Every holder and every waiter takes a connection (that is what puts it in
PostgreSQL's queue): size the pool (`pool_size` + `max_overflow`) for the
turns that run or wait at once, and give the locks their own engine rather
than the store's, or holders waiting for the store's connections can
exhaust the pool they hold. Once the pool is exhausted, waiters wait for a
connection first (SQLAlchemy's pool timeout), and arrival order is only
kept among those that have one.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from flowbot.coordination.locks.base import LockLostError
from flowbot.coordination.locks.leased import LeasedLocks, in_background
from flowbot.coordination.names import advisory_key

__all__ = ["PostgresAdvisoryLocks", "PostgresLease"]

logger = logging.getLogger("flowbot.coordination")

_LOCK = text("SELECT pg_advisory_lock(:id)")
_UNLOCK = text("SELECT pg_advisory_unlock(:id)")


class PostgresAdvisoryLocks(LeasedLocks):
    def __init__(self, engine: AsyncEngine, namespace: str = "flowbot:lock:") -> None:
        super().__init__()
        if engine.dialect.name != "postgresql":
            raise ValueError(f"advisory locks need PostgreSQL, not {engine.dialect.name}")
        self.engine = engine
        self.namespace = namespace

    def lock_id(self, key: str) -> int:
        """The advisory lock id of `key` (`pg_locks`: classid high, objid low 32 bits)."""
        return advisory_key(self.namespace, key)

    async def acquire(self, key: str) -> PostgresLease:
        lock_id = self.lock_id(key)
        connection = await self.engine.connect()
        try:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            lease = PostgresLease(key, lock_id, connection)
            await lease.watch()
            await connection.execute(_LOCK, {"id": lock_id})
        except BaseException:
            in_background(discard(connection))
            raise
        return lease


async def discard(connection: AsyncConnection) -> None:
    """Close the connection's session (and with it any lock it holds), not back to the pool."""
    try:
        await connection.invalidate()
    except Exception as error:  # already broken
        logger.debug("closing a lock connection: %r", error)
    finally:
        await connection.close()


class PostgresLease:
    __slots__ = ("_connection", "_driver", "_reason", "key", "lock_id")

    def __init__(self, key: str, lock_id: int, connection: AsyncConnection) -> None:
        self.key = key
        self.lock_id = lock_id
        self._connection = connection
        self._driver: Any = None
        self._reason: str | None = None

    async def watch(self) -> None:
        raw = await self._connection.get_raw_connection()
        driver = raw.driver_connection
        if driver is not None and hasattr(driver, "add_termination_listener"):  # asyncpg
            driver.add_termination_listener(self._ended)
            self._driver = driver

    def _ended(self, _driver: object) -> None:
        if self._reason is None:
            self._reason = "the database session holding it ended"
            logger.warning("lock %r lost: %s", self.key, self._reason)

    @property
    def lost(self) -> bool:
        return self._reason is not None

    @property
    def lost_reason(self) -> str | None:
        return self._reason

    def check(self) -> None:
        if self._reason is not None:
            raise LockLostError(self.key, self._reason)

    async def release(self) -> None:
        connection = self._connection
        if self._driver is not None:
            self._driver.remove_termination_listener(self._ended)
            self._driver = None
        if self._reason is None:
            try:
                released = (await connection.execute(_UNLOCK, {"id": self.lock_id})).scalar()
            except Exception as error:
                self._ended(None)
                logger.debug("lock %r: unlock failed: %r", self.key, error)
            else:
                if released is True:
                    await connection.close()  # back to the pool, holding nothing
                    return
                self._ended(None)
        await discard(connection)
