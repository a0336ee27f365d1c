"""The OpenAPI 3.1 document of the JSON API, the agents' routes, the web channel and the
webhooks, generated from the models of `flowbot.server.api_models`.

`OPERATIONS` is one entry per route and method: its summary, the model of its
request body, the model of its answer for each status, its parameters.
`build_document` turns that table into the document: every model's JSON
Schema goes into components/schemas (pydantic's `models_json_schema`,
referenced as `#/components/schemas/{model}`; request bodies in validation
mode, answers in serialization mode), and each operation points at them.
The models are also what the routes validate their bodies with and build their
answers from, so the schemas say what the routes accept, no more and no less.
Two things the format's models leave to `flowbot validate` are added where
JSON Schema can say them (`_refine`): a payload's 1,000 characters, and that an
`UnknownNode` is a node of none of the known types. The web channel's turn and
the webhooks read their bodies themselves; their models only describe them.
The document is built on first use (`openapi_document`), not at import.

Each operation lists every status its route answers: `tests/server/test_api.py`
checks that every route is described here and every described path is
routed, and `tests/server/test_schemathesis.py` runs schemathesis against the
real app, which fails on any answer this document does not describe and on
any request it calls valid that the route refuses (or invalid that it takes).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import (
    GenerateJsonSchema,
    JsonSchemaMode,
    JsonSchemaValue,
    models_json_schema,
)
from pydantic_core import core_schema

from flowbot.channels.registry import CHANNELS, MESSENGERS
from flowbot.channels.unsigned import UnsignedSettings
from flowbot.format.models import NODE_TYPES, UNSUPPORTED_NODE_TYPES, Bot
from flowbot.server import api_models as m
from flowbot.server.api_models import MAX_PAYLOAD_CHARS, PY_WHITESPACE

__all__ = [
    "GET_WEBHOOKS",
    "OPERATIONS",
    "PY_WHITESPACE",
    "build_document",
    "openapi_document",
    "openapi_json",
]

JSON = "application/json"
TEXT = "text/plain"
REF = "#/components/schemas/{model}"

# A body: a model (its schema goes into the components) or a plain JSON Schema.
Body = type[BaseModel] | dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """One status of an operation: what it means, and its body (by media type)."""

    description: str
    body: Body | None = None
    media_type: str = JSON
    headers: Mapping[str, Any] | None = None
    # more media types the same status may answer with
    alternatives: Mapping[str, Body] = field(default_factory=dict)


@dataclass(frozen=True)
class Param:
    name: str
    location: Literal["path", "query", "header"]
    # a type (its schema is generated) or a plain JSON Schema
    schema: Any
    description: str | None = None
    required: bool = False
    example: Any = None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    answers: Mapping[int, Answer]
    request: Body | None = None
    parameters: Sequence[Param] = ()
    security: Sequence[Mapping[str, list[str]]] | None = None
    operation_id: str | None = None
    description: str | None = None
    example: Any = None
    links: Mapping[str, Any] | None = None


# --- the schemas -------------------------------------------------------------------------------


class Schemas(GenerateJsonSchema):
    """pydantic's JSON Schema, less its noise: no field titles, no `default: null` on a key
    that cannot be null (one that may only be left out)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        json_schema = super().default_schema(schema)
        if json_schema.get("default", ...) is None and not _allows_null(json_schema):
            del json_schema["default"]
        return json_schema


def _allows_null(schema: Mapping[str, Any]) -> bool:
    if schema.get("type") == "null" or "$ref" in schema:
        return True  # (a referenced schema may; the default says so)
    return any(_allows_null(branch) for branch in schema.get("anyOf", ()))


