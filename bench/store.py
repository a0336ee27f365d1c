"""save_turn throughput of the SQLite store, printed (not a test).

Each turn saves a ~1 KB state and two transcript rows (the user's message and
one reply), as the web channel does. Run: .venv/bin/python bench/store.py
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

from flowbot.store import SQLStore, TranscriptEntry
from flowbot.store.base import utc_now

TURNS = 5_000
CONVERSATIONS = 50


def sample_state(turn: int) -> dict[str, Any]:
    return {
        "navigation": {"current": {"flowId": 3, "nodeId": 12, "visitCount": turn}, "prev": None},
        "params": {f"param{index}": f"값 {index} {turn}" for index in range(20)},
        "backStack": [{"flowId": 3, "nodeId": index} for index in range(8)],
        "keyboard": {"text": "진행", "payload": '{"action":"next","step":' + str(turn) + "}"},
    }


def sample_entries(turn: int) -> list[TranscriptEntry]:
    now = utc_now()
    return [
        TranscriptEntry("in", {"type": "text", "text": f"진행 {turn}"}, now),
        TranscriptEntry("out", {"type": "text", "text": f"다음 단계 {turn}입니다."}, now),
    ]


async def one_writer(store: SQLStore, conversation_id: str, turns: int, load: bool) -> None:
    version = 0
    for turn in range(turns):
        if load:
            # What a server turn does around the engine: load, then save.
            conversation = await store.get_conversation(conversation_id)
            assert conversation is not None
            version = conversation.version
        version = await store.save_turn(
            conversation_id, sample_state(turn), sample_entries(turn), version
        )


async def measure(synchronous: Literal["NORMAL", "FULL"], tasks: int, load: bool) -> float:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        store = SQLStore(url, sqlite_synchronous=synchronous)
        await store.start()
        try:
            ids = [
                (await store.create_conversation("bench", "web", f"user{n}", "t")).id
                for n in range(tasks)
            ]
            per_task = TURNS // tasks
            started = time.perf_counter()
            await asyncio.gather(*(one_writer(store, cid, per_task, load) for cid in ids))
            elapsed = time.perf_counter() - started
        finally:
            await store.close()
    return per_task * tasks / elapsed


async def main() -> None:
    print(f"SQLite, {TURNS} turns, ~1 KB state + 2 transcript rows saved per turn")
    for synchronous in ("NORMAL", "FULL"):
        for load in (False, True):
            for tasks in (1, CONVERSATIONS):
                rate = await measure(synchronous, tasks, load)
                what = "get_conversation + save_turn" if load else "save_turn"
                print(
                    f"  synchronous={synchronous:<6} {what:<28} "
                    f"{tasks:>3} concurrent conversations: {rate:6.0f} turns/s",
                    flush=True,
                )


if __name__ == "__main__":
    asyncio.run(main())
