"""One process's locks: an asyncio lock per key, dropped when nobody holds or waits on it.

One holder per key, in arrival order (asyncio's lock hands itself to the
oldest waiter, and a newcomer does not overtake waiters), with the `Held`
handle of the `ConversationLocks` interface. It is on every turn's path, so the context
manager is written by hand and returns itself as the handle: a lock of one
process is never lost.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

__all__ = ["MemoryLocks"]


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0  # holders and waiters


class MemoryLocks:
    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def hold(self, key: str) -> _MemoryHeld:
        """`async with locks.hold(key):` one holder per key at a time, in arrival order."""
        return _MemoryHeld(self._entries, key)

    async def close(self) -> None:
        return None

    def __len__(self) -> int:
        """Keys held or waited on."""
        return len(self._entries)


class _MemoryHeld:
    # Hand-written rather than @asynccontextmanager: it is entered on every
    # turn, and the generator machinery costs more than the lock itself.
    __slots__ = ("_entries", "_entry", "key")

    lost = False
    lost_reason = None

    def __init__(self, entries: dict[str, _Entry], key: str) -> None:
        self._entries = entries
        self.key = key
        self._entry: _Entry | None = None

    def check(self) -> None:
        return None

    async def __aenter__(self) -> _MemoryHeld:
        entry = self._entries.get(self.key)
        if entry is None:
            entry = self._entries[self.key] = _Entry()
        self._entry = entry
        entry.users += 1
        try:
            await entry.lock.acquire()
        except BaseException:  # cancelled while waiting
            self._leave()
            raise
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        entry = self._entry
        assert entry is not None
        entry.lock.release()
        self._leave()

    def _leave(self) -> None:
        entry = self._entry
        assert entry is not None
        entry.users -= 1
        if entry.users == 0 and self._entries.get(self.key) is entry:
            del self._entries[self.key]