def _refine(schemas: dict[str, Any]) -> None:
    """What the format's models leave to `flowbot validate`, said where JSON Schema can."""
    for model in ("PostbackButton", "QuickReply"):
        payload = schemas[model]["properties"]["payload"]
        for branch in payload["anyOf"]:
            if branch.get("type") == "string":
                branch["maxLength"] = MAX_PAYLOAD_CHARS
        payload["description"] = (
            "What the click sends back: up to 1,000 characters (a template's, once rendered), "
            "JSON read as an object"
        )
    # a node of another type than flowbot's: refused by the loader (oneOf stays exact)
    schemas["UnknownNode"]["properties"]["type"] = {
        "type": "string",
        "not": {"enum": [*NODE_TYPES, *UNSUPPORTED_NODE_TYPES]},
    }


def _schema_of(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    schema: dict[str, Any] = TypeAdapter(value).json_schema(
        ref_template=REF, schema_generator=Schemas
    )
    return schema


# --- the parameters and answers the operations share ------------------------------------------

_STRING = {"type": "string"}
_ALLOW = {
    "Allow": {
        "description": "The methods this path takes",
        "required": True,
        "schema": _STRING,
    }
}
_BOT_ID = Param(
    "botId",
    "path",
    m.BotId,
    "A bot's id: letters, digits, _ . - (at most 100 characters). Any other id names no bot (404).",
    required=True,
    example="pokemon",
)
_NEW_BOT_ID = Param(
    "botId",
    "path",
    m.BotId,
    "The id to import the bot as: letters, digits, _ . - (at most 100 characters; any other "
    "id is refused with 422).",
    required=True,
    example="imported",
)
# a preflight is answered whatever the path names
_ANY_BOT_ID = Param(
    "botId", "path", str, "Any bot id: the preflight does not look it up", required=True
)
_CONVERSATION_ID = Param(
    "conversationId",
    "path",
    str,
    "A conversation's id, as the web channel's answer gives it",
    required=True,
)
# The messengers that sign nothing: their webhook URL ends in a secret path token.
PATH_TOKEN_CHANNELS = tuple(
    name for name in MESSENGERS if issubclass(CHANNELS[name].Settings, UnsignedSettings)
)
# The messengers whose webhook answers a GET (a subscription check); the others'
# answer 405 (tests/server/test_schemathesis.py checks this list against the app).
GET_WEBHOOKS = ("facebook",)
_CHANNEL = Param(
    "channel",
    "path",
    {"type": "string", "enum": [name for name in MESSENGERS if name not in PATH_TOKEN_CHANNELS]},
    "The messenger (docs/channels.md)",
    required=True,
)
_TOKEN_CHANNEL = Param(
    "channel",
    "path",
    {"type": "string", "enum": list(PATH_TOKEN_CHANNELS)},
    "A messenger that signs nothing (KakaoTalk, TalkTalk)",
    required=True,
)
_GET_CHANNEL = Param(
    "channel",
    "path",
    {"type": "string", "enum": [name for name in MESSENGERS if name in GET_WEBHOOKS]},
    "A messenger that checks its webhook URL with a GET (LINE's answers 405)",
    required=True,
)
_PATH_TOKEN = Param(
    "path_token",
    "path",
    str,
    "The bot's secret path token for this channel (flowbot.toml); a wrong one answers 404",
    required=True,
)
_SIGNATURES = (
    Param(
        "X-Hub-Signature-256",
        "header",
        str,
        "Facebook: sha256= and the hex HMAC-SHA256 of the body, keyed with the app secret",
    ),
    Param(
        "X-Line-Signature",
        "header",
        str,
        "LINE: the Base64 HMAC-SHA256 of the body, keyed with the channel secret",
    ),
)


def _limit(default: int, most: int, what: str) -> Param:
    return Param(
        "limit",
        "query",
        {"type": "integer", "minimum": 1, "maximum": most, "default": default},
        f"How many {what} at most (default {default}, at most {most}).",
    )


def _error(description: str) -> Answer:
    return Answer(description, m.Error)


def _text(description: str, headers: Mapping[str, Any] | None = None) -> Answer:
    return Answer(description, _STRING, TEXT, headers)


_NOT_JSON = _error("The body is not JSON")
# the studio's revisions (docs/studio.md), on the bot routes
REVISION_HEADER = {
    "ETag": {
        "description": "The bot's revision, quoted: the sha256 of its canonical JSON",
        "schema": _STRING,
    }
}
IF_MATCH = Param(
    "If-Match",
    "header",
    str,
    "The revision (ETag) the bot was opened at: a bot that changed since is refused with 412",
)
AUTHOR = Param("X-Flowbot-Author", "header", str, "Who saves, for the versions (default: api)")
STALE_REVISION = _error(
    "If-Match names another revision than the running bot's: nothing was written "
    "(code stale_revision; reload, or save as a copy)"
)
_INVALID = _error("The body does not follow the schema; `problems` lists why")
_BUSY = _error("The conversation is busy in another process: try again")
_TOO_LARGE = _error("The body is over 256 KiB")
_NO_WEBHOOK = _error("No such bot, or the bot has no settings for this channel")
_WEBHOOK_TOO_LARGE = _error("The body is over 1 MiB")
_WEBHOOK_BUSY = _error("Too busy: the platform retries later")
_NOT_WEBHOOK = _error("Not the platform's webhook body")

# The CORS-safelisted request headers and those the web routes allow
# (flowbot.server.web._cross_origin_route), compared as starlette's CORSMiddleware
# does: split on ",", stripped, any case.
_CORS_HEADERS = ("accept", "accept-language", "authorization", "content-language", "content-type")


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else c for c in word)


