"""The OpenAPI 3.1 description of the JSON API, the agents' routes, the web channel and the
webhooks, by hand.

Hand-written rather than generated: the routes are plain Starlette handlers
that validate their bodies themselves, so a generator would have nothing to
read the schemas from. Each schema here says what the route's own checks
accept, no more and no less, and each operation lists every status its route
answers: `tests/server/test_api.py` checks that every route is described
here and every described path is routed, and `tests/server/test_schemathesis.py`
runs schemathesis against the real app, which fails on any answer this
document does not describe and on any request it calls valid that the route
refuses (or invalid that it takes).
"""

from __future__ import annotations

import html
from typing import Any

from flowbot.channels.registry import CHANNELS, MESSENGERS
from flowbot.channels.unsigned import UnsignedSettings

__all__ = ["GET_WEBHOOKS", "OPENAPI", "PY_WHITESPACE", "docs_page"]

# What Python's str.strip() removes (str.isspace), as a regex character class
# body: "non-blank" below means "contains a character outside it", which is
# how the routes check a required id or key (`value.strip()`).
PY_WHITESPACE = (
    "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
)
_NON_BLANK = f"[^{PY_WHITESPACE}]"
# non-blank and without NUL: the web channel's userKey, payload and messageId
_NON_BLANK_NO_NUL = f"^[^\\x00]*[^{PY_WHITESPACE}\\x00][^\\x00]*$"
_NO_NUL = "^[^\\x00]*$"
# flowbot.config.BOT_ID
_BOT_ID_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$"
# flowbot.channels.web.PARAM_KEY
_PARAM_KEY_PATTERN = "^[A-Za-z0-9_-]{1,100}$"
# The request headers a widget's page may send cross-origin: the CORS-safelisted
# ones and those the web routes allow (flowbot.server.web._cross_origin_route),
# compared as starlette's CORSMiddleware does: split on ",", stripped, any case.
_CORS_HEADERS = ("accept", "accept-language", "authorization", "content-language", "content-type")


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


_CORS_HEADER = "(" + "|".join(_any_case(name) for name in _CORS_HEADERS) + ")"
_CORS_HEADERS_PATTERN = (
    f"^[{PY_WHITESPACE}]*{_CORS_HEADER}[{PY_WHITESPACE}]*"
    f"(,[{PY_WHITESPACE}]*{_CORS_HEADER}[{PY_WHITESPACE}]*)*$"
)

JSON = "application/json"
TEXT = "text/plain"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _answer(
    description: str,
    schema: dict[str, Any] | None = None,
    media_type: str = JSON,
    headers: dict[str, Any] | None = None,
) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if schema is not None:
        answer["content"] = {media_type: {"schema": schema}}
    if headers:
        answer["headers"] = headers
    return answer


def _error(description: str) -> dict[str, Any]:
    return _answer(description, _ref("Error"))


def _body(schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema, **extra}}}


_ALLOW = {
    "Allow": {
        "description": "The methods this path takes",
        "required": True,
        "schema": {"type": "string"},
    }
}
_STRING = {"type": "string"}
_TEXT_BODY = _STRING
# A flow or node id: CLOSER exports integers, hand-written bots may use strings.
_ID = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
_NON_BLANK_STRING = {"type": "string", "pattern": _NON_BLANK}
# an id a request names: an integer or a non-blank string
_REQUEST_ID = {"oneOf": [{"type": "integer"}, _NON_BLANK_STRING]}
_WEB_ID = {"oneOf": [{"type": "integer"}, {**_NON_BLANK_STRING, "maxLength": 200}]}


def _path_parameter(name: str, schema: dict[str, Any], description: str, **extra: Any) -> Any:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
        **extra,
    }


_BOT_ID_SCHEMA = {"type": "string", "pattern": _BOT_ID_PATTERN}
_BOT_ID = _path_parameter(
    "botId",
    _BOT_ID_SCHEMA,
    "A bot's id: letters, digits, _ . - (at most 100 characters). Any other id names no bot (404).",
    example="pokemon",
)
_NEW_BOT_ID = _path_parameter(
    "botId",
    _BOT_ID_SCHEMA,
    "The id to import the bot as: letters, digits, _ . - (at most 100 characters; "
    "any other id is refused with 422).",
    example="imported",
)
# a preflight is answered whatever the path names
_ANY_BOT_ID = _path_parameter("botId", _STRING, "Any bot id: the preflight does not look it up")
_CONVERSATION_ID = _path_parameter(
    "conversationId", _STRING, "A conversation's id, as the web channel's answer gives it"
)
# The messengers that sign nothing: their webhook URL ends in a secret path token.
PATH_TOKEN_CHANNELS = tuple(
    name for name in MESSENGERS if issubclass(CHANNELS[name].Settings, UnsignedSettings)
)
_CHANNEL = _path_parameter(
    "channel",
    {"type": "string", "enum": [name for name in MESSENGERS if name not in PATH_TOKEN_CHANNELS]},
    "The messenger (docs/channels.md)",
)
_TOKEN_CHANNEL = _path_parameter(
    "channel",
    {"type": "string", "enum": list(PATH_TOKEN_CHANNELS)},
    "A messenger that signs nothing (KakaoTalk, TalkTalk)",
)
_PATH_TOKEN = _path_parameter(
    "path_token",
    _STRING,
    "The bot's secret path token for this channel (flowbot.toml); a wrong one answers 404",
)
# The messengers whose webhook answers a GET (a subscription check); the others'
# answer 405 (tests/server/test_schemathesis.py checks this list against the app).
GET_WEBHOOKS = ("facebook",)
_GET_CHANNEL = _path_parameter(
    "channel",
    {"type": "string", "enum": [name for name in MESSENGERS if name in GET_WEBHOOKS]},
    "A messenger that checks its webhook URL with a GET (LINE's answers 405)",
)


