"""Engine throughput: turns per second, flow-count scaling and state size.

Run: .venv/bin/python bench/turns.py [--conversations N]

Prints:
- turns/s of a starter-pick scenario (open → image, text, 3-card carousel;
  then a click on the second card's JSON-payload button) over N
  conversations in one process on one core, with and without the JSON round
  trip of the state a store would do;
- the mean time per turn of that scenario in a 1-flow bot and in the same
  bot plus 9,999 generated flows (targets: ≥ 10,000 turns/s, ≤ 1.2× slower);
- the serialized size of one conversation's state after the click (≤ 1 KB).

The bot is written here (an equivalent of the CLOSER Pokémon starter export,
not a copy of it) so that the script runs without ../shared.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
from typing import Any

from flowbot.engine import ConversationState, InboundMessage, Program, load_program, run_turn
from flowbot.format.models import Bot

STARTERS = [("Sprout", "leafy"), ("Ember", "warm"), ("Drop", "splashy")]


def starter_flow(flow_id: int) -> dict[str, Any]:
    cards = [
        {
            "title": name,
            "description": f"A {mood} companion.",
            "media": {"uri": f"https://img.example/{name.lower()}.png", "contentType": "image"},
            "buttons": [
                {
                    "type": "postback",
                    "label": "I choose you!",
                    "payload": json.dumps({"pick": name}),
                }
            ],
        }
        for name, mood in STARTERS
    ]
    picked = {"message.payload.pick": {"exists": True}}

    def response(node_id: int, message: dict[str, Any], *next_ids: int) -> dict[str, Any]:
        next_edges = [{"nodeId": n} for n in next_ids]
        return {"id": node_id, "type": "response", "data": {"message": message}, "next": next_edges}

    return {
        "id": flow_id,
        "title": "starter pick",
        "data": {"entry": 1},
        "nodes": [
            {"id": 1, "type": "entry", "data": {}, "next": [{"nodeId": 2}]},
            response(
                2,
                {
                    "type": "media",
                    "media": {"uri": "https://img.example/prof.png", "contentType": "image"},
                },
                3,
            ),
            response(3, {"type": "text", "text": "Welcome!\nPick your first companion."}, 4),
            response(4, {"type": "cards", "cards": cards}, 5),
            {
                "id": 5,
                "type": "keyboard",
                "data": {"type": "any", "strict": False},
                "next": [{"nodeId": 6}, {"nodeId": 7, "where": picked, "priority": 1}],
            },
            response(6, {"type": "text", "text": "Please pick one first."}, 4),
            response(7, {"type": "text", "text": "You picked {{message.payload.pick}}. Great!"}),
        ],
    }


def filler_flow(flow_id: int) -> dict[str, Any]:
    return {
        "id": flow_id,
        "title": f"filler {flow_id}",
        "data": {"entry": 1},
        "nodes": [
            {"id": 1, "type": "entry", "data": {}, "next": [{"nodeId": 2}]},
            {
                "id": 2,
                "type": "response",
                "data": {
                    "message": {"type": "text", "text": f"flow {flow_id} says {{{{params.x}}}}"}
                },
                "next": [{"nodeId": 3}],
            },
            {
                "id": 3,
                "type": "keyboard",
                "data": {"type": "text"},
                "next": [{"nodeId": 4, "where": {"message": {"equals": "next"}}}],
            },
            {"id": 4, "type": "flow", "data": {"flowId": (flow_id % 9_999) + 2}, "next": []},
        ],
    }


def program_with(flow_count: int) -> Program:
    flows = [starter_flow(1)] + [filler_flow(n) for n in range(2, flow_count + 1)]
    return load_program(Bot.model_validate({"flows": flows, "preference": {"entryFlowId": 1}}))


OPEN = {"type": "event", "event": "open"}
CLICK = {"type": "postback", "text": "I choose you!", "payload": json.dumps({"pick": "Ember"})}


async def scenario(program: Program, conversations: int, round_trip: bool) -> tuple[int, float]:
    """Runs open + click per conversation; returns (turns, seconds)."""
    turns = 0
    started = time.perf_counter()
    for number in range(conversations):
        key = f"c{number}"
        opened = await run_turn(program, None, InboundMessage(key, **OPEN))
        state = opened.state
        if round_trip:
            state = ConversationState.from_json(json.loads(json.dumps(state.to_json())))
        clicked = await run_turn(program, state, InboundMessage(key, **CLICK))
        if round_trip:
            json.dumps(clicked.state.to_json())
        turns += 2
    return turns, time.perf_counter() - started


async def check(program: Program) -> ConversationState:
    opened = await run_turn(program, None, InboundMessage("check", **OPEN))
    assert [reply["type"] for reply in opened.replies] == ["media", "text", "cards"]
    clicked = await run_turn(program, opened.state, InboundMessage("check", **CLICK))
    assert clicked.replies == [{"type": "text", "text": "You picked Ember. Great!"}], clicked
    return clicked.state


def per_turn_us(programs: list[Program], conversations: int, repeats: int) -> list[float]:
    """Best mean time per turn of each program; repeats alternate so load noise hits all."""
    best = [float("inf")] * len(programs)
    for _ in range(repeats):
        for index, program in enumerate(programs):
            turns, seconds = asyncio.run(scenario(program, conversations, round_trip=False))
            best[index] = min(best[index], seconds / turns * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=10_000)
    args = parser.parse_args()
    gc.collect()

    small = program_with(1)
    state = asyncio.run(check(small))
    asyncio.run(scenario(small, 500, round_trip=False))  # warm-up

    turns, seconds = asyncio.run(scenario(small, args.conversations, round_trip=False))
    print("scenario: open → image, text, 3-card carousel; click the 2nd card's button")
    print(
        f"  engine only:        {turns / seconds:10,.0f} turns/s  "
        f"({turns:,} turns over {args.conversations:,} conversations in {seconds:.2f} s)"
    )
    turns, seconds = asyncio.run(scenario(small, args.conversations, round_trip=True))
    print(f"  + state JSON trip:  {turns / seconds:10,.0f} turns/s")

    size = len(json.dumps(state.to_json()).encode())
    size_utf8 = len(json.dumps(state.to_json(), ensure_ascii=False).encode())
    print(
        f"state after the click: {size} bytes (json.dumps), {size_utf8} bytes (UTF-8, no escapes)"
    )

    load_started = time.perf_counter()
    big = program_with(10_000)
    load_seconds = time.perf_counter() - load_started
    asyncio.run(check(big))
    sample = max(1_000, args.conversations // 5)
    small_us, big_us = per_turn_us([small, big], sample, 5)
    print(f"per turn, 1-flow bot:      {small_us:7.1f} µs")
    print(
        f"per turn, 10,000-flow bot: {big_us:7.1f} µs  ({big_us / small_us:.2f}×; "
        f"load_program took {load_seconds:.1f} s)"
    )


if __name__ == "__main__":
    main()
