"""The transcript and event forms of a turn's messages."""

from __future__ import annotations

from typing import Any

from flowbot.engine import InboundMessage, TurnResult

__all__ = ["inbound_json", "logged_replies"]


def inbound_json(message: InboundMessage) -> dict[str, Any]:
    """The transcript and event form of an inbound message (absent fields left out)."""
    data: dict[str, Any] = {"type": message.type}
    if message.text is not None:
        data["text"] = message.text
    if message.payload is not None:
        data["payload"] = message.payload
    if message.event is not None:
        data["event"] = message.event
    if message.goto is not None:
        goto: dict[str, Any] = {"flowId": message.goto.flow_id}
        if message.goto.node_id is not None:
            goto["nodeId"] = message.goto.node_id
        data["goto"] = goto
    if message.media is not None:
        data["media"] = message.media
    if message.location is not None:
        data["location"] = message.location
    if message.params:
        data["params"] = message.params
    return data


def logged_replies(result: TurnResult) -> list[dict[str, Any]]:
    """The replies as stored and sent to event webhooks: MASK spans starred."""
    return result.replies if result.logged_replies is None else result.logged_replies
