"""The context templates and edge conditions of one turn see (SPEC §3, §5).

User text and payloads are only ever data here: nothing in this module (or
anywhere in the engine) renders them as templates.
"""

from __future__ import annotations

import json
from typing import Any, Final

from flowbot.engine.messages import InboundMessage
from flowbot.engine.state import ConversationState
from flowbot.template.jsvalues import TextObject

__all__ = ["PAYLOAD_LIMIT", "build_context", "message_context", "parse_payload", "stored_message"]

PAYLOAD_LIMIT: Final = 1000

# Only strings that can start a JSON text are worth a parse attempt; this keeps
# plain-word payloads ("YES") off the exception path.
_JSON_STARTS: Final = frozenset('{["-0123456789tfn \t\r\n')


def _reject_constant(name: str) -> Any:
    # JSON.parse refuses NaN and Infinity; so do we.
    raise ValueError(f"{name} is not JSON")


_decode = json.JSONDecoder(parse_constant=_reject_constant).decode


def parse_payload(raw: str) -> Any:
    """The JSON value of a payload string when it parses as JSON, else the string."""
    if not raw or raw[0] not in _JSON_STARTS:
        return raw
    try:
        return _decode(raw)
    except (ValueError, RecursionError):
        return raw


def message_context(message: InboundMessage) -> dict[str, Any]:
    """`message` in the context: {type, text, payload, media} (+ location, event)."""
    payload = message.payload
    kind = message.type
    # A postback without payload is just its label sent as text (SPEC §3).
    if kind == "postback" and payload is None and message.goto is None:
        kind = "text"
    # prints as its text: CLOSER's `{{message}}` is the user's text
    context: dict[str, Any] = TextObject(
        type=kind,
        text=message.text,
        payload=None if payload is None else parse_payload(payload),
        media=message.media,
    )
    if message.location is not None:
        context["location"] = message.location
    if message.event is not None:
        context["event"] = message.event
    return context


def stored_message(message: InboundMessage) -> dict[str, Any]:
    """The last user message as the state keeps it (raw payload, no empty keys)."""
    stored: dict[str, Any] = {"type": message.type}
    if message.text is not None:
        stored["text"] = message.text
    if message.payload is not None:
        stored["payload"] = message.payload
    if message.event is not None:
        stored["event"] = message.event
    return stored


def build_context(
    bot_id: str,
    message: InboundMessage,
    state: ConversationState,
    params: Any,
) -> dict[str, Any]:
    """The turn's context. Node results start as the previous turn left them.

    `userKey` is the messenger's id of the user, which two messengers may
    share; `endUserId` is flowbot's, unique across them: the channel and the
    user key (CLOSER's context page tells the two apart the same way).
    """
    user_key = message.user_key
    return {
        "botId": bot_id,
        "endUserId": f"{message.channel}:{user_key}" if user_key else "",
        "conversationId": message.conversation_key,
        "platform": message.channel,
        "userKey": user_key,
        "message": message_context(message),
        "params": params,
        "error": state.error,
        "fetch": state.fetch,
        "sandbox": state.sandbox,
        "keyboard": state.keyboard,
    }