def _limit(default: int, most: int, what: str) -> dict[str, Any]:
    return {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": f"How many {what} at most (default {default}, at most {most}).",
        "schema": {"type": "integer", "minimum": 1, "maximum": most, "default": default},
    }


# --- schemas ------------------------------------------------------------------

_MEDIA = {
    "type": "object",
    "required": ["uri"],
    "properties": {"uri": _STRING, "contentType": {"type": "string", "default": "image"}},
}
_PAYLOAD = {
    "type": "string",
    "maxLength": 1000,
    "description": "What the click sends back: up to 1,000 characters, JSON read as an object",
}


def _button(kind: str, required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "label", *required],
        "properties": {"type": {"const": kind}, "label": _STRING, **properties},
    }


_MESSAGE_BASE = {
    "meta": _nullable({"type": "object", "properties": {"custom": _nullable(_STRING)}}),
    "delay": _nullable(
        {"oneOf": [{"type": "integer"}, {"type": "string"}], "description": "ms of typing first"}
    ),
}


def _message(kind: str, required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", *required],
        "properties": {"type": {"const": kind}, **_MESSAGE_BASE, **properties},
    }


_BUTTONS = _nullable({"type": "array", "items": _ref("Button")})

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {"type": "string"},
            "problems": {"type": "array", "items": {"type": "string"}},
            "code": {
                "type": "string",
                "description": "A machine-readable reason, where a client acts on it "
                "(token_expired: open a new conversation)",
            },
        },
    },
    "Button": {
        "description": "A button: a postback (label and payload), a link or a goto (a flow, "
        "or a node in it).",
        "oneOf": [
            _button("postback", [], {"payload": _nullable(_PAYLOAD)}),
            _button("link", ["uri"], {"uri": _STRING}),
            _button("goto", ["flowId"], {"flowId": _ID, "nodeId": _nullable(_ID)}),
        ],
    },
    "Media": _MEDIA,
    "Message": {
        "description": "A CLOSER Message: text (with buttons), media, cards or a location. "
        "Other keys are kept as they are.",
        "oneOf": [
            _message("text", [], {"text": {"type": "string", "default": ""}, "buttons": _BUTTONS}),
            _message("media", ["media"], {"media": _ref("Media")}),
            _message(
                "cards",
                ["cards"],
                {
                    "cards": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "title": _nullable(_STRING),
                                "description": _nullable(_STRING),
                                "media": _nullable(_ref("Media")),
                                "uri": _nullable(_STRING),
                                "buttons": _BUTTONS,
                            },
                        },
                    }
                },
            ),
            _message(
                "location",
                ["latitude", "longitude"],
                {
                    "label": _nullable(_STRING),
                    "latitude": {"type": ["number", "string"]},
                    "longitude": {"type": ["number", "string"]},
                },
            ),
        ],
    },
    "QuickReply": {
        "type": "object",
        "required": ["label"],
        "properties": {
            "type": {"const": "postback", "default": "postback"},
            "label": _STRING,
            "payload": _nullable(_PAYLOAD),
        },
    },
    "Reply": {
        "type": "object",
        "description": "A message the bot sent, as the channel shows it (a CLOSER Message)",
        "required": ["type"],
        "properties": {"type": {"enum": ["text", "media", "cards", "location"]}},
    },
    "ReplyQuickReply": {
        "type": "object",
        "required": ["type", "label"],
        "properties": {"type": {"const": "postback"}, "label": _STRING, "payload": _STRING},
    },
    "Bot": {
        "type": "object",
        "description": "A CLOSER bot export {title, flows, preference}, or one flow {id, "
        "nodes}. JSON Schema cannot say everything a bot must be (one entry node per flow, "
        "edges to nodes that exist, templates that compile…): the import answers 422 with "
        "the problems `flowbot validate` finds.",
        "properties": {
            "title": _nullable(_STRING),
            "flows": {"type": "array", "items": {"type": "object"}},
            "preference": {"type": "object"},
        },
    },
    "BotSummary": {
        "type": "object",
        "required": ["id", "title", "flows", "source"],
        "additionalProperties": False,
        "properties": {
            "id": _STRING,
            "title": _nullable(_STRING),
            "flows": {"type": "integer", "minimum": 0},
            "source": {
                "type": "string",
                "description": "The bot's file or folder, or 'database' for a bot imported "
                "under an id the config does not name",
            },
        },
    },
    "ImportedBot": {
        "type": "object",
        "required": ["id", "title", "flows", "kept", "source"],
        "additionalProperties": False,
        "properties": {
            "id": _STRING,
            "title": _nullable(_STRING),
            "flows": {"type": "integer", "minimum": 1},
            "kept": {
                "enum": ["file", "folder", "database"],
                "description": "Where the bot was written: the file or folder the config "
                "loads it from, or the database for an id the config does not name",
            },
            "source": {
                "type": "string",
                "description": "That file's or folder's path, or 'database'",
            },
        },
    },
    "FlowSummary": {
        "type": "object",
        "required": ["id", "title", "entryNodeId", "nodes"],
        "additionalProperties": False,
        "properties": {
            "id": _ID,
            "title": _nullable(_STRING),
            "entryNodeId": _nullable(_ID),
            "nodes": {"type": "integer", "minimum": 0},
        },
    },
    "Navigation": _nullable(
        {
            "type": "object",
            "description": "Where the conversation waits (a keyboard node); null when the "
            "last run ended",
            "required": ["flowId", "nodeId"],
            "additionalProperties": False,
            "properties": {"flowId": _ID, "nodeId": _ID},
        }
    ),
    "Conversation": {
        "type": "object",
        "required": [
            "id",
            "botId",
            "channel",
            "userKey",
            "version",
            "createdAt",
            "updatedAt",
            "navigation",
            "params",
        ],
        "properties": {
            "id": _STRING,
            "botId": _STRING,
            "channel": _STRING,
            "userKey": _STRING,
            "version": {"type": "integer", "minimum": 0},
            "createdAt": {"type": "string", "format": "date-time"},
            "updatedAt": {"type": "string", "format": "date-time"},
            "navigation": _ref("Navigation"),
            "params": {"type": "object"},
            "handoff": _nullable(_ref("Handoff")),
        },
    },
    "Handoff": {
        "type": "object",
        "description": "The conversation is with a person (a manual node called an agent): "
        "waiting for one, or with the agent who joined. null once the handoff ends.",
        "required": ["status", "flowId", "nodeId", "agent", "since"],
        "properties": {
            "status": {"enum": ["waiting", "active"]},
            "flowId": _ID,
            "nodeId": _ID,
            "agent": _nullable({"type": "string", "description": "Who joined (active)"}),
            "since": {"type": "string", "description": "When the user asked (ISO 8601, UTC)"},
            "joined": {"type": "string", "description": "When the agent joined (ISO 8601, UTC)"},
        },
    },
    "TranscriptEntry": {
        "type": "object",
        "required": ["direction", "message", "at"],
        "additionalProperties": False,
        "properties": {
            "direction": {"enum": ["in", "out"]},
            "message": {"type": "object"},
            "at": {"type": "string", "format": "date-time"},
        },
    },
    "WebMessage": {
        "type": "object",
        "description": "A postback click carries its label as `text` and its payload as "
        "`payload`; a goto click carries `goto`. A body with none of text, payload, goto "
        "or event opens the conversation (the widget's first request). null is the same "
        "as leaving a field out; other keys are ignored.",
        "required": ["userKey"],
        "properties": {
            "userKey": {
                "type": "string",
                "maxLength": 200,
                "pattern": _NON_BLANK_NO_NUL,
                "description": "Who is talking (the widget keeps one per browser)",
            },
            "text": _nullable({"type": "string", "maxLength": 5000}),
            "payload": _nullable({**_PAYLOAD, "pattern": _NO_NUL}),
            "event": {"enum": ["open", None]},
            "goto": _nullable(
                {
                    "type": "object",
                    "required": ["flowId"],
                    "properties": {"flowId": _WEB_ID, "nodeId": _nullable(_WEB_ID)},
                }
            ),
            "params": _nullable(
                {
                    "type": "object",
                    "description": "Parameters to set when the conversation opens (later, "
                    "only those the bot's message_params allow). Each value at most 8 "
                    "levels deep, all of them at most 8,000 characters of JSON.",
                    "maxProperties": 50,
                    "propertyNames": {"pattern": _PARAM_KEY_PATTERN},
                }
            ),
            "messageId": _nullable(
                {
                    "type": "string",
                    "maxLength": 200,
                    "pattern": _NO_NUL,
                    "description": "Client id: a retried request with the same id is "
                    "answered again without running a second turn.",
                }
            ),
        },
    },
    "WebAnswer": {
        "type": "object",
        "required": ["replies", "quickReplies", "conversationId", "token"],
        "additionalProperties": False,
        "properties": {
            "replies": {"type": "array", "items": _ref("Reply")},
            "quickReplies": {"type": "array", "items": _ref("ReplyQuickReply")},
            "conversationId": _STRING,
            "token": {
                "type": "string",
                "description": "Send it as 'Authorization: Bearer <token>' from now on",
            },
        },
    },
    "Health": {
        "type": "object",
        "required": ["status", "bots", "database"],
        "additionalProperties": False,
        "properties": {
            "status": {"enum": ["ok", "unavailable"]},
            "bots": {"type": "array", "items": _STRING},
            "database": {"enum": ["ok", "unavailable"]},
        },
    },
}

