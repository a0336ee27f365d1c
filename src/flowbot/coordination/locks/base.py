"""What every lock backend offers: `hold(key)`, one holder per key.

`async with locks.hold(key) as held:` waits until no other holder of `key`
(in any process using the same backend) is inside, then runs the block. A
distributed lock can be lost while held (a lease not renewed in time, a
database session ended): `held.lost` turns true, `held.check()` raises
`LockLostError`, and leaving the block raises it too (unless the block raised
first), so a caller can refuse to save what it computed under a lock it no
longer has. Locks are not reentrant: holding a key twice in one task waits
forever.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

__all__ = ["ConversationLocks", "Held", "Lease", "LeaseLocks", "LockLostError"]


class LockLostError(RuntimeError):
    """The lock of `key` may have passed to another holder before the block ended."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"the lock of {key!r} was lost: {reason}")
        self.key = key
        self.reason = reason


class Held(Protocol):
    """A key's lock while its block runs."""

    @property
    def key(self) -> str: ...

    @property
    def lost(self) -> bool:
        """True once another holder may have the key (never for `MemoryLocks`)."""
        ...

    def check(self) -> None:
        """Raise `LockLostError` if the lock is lost; call it right before a save."""
        ...


class ConversationLocks(Protocol):
    def hold(self, key: str) -> AbstractAsyncContextManager[Held]:
        """`async with locks.hold(key) as held:` one holder per key at a time."""
        ...

    async def close(self) -> None:
        """Stop background work; the clients and engines passed in stay open."""
        ...


class Lease(Held, Protocol):
    """A distributed lock taken with `LeaseLocks.acquire`, given back with `release`."""

    @property
    def lost_reason(self) -> str | None: ...

    async def release(self) -> None:
        """Give the lock back; never raises for a backend that does not answer."""
        ...


class LeaseLocks(ConversationLocks, Protocol):
    """A backend whose `acquire` other backends compose (`FallbackLocks`).

    `hold(key)` is `acquire(key)`, the block, `release()`, and `LockLostError`
    if the lease was lost.
    """

    async def acquire(self, key: str) -> Lease: ...
