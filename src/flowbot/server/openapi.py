"""The OpenAPI 3 description of the JSON API and the web channel, written by hand.

Hand-written rather than generated: the routes are plain Starlette handlers
that validate their bodies themselves, so a generator would have nothing to
read the schemas from. `tests/server/test_openapi.py` checks that every
route of the app is described here and every described path is routed.
"""

from __future__ import annotations

import html
from typing import Any

from flowbot.channels.registry import MESSENGERS

__all__ = ["OPENAPI", "docs_page"]


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if schema is not None:
        answer.update(_json(schema))
    return answer


_ERRORS = {
    "400": _answer("The body is not JSON", _ref("Error")),
    "403": _answer("No API key configured, or a wrong or missing key", _ref("Error")),
    "404": _answer("Unknown bot or conversation", _ref("Error")),
    "422": _answer("The body does not follow the schema; `problems` lists why", _ref("Error")),
}
_SECURED: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]
_ID = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
_BOT_ID = {"name": "botId", "in": "path", "required": True, "schema": {"type": "string"}}
_CONVERSATION_ID = {
    "name": "conversationId",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
}
_CHANNEL = {
    "name": "channel",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "enum": list(MESSENGERS)},
}
_LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}}


# The widget runs on other sites' pages: its routes answer CORS preflights.
_PREFLIGHT: dict[str, Any] = {
    "summary": "CORS preflight of a page embedding the widget ([web] allowed_origins)",
    "tags": ["web channel"],
    "responses": {
        "200": _answer("The origin, method and headers are allowed"),
        "400": _answer("The origin, method or a header is not allowed"),
        "405": _answer("Not a preflight (no Origin / Access-Control-Request-Method)"),
    },
}


def _api(summary: str, answers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": ["api"],
        "security": _SECURED,
        "responses": {**answers, **{k: v for k, v in _ERRORS.items() if k != "400"}},
    }
    if "requestBody" in extra:
        operation["responses"]["400"] = _ERRORS["400"]
    operation.update(extra)
    return operation