_CORS_HEADER = "(" + "|".join(_any_case(name) for name in _CORS_HEADERS) + ")"
_CORS_HEADERS_PATTERN = (
    f"^[{PY_WHITESPACE}]*{_CORS_HEADER}[{PY_WHITESPACE}]*"
    f"(,[{PY_WHITESPACE}]*{_CORS_HEADER}[{PY_WHITESPACE}]*)*$"
)


def _preflight(method: str, path: str, *path_parameters: Param) -> Operation:
    """The CORS preflight of a route the widget calls from other sites' pages."""
    return Operation(
        "options",
        path,
        "CORS preflight of a page embedding the widget ([web] allowed_origins)",
        "web channel",
        {
            200: _text("The origin, the method and the headers are allowed"),
            400: _text("The origin, the method or a header is not allowed"),
            405: _text("Not a preflight (no Origin or Access-Control-Request-Method)", _ALLOW),
        },
        description="An OPTIONS request with Origin and Access-Control-Request-Method is a "
        "preflight; any other OPTIONS request is refused with 405.",
        parameters=(
            *path_parameters,
            Param("Origin", "header", str, required=True),
            Param(
                "Access-Control-Request-Method",
                "header",
                {"type": "string", "const": method},
                required=True,
            ),
            Param(
                "Access-Control-Request-Headers",
                "header",
                {"type": "string", "pattern": _CORS_HEADERS_PATTERN},
                "Any of " + ", ".join(_CORS_HEADERS) + ", comma-separated",
            ),
        ),
    )


_API_SECURITY: tuple[dict[str, list[str]], ...] = ({"bearer": []}, {"apiKey": []})
# The agents' routes open with the API key or the agent key (agent_key), in the same headers.
_AGENT_SECURITY: tuple[dict[str, list[str]], ...] = (
    {"bearer": []},
    {"apiKey": []},
    {"agentKey": []},
)


def _api(method: str, path: str, summary: str, answers: dict[int, Answer], **extra: Any) -> Any:
    """An operation of the JSON API (the API key's group, flowbot.server.api)."""
    denied = _error("No API key configured, or a wrong or missing key")
    return Operation(
        method, path, summary, "api", {**answers, 403: denied}, security=_API_SECURITY, **extra
    )


def _agents(
    method: str, path: str, summary: str, answers: dict[int, Answer], **extra: Any
) -> Operation:
    """An operation of the agents' routes (flowbot.server.agents; docs/agents.md)."""
    denied = _error("No API key nor agent key configured, or a wrong or missing key")
    extra.setdefault("security", _AGENT_SECURITY)
    return Operation(method, path, summary, "agents", {**answers, 403: denied}, **extra)


