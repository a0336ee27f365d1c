"""Per-conversation queues: one job at a time per key, in order; keys side by side; bounded."""

from __future__ import annotations

import asyncio

import pytest

from flowbot.delivery import ConversationQueues, QueueFull


async def test_jobs_of_one_key_run_in_order_and_keys_run_side_by_side() -> None:
    queues = ConversationQueues()
    log: list[str] = []
    gate = asyncio.Event()

    def job(name: str, wait: bool = False) -> object:
        async def run() -> str:
            log.append(f"start {name}")
            if wait:
                await gate.wait()
            log.append(f"end {name}")
            return name

        return run

    a1 = queues.submit("a", job("a1", wait=True))
    a2 = queues.submit("a", job("a2"))
    b1 = queues.submit("b", job("b1"))
    await b1
    assert log == ["start a1", "start b1", "end b1"]  # b is not held up by a
    gate.set()
    assert await asyncio.gather(a1, a2) == ["a1", "a2"]
    assert log[3:] == ["end a1", "start a2", "end a2"]
    assert queues.pending == 0


async def test_a_failing_job_is_logged_and_the_next_one_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    queues = ConversationQueues()

    async def boom() -> None:
        raise RuntimeError("boom")

    async def fine() -> str:
        return "fine"

    failed = queues.submit("a", boom)
    assert await queues.submit("a", fine) == "fine"
    with pytest.raises(RuntimeError):
        await failed
    assert "a background job of a failed" in caplog.text


async def test_too_many_pending_jobs_are_refused() -> None:
    queues = ConversationQueues(max_pending=2)
    gate = asyncio.Event()

    async def wait() -> None:
        await gate.wait()

    queues.submit("a", wait)
    queues.submit("b", wait)
    with pytest.raises(QueueFull):
        queues.submit("c", wait)
    gate.set()
    await queues.close()
    with pytest.raises(QueueFull):
        queues.submit("d", wait)


async def test_close_lets_queued_work_finish_then_cancels_what_hangs() -> None:
    queues = ConversationQueues()
    done: list[str] = []

    async def quick() -> None:
        await asyncio.sleep(0.01)
        done.append("quick")

    async def hangs() -> None:
        await asyncio.sleep(3600)

    quick_future = queues.submit("a", quick)
    hung = queues.submit("b", hangs)
    after_hung = queues.submit("b", quick)
    await queues.close(timeout=0.2)
    assert done == ["quick"] and quick_future.done()
    assert hung.cancelled() and after_hung.cancelled()
    assert queues.pending == 0