# --- operations -----------------------------------------------------------------

_DENIED = _error("No API key configured, or a wrong or missing key")
_NOT_JSON = _error("The body is not JSON")
_TOO_LARGE = _error("The body is too large")
_INVALID = _error("The body does not follow the schema; `problems` lists why")
_BUSY = _error("The conversation is busy in another process: try again")
_SECURED: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}]


def _api(summary: str, answers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": ["api"],
        "security": _SECURED,
        **extra,
        "responses": {**answers, "403": _DENIED},
    }


# The agents' routes open with the API key or the agent key (agent_key), in the same headers.
_AGENT_SECURED: list[dict[str, list[str]]] = [{"bearer": []}, {"apiKey": []}, {"agentKey": []}]
_AGENT_DENIED = _error("No API key nor agent key configured, or a wrong or missing key")
_AGENT_INVALID = _error("The body does not follow the schema; `problems` lists why")
_AGENT_NOT_JSON = _error("The body is not JSON")
_AGENT_TOO_LARGE = _error("The body is over 256 KiB")
_AGENT = {
    "type": "string",
    "maxLength": 100,
    "pattern": _NON_BLANK,
    "description": "The agent's name, as the user sees it (1 to 100 characters, trimmed)",
}


def _agents(summary: str, answers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "tags": ["agents"],
        "security": _AGENT_SECURED,
        **extra,
        "responses": {**answers, "403": _AGENT_DENIED},
    }


