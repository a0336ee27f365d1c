"""Which node each reply came from, for the degradation log lines."""

from __future__ import annotations

from flowbot.engine import ConversationState, TurnResult
from flowbot.engine.trace import TraceStep
from flowbot.server.outbound import reply_origins


def step(node: int, kind: str, data: object) -> TraceStep:
    made = TraceStep(1, node, kind, None)
    made.data = data
    return made


def test_a_sandbox_scripts_message_is_a_reply_of_its_node() -> None:
    trace = [
        step(2, "response", {"type": "text", "text": "one"}),
        step(3, "sandbox", {"result": {}, "error": None, "status": "COMPLETED"}),
        step(4, "sandbox", {"result": {}, "error": None, "status": "COMPLETED", "sent": {}}),
        step(5, "response", {"type": "text", "text": "three"}),
    ]
    replies = [{"type": "text", "text": t} for t in ("one", "two", "three")]
    result = TurnResult(ConversationState(), replies, [], trace)
    assert reply_origins(result) == [(1, 2), (1, 4), (1, 5)]
