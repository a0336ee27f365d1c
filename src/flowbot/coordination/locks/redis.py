"""Locks on one Redis server: a lease renewed while held, waiters served in arrival order.

- **Taking** a key is one Lua script: when nobody holds it and no earlier
  waiter is queued, `SET <lock> <token> PX <lease>` with a random token;
  otherwise the caller joins the key's queue (a sorted set of tokens by
  arrival time, each with its own short expiry) and asks again after a
  short exponential backoff (`poll_min` doubling up to `poll_max`), or at
  once when a holder in the same process lets go. The oldest live waiter is
  the only one the script lets in, so waiters of all processes are served
  in the order their first request reached Redis; a handover to another
  process takes up to `poll_max`. A waiter that stops asking (its process
  died) leaves the queue after `waiter_ttl`, holding the others back until
  then; a cancelled one leaves at once. The queue only orders: exclusion rests on `SET NX`
  alone, so a waiter that lost its place (an event loop stalled longer
  than `waiter_ttl`) is served later, never together with another.
- **Holding**: a task extends the lease every `lease / 3` with a
  compare-and-extend script. The lease counts as lost once its deadline
  passes (measured from before the request that set or extended it, so it
  ends here no later than in Redis) without a confirmed renewal, or at once
  if the key holds another token: `held.lost`, `held.check()`, and leaving
  the block raises `LockLostError`.
- **Releasing** is compare-and-delete: a lock that already passed to
  someone else is left alone. A holder that dies without releasing frees the
  key when its lease runs out (at most `lease` seconds).

A single Redis server (or a primary with replicas, accepting that a lock
taken just before a failover may be forgotten by the promoted replica): no
Redlock across several masters, no Cluster (the scripts touch three keys of
one lock that need not share a hash slot).

Give the client few retries and short socket timeouts (the redis-py default
retries a refused connection ten times with backoff): `FallbackLocks` learns
that Redis is away only when the client gives up.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from flowbot.coordination.cancelling import cancel_requests, stop_if_cancelled
from flowbot.coordination.locks.base import LockLostError
from flowbot.coordination.locks.leased import LeasedLocks, in_background

__all__ = ["REDIS_UNREACHABLE", "RedisLocks"]

logger = logging.getLogger("flowbot.coordination")

# What a Redis that does not answer raises (TimeoutError is an OSError).
REDIS_UNREACHABLE: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    OSError,
)

# KEYS: lock, queue (token → arrival µs), alive (token → expiry ms)
# ARGV: token, lease ms, waiter ttl ms.  Returns 1: taken, 0: wait.
_ACQUIRE = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local stale = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now_ms)
for i = 1, #stale, 500 do
  local last = math.min(i + 499, #stale)
  redis.call('ZREM', KEYS[2], unpack(stale, i, last))
  redis.call('ZREM', KEYS[3], unpack(stale, i, last))
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)
  if head[1] == nil or head[1] == ARGV[1] then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
    redis.call('ZREM', KEYS[2], ARGV[1])
    redis.call('ZREM', KEYS[3], ARGV[1])
    return 1
  end
end
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  redis.call('ZADD', KEYS[2], tonumber(t[1]) * 1000000 + tonumber(t[2]), ARGV[1])
end
redis.call('ZADD', KEYS[3], now_ms + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], 2 * tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[3], 2 * tonumber(ARGV[3]))
return 0
"""

# KEYS: lock.  ARGV: token, lease ms.  Returns 1: extended, 0: not ours any more.
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