def _preflight(method: str, *path_parameters: dict[str, Any]) -> dict[str, Any]:
    """The CORS preflight of a route the widget calls from other sites' pages."""
    return {
        "summary": "CORS preflight of a page embedding the widget ([web] allowed_origins)",
        "tags": ["web channel"],
        "description": "An OPTIONS request with Origin and Access-Control-Request-Method is "
        "a preflight; any other OPTIONS request is refused with 405.",
        "parameters": [
            *path_parameters,
            {"name": "Origin", "in": "header", "required": True, "schema": _STRING},
            {
                "name": "Access-Control-Request-Method",
                "in": "header",
                "required": True,
                "schema": {"type": "string", "const": method},
            },
            {
                "name": "Access-Control-Request-Headers",
                "in": "header",
                "required": False,
                "description": "Any of " + ", ".join(_CORS_HEADERS) + ", comma-separated",
                "schema": {"type": "string", "pattern": _CORS_HEADERS_PATTERN},
            },
        ],
        "responses": {
            "200": _answer("The origin, the method and the headers are allowed", _TEXT_BODY, TEXT),
            "400": _answer("The origin, the method or a header is not allowed", _TEXT_BODY, TEXT),
            "405": _answer(
                "Not a preflight (no Origin or Access-Control-Request-Method)",
                _TEXT_BODY,
                TEXT,
                _ALLOW,
            ),
        },
    }


_SIGNATURES = [
    {
        "name": "X-Hub-Signature-256",
        "in": "header",
        "required": False,
        "description": "Facebook: sha256= and the hex HMAC-SHA256 of the body, keyed with "
        "the app secret",
        "schema": _STRING,
    },
    {
        "name": "X-Line-Signature",
        "in": "header",
        "required": False,
        "description": "LINE: the Base64 HMAC-SHA256 of the body, keyed with the channel secret",
        "schema": _STRING,
    },
]
_NO_WEBHOOK = _error("No such bot, or the bot has no settings for this channel")
_WEBHOOK_TOO_LARGE = _error("The body is over 1 MiB")


# What sendMessages (and an agent's reply) takes.
_SEND: dict[str, Any] = {
    "type": "object",
    "description": 'Exactly one of "message", "messages" or "text", and '
    "quick replies to show with them.",
    "oneOf": [
        {"required": ["message"]},
        {"required": ["messages"]},
        {"required": ["text"]},
    ],
    "properties": {
        "message": _ref("Message"),
        "messages": {"type": "array", "minItems": 1, "items": _ref("Message")},
        "text": {"type": "string", "minLength": 1},
        "quickReplies": _nullable({"type": "array", "items": _ref("QuickReply")}),
    },
}


def _conversation_link(operation: str, **parameters: str) -> dict[str, Any]:
    return {"operationId": operation, "parameters": parameters}


