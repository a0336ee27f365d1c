"""A turn's time and randomness come from its Ports: DATE and RAND are reproducible."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from flowbot.engine import InboundMessage, Ports, load_program, run_turn
from flowbot.format.models import Bot

from .support import node, one_flow, text, texts

BOT = Bot.model_validate(
    one_flow(
        node(1, "entry", {}, 2),
        text(2, "{{DATE(null, 'YYYY-MM-DD HH:mm', 'Asia/Seoul')}} {{RAND(1, 1000000)}}"),
    )
)
OPEN = InboundMessage("c", type="event", event="open")


def pinned(seed: int) -> Ports:
    return Ports(now=lambda: datetime(2024, 5, 17, 0, 30, tzinfo=UTC), random=random.Random(seed))


async def test_a_pinned_clock_and_seed_make_the_turn_reproducible() -> None:
    program = load_program(BOT, "dates")
    first = texts(await run_turn(program, None, OPEN, pinned(7)))
    again = texts(await run_turn(program, None, OPEN, pinned(7)))
    other = texts(await run_turn(program, None, OPEN, pinned(8)))
    assert first == again
    assert first[0].startswith("2024-05-17 09:30 ")
    assert other[0].startswith("2024-05-17 09:30 ") and other != first


async def test_turns_side_by_side_keep_their_own_environment() -> None:
    program = load_program(BOT, "dates")

    async def at(day: int) -> str:
        ports = Ports(now=lambda: datetime(2024, 5, day, tzinfo=UTC), random=random.Random(day))
        return texts(await run_turn(program, None, OPEN, ports))[0][:10]

    assert await asyncio.gather(at(1), at(2), at(3)) == ["2024-05-01", "2024-05-02", "2024-05-03"]
    # and a turn without pinned ports reads the system clock again
    now = texts(await run_turn(program, None, OPEN))[0][:4]
    assert int(now) >= 2025