# KEYS: lock, queue, alive.  ARGV: token.  Leaves the queue; deletes the lock if ours.
_RELEASE = """
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLocks(LeasedLocks):
    def __init__(
        self,
        client: Redis,
        prefix: str = "flowbot:lock:",
        *,
        lease: float = 10.0,
        poll_min: float = 0.002,
        poll_max: float = 0.02,
        waiter_ttl: float = 2.0,
    ) -> None:
        super().__init__()
        if lease < 0.03:
            raise ValueError(f"lease {lease} s: at least 0.03 s (renewed every lease / 3)")
        if not 0 < poll_min <= poll_max < waiter_ttl:
            raise ValueError("need 0 < poll_min <= poll_max < waiter_ttl")
        self.client = client
        self.prefix = prefix
        self.lease = lease
        self.poll_min = poll_min
        self.poll_max = poll_max
        self.waiter_ttl = waiter_ttl
        self._lease_ms = max(1, round(lease * 1000))
        self._waiter_ms = max(1, round(waiter_ttl * 1000))
        self._acquire = client.register_script(_ACQUIRE)
        self._extend = client.register_script(_EXTEND)
        self._release = client.register_script(_RELEASE)
        self._wakeups: dict[str, _Wakeup] = {}  # this process's waiters, by key

    def keys(self, key: str) -> list[str]:
        """The Redis keys of one lock: the lock, its queue, its waiters' expiries."""
        return [f"{self.prefix}l:{key}", f"{self.prefix}q:{key}", f"{self.prefix}a:{key}"]

    async def acquire(self, key: str) -> RedisLease:
        keys = self.keys(key)
        token = secrets.token_hex(16)
        delay = self.poll_min
        wakeup = self._wakeups.get(key)
        if wakeup is None:
            wakeup = self._wakeups[key] = _Wakeup()
        wakeup.users += 1
        cancels = cancel_requests()
        try:
            while True:
                released = wakeup.event  # set by a release here after this point
                sent = time.monotonic()
                taken = await self._acquire(
                    keys=keys, args=[token, self._lease_ms, self._waiter_ms]
                )
                stop_if_cancelled(cancels)  # (redis-py may have swallowed it)
                if taken == 1:
                    break
                try:
                    async with asyncio.timeout(delay):
                        await released.wait()
                    delay = self.poll_min  # a holder here let go: ask again now
                except TimeoutError:
                    delay = min(delay * 2, self.poll_max)
        except BaseException:
            # cancelled or failed, maybe after Redis granted it: leave no trace
            in_background(self._forget(keys, token))
            raise
        finally:
            wakeup.users -= 1
            if wakeup.users == 0 and self._wakeups.get(key) is wakeup:
                del self._wakeups[key]
        return RedisLease(self, key, keys, token, sent + self.lease)

    def _released(self, key: str) -> None:
        """Wake this process's waiters of `key`: one of them may be next."""
        wakeup = self._wakeups.get(key)
        if wakeup is not None:
            wakeup.event.set()
            wakeup.event = asyncio.Event()

    async def _forget(self, keys: list[str], token: str) -> None:
        try:
            await self._release(keys=keys, args=[token])
        except REDIS_UNREACHABLE as error:
            logger.debug("lock %r: could not leave the queue (%s); it expires", keys[0], error)


class _Wakeup:
    __slots__ = ("event", "users")

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.users = 0


class RedisLease:
    """One held Redis lock and the task renewing it."""

    __slots__ = (
        "_deadline",
        "_keys",
        "_locks",
        "_reason",
        "_renewal",
        "_stopped",
        "key",
        "token",
    )

    def __init__(
        self, locks: RedisLocks, key: str, keys: list[str], token: str, deadline: float
    ) -> None:
        self._locks = locks
        self.key = key
        self._keys = keys
        self.token = token
        self._deadline = deadline
        self._reason: str | None = None
        self._stopped = False
        self._renewal: asyncio.Task[None] | None = asyncio.get_running_loop().create_task(
            self._renew()
        )

    @property
    def lost(self) -> bool:
        return self._reason is not None or time.monotonic() >= self._deadline

    @property
    def lost_reason(self) -> str | None:
        if self._reason is None and time.monotonic() >= self._deadline:
            return "the lease ran out before Redis confirmed a renewal"
        return self._reason

    def check(self) -> None:
        if self.lost:
            raise LockLostError(self.key, self.lost_reason or "lost")

    def _lose(self, reason: str) -> None:
        if self._reason is None:
            self._reason = reason
            logger.warning("lock %r lost: %s", self.key, reason)

    async def _renew(self) -> None:
        locks = self._locks
        interval = locks.lease / 3
        wait = interval
        cancels = cancel_requests()
        while True:
            await asyncio.sleep(wait)
            if self._stopped:
                return
            sent = time.monotonic()
            left = self._deadline - sent
            if left <= 0:
                self._lose("the lease ran out before Redis confirmed a renewal")
                return
            try:
                async with asyncio.timeout(left):
                    extended: Any = await locks._extend(
                        keys=self._keys[:1], args=[self.token, locks._lease_ms]
                    )
            except REDIS_UNREACHABLE as error:
                stop_if_cancelled(cancels)
                if time.monotonic() >= self._deadline:
                    self._lose(f"Redis did not answer before the lease ran out ({error!r})")
                    return
                wait = min(interval, max(left / 4, 0.005))  # try again sooner
                continue
            stop_if_cancelled(cancels)
            if extended != 1:
                self._lose("the key holds another token (the lease had run out)")
                return
            self._deadline = sent + locks.lease
            wait = interval

    async def release(self) -> None:
        renewal, self._renewal = self._renewal, None
        self._stopped = True
        if renewal is not None:
            renewal.cancel()
            await asyncio.gather(renewal, return_exceptions=True)
        try:
            await self._locks._release(keys=self._keys, args=[self.token])
            self._locks._released(self.key)
        except REDIS_UNREACHABLE as error:
            logger.warning("lock %r: Redis missed the release (%r); it expires", self.key, error)