PATHS: dict[str, Any] = {
    "/healthz": {
        "get": {
            "summary": "Health: 200 when the bots are loaded and the database answers",
            "tags": ["server"],
            "responses": {
                "200": _answer("Ready", _ref("Health")),
                "503": _answer(
                    "Starting, stopping, or the database does not answer", _ref("Health")
                ),
            },
        }
    },
    "/channels/web/{botId}/messages": {
        "post": {
            "operationId": "webMessage",
            "summary": "Send one message (or open the conversation) and get the replies",
            "tags": ["web channel"],
            "description": "The first request of a new userKey opens a conversation and its "
            "answer carries a token; later requests of that userKey send it as "
            "'Authorization: Bearer <token>'. The body is read as JSON whatever its "
            "Content-Type.",
            "security": [{}, {"conversationToken": []}],
            "parameters": [_BOT_ID],
            "requestBody": _body(_ref("WebMessage"), example={"userKey": "visitor-1"}),
            "responses": {
                "200": _answer("The replies", _ref("WebAnswer")),
                "400": _NOT_JSON,
                "403": _error("This userKey has a conversation: its token is missing or wrong"),
                "404": _error("No such bot"),
                "413": _error("The body is over 64 KiB"),
                "422": _INVALID,
                "503": _BUSY,
            },
        },
        "options": _preflight("POST", _ANY_BOT_ID),
    },
    "/channels/web/{botId}/conversations/{conversationId}/events": {
        "get": {
            "operationId": "webEvents",
            "summary": "Server-sent events: messages pushed to this conversation",
            "tags": ["web channel"],
            "description": "For EventSource, which cannot send headers: the token is in the "
            "query. A comment opens the stream; each push is `event: replies` with "
            "`data: {replies, quickReplies, source}`; a comment every 15 s keeps it open.",
            "parameters": [
                _BOT_ID,
                _CONVERSATION_ID,
                {
                    "name": "token",
                    "in": "query",
                    "required": True,
                    "description": "The conversation's token",
                    "schema": _STRING,
                },
            ],
            "responses": {
                "200": _answer("The stream", _TEXT_BODY, "text/event-stream"),
                "403": _error("The token does not open this conversation"),
                "404": _error("No such bot, or the bot has no such conversation"),
            },
        },
        "options": _preflight("GET", _ANY_BOT_ID, _CONVERSATION_ID),
    },
    "/channels/{channel}/{botId}": {
        "get": {
            "summary": "A messenger's webhook check (Facebook: hub.challenge)",
            "tags": ["messenger channels"],
            "description": "Facebook subscribes the URL with hub.mode=subscribe, "
            "hub.verify_token and hub.challenge; the challenge is echoed for the "
            "configured verify_token, 403 otherwise. LINE checks a URL with a POST: its "
            "webhook answers GET with 405. See docs/channels.md.",
            "parameters": [
                _GET_CHANNEL,
                _BOT_ID,
                *(
                    {"name": f"hub.{name}", "in": "query", "required": False, "schema": _STRING}
                    for name in ("mode", "verify_token", "challenge")
                ),
            ],
            "responses": {
                "200": _answer("The challenge", _TEXT_BODY, TEXT),
                "403": _answer("Not a subscription, or a wrong verify token", _TEXT_BODY, TEXT),
                "404": _NO_WEBHOOK,
                "405": {**_error("This channel's webhook takes POST only"), "headers": _ALLOW},
                "413": _WEBHOOK_TOO_LARGE,
            },
        },
        "post": {
            "summary": "A messenger's webhook: the platform's events, answered 200 at once",
            "tags": ["messenger channels"],
            "description": "Signed by the platform (Facebook: X-Hub-Signature-256; LINE: "
            "X-Line-Signature); the signature is checked before the body is read as JSON. "
            "Each user event becomes a turn, run after the answer in arrival order per "
            "conversation; the replies go out through the platform's API. A redelivered "
            "event is answered once.",
            "parameters": [_CHANNEL, _BOT_ID, *_SIGNATURES],
            "requestBody": _body(
                {
                    "type": "object",
                    "description": 'Facebook: {"object": "page", "entry": [...]}; LINE: '
                    '{"destination", "events": [...]}',
                }
            ),
            "responses": {
                "200": _answer(
                    "Received (Facebook: EVENT_RECEIVED; LINE: an empty body)", _TEXT_BODY, TEXT
                ),
                "400": _error("Not the platform's webhook body"),
                "403": _error("Missing or wrong signature"),
                "404": _NO_WEBHOOK,
                "413": _WEBHOOK_TOO_LARGE,
                "503": _error("Too busy: the platform retries later"),
            },
        },
    },
    "/channels/{channel}/{botId}/{path_token}": {
        "post": {
            "summary": "KakaoTalk's skill and TalkTalk's webhook: the answer in the response",
            "tags": ["messenger channels"],
            "description": "The platform signs nothing: the path token (and, when set, an "
            "IP allow-list and Kakao's X-Flowbot-Secret header) proves the request. The turn "
            "runs in the request; its answer is the body when it ends within 3.5 s. Later, "
            "Kakao gets useCallback (with a callback URL) or the bot's error message, "
            "TalkTalk an empty 200, and the answer follows by Kakao's callback or TalkTalk's "
            "send API. See docs/channels.md.",
            "parameters": [_TOKEN_CHANNEL, _BOT_ID, _PATH_TOKEN],
            "requestBody": _body(
                {
                    "type": "object",
                    "description": "Kakao: a SkillPayload {intent, userRequest, bot, action}; "
                    'TalkTalk: one event {"event", "user", …}',
                }
            ),
            "responses": {
                "200": {
                    "description": "Kakao: a SkillResponse; TalkTalk: a send event, or an "
                    "empty body",
                    "content": {
                        JSON: {"schema": {"type": "object"}},
                        TEXT: {"schema": _TEXT_BODY},
                    },
                },
                "400": _error("Not the platform's webhook body"),
                "403": _error("An address outside allowed_ips, or a wrong X-Flowbot-Secret"),
                "404": _error("No such bot, no settings for this channel, or a wrong path token"),
                "413": _WEBHOOK_TOO_LARGE,
                "503": _error("Too busy: the platform retries later"),
            },
        },
    },
    "/api/bots": {
        "get": _api(
            "List the bots",
            {
                "200": _answer(
                    "The bots",
                    {
                        "type": "object",
                        "required": ["bots"],
                        "additionalProperties": False,
                        "properties": {"bots": {"type": "array", "items": _ref("BotSummary")}},
                    },
                )
            },
        )
    },
    "/api/bots/{botId}": {
        "get": _api(
            "Export a bot as CLOSER JSON",
            {"200": _answer("The bot", _ref("Bot")), "404": _error("No such bot")},
            parameters=[_BOT_ID],
        ),
        "put": _api(
            "Import a bot (CLOSER JSON); a bot that does not validate changes nothing",
            {
                "200": _answer("Replaced", _ref("ImportedBot")),
                "201": _answer("Added", _ref("ImportedBot")),
                "400": _NOT_JSON,
                "413": _error("The bot is over 20 MiB"),
                "409": _error(
                    "The bot's file or folder cannot be written (read-only, a full disk, a "
                    "file in the folder that is not a flow): the running bot is unchanged"
                ),
                "422": _error(
                    "The bot id is not one, the body is not an object, or the bot does not "
                    "validate (`problems` lists why)"
                ),
                "503": _error(
                    "The database did not keep the bot (a bot with no file): the running bot "
                    "is unchanged; try again"
                ),
            },
            description="The bot is kept, then replaces the running bot of that id (or is "
            "added). A bot the config names is written to its file or folder, in that "
            "source's format (JSON or YAML; a folder keeps each flow's file, adds files for "
            "new flows and removes those of flows it no longer has); any other id is kept in "
            "the database and loaded again at start-up. Nothing is written when the bot does "
            "not validate.",
            parameters=[_NEW_BOT_ID],
            requestBody=_body(
                _ref("Bot"),
                example={
                    "title": "Hello",
                    "flows": [
                        {
                            "id": 1,
                            "title": "Start",
                            "nodes": [
                                {"id": 1, "type": "entry", "next": [{"nodeId": 2}]},
                                {
                                    "id": 2,
                                    "type": "response",
                                    "data": {"message": {"type": "text", "text": "Hello!"}},
                                },
                            ],
                        }
                    ],
                },
            ),
        ),
    },
    "/api/bots/{botId}/flows": {
        "get": _api(
            "List a bot's flows",
            {
                "200": _answer(
                    "The flows, with the start and fallback flow ids",
                    {
                        "type": "object",
                        "required": ["flows", "entryFlowId", "fallbackFlowId"],
                        "additionalProperties": False,
                        "properties": {
                            "flows": {"type": "array", "items": _ref("FlowSummary")},
                            "entryFlowId": _ID,
                            "fallbackFlowId": _ID,
                        },
                    },
                ),
                "404": _error("No such bot"),
            },
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
                        "required": ["conversations"],
                        "additionalProperties": False,
                        "properties": {
                            "conversations": {"type": "array", "items": _ref("Conversation")}
                        },
                    },
                ),
                "404": _error("No such bot"),
                "422": _error("limit is not an integer from 1 to 1000"),
            },
            parameters=[_BOT_ID, _limit(100, 1000, "conversations")],
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
                                "required": ["transcript"],
                                "properties": {
                                    "transcript": {
                                        "type": "array",
                                        "items": _ref("TranscriptEntry"),
                                    }
                                },
                            },
                        ]
                    },
                ),
                "404": _error("No such conversation"),
                "422": _error("limit is not an integer from 1 to 1000"),
            },
            operationId="getConversation",
            parameters=[_CONVERSATION_ID, _limit(200, 1000, "transcript entries, the first")],
        )
    },
    "/api/conversations/{conversationId}/navigation": {
        "post": _api(
            "Change a conversation's navigation (CLOSER's changeNavigation)",
            {
                "200": _answer(
                    "The conversation; with run, the replies it sent too",
                    {
                        "allOf": [
                            _ref("Conversation"),
                            {
                                "type": "object",
                                "properties": {
                                    "replies": {"type": "array", "items": _ref("Reply")},
                                    "quickReplies": {
                                        "type": "array",
                                        "items": _ref("ReplyQuickReply"),
                                    },
                                },
                            },
                        ]
                    },
                ),
                "400": _NOT_JSON,
                "404": _error("No such conversation, or its bot has no such flow or node"),
                "413": _error("The body is over 256 KiB"),
                "422": _INVALID,
                "502": _error("run: the platform refused the replies"),
                "503": _BUSY,
            },
            operationId="changeNavigation",
            description="Moves the conversation to a flow's entry node or to one of its "
            "nodes; the next user message starts there. With run=true the target runs "
            "at once (like a goto button) and its replies are pushed to the conversation's "
            "channel (the widget's event stream, or the messenger).",
            parameters=[_CONVERSATION_ID],
            requestBody=_body(
                {
                    "type": "object",
                    "required": ["flowId"],
                    "properties": {
                        "flowId": _REQUEST_ID,
                        "nodeId": _nullable(_REQUEST_ID),
                        "run": {"type": "boolean", "default": False},
                    },
                },
                example={"flowId": 1},
            ),
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
                        "required": ["conversationId", "sent", "delivered"],
                        "additionalProperties": False,
                        "properties": {
                            "conversationId": _STRING,
                            "sent": {"type": "integer", "minimum": 1},
                            "delivered": {
                                "type": "integer",
                                "minimum": 0,
                                "description": "web: open widgets reached; Facebook and "
                                "LINE: 1 once the platform's push API took them",
                            },
                        },
                    },
                ),
                "400": _NOT_JSON,
                "404": _error("No such conversation"),
                "409": _error("The conversation's channel cannot push (KakaoTalk)"),
                "413": _error("The body is over 256 KiB"),
                "422": _INVALID,
                "502": _error("The platform refused the message"),
                "503": _BUSY,
            },
            operationId="sendMessages",
            parameters=[_CONVERSATION_ID],
            requestBody=_body(_SEND, example={"text": "An operator will answer you shortly."}),
        )
    },
    # --- the agents' routes (flowbot.server.agents; docs/agents.md) ---
    "/api/handoffs": {
        "get": _agents(
            "List the conversations with a person: waiting for an agent, or with one",
            {
                "200": _answer(
                    "The conversations, longest waiting first",
                    {
                        "type": "object",
                        "required": ["handoffs"],
                        "additionalProperties": False,
                        "properties": {
                            "handoffs": {"type": "array", "items": _ref("Conversation")}
                        },
                    },
                ),
                "404": _error("No such bot"),
                "422": _error("status is not waiting or active"),
            },
            operationId="listHandoffs",
            parameters=[
                {
                    "name": "botId",
                    "in": "query",
                    "required": False,
                    "description": "One bot's only (default: every bot's)",
                    "schema": _STRING,
                },
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "description": "waiting (for an agent) or active (with one); default both",
                    "schema": {"enum": ["waiting", "active"]},
                },
            ],
        )
    },
    "/api/handoffs/events": {
        "get": {
            "operationId": "handoffEvents",
            "summary": "Server-sent events for the agent console: every bot's handoffs, live",
            "tags": ["agents"],
            "description": "For EventSource, which cannot send headers: the agent key (or the "
            "API key) is the `key` query parameter. A comment opens the stream; each event is "
            "`event: handoff` with `data: {type, botId, conversationId, channel, …}`, type "
            "one of requested (+ handoff), message (+ message: what the user sent), joined "
            "(+ agent), agent_message (+ agent, messages) and ended (+ by: user or agent, "
            "agent); a comment every 15 s keeps it open.",
            "security": [{"agentKeyQuery": []}],
            "responses": {
                "200": _answer("The stream", _TEXT_BODY, "text/event-stream"),
                "403": _AGENT_DENIED,
            },
        }
    },
    "/api/conversations/{conversationId}/handoff": {
        "get": _agents(
            "Read a conversation with its handoff and its last 200 transcript entries",
            {
                "200": _answer(
                    "The conversation",
                    {
                        "allOf": [
                            _ref("Conversation"),
                            {
                                "type": "object",
                                "required": ["handoff", "transcript"],
                                "properties": {
                                    "transcript": {
                                        "type": "array",
                                        "items": _ref("TranscriptEntry"),
                                        "description": "Oldest first; an agent's messages "
                                        "carry their name as message.agent",
                                    }
                                },
                            },
                        ]
                    },
                ),
                "404": _error("No such conversation"),
            },
            operationId="getHandoff",
            parameters=[_CONVERSATION_ID],
        )
    },
    "/api/conversations/{conversationId}/handoff/join": {
        "post": _agents(
            "Join a conversation waiting for an agent",
            {
                "200": _answer(
                    "Joined: the handoff is active, with this agent", _ref("Conversation")
                ),
                "404": _error("No such conversation"),
                "409": _error(
                    "The conversation is not waiting for an agent, or another agent has it"
                ),
                "400": _AGENT_NOT_JSON,
                "413": _AGENT_TOO_LARGE,
                "422": _AGENT_INVALID,
                "503": _BUSY,
            },
            description="The widget shows '<agent> joined the conversation'; the agents' "
            "stream gets a joined event and the event webhooks "
            "bot.conversation.agent_joined. Joining again as the same agent is allowed.",
            parameters=[_CONVERSATION_ID],
            requestBody=_body(
                {"type": "object", "required": ["agent"], "properties": {"agent": _AGENT}},
                example={"agent": "Kim"},
            ),
        )
    },
    "/api/conversations/{conversationId}/handoff/reply": {
        "post": _agents(
            "Send the agent's messages to the user, on the conversation's own channel",
            {
                "200": _answer(
                    "Sent",
                    {
                        "type": "object",
                        "required": ["sent", "delivered"],
                        "additionalProperties": False,
                        "properties": {
                            "sent": {"type": "integer", "minimum": 1},
                            "delivered": {
                                "type": "integer",
                                "minimum": 0,
                                "description": "web: open widgets reached; Facebook and "
                                "LINE: 1 once the platform's push API took them",
                            },
                        },
                    },
                ),
                "404": _error("No such conversation"),
                "409": _error(
                    "This agent has not joined the conversation, or its channel cannot push "
                    "(KakaoTalk)"
                ),
                "400": _AGENT_NOT_JSON,
                "413": _AGENT_TOO_LARGE,
                "422": _AGENT_INVALID,
                "502": _error("The platform refused the message"),
                "503": _BUSY,
            },
            description="Like sendMessages, from the agent who joined: the messages are kept "
            "in the transcript with the agent's name, and the widget shows them under it.",
            parameters=[_CONVERSATION_ID],
            requestBody=_body(
                {
                    **_SEND,
                    "required": ["agent"],
                    "properties": {"agent": _AGENT, **_SEND["properties"]},
                    "description": 'The agent, and exactly one of "message", "messages" or '
                    '"text" (quickReplies are checked, not sent).',
                },
                example={"agent": "Kim", "text": "Hi, I am Kim. How can I help?"},
            ),
        )
    },
    "/api/conversations/{conversationId}/handoff/end": {
        "post": _agents(
            "End the handoff: the bot answers again, from a flow if one is given",
            {
                "200": _answer("Ended: handoff is null", _ref("Conversation")),
                "404": _error("No such conversation, or its bot has no such flow or node"),
                "409": _error("The conversation is not with an agent (nor waiting for one)"),
                "400": _AGENT_NOT_JSON,
                "413": _AGENT_TOO_LARGE,
                "422": _AGENT_INVALID,
                "502": _error("flowId: the platform refused the flow's replies"),
                "503": _BUSY,
            },
            description="Without flowId the conversation waits for the user's next message, "
            "which starts where a finished run does. With flowId (and nodeId) the bot runs "
            "that flow at once and its replies go to the user (like changeNavigation with "
            "run). Any agent may end a handoff, and so may an agent who never joined.",
            parameters=[_CONVERSATION_ID],
            requestBody=_body(
                {
                    "type": "object",
                    "properties": {
                        "agent": _nullable(_AGENT),
                        "flowId": _nullable(_REQUEST_ID),
                        "nodeId": _nullable(_REQUEST_ID),
                    },
                },
                example={"agent": "Kim", "flowId": 2},
            ),
        )
    },
}

