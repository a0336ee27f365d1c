"""Edge choice (SPEC §4.4): priority, then more conditions, then file order."""

from __future__ import annotations

from typing import Any

import pytest

from .support import Chat, node, one_flow, program_of, text, texts


def _branching(*edges: dict[str, Any]) -> dict[str, Any]:
    nodes = [node(1, "entry", {}, *edges)]
    nodes += [text(n, f"to {n}") for n in (2, 3, 4)]
    return one_flow(*nodes)


HI = {"message": {"equals": "hi"}}
HI_TEXT = {"message.text": {"equals": "hi"}, "message.type": {"equals": "text"}}


@pytest.mark.parametrize(
    ("edges", "expected", "reason"),
    [
        (
            [{"nodeId": 2}, {"nodeId": 3, "where": HI, "priority": 1}],
            "to 3",
            "higher priority (1 > 0)",
        ),
        (
            [{"nodeId": 2, "priority": 5}, {"nodeId": 3, "where": HI}],
            "to 2",
            "higher priority (5 > 0)",
        ),
        ([{"nodeId": 2}, {"nodeId": 3, "where": HI}], "to 3", "more conditions (1 > 0)"),
        (
            [{"nodeId": 2, "where": HI}, {"nodeId": 3, "where": HI_TEXT}],
            "to 3",
            "more conditions (2 > 1)",
        ),
        (
            [{"nodeId": 2, "where": HI}, {"nodeId": 3, "where": HI}],
            "to 2",
            "file order (next[0] before next[1])",
        ),
        (
            [{"nodeId": 2, "where": {"message": {"equals": "no"}}}, {"nodeId": 3}],
            "to 3",
            "only matching edge",
        ),
        ([{"nodeId": 4}], "to 4", "only edge"),
    ],
)
async def test_edge_choice_and_its_reason(
    edges: list[dict[str, Any]], expected: str, reason: str
) -> None:
    result = await Chat(program_of(_branching(*edges))).say("hi")
    assert texts(result) == [expected]
    choice = result.trace[0].edge
    assert choice is not None and choice.reason() == reason
    assert result.trace[0].to_json()["edge"]["reason"] == reason


async def test_no_edge_matched_ends_the_run_and_clears_the_position() -> None:
    bot = _branching({"nodeId": 2, "where": {"message": {"equals": "nope"}}})
    result = await Chat(program_of(bot)).say("hi")
    assert result.trace[0].to_json()["edge"] == {"reason": "no edge matched"}
    assert result.state.navigation is None