def _link(operation: str, **parameters: str) -> dict[str, Any]:
    return {"operationId": operation, "parameters": parameters}


_HELLO_BOT = {
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
}

# --- the operations ----------------------------------------------------------------------------

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "get",
        "/healthz",
        "Health: 200 when the bots are loaded and the database answers",
        "server",
        {
            200: Answer("Ready", m.Health),
            503: Answer("Starting, stopping, or the database does not answer", m.Health),
        },
        operation_id="health",
    ),
    # --- the web channel (flowbot.server.web, flowbot.server.messages) ---
    Operation(
        "post",
        "/channels/web/{botId}/messages",
        "Send one message (or open the conversation) and get the replies",
        "web channel",
        {
            200: Answer("The replies", m.WebAnswer),
            400: _NOT_JSON,
            403: _error("This userKey has a conversation: its token is missing or wrong"),
            404: _error("No such bot"),
            413: _error("The body is over 64 KiB"),
            422: _INVALID,
            503: _BUSY,
        },
        request=m.WebMessage,
        example={"userKey": "visitor-1"},
        parameters=(_BOT_ID,),
        security=({}, {"conversationToken": []}),
        operation_id="webMessage",
        description="The first request of a new userKey opens a conversation and its answer "
        "carries a token; later requests of that userKey send it as 'Authorization: Bearer "
        "<token>'. The body is read as JSON whatever its Content-Type.",
        links={
            # what a client can do next with the conversation a web turn answered
            "events": _link(
                "webEvents",
                botId="$request.path.botId",
                conversationId="$response.body#/conversationId",
                token="$response.body#/token",
            ),
            "conversation": _link(
                "getConversation", conversationId="$response.body#/conversationId"
            ),
            "navigation": _link(
                "changeNavigation", conversationId="$response.body#/conversationId"
            ),
            "messages": _link("sendMessages", conversationId="$response.body#/conversationId"),
        },
    ),
    _preflight("POST", "/channels/web/{botId}/messages", _ANY_BOT_ID),
    Operation(
        "get",
        "/channels/web/{botId}/conversations/{conversationId}/events",
        "Server-sent events: messages pushed to this conversation",
        "web channel",
        {
            200: Answer("The stream", _STRING, "text/event-stream"),
            403: _error("The token does not open this conversation"),
            404: _error("No such bot, or the bot has no such conversation"),
        },
        parameters=(
            _BOT_ID,
            _CONVERSATION_ID,
            Param("token", "query", str, "The conversation's token", required=True),
        ),
        operation_id="webEvents",
        description="For EventSource, which cannot send headers: the token is in the query. A "
        "comment opens the stream; each push is `event: replies` with `data: {replies, "
        "quickReplies, source}`; a comment every 15 s keeps it open.",
    ),
    _preflight(
        "GET",
        "/channels/web/{botId}/conversations/{conversationId}/events",
        _ANY_BOT_ID,
        _CONVERSATION_ID,
    ),
    # --- the messengers' webhooks (flowbot.server.channel_routes; docs/channels.md) ---
    Operation(
        "get",
        "/channels/{channel}/{botId}",
        "A messenger's webhook check (Facebook: hub.challenge)",
        "messenger channels",
        {
            200: _text("The challenge"),
            403: _text("Not a subscription, or a wrong verify token"),
            404: _NO_WEBHOOK,
            405: Answer("This channel's webhook takes POST only", m.Error, headers=_ALLOW),
            413: _WEBHOOK_TOO_LARGE,
        },
        parameters=(
            _GET_CHANNEL,
            _BOT_ID,
            *(Param(f"hub.{name}", "query", str) for name in ("mode", "verify_token", "challenge")),
        ),
        operation_id="webhookCheck",
        description="Facebook subscribes the URL with hub.mode=subscribe, hub.verify_token and "
        "hub.challenge; the challenge is echoed for the configured verify_token, 403 otherwise. "
        "LINE checks a URL with a POST: its webhook answers GET with 405. See docs/channels.md.",
    ),
    Operation(
        "post",
        "/channels/{channel}/{botId}",
        "A messenger's webhook: the platform's events, answered 200 at once",
        "messenger channels",
        {
            200: _text("Received (Facebook: EVENT_RECEIVED; LINE: an empty body)"),
            400: _NOT_WEBHOOK,
            403: _error("Missing or wrong signature"),
            404: _NO_WEBHOOK,
            413: _WEBHOOK_TOO_LARGE,
            503: _WEBHOOK_BUSY,
        },
        request=m.SignedWebhook,
        parameters=(_CHANNEL, _BOT_ID, *_SIGNATURES),
        operation_id="webhook",
        description="Signed by the platform (Facebook: X-Hub-Signature-256; LINE: "
        "X-Line-Signature); the signature is checked before the body is read as JSON. Each "
        "user event becomes a turn, run after the answer in arrival order per conversation; "
        "the replies go out through the platform's API. A redelivered event is answered once.",
    ),
    Operation(
        "post",
        "/channels/{channel}/{botId}/{path_token}",
        "KakaoTalk's skill and TalkTalk's webhook: the answer in the response",
        "messenger channels",
        {
            200: Answer(
                "Kakao: a SkillResponse; TalkTalk: a send event, or an empty body",
                m.SyncWebhookAnswer,
                alternatives={TEXT: _STRING},
            ),
            400: _NOT_WEBHOOK,
            403: _error("An address outside allowed_ips, or a wrong X-Flowbot-Secret"),
            404: _error("No such bot, no settings for this channel, or a wrong path token"),
            413: _WEBHOOK_TOO_LARGE,
            503: _WEBHOOK_BUSY,
        },
        request=m.UnsignedWebhook,
        parameters=(_TOKEN_CHANNEL, _BOT_ID, _PATH_TOKEN),
        operation_id="syncWebhook",
        description="The platform signs nothing: the path token (and, when set, an IP "
        "allow-list and Kakao's X-Flowbot-Secret header) proves the request. The turn runs in "
        "the request; its answer is the body when it ends within 3.5 s. Later, Kakao gets "
        "useCallback (with a callback URL) or the bot's error message, TalkTalk an empty 200, "
        "and the answer follows by Kakao's callback or TalkTalk's send API. See "
        "docs/channels.md.",
    ),
    # --- the JSON API (flowbot.server.api) ---
    _api(
        "get",
        "/api/bots",
        "List the bots",
        {200: Answer("The bots", m.BotList)},
        operation_id="listBots",
    ),
    _api(
        "get",
        "/api/bots/{botId}",
        "Export a bot as CLOSER JSON",
        {
            200: Answer("The bot", Bot, headers=REVISION_HEADER),
            404: _error("No such bot"),
        },
        parameters=(_BOT_ID,),
        operation_id="exportBot",
    ),
    _api(
        "put",
        "/api/bots/{botId}",
        "Import a bot (CLOSER JSON); a bot that does not validate changes nothing",
        {
            200: Answer("Replaced", m.ImportedBot, headers=REVISION_HEADER),
            201: Answer("Added", m.ImportedBot, headers=REVISION_HEADER),
            400: _NOT_JSON,
            412: STALE_REVISION,
            409: _error(
                "The bot's file or folder cannot be written (read-only, a full disk, a file in "
                "the folder that is not a flow): the running bot is unchanged"
            ),
            413: _error("The bot is over 20 MiB"),
            422: _error(
                "The bot id is not one, the body is not an object, or the bot does not validate "
                "(`problems` lists why)"
            ),
            503: _error(
                "The database did not keep the bot (a bot with no file): the running bot is "
                "unchanged; try again"
            ),
        },
        request=m.BotImport,
        example=_HELLO_BOT,
        parameters=(_NEW_BOT_ID, IF_MATCH, AUTHOR),
        operation_id="importBot",
        description="The bot is kept, then replaces the running bot of that id (or is added). "
        "A bot the config names is written to its file or folder, in that source's format "
        "(JSON or YAML; a folder keeps each flow's file, adds files for new flows and removes "
        "those of flows it no longer has); any other id is kept in the database and loaded "
        "again at start-up. Nothing is written when the bot does not validate. Each save "
        "records a version (docs/studio.md); with If-Match, a bot that changed since is "
        "refused (412) and nothing is written.",
    ),
    _api(
        "get",
        "/api/bots/{botId}/flows",
        "List a bot's flows",
        {200: Answer("The flows", m.FlowList), 404: _error("No such bot")},
        parameters=(_BOT_ID,),
        operation_id="listFlows",
    ),
    _api(
        "get",
        "/api/bots/{botId}/conversations",
        "List a bot's conversations, most recently updated first",
        {
            200: Answer("The conversations", m.ConversationList),
            404: _error("No such bot"),
            422: _error("limit is not an integer from 1 to 1000"),
        },
        parameters=(_BOT_ID, _limit(100, 1000, "conversations")),
        operation_id="listConversations",
    ),
    _api(
        "get",
        "/api/conversations/{conversationId}",
        "Read a conversation: navigation, params and transcript",
        {
            200: Answer("The conversation", m.ConversationDetail),
            404: _error("No such conversation"),
            422: _error("limit is not an integer from 1 to 1000"),
        },
        parameters=(_CONVERSATION_ID, _limit(200, 1000, "transcript entries, the first")),
        operation_id="getConversation",
    ),
    _api(
        "post",
        "/api/conversations/{conversationId}/navigation",
        "Change a conversation's navigation (CLOSER's changeNavigation)",
        {
            200: Answer("The conversation; with run, the replies it sent too", m.NavigationAnswer),
            400: _NOT_JSON,
            404: _error("No such conversation, or its bot has no such flow or node"),
            413: _TOO_LARGE,
            422: _INVALID,
            502: _error("run: the platform refused the replies"),
            503: _BUSY,
        },
        request=m.NavigationRequest,
        example={"flowId": 1},
        parameters=(_CONVERSATION_ID,),
        operation_id="changeNavigation",
        description="Moves the conversation to a flow's entry node or to one of its nodes; the "
        "next user message starts there. With run=true the target runs at once (like a goto "
        "button) and its replies are pushed to the conversation's channel (the widget's event "
        "stream, or the messenger).",
    ),
    _api(
        "post",
        "/api/conversations/{conversationId}/messages",
        "Send messages to a conversation, on its own channel",
        {
            200: Answer("Sent", m.Sent),
            400: _NOT_JSON,
            404: _error("No such conversation"),
            409: _error("The conversation's channel cannot push (KakaoTalk)"),
            413: _TOO_LARGE,
            422: _INVALID,
            502: _error("The platform refused the message"),
            503: _BUSY,
        },
        request=m.SendMessages,
        example={"text": "An operator will answer you shortly."},
        parameters=(_CONVERSATION_ID,),
        operation_id="sendMessages",
    ),
    # --- the agents' routes (flowbot.server.agents; docs/agents.md) ---
    _agents(
        "get",
        "/api/handoffs",
        "List the conversations with a person: waiting for an agent, or with one",
        {
            200: Answer("The conversations, longest waiting first", m.HandoffList),
            404: _error("No such bot"),
            422: _error("status is not waiting or active"),
        },
        parameters=(
            Param("botId", "query", str, "One bot's only (default: every bot's)"),
            Param(
                "status",
                "query",
                {"enum": ["waiting", "active"]},
                "waiting (for an agent) or active (with one); default both",
            ),
        ),
        operation_id="listHandoffs",
    ),
    _agents(
        "get",
        "/api/handoffs/events",
        "Server-sent events for the agent console: every bot's handoffs, live",
        {200: Answer("The stream", _STRING, "text/event-stream")},
        security=({"agentKeyQuery": []},),
        operation_id="handoffEvents",
        description="For EventSource, which cannot send headers: the agent key (or the API "
        "key) is the `key` query parameter. A comment opens the stream; each event is `event: "
        "handoff` with `data: {type, botId, conversationId, channel, …}`, type one of requested "
        "(+ handoff), message (+ message: what the user sent), joined (+ agent), agent_message "
        "(+ agent, messages) and ended (+ by: user or agent, agent); a comment every 15 s keeps "
        "it open.",
    ),
    _agents(
        "get",
        "/api/conversations/{conversationId}/handoff",
        "Read a conversation with its handoff and its last 200 transcript entries",
        {
            200: Answer("The conversation", m.ConversationDetail),
            404: _error("No such conversation"),
        },
        parameters=(_CONVERSATION_ID,),
        operation_id="getHandoff",
    ),
    _agents(
        "post",
        "/api/conversations/{conversationId}/handoff/join",
        "Join a conversation waiting for an agent",
        {
            200: Answer("Joined: the handoff is active, with this agent", m.Conversation),
            400: _NOT_JSON,
            404: _error("No such conversation"),
            409: _error("The conversation is not waiting for an agent, or another agent has it"),
            413: _TOO_LARGE,
            422: _INVALID,
            503: _BUSY,
        },
        request=m.AgentJoin,
        example={"agent": "Kim"},
        parameters=(_CONVERSATION_ID,),
        operation_id="joinHandoff",
        description="The widget shows '<agent> joined the conversation'; the agents' stream "
        "gets a joined event and the event webhooks bot.conversation.agent_joined. Joining "
        "again as the same agent is allowed.",
    ),
    _agents(
        "post",
        "/api/conversations/{conversationId}/handoff/reply",
        "Send the agent's messages to the user, on the conversation's own channel",
        {
            200: Answer("Sent", m.AgentSent),
            400: _NOT_JSON,
            404: _error("No such conversation"),
            409: _error(
                "This agent has not joined the conversation, or its channel cannot push (KakaoTalk)"
            ),
            413: _TOO_LARGE,
            422: _INVALID,
            502: _error("The platform refused the message"),
            503: _BUSY,
        },
        request=m.AgentReply,
        example={"agent": "Kim", "text": "Hi, I am Kim. How can I help?"},
        parameters=(_CONVERSATION_ID,),
        operation_id="replyHandoff",
        description="Like sendMessages, from the agent who joined: the messages are kept in the "
        "transcript with the agent's name, and the widget shows them under it.",
    ),
    _agents(
        "post",
        "/api/conversations/{conversationId}/handoff/end",
        "End the handoff: the bot answers again, from a flow if one is given",
        {
            200: Answer("Ended: handoff is null", m.Conversation),
            400: _NOT_JSON,
            404: _error("No such conversation, or its bot has no such flow or node"),
            409: _error("The conversation is not with an agent (nor waiting for one)"),
            413: _TOO_LARGE,
            422: _INVALID,
            502: _error("flowId: the platform refused the flow's replies"),
            503: _BUSY,
        },
        request=m.AgentEnd,
        example={"agent": "Kim", "flowId": 2},
        parameters=(_CONVERSATION_ID,),
        operation_id="endHandoff",
        description="Without flowId the conversation waits for the user's next message, which "
        "starts where a finished run does. With flowId (and nodeId) the bot runs that flow at "
        "once and its replies go to the user (like changeNavigation with run). Any agent may "
        "end a handoff, and so may an agent who never joined.",
    ),
)

