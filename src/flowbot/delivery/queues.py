"""Work for one conversation, one job at a time, in the order it arrived.

Facebook and LINE are answered with a fast 200; their turns and sends run
afterwards. The jobs of one conversation must still run one after another,
in arrival order — a user's second message must not be answered before the
first, and the sends of two turns must not interleave — while different
conversations run side by side. `ConversationQueues.submit` is synchronous,
so a webhook handler queues every event of its body, in order, before it
answers; one worker task per busy conversation drains its queue.

Bounded: beyond `max_pending` queued jobs in all, `submit` raises `QueueFull`
and the webhook answers 503, so the platform retries later instead of the
process growing without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["ConversationQueues", "QueueFull"]

logger = logging.getLogger("flowbot.delivery")

Job = Callable[[], Awaitable[Any]]


class QueueFull(Exception):
    """Too many jobs waiting: refuse new work until the workers catch up."""


class ConversationQueues:
    def __init__(self, max_pending: int = 10_000) -> None:
        self.max_pending = max_pending
        self._queues: dict[str, deque[tuple[Job, asyncio.Future[Any]]]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._pending = 0
        self._closed = False

    @property
    def pending(self) -> int:
        return self._pending

    def submit(self, key: str, job: Job) -> asyncio.Future[Any]:
        """Queue `job` after the conversation's earlier ones; its future holds the result."""
        if self._closed:
            raise QueueFull("the server is shutting down")
        if self._pending >= self.max_pending:
            raise QueueFull(f"{self._pending} jobs are waiting")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        queue = self._queues.get(key)
        self._pending += 1
        if queue is not None:
            queue.append((job, future))
            return future
        self._queues[key] = deque([(job, future)])
        task = asyncio.get_running_loop().create_task(self._drain(key))
        self._workers.add(task)
        task.add_done_callback(self._workers.discard)
        return future

    async def _drain(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                job, future = queue[0]
                try:
                    result = await job()
                except asyncio.CancelledError:
                    future.cancel()
                    raise
                except Exception as error:
                    logger.exception("a background job of %s failed", key)
                    if not future.done():
                        future.set_exception(error)
                        # nobody may be waiting for it: a failure is logged above
                        future.exception()
                else:
                    if not future.done():
                        future.set_result(result)
                queue.popleft()
                self._pending -= 1
        finally:
            for _, future in queue:  # cancelled mid-queue: the rest will not run
                future.cancel()
            self._pending -= len(queue)
            queue.clear()
            del self._queues[key]

    async def close(self, timeout: float = 10.0) -> None:
        """Stop taking jobs; let the queued ones finish for `timeout` seconds, then cancel."""
        self._closed = True
        workers = set(self._workers)
        if not workers:
            return
        _, running = await asyncio.wait(workers, timeout=timeout)
        if running:
            logger.warning("%d conversations still had work at shutdown: cancelled", len(running))
            for task in running:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*running, return_exceptions=True)
