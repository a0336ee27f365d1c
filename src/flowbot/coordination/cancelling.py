"""Noticing a cancellation that a library swallowed.

On Python 3.11, `asyncio.wait_for` returns the result of an operation that
completed just as its task was cancelled, and the cancellation is lost
(CPython gh-86296, fixed in 3.12). redis-py sends every command through
`wait_for` when the client has a `socket_timeout`, so a cancelled waiter or
renewal could carry on as if nothing happened. `Task.cancelling()` still
counts the request: loops that must stop when cancelled compare it with the
count they started with after each call into such a library.
"""

from __future__ import annotations

import asyncio

__all__ = ["cancel_requests", "stop_if_cancelled"]


def cancel_requests() -> int:
    """The current task's pending cancellation requests (0 outside a task)."""
    task = asyncio.current_task()
    return task.cancelling() if task is not None else 0


def stop_if_cancelled(baseline: int) -> None:
    """Raise `CancelledError` if the task was cancelled since it counted `baseline`."""
    if cancel_requests() > baseline:
        raise asyncio.CancelledError
