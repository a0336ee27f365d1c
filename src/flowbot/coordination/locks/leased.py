"""`hold(key)` for a backend of leases: acquire, run the block, release, report a loss.

Every waiter queues at the backend itself (not behind this process's other
waiters first): the backend sees waiters of all processes in the order they
came, which is what keeps the turns of one conversation in arrival order
when a load balancer spreads its messages over several processes.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Coroutine
from types import TracebackType
from typing import Any

from flowbot.coordination.locks.base import Lease, LockLostError

__all__ = ["LeasedLocks", "in_background"]

_background: set[asyncio.Task[Any]] = set()


def in_background(work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
    """Run `work` to its end even if the caller is cancelled (a release, a clean-up)."""
    task = asyncio.get_running_loop().create_task(work)
    _background.add(task)
    task.add_done_callback(_background.discard)
    return task


class LeasedLocks(ABC):
    @abstractmethod
    async def acquire(self, key: str) -> Lease:
        """The backend's lock of `key` (release it with `lease.release()`)."""

    def hold(self, key: str) -> _LeasedHold:
        """`async with locks.hold(key) as held:` one holder per key at a time."""
        return _LeasedHold(self, key)

    async def close(self) -> None:
        return None


class _LeasedHold:
    __slots__ = ("_key", "_lease", "_locks")

    def __init__(self, locks: LeasedLocks, key: str) -> None:
        self._locks = locks
        self._key = key
        self._lease: Lease | None = None

    async def __aenter__(self) -> Lease:
        self._lease = await self._locks.acquire(self._key)
        return self._lease

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        lease = self._lease
        assert lease is not None
        # shielded: a holder cancelled on its way out still gives the lock back
        await asyncio.shield(in_background(lease.release()))
        if error is None and lease.lost:
            raise LockLostError(self._key, lease.lost_reason or "lost")
