"""The transcript and event forms of a turn's messages."""

from __future__ import annotations

from typing import Any

from flowbot.engine import InboundMessage, TurnResult
from flowbot.engine.context import stored_message

__all__ = ["inbound_json", "logged_replies"]


def inbound_json(message: InboundMessage) -> dict[str, Any]:
    """The transcript and event form of an inbound message (absent fields left out):
    the state's form of the last message, plus what only the log keeps."""
    data = stored_message(message)
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