INFO = {
    "title": "flowbot",
    "version": "0.1.0",
    "description": (
        "Run CLOSER chatbot flows. The JSON API (/api) needs the API key configured as "
        "api_key in flowbot.toml or FLOWBOT_API_KEY; without one it answers 403. The web "
        "channel (/channels/web) is public and protected per conversation by the token its "
        "first answer carries. The agents' routes (/api/handoffs, "
        "/api/conversations/{id}/handoff…) also open with the agent key (agent_key), which "
        "opens nothing else. A method a path does not take is answered 405 with Allow; a path "
        "no route serves (an id with an encoded '/') is answered 404 Not Found in plain text."
    ),
}
TAGS = [
    {"name": "api", "description": "The JSON API: bots, flows, conversations (the API key)"},
    {"name": "agents", "description": "Handoffs to a person (the API key or the agent key)"},
    {"name": "web channel", "description": "The chat widget's routes (public)"},
    {"name": "messenger channels", "description": "The platforms' webhooks (docs/channels.md)"},
    {"name": "server", "description": "The server itself"},
    {
        "name": "studio",
        "description": "The studio's routes (docs/studio.md): the API key or the studio key",
    },
]
SECURITY_SCHEMES = {
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
        "description": "The agent key or the API key, for EventSource (which sends no headers); "
        "it never reaches a log line",
    },
    "conversationToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "The token of the conversation of this userKey",
    },
}


