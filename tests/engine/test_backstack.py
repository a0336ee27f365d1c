"""The back stack (SPEC §4.5): the pure operations and the `back` node in a run."""

from __future__ import annotations

from typing import Any

from flowbot.engine import backstack

from .support import Chat, node, one_flow, program_of, text, texts

A, B, C, D = (1, 1), (1, 2), (1, 3), (1, 4)


def test_push_keeps_at_most_the_limit() -> None:
    stack: tuple[Any, ...] = ()
    for index in range(5):
        stack = backstack.push(stack, (1, index), limit=3)
    assert stack == ((1, 2), (1, 3), (1, 4))


def test_pop_skips_the_current_screen_on_top() -> None:
    assert backstack.pop((A, B, C), True, 1) == (B, (A,))
    assert backstack.pop((A, B, C), True, 2) == (A, ())


def test_pop_without_a_current_screen_takes_the_top() -> None:
    assert backstack.pop((A, B, C), False, 1) == (C, (A, B))


def test_pop_past_the_bottom_empties_the_stack() -> None:
    assert backstack.pop((A, B), True, 2) == (None, ())
    assert backstack.pop((), False, 1) == (None, ())


def test_drop_consumes_the_runs_own_push_first() -> None:
    assert backstack.drop((A, B, C), 1, push_consumed=False) == ((A, B, C), 0)
    assert backstack.drop((A, B, C), 3, push_consumed=False) == ((A,), 2)
    assert backstack.drop((A, B, C), 1, push_consumed=True) == ((A, B), 1)
    assert backstack.drop((A,), 5, push_consumed=True) == ((), 1)


def _screens_bot() -> dict[str, Any]:
    """Screens S1..S3 (a text + keyboard each); "back" anywhere pops, "skip" drops."""

    def screen(number: int, first: int, then: int | None) -> list[dict[str, Any]]:
        edges: list[Any] = [{"nodeId": 90, "where": {"message": {"equals": "back"}}}]
        if then is not None:
            edges.append({"nodeId": then, "where": {"message": {"equals": "next"}}})
            edges.append({"nodeId": 80 + number, "where": {"message": {"equals": "skip"}}})
        return [text(first, f"S{number}", first + 1), node(first + 1, "keyboard", {}, *edges)]

    nodes = [node(1, "entry", {}, 10)]
    nodes += screen(1, 10, 20) + screen(2, 20, 30) + screen(3, 30, None)
    nodes += [
        node(81, "back", {"operation": "drop", "count": 1}, 30),
        node(82, "back", {"operation": "drop", "count": 2}, 30),
        node(90, "back", {"operation": "pop", "count": 1}),
    ]
    return one_flow(*nodes)


async def test_back_node_walk_with_pop_and_drop() -> None:
    chat = Chat(program_of(_screens_bot()))
    assert texts(await chat.open()) == ["S1"]
    assert texts(await chat.say("next")) == ["S2"]
    assert texts(await chat.say("next")) == ["S3"]
    assert texts(await chat.say("back")) == ["S2"]
    assert texts(await chat.say("back")) == ["S1"]
    assert texts(await chat.say("back")) == ["S1"]  # past the bottom: the start flow's entry


async def test_drop_2_skips_the_screen_it_came_from_too() -> None:
    chat = Chat(program_of(_screens_bot()))
    await chat.open()
    await chat.say("next")  # S2
    assert texts(await chat.say("skip")) == ["S3"]  # drop 2: no push for S3, S2 removed
    assert texts(await chat.say("back")) == ["S1"]


async def test_a_run_ending_without_keyboard_is_not_the_current_screen() -> None:
    bot = one_flow(
        node(1, "entry", {}, 2),
        text(2, "menu", 3),
        node(3, "keyboard", {}, {"nodeId": 4, "where": {"message": {"equals": "go"}}}),
        text(4, "done"),
        node(5, "back", {"operation": "pop"}),
        fallbackFlowId=2,
    )
    bot["flows"].append(
        {
            "id": 2,
            "data": {"entry": 1},
            "nodes": [node(1, "entry", {}, 2), node(2, "flow", {"flowId": 1, "nodeId": 5})],
        }
    )
    chat = Chat(program_of(bot))
    await chat.open()
    assert texts(await chat.say("go")) == ["done"]
    assert texts(await chat.say("back")) == ["menu"]
    assert chat.state is not None and chat.state.navigation == {"flowId": 1, "nodeId": 3}