OPENAPI: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "flowbot",
        "version": "0.1.0",
        "description": (
            "Run CLOSER chatbot flows. The JSON API (/api) needs the API key configured "
            "as api_key in flowbot.toml or FLOWBOT_API_KEY; without one it answers 403. "
            "The web channel (/channels/web) is public and protected per conversation "
            "by the token its first answer carries."
        ),
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "conversationToken": {"type": "http", "scheme": "bearer"},
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {"type": "string"},
                    "problems": {"type": "array", "items": {"type": "string"}},
                },
            },
            "Message": {
                "type": "object",
                "description": "A CLOSER Message: text, media, cards or location.",
                "required": ["type"],
                "properties": {
                    "type": {"type": "string", "enum": ["text", "media", "cards", "location"]},
                    "text": {"type": "string"},
                    "buttons": {"type": "array", "items": {"type": "object"}},
                    "media": {"type": "object"},
                    "cards": {"type": "array", "items": {"type": "object"}},
                    "delay": {"type": "integer", "description": "ms of typing before the bubble"},
                },
                "additionalProperties": True,
            },
            "QuickReply": {
                "type": "object",
                "required": ["label"],
                "properties": {
                    "type": {"type": "string", "enum": ["postback"]},
                    "label": {"type": "string"},
                    "payload": {"type": "string", "maxLength": 1000},
                },
            },
            "Bot": {
                "type": "object",
                "description": "A CLOSER bot export {title, flows, preference} (or one flow).",
                "additionalProperties": True,
            },
            "BotSummary": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "title": {"type": "string", "nullable": True},
                    "flows": {"type": "integer"},
                    "source": {"type": "string"},
                },
            },
            "Conversation": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "botId": {"type": "string"},
                    "channel": {"type": "string"},
                    "userKey": {"type": "string"},
                    "version": {"type": "integer"},
                    "createdAt": {"type": "string", "format": "date-time"},
                    "updatedAt": {"type": "string", "format": "date-time"},
                    "navigation": {
                        "type": "object",
                        "nullable": True,
                        "properties": {"flowId": _ID, "nodeId": _ID},
                    },
                    "params": {"type": "object", "additionalProperties": True},
                },
            },
            "TranscriptEntry": {
                "type": "object",
                "properties": {
                    "direction": {"type": "string", "enum": ["in", "out"]},
                    "message": {"type": "object"},
                    "at": {"type": "string", "format": "date-time"},
                },
            },
            "WebMessage": {
                "type": "object",
                "required": ["userKey"],
                "properties": {
                    "userKey": {"type": "string", "maxLength": 200},
                    "text": {"type": "string", "maxLength": 5000},
                    "payload": {"type": "string", "maxLength": 1000},
                    "event": {"type": "string", "enum": ["open"]},
                    "goto": {
                        "type": "object",
                        "required": ["flowId"],
                        "properties": {"flowId": _ID, "nodeId": _ID},
                    },
                    "params": {"type": "object", "additionalProperties": True},
                    "messageId": {
                        "type": "string",
                        "description": "Client id: a retried request with the same id is "
                        "answered again without running a second turn.",
                    },
                },
            },
            "WebAnswer": {
                "type": "object",
                "properties": {
                    "replies": {"type": "array", "items": _ref("Message")},
                    "quickReplies": {"type": "array", "items": _ref("QuickReply")},
                    "conversationId": {"type": "string"},
                    "token": {"type": "string"},
                },
            },
        },
    },
    "paths": {
        "/healthz": {
            "get": {
                "summary": "Health: 200 when the bots are loaded and the database answers",
                "tags": ["server"],
                "responses": {
                    "200": _answer("Ready"),
                    "503": _answer("Starting, stopping, or the database does not answer"),
                },
            }
        },
        "/channels/web/{botId}/messages": {
            "post": {
                "summary": "Send one message (or open the conversation) and get the replies",
                "tags": ["web channel"],
                "description": "The first request of a new userKey opens a conversation and "
                "its answer carries a token; later requests send it as "
                "'Authorization: Bearer <token>'.",
                "security": [{}, {"conversationToken": []}],
                "parameters": [_BOT_ID],
                "requestBody": {"required": True, **_json(_ref("WebMessage"))},
                "responses": {"200": _answer("The replies", _ref("WebAnswer")), **_ERRORS},
            },
            "options": _PREFLIGHT,
        },
        "/channels/{channel}/{botId}": {
            "get": {
                "summary": "A messenger's webhook check (Facebook: hub.challenge)",
                "tags": ["messenger channels"],
                "description": "Facebook subscribes the URL with hub.mode=subscribe, "
                "hub.verify_token and hub.challenge; the challenge is echoed for the "
                "configured verify_token, 403 otherwise. See docs/channels.md.",
                "parameters": [_CHANNEL, _BOT_ID],
                "responses": {
                    "200": {
                        "description": "The challenge",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    "403": _answer("Wrong verify token"),
                    "404": _answer("The bot has no settings for this channel"),
                    "405": _answer("This channel's webhook takes POST only"),
                },
            },
            "post": {
                "summary": "A messenger's webhook: the platform's events, answered 200 at once",
                "tags": ["messenger channels"],
                "description": "Signed by the platform (Facebook: X-Hub-Signature-256; LINE: "
                "x-line-signature). Each user event becomes a turn, run after the answer in "
                "arrival order per conversation; the replies go out through the platform's "
                "API. A redelivered event is answered once.",
                "parameters": [_CHANNEL, _BOT_ID],
                "requestBody": {"required": True, **_json({"type": "object"})},
                "responses": {
                    "200": _answer("Received"),
                    "400": _answer("Not the platform's webhook body"),
                    "403": _answer("Missing or wrong signature"),
                    "404": _answer("The bot has no settings for this channel"),
                    "413": _answer("Body too large"),
                    "503": _answer("Too busy: the platform retries later"),
                },
            },
        },
        "/channels/web/{botId}/conversations/{conversationId}/events": {
            "get": {
                "summary": "Server-sent events: messages pushed to this conversation",
                "tags": ["web channel"],
                "parameters": [
                    _BOT_ID,
                    _CONVERSATION_ID,
                    {
                        "name": "token",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "event: replies, data: {replies, quickReplies, source}",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    "403": _ERRORS["403"],
                    "404": _ERRORS["404"],
                },
            },
            "options": _PREFLIGHT,
        },
        "/api/bots": {
            "get": _api(
                "List the bots",
                {
                    "200": _answer(
                        "The bots",
                        {
                            "type": "object",
                            "properties": {"bots": {"type": "array", "items": _ref("BotSummary")}},
                        },
                    )
                },
            )
        },
        "/api/bots/{botId}": {
            "get": _api(
                "Export a bot as CLOSER JSON",
                {"200": _answer("The bot", _ref("Bot"))},
                parameters=[_BOT_ID],
            ),
            "put": _api(
                "Import a bot (CLOSER JSON); a bot that does not validate changes nothing",
                {
                    "200": _answer("Replaced", _ref("BotSummary")),
                    "201": _answer("Added", _ref("BotSummary")),
                },
                parameters=[_BOT_ID],
                requestBody={"required": True, **_json(_ref("Bot"))},
            ),
        },
        "/api/bots/{botId}/flows": {
            "get": _api(
                "List a bot's flows",
                {"200": _answer("The flows, with the start and fallback flow ids")},
                parameters=[_BOT_ID],
            )
        },
        "/api/bots/{botId}/conversations": {
            "get": _api(
                "List a bot's conversations, most recently updated first",
                {
                    "200": _answer(
                        "The conversations",
                        {
                            "type": "object",
                            "properties": {
                                "conversations": {"type": "array", "items": _ref("Conversation")}
                            },
                        },
                    )
                },
                parameters=[_BOT_ID, _LIMIT],
            )
        },
        "/api/conversations/{conversationId}": {
            "get": _api(
                "Read a conversation: navigation, params and transcript",
                {
                    "200": _answer(
                        "The conversation",
                        {
                            "allOf": [
                                _ref("Conversation"),
                                {
                                    "type": "object",
                                    "properties": {
                                        "transcript": {
                                            "type": "array",
                                            "items": _ref("TranscriptEntry"),
                                        }
                                    },
                                },
                            ]
                        },
                    )
                },
                parameters=[_CONVERSATION_ID, _LIMIT],
            )
        },
        "/api/conversations/{conversationId}/navigation": {
            "post": _api(
                "Change a conversation's navigation (CLOSER's changeNavigation)",
                {"200": _answer("The conversation (with replies when run)", _ref("Conversation"))},
                description="Moves the conversation to a flow's entry node or to one of its "
                "nodes; the next user message starts there. With run=true the target runs "
                "at once (like a goto button) and its replies are pushed to the widget.",
                parameters=[_CONVERSATION_ID],
                requestBody={
                    "required": True,
                    **_json(
                        {
                            "type": "object",
                            "required": ["flowId"],
                            "properties": {
                                "flowId": _ID,
                                "nodeId": _ID,
                                "run": {"type": "boolean", "default": False},
                            },
                        }
                    ),
                },
            )
        },
        "/api/conversations/{conversationId}/messages": {
            "post": _api(
                "Send messages to a conversation, on its own channel",
                {
                    "200": _answer(
                        "Sent",
                        {
                            "type": "object",
                            "properties": {
                                "conversationId": {"type": "string"},
                                "sent": {"type": "integer"},
                                "delivered": {
                                    "type": "integer",
                                    "description": "web: open widgets reached; Facebook and "
                                    "LINE: 1 once the platform's push API took them",
                                },
                            },
                        },
                    ),
                    "409": _answer("The conversation's channel cannot push (KakaoTalk)"),
                    "502": _answer("The platform refused the message"),
                },
                parameters=[_CONVERSATION_ID],
                requestBody={
                    "required": True,
                    **_json(
                        {
                            "type": "object",
                            "description": 'One of "message", "messages" or "text".',
                            "properties": {
                                "message": _ref("Message"),
                                "messages": {"type": "array", "items": _ref("Message")},
                                "text": {"type": "string"},
                                "quickReplies": {"type": "array", "items": _ref("QuickReply")},
                            },
                        }
                    ),
                },
            )
        },
    },
}


def docs_page() -> str:
    """A self-contained HTML page describing the API (no CDN: works offline)."""
    rows = []
    for path, operations in OPENAPI["paths"].items():
        for method, operation in operations.items():
            params = ", ".join(p["name"] for p in operation.get("parameters", []))
            codes = ", ".join(sorted(operation.get("responses", {})))
            rows.append(
                "<tr>"
                f"<td><code>{method.upper()}</code></td>"
                f"<td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(operation['summary'])}"
                + (
                    f"<br><small>{html.escape(operation['description'])}</small>"
                    if "description" in operation
                    else ""
                )
                + f"</td><td>{html.escape(params)}</td><td>{codes}</td>"
                "</tr>"
            )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>flowbot API</title><style>"
        "body{font:15px/1.5 system-ui,sans-serif;margin:2rem;max-width:70rem}"
        "table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;"
        "padding:.4rem;text-align:left;vertical-align:top}code{white-space:nowrap}"
        "</style></head><body><h1>flowbot API</h1>"
        f"<p>{html.escape(OPENAPI['info']['description'])}</p>"
        "<p>Machine-readable: <a href='/api/openapi.json'>/api/openapi.json</a> (OpenAPI 3).</p>"
        "<table><tr><th>Method</th><th>Path</th><th>What</th><th>Parameters</th>"
        f"<th>Answers</th></tr>{''.join(rows)}</table></body></html>"
    )
