"""Redis locks, with PostgreSQL advisory locks while Redis does not answer — never two holders.

The danger of a fallback is a holder on Redis in one process while another
process, which cannot reach Redis (Redis down, or only that process cut off
from it), takes the key on PostgreSQL. The rule that excludes it:

    Two holders of a key always share a backend. A hold is Redis-only only
    while PostgreSQL has just confirmed that no process is on the fallback;
    a hold is PostgreSQL-only only in a process that announced the fallback
    and then waited out a quarantine; everything else takes both locks
    (Redis first, then PostgreSQL: one order, no deadlock).

- **Announcing**: a process whose Redis does not answer takes a *shared*
  advisory lock (the "fallback signal") on a connection of its own, and
  keeps it while it has holds without Redis (if that session ends, the
  process's PostgreSQL-only holds are marked lost). A watcher in every
  process tries the signal's *exclusive* lock `trust / 4` s after its last
  check, on a pooled connection (given back at once when taken): taken
  means nobody is on the fallback, and Redis-only holds are allowed for
  `trust` s from the moment the check was sent (so a check may take up to
  about `3/4 trust` without the trust lapsing).
- **Upgrading**: when the trust lapses, or a check fails or finds the signal
  taken, the process's Redis-only holds take their PostgreSQL lock too,
  within `upgrade_within` s; one that cannot is marked lost (`held.lost`, and
  leaving its block raises `LockLostError`). New holds take both.
- **Quarantine**: after announcing, a process waits `trust + upgrade_within
  + margin` s before its first PostgreSQL-only hold, by when every Redis-only
  hold elsewhere has either taken its PostgreSQL lock or been told it is lost.
- **Going back**: while on the fallback a probe pings Redis every
  `probe_every` s; once it answers, new holds take Redis and PostgreSQL, and
  when the process's last PostgreSQL-only hold has ended it gives the signal
  back; its holds are Redis-only again when the watcher next finds the signal
  free everywhere.

So a process cut off from Redis alone keeps working (on PostgreSQL), and the
others take both locks meanwhile. The price: a Redis-only hold needs a
recent answer from PostgreSQL, so with PostgreSQL unreachable holds fail
(as the store's saves would), and the first hold after Redis goes away waits
out the quarantine. The lock's key is the same on both backends; the two
backends see different waiters, so arrival order is kept within each, not
across a switch. `held.backends` says what a hold took.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from flowbot.coordination.locks.base import Lease, LockLostError
from flowbot.coordination.locks.leased import LeasedLocks, in_background
from flowbot.coordination.locks.postgres import PostgresAdvisoryLocks, discard
from flowbot.coordination.locks.redis import REDIS_UNREACHABLE, RedisLease, RedisLocks
from flowbot.coordination.names import advisory_key

__all__ = ["FallbackHeld", "FallbackLocks"]

logger = logging.getLogger("flowbot.coordination")

SIGNAL_KEY = "\x00flowbot: a process is on the PostgreSQL fallback"

_ANNOUNCE = text("SELECT pg_advisory_lock_shared(:id)")
_WITHDRAW = text("SELECT pg_advisory_unlock_shared(:id)")
# true when no session holds the signal
_NOBODY = text(
    "SELECT CASE WHEN pg_try_advisory_lock(:id) THEN pg_advisory_unlock(:id) ELSE false END"
)


class FallbackLocks(LeasedLocks):
    def __init__(
        self,
        primary: RedisLocks,
        fallback: PostgresAdvisoryLocks,
        *,
        trust: float = 2.0,
        upgrade_within: float = 1.0,
        margin: float = 0.5,
        probe_every: float = 1.0,
        probe_timeout: float = 1.0,
    ) -> None:
        super().__init__()
        if trust <= 0 or upgrade_within <= 0 or margin < 0 or probe_every <= 0:
            raise ValueError("trust, upgrade_within and probe_every must be > 0, margin >= 0")
        self.primary = primary
        self.fallback = fallback
        self.trust = trust
        self.upgrade_within = upgrade_within
        self.quarantine = trust + upgrade_within + margin
        self.probe_every = probe_every
        self.probe_timeout = probe_timeout
        self.signal_id = advisory_key(fallback.namespace, SIGNAL_KEY)
        self._connection: AsyncConnection | None = None
        self._connection_lock = asyncio.Lock()
        self._mode_lock = asyncio.Lock()
        self._started: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._prober: asyncio.Task[None] | None = None
        self._degraded = False  # this process holds the signal
        self._degraded_since = 0.0
        self._redis_back = False  # the probe got an answer since we announced
        self._trusted_until = 0.0
        self._redis_only: set[FallbackHeld] = set()
        self._without_redis: set[FallbackHeld] = set()
        self._reserved = 0  # holds waiting out the quarantine
        self._closed = False

    # --- state ----------------------------------------------------------------

    @property
    def degraded(self) -> bool:
        """This process is on the fallback (it holds the signal)."""
        return self._degraded

    def trusting(self) -> bool:
        """Redis-only holds are allowed now."""
        return not self._degraded and time.monotonic() < self._trusted_until

    # --- taking a key ---------------------------------------------------------

    async def acquire(self, key: str) -> FallbackHeld:
        await self._start()
        while True:
            redis_lease: RedisLease | None = None
            if not self._degraded or self._redis_back:
                try:
                    redis_lease = await self.primary.acquire(key)
                except REDIS_UNREACHABLE as error:
                    await self._degrade(error)
            if redis_lease is not None:
                return await self._with_redis(key, redis_lease)
            held = await self._without(key)
            if held is not None:
                return held

    async def _with_redis(self, key: str, redis_lease: RedisLease) -> FallbackHeld:
        if self._degraded:
            await self._recover()
        held = FallbackHeld(self, key, redis_lease)
        if self.trusting():
            self._redis_only.add(held)
            return held
        try:
            held.leases.append(await self.fallback.acquire(key))
        except BaseException:
            await asyncio.shield(in_background(held.release()))
            raise
        return held

    async def _without(self, key: str) -> FallbackHeld | None:
        """A PostgreSQL-only hold, once announced and quarantined; None: Redis is back."""
        self._reserved += 1
        try:
            while True:
                if not self._degraded:
                    await self._degrade(None)
                if self._redis_back:
                    return None
                wait = self._degraded_since + self.quarantine - time.monotonic()
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            lease = await self.fallback.acquire(key)
        finally:
            self._reserved -= 1
        held = FallbackHeld(self, key, None, lease)
        self._without_redis.add(held)
        return held

    # --- announcing and withdrawing the fallback ------------------------------

    async def _degrade(self, error: BaseException | None) -> None:
        async with self._mode_lock:
            if self._degraded:
                self._redis_back = False
                return
            await self._signal(_ANNOUNCE)
            self._degraded = True
            self._degraded_since = time.monotonic()
            self._redis_back = False
            self._trusted_until = 0.0
            logger.warning(
                "Redis does not answer (%r): conversation locks move to PostgreSQL advisory "
                "locks in %.1f s, until Redis answers again",
                error,
                self.quarantine,
            )
            self._prober = asyncio.get_running_loop().create_task(self._probe())
        self._upgrade_soon()

    async def _recover(self) -> None:
        async with self._mode_lock:
            if not self._degraded or self._reserved or self._without_redis:
                return
            try:
                await self._signal(_WITHDRAW)
            except Exception as error:  # its session is gone, and the signal with it
                logger.debug("withdrawing the fallback signal: %r", error)
            self._degraded = False
            self._redis_back = False
            self._stop_prober()
            logger.warning("Redis answers again: conversation locks are back on Redis")
        self._check_soon()

    async def _probe(self) -> None:
        me = asyncio.current_task()
        while self._degraded and self._prober is me:
            await asyncio.sleep(self.probe_every)
            try:
                async with asyncio.timeout(self.probe_timeout):
                    await self.primary.client.ping()
            except REDIS_UNREACHABLE:  # (TimeoutError is an OSError)
                self._redis_back = False
                continue
            if self._prober is not me:
                return
            self._redis_back = True
            if not self._reserved and not self._without_redis:
                await self._recover()  # nothing here needs the fallback any more

    def _stop_prober(self) -> None:
        if self._prober is not None and self._prober is not asyncio.current_task():
            self._prober.cancel()
        self._prober = None

    # --- the signal's connection ----------------------------------------------

    async def _signal(self, statement: Any) -> Any:
        async with self._connection_lock:
            if self._connection is None:
                connection = await self.fallback.engine.connect()
                try:
                    connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
                    raw = await connection.get_raw_connection()
                    driver = raw.driver_connection
                    if driver is not None and hasattr(driver, "add_termination_listener"):
                        driver.add_termination_listener(
                            lambda _driver, ended=connection: self._signal_ended(ended)
                        )
                except BaseException:
                    in_background(discard(connection))
                    raise
                self._connection = connection
            connection = self._connection
            try:
                return (await connection.execute(statement, {"id": self.signal_id})).scalar()
            except BaseException:
                self._signal_ended(connection)
                raise

    def _signal_ended(self, connection: AsyncConnection) -> None:
        if self._connection is not connection:
            return
        self._connection = None
        in_background(discard(connection))
        if self._degraded:
            # the signal went with the session: others may trust Redis alone again
            self._degraded = False
            self._redis_back = False
            self._stop_prober()
            for held in list(self._without_redis):
                held.lose("the session announcing the fallback ended")

    # --- the watcher ----------------------------------------------------------

    async def _start(self) -> None:
        if self._started is None:
            self._started = asyncio.get_running_loop().create_task(self._check())
        if not self._started.done():
            await asyncio.shield(self._started)
        if self._watcher is None:
            self._watcher = asyncio.get_running_loop().create_task(self._watch())

    async def _check(self) -> None:
        """Confirm that nobody is on the fallback, or stop trusting Redis alone.

        A slow answer is waited for while the current trust lasts; if it runs
        out first, the Redis-only holds take PostgreSQL at once, and an answer
        still coming within `trust` counts from the moment it was asked.
        """
        sent = time.monotonic()
        asking = asyncio.ensure_future(self._nobody_on_fallback())
        try:
            done, _ = await asyncio.wait({asking}, timeout=max(0.0, self._trusted_until - sent))
            if not done:
                self._trusted_until = 0.0
                await self._upgrade_all()
                done, _ = await asyncio.wait({asking}, timeout=self.trust)
        finally:
            if not asking.done():
                asking.cancel()
        free = False
        if done and not asking.cancelled():
            error = asking.exception()
            if error is None:
                free = asking.result()
            else:
                logger.debug("checking the fallback signal: %r", error)
        if free and not self._degraded:
            self._trusted_until = sent + self.trust
        else:
            self._trusted_until = 0.0
            await self._upgrade_all()

    async def _nobody_on_fallback(self) -> bool:
        connection = await self.fallback.engine.connect()
        try:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            free = (await connection.execute(_NOBODY, {"id": self.signal_id})).scalar()
        except BaseException:
            # it may hold the signal's exclusive lock for a moment: not back to the pool
            in_background(discard(connection))
            raise
        await connection.close()
        return free is True

    async def _watch(self) -> None:
        while not self._closed:
            # the next check no later than the trust lapses (it upgrades at once then)
            wait = self.trust / 4
            if self._trusted_until:
                wait = max(0.0, min(wait, self._trusted_until - time.monotonic()))
            await asyncio.sleep(wait)
            try:
                await self._check()
            except Exception:  # never let the watcher die
                logger.exception("the fallback watcher failed a round")

    def _check_soon(self) -> None:
        in_background(self._check())

    def _upgrade_soon(self) -> None:
        in_background(self._upgrade_all())

    async def _upgrade_all(self) -> None:
        helds = list(self._redis_only)
        if helds:
            await asyncio.gather(*(held.upgrade() for held in helds))

    async def close(self) -> None:
        self._closed = True
        for task in (self._watcher, self._prober, self._started):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._watcher = self._prober = None
        if self._degraded:
            self._degraded = False  # the session's end withdraws the signal
        connection, self._connection = self._connection, None
        if connection is not None:
            await discard(connection)


class FallbackHeld:
    """A hold of `FallbackLocks`: a Redis lease, PostgreSQL advisory locks, or both."""

    def __init__(
        self,
        locks: FallbackLocks,
        key: str,
        redis_lease: RedisLease | None,
        *leases: Lease,
    ) -> None:
        self._locks = locks
        self.key = key
        self.leases: list[Lease] = [redis_lease] if redis_lease is not None else []
        self.leases.extend(leases)
        self._reason: str | None = None
        self._upgrading: asyncio.Task[None] | None = None
        self._released = False

    @property
    def backends(self) -> tuple[str, ...]:
        """What it holds: ("redis",), ("postgres",) or ("redis", "postgres")."""
        return tuple(
            "redis" if isinstance(lease, RedisLease) else "postgres" for lease in self.leases
        )

    @property
    def lost(self) -> bool:
        return self._reason is not None or any(lease.lost for lease in self.leases)

    @property
    def lost_reason(self) -> str | None:
        if self._reason is not None:
            return self._reason
        return next((lease.lost_reason for lease in self.leases if lease.lost), None)

    def check(self) -> None:
        if self.lost:
            raise LockLostError(self.key, self.lost_reason or "lost")

    def lose(self, reason: str) -> None:
        if self._reason is None:
            self._reason = reason
            logger.warning("lock %r lost: %s", self.key, reason)

    async def upgrade(self) -> None:
        """Take the PostgreSQL lock too (the fallback may be in use elsewhere)."""
        locks = self._locks
        if self._released or self not in locks._redis_only:
            return
        locks._redis_only.discard(self)
        self._upgrading = asyncio.current_task()
        try:
            async with asyncio.timeout(locks.upgrade_within):
                lease = await locks.fallback.acquire(self.key)
        except asyncio.CancelledError:
            if not self._released:
                raise
            return
        except Exception as error:
            self.lose(f"could not also take the PostgreSQL lock in time ({error!r})")
            return
        finally:
            self._upgrading = None
        if self._released:
            await lease.release()
        else:
            self.leases.append(lease)

    async def release(self) -> None:
        self._released = True
        locks = self._locks
        locks._redis_only.discard(self)
        locks._without_redis.discard(self)
        upgrading = self._upgrading
        if upgrading is not None and upgrading is not asyncio.current_task():
            upgrading.cancel()
            await asyncio.gather(upgrading, return_exceptions=True)
        for lease in reversed(self.leases):
            await lease.release()
        if locks.degraded and locks._redis_back and not locks._without_redis:
            in_background(locks._recover())