def build_document(operations: Sequence[Operation] = OPERATIONS) -> dict[str, Any]:
    """The OpenAPI document of `operations`, its schemas generated from their models."""
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {}
    for operation in operations:
        if isinstance(operation.request, type):
            wanted[(operation.request, "validation")] = None
        for answer in operation.answers.values():
            for body in (answer.body, *answer.alternatives.values()):
                if isinstance(body, type):
                    wanted[(body, "serialization")] = None
    refs, top = models_json_schema(list(wanted), ref_template=REF, schema_generator=Schemas)
    schemas: dict[str, Any] = top.get("$defs", {})
    _refine(schemas)

    def schema(body: Body, mode: JsonSchemaMode) -> dict[str, Any]:
        return body if isinstance(body, dict) else refs[(body, mode)]

    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        described: dict[str, Any] = {"summary": operation.summary, "tags": [operation.tag]}
        if operation.operation_id is not None:
            described["operationId"] = operation.operation_id
        if operation.description is not None:
            described["description"] = operation.description
        if operation.security is not None:
            described["security"] = [dict(s) for s in operation.security]
        if operation.parameters:
            described["parameters"] = [_parameter(p) for p in operation.parameters]
        if operation.request is not None:
            content: dict[str, Any] = {"schema": schema(operation.request, "validation")}
            if operation.example is not None:
                content["example"] = operation.example
            described["requestBody"] = {"required": True, "content": {JSON: content}}
        responses: dict[str, Any] = {}
        for status, answer in sorted(operation.answers.items()):
            response: dict[str, Any] = {"description": answer.description}
            if answer.body is not None:
                bodies = {answer.media_type: answer.body, **answer.alternatives}
                response["content"] = {
                    media_type: {"schema": schema(body, "serialization")}
                    for media_type, body in bodies.items()
                }
            if answer.headers:
                response["headers"] = dict(answer.headers)
            if status == 200 and operation.links:
                response["links"] = dict(operation.links)
            responses[str(status)] = response
        described["responses"] = responses
        paths.setdefault(operation.path, {})[operation.method] = described
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "tags": TAGS,
        "components": {"securitySchemes": SECURITY_SCHEMES, "schemas": schemas},
        "paths": paths,
    }


def _parameter(param: Param) -> dict[str, Any]:
    described: dict[str, Any] = {
        "name": param.name,
        "in": param.location,
        "required": param.required,
    }
    if param.description is not None:
        described["description"] = param.description
    described["schema"] = _schema_of(param.schema)
    if param.example is not None:
        described["example"] = param.example
    return described


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The document of `OPERATIONS` and the studio's, built once, when first asked for
    (it takes ~0.1 s)."""
    from flowbot.server.studio_openapi import STUDIO_OPERATIONS

    return build_document((*OPERATIONS, *STUDIO_OPERATIONS))


@functools.cache
def openapi_json() -> bytes:
    """The document as the bytes /api/openapi.json answers with."""
    return json.dumps(openapi_document(), ensure_ascii=False, separators=(",", ":")).encode()
