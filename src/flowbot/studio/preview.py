"""The studio's preview: one turn of the real engine, in memory, with the inspector's view.

Nothing is stored and no webhook event is built: the conversation's state
travels with the client as `session` (opaque to it), and goes back with the
next message. Restarting from an earlier bot message is sending the session
kept at that point. Fetch and sandbox nodes run through the ports given (the
server's, as for a real turn).

The replies are the web channel's answer (`flowbot.channels.web.render_answer`),
exactly what the widget renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from time import perf_counter_ns
from typing import Any, Final

from flowbot.channels.web import render_answer
from flowbot.engine import ConversationState, InboundMessage, Ports, Program, run_turn
from flowbot.engine.context import build_context
from flowbot.engine.messages import GotoTarget
from flowbot.engine.turn import TurnResult
from flowbot.studio.inspector import EdgeRecorder, inspected_node, json_safe

__all__ = ["PREVIEW_USER", "PreviewError", "PreviewTurn", "inbound", "run_preview"]

PREVIEW_USER: Final = "studio-preview"
_SESSION_VERSION: Final = 1


class PreviewError(ValueError):
    """A session or message the preview cannot run (answered 422)."""


@dataclass(frozen=True, slots=True)
class PreviewTurn:
    result: TurnResult
    answer: dict[str, Any]
    session: dict[str, Any]
    turn: dict[str, Any]


def inbound(message: Mapping[str, Any]) -> InboundMessage:
    """A preview message (`{text?, payload?, goto?, params?}`) as the web channel reads it."""
    text, payload, goto = message.get("text"), message.get("payload"), message.get("goto")
    target = None
    if isinstance(goto, Mapping):
        node_id = goto.get("nodeId")
        target = GotoTarget(str(goto["flowId"]), None if node_id is None else str(node_id))
    params = message.get("params")
    common: dict[str, Any] = {
        "channel": "web",
        "user_key": PREVIEW_USER,
        "params": dict(params) if isinstance(params, Mapping) else {},
    }
    if target is not None or payload is not None:
        return InboundMessage(
            PREVIEW_USER, "postback", text=text, payload=payload, goto=target, **common
        )
    if text is not None:
        return InboundMessage(PREVIEW_USER, "text", text=text, **common)
    return InboundMessage(PREVIEW_USER, "event", event="open", **common)


def session_state(session: Mapping[str, Any] | None) -> ConversationState | None:
    if not session:
        return None
    if session.get("v") != _SESSION_VERSION or "state" not in session:
        raise PreviewError("session: not one a preview answered; start without one")
    state = session["state"]
    if state is None:
        return None
    try:
        return ConversationState.from_json(state)
    except Exception as error:  # a session edited by hand: any shape
        raise PreviewError(f"session: not one a preview answered ({error})") from None


async def run_preview(
    program: Program,
    session: Mapping[str, Any] | None,
    message: Mapping[str, Any],
    ports: Ports | None,
) -> PreviewTurn:
    state = session_state(session)
    sent = inbound(message)
    before = ConversationState() if state is None else state
    context_before = build_context(program.bot_id, sent, before, {**before.params, **sent.params})
    recorder = EdgeRecorder(program)
    started = perf_counter_ns()
    result = await run_turn(program, state, sent, ports, observe=recorder)
    elapsed = perf_counter_ns() - started
    after = result.state
    context_after = build_context(program.bot_id, sent, after, after.params)
    answer = render_answer(result.replies, result.quick_replies)
    turn = {
        "ms": round(elapsed / 1e6, 3),
        "error": result.error,
        "nodes": [inspected_node(step) for step in result.trace],
        "edges": recorder.edges,
        "contextBefore": json_safe(context_before),
        "contextAfter": json_safe(context_after),
    }
    return PreviewTurn(
        result,
        json_safe(answer),
        {"v": _SESSION_VERSION, "state": json_safe(after.to_json())},
        turn,
    )
