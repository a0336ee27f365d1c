"""The web channel: flowbot's own JSON, spoken by the chat widget (WEB_API).

Inbound body::

    {"userKey": str, "text"?: str, "payload"?: str, "event"?: "open",
     "goto"?: {"flowId": id, "nodeId"?: id}, "params"?: {...}, "messageId"?: str}

A postback click carries its label as `text` and its payload as `payload`; a
goto click carries `goto`. A body with none of text, payload, goto or event
opens the conversation (the widget's first request). `messageId` is an
optional client id that makes a retried request answer once (see the server).

Outbound: `{"replies": [Message], "quickReplies": [QuickReply]}` within the
web limits of SPEC §6, as the synchronous answer (`Rendered.answer`).

The web channel has no platform to verify: each conversation's bearer token
is checked by the conversation service. Its route (`flowbot.server.messages`)
calls `parse_request` and `render_answer` directly, the hot path of every
widget turn; `parse` and `render` are the same functions behind the
interface every channel offers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from flowbot.channels.base import (
    Acknowledgement,
    ChannelInputError,
    ChannelSettings,
    InboundEvent,
    OutboundCall,
    Parsed,
    PreparedRequest,
    Recipient,
    Rendered,
    WebhookRequest,
)
from flowbot.channels.capabilities import CAPABILITIES, ChannelCapabilities
from flowbot.channels.limits import apply_limits
from flowbot.engine.messages import GotoTarget, InboundMessage, MessageType
from flowbot.format.shape import LONE_SURROGATE, value_problem

__all__ = [
    "MAX_TEXT_CHARS",
    "NAME",
    "Settings",
    "WebRequest",
    "capabilities",
    "handshake",
    "parse",
    "parse_request",
    "prepare",
    "render",
    "render_answer",
    "verify",
]

NAME = "web"
capabilities = CAPABILITIES["web"]


class Settings(ChannelSettings):
    """The web channel needs none: every bot has it."""


MAX_USER_KEY_CHARS = 200
MAX_TEXT_CHARS = 5000
MAX_MESSAGE_ID_CHARS = 200
MAX_PARAMS = 50
# a param value: at most this deep and this big (JSON characters, roughly)
MAX_PARAM_DEPTH = 8
MAX_PARAMS_CHARS = 8_000
PARAM_KEY = re.compile(r"[A-Za-z0-9_-]{1,100}")
_LONE_SURROGATE = LONE_SURROGATE
# 19 digits may be an integer orjson cannot hold (see _load_json)
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


@dataclass(frozen=True, slots=True)
class WebRequest:
    """One parsed web-channel request: the inbound message and its client id."""

    message: InboundMessage
    message_id: str | None = None


def verify(settings: Settings, request: WebhookRequest) -> None:
    """Nothing to verify here: the conversation's token is the service's to check."""


def handshake(settings: Settings, request: WebhookRequest) -> Acknowledgement | None:
    return None


def parse(request: WebhookRequest) -> Parsed:
    """The one event of a request body; raises `ChannelInputError`."""
    parsed = parse_request(request.body)
    message = parsed.message
    return Parsed([InboundEvent(message.user_key, message, delivery_id=parsed.message_id)])


def render(
    replies: Sequence[Mapping[str, Any]],
    quick_replies: Sequence[Mapping[str, Any]],
    recipient: Recipient,
    capabilities: ChannelCapabilities = capabilities,
) -> Rendered:
    fitted, quick, _ = apply_limits(replies, quick_replies, capabilities)
    return Rendered(answer={"replies": fitted, "quickReplies": quick})


def prepare(settings: Settings, call: OutboundCall) -> PreparedRequest:
    raise NotImplementedError("the web channel answers in the HTTP response: it makes no calls")


def parse_request(body: bytes) -> WebRequest:
    data = _load_json(body)
    if not isinstance(data, dict):
        raise ChannelInputError(422, "the body must be a JSON object", ["$: expected an object"])
    problems: list[str] = []
    user_key = _string(data, "userKey", MAX_USER_KEY_CHARS, problems, required=True)
    text = _string(data, "text", MAX_TEXT_CHARS, problems)
    payload = _string(data, "payload", capabilities.payload_chars or 1000, problems)
    message_id = _string(data, "messageId", MAX_MESSAGE_ID_CHARS, problems)
    event = data.get("event")
    if event is not None and event != "open":
        problems.append('event: the only event is "open"')
    goto = _goto(data.get("goto"), problems)
    params = _params(data.get("params"), problems)
    if problems:
        raise ChannelInputError(422, "the body does not follow the web channel schema", problems)
    kind: MessageType
    if goto is not None or payload is not None:
        kind = "postback"
    elif text is not None:
        kind = "text"
    else:
        kind, event = "event", "open"
    message = InboundMessage(
        conversation_key=user_key or "",
        type=kind,
        text=text,
        payload=payload,
        event=event,
        goto=goto,
        channel="web",
        user_key=user_key or "",
        params=params,
    )
    return WebRequest(message, message_id)


def render_answer(
    replies: Sequence[Mapping[str, Any]], quick_replies: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The answer body of one turn: `render` without the `Rendered` around it."""
    fitted, quick, _ = apply_limits(replies, quick_replies, capabilities)
    return {"replies": fitted, "quickReplies": quick}