# What a client can do next with the conversation a web turn answered.
PATHS["/channels/web/{botId}/messages"]["post"]["responses"]["200"]["links"] = {
    "events": _conversation_link(
        "webEvents",
        botId="$request.path.botId",
        conversationId="$response.body#/conversationId",
        token="$response.body#/token",
    ),
    "conversation": _conversation_link(
        "getConversation", conversationId="$response.body#/conversationId"
    ),
    "navigation": _conversation_link(
        "changeNavigation", conversationId="$response.body#/conversationId"
    ),
    "messages": _conversation_link("sendMessages", conversationId="$response.body#/conversationId"),
}

OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "flowbot",
        "version": "0.1.0",
        "description": (
            "Run CLOSER chatbot flows. The JSON API (/api) needs the API key configured "
            "as api_key in flowbot.toml or FLOWBOT_API_KEY; without one it answers 403. "
            "The web channel (/channels/web) is public and protected per conversation "
            "by the token its first answer carries. The agents' routes (/api/handoffs, "
            "/api/conversations/{id}/handoff…) also open with the agent key (agent_key), "
            "which opens nothing else. A method a path does not take is "
            "answered 405 with Allow; a path no route serves (an id with an encoded '/') "
            "is answered 404 Not Found in plain text."
        ),
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "The API key"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "agentKey": {
                "type": "apiKey",
                "in": "header",
                "name": "X-API-Key",
                "description": "The agent key (agent_key in flowbot.toml; also taken as "
                "'Authorization: Bearer <key>'): it opens the agents' routes only",
            },
            "agentKeyQuery": {
                "type": "apiKey",
                "in": "query",
                "name": "key",
                "description": "The agent key or the API key, for EventSource (which sends no "
                "headers); it never reaches a log line",
            },
            "conversationToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "The token of the conversation of this userKey",
            },
        },
        "schemas": SCHEMAS,
    },
    "paths": PATHS,
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
