"""`parameter` nodes: set from templates, null deletes, clear."""

from __future__ import annotations

from typing import Any

from flowbot.engine import ConversationState, InboundMessage, run_turn

from .support import node, one_flow, program_of, text, texts


def _set(id: int, *pairs: tuple[str, Any], next: int | None = None) -> dict[str, Any]:
    params = [{"key": key, "value": value} for key, value in pairs]
    return node(id, "parameter", {"type": "set", "params": params}, *([next] if next else []))


async def test_set_renders_values_in_order_and_null_deletes() -> None:
    bot = one_flow(
        node(1, "entry", {}, 2),
        _set(2, ("name", "{{message.text}}"), ("greeting", "hi {{name}}"), ("old", None), next=3),
        text(3, "{{greeting}} / {{params.old}}"),
    )
    state = ConversationState(params={"old": "x", "keep": [1]})
    result = await run_turn(program_of(bot), state, InboundMessage("c", text="지우"))
    assert texts(result) == ["hi 지우 / "]
    assert result.state.params == {"name": "지우", "greeting": "hi 지우", "keep": [1]}
    assert result.trace[1].params == {"name": "지우", "greeting": "hi 지우", "old": None}
    assert state.params == {"old": "x", "keep": [1]}


async def test_literal_values_keep_their_type() -> None:
    bot = one_flow(node(1, "entry", {}, 2), _set(2, ("n", 3), ("list", [1, {"a": True}])))
    result = await run_turn(program_of(bot), None, InboundMessage("c", text="x"))
    assert result.state.params == {"n": 3, "list": [1, {"a": True}]}


async def test_clear_removes_every_param() -> None:
    bot = one_flow(
        node(1, "entry", {}, 2), node(2, "parameter", {"type": "clear"}, 3), text(3, "[{{a}}]")
    )
    state = ConversationState(params={"a": 1, "b": 2})
    result = await run_turn(program_of(bot), state, InboundMessage("c", text="x"))
    assert texts(result) == ["[]"]
    assert result.state.params == {}
    assert result.trace[1].params == {"a": None, "b": None}