def _load_json(body: bytes) -> Any:
    # orjson reads the common body several times faster than `json`. Whatever it
    # refuses (NaN, lone surrogates, a BOM, UTF-16 bodies…) gets `json`'s verdict,
    # and so does any body with a long digit run, as orjson reads integers over
    # 64 bits as floats: the values read and the error messages stay json's.
    if _LONG_DIGITS.search(body) is None:
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ChannelInputError(400, f"the body is not JSON: {error}") from None
    except RecursionError:
        raise ChannelInputError(
            400, "the body is not JSON this server reads: nested too deeply"
        ) from None


def _string(
    data: Mapping[str, Any], key: str, limit: int, problems: list[str], *, required: bool = False
) -> str | None:
    value = data.get(key)
    if (
        type(value) is str
        and len(value) <= limit
        and (not required or value.strip())
        and _LONE_SURROGATE.search(value) is None
        and (key == "text" or "\x00" not in value)
    ):
        return value
    if value is None:
        if required:
            problems.append(f"{key}: required")
        return None
    if not isinstance(value, str):
        problems.append(f"{key}: expected a string, got {_json_type(value)}")
        return None
    if required and not value.strip():
        problems.append(f"{key}: must not be empty")
        return None
    if len(value) > limit:
        problems.append(f"{key}: {len(value)} characters, at most {limit} allowed")
        return None
    if _LONE_SURROGATE.search(value) is not None:
        problems.append(f"{key}: holds a lone surrogate (\\ud800–\\udfff), which is not Unicode")
        return None
    if "\x00" in value and key != "text":
        problems.append(f"{key}: holds a NUL character")
        return None
    return value


def _goto(value: Any, problems: list[str]) -> GotoTarget | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(f"goto: expected an object, got {_json_type(value)}")
        return None
    flow_id = value.get("flowId")
    node_id = value.get("nodeId")
    if not _is_id(flow_id):
        problems.append("goto.flowId: expected a non-empty string or an integer")
        return None
    if node_id is not None and not _is_id(node_id):
        problems.append("goto.nodeId: expected a non-empty string or an integer")
        return None
    return GotoTarget(str(flow_id).strip(), None if node_id is None else str(node_id).strip())


def _params(value: Any, problems: list[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append(f"params: expected an object, got {_json_type(value)}")
        return {}
    if len(value) > MAX_PARAMS:
        problems.append(f"params: {len(value)} keys, at most {MAX_PARAMS} allowed")
        return {}
    for key in value:
        if not PARAM_KEY.fullmatch(key):
            problems.append(f"params.{key}: a key is letters, digits, _ and - only")
    problem = value_problem(value, max_depth=MAX_PARAM_DEPTH, max_chars=MAX_PARAMS_CHARS)
    if problem:
        problems.append(f"params: {problem}")
    return dict(value)


def _is_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return (
        isinstance(value, str)
        and bool(value.strip())
        and len(value) <= 200
        and _LONE_SURROGATE.search(value) is None
    )


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
