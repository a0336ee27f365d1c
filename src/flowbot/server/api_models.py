"""The JSON bodies of the HTTP routes as pydantic models: /api/openapi.json is generated from them.

Three kinds, each with its base class:

- `RequestBody`: what a JSON API route reads. The route validates the body
  with the model (`read_model`): a body that does not follow it is refused
  with 422 and one `problems` line per field, its path first
  (`messages[1].cards.cards[0].buttons[2].link.uri: Field required`, where
  `cards` and `link` are the kinds the message and the button were read as;
  `messages[0].buttons[0].payload: 1001 characters, at most 1000`).
  Validation is strict, as the document's JSON Schema is: `true` is not the
  integer 1, nor "1" a number. Bots, flows and messages are the format's own
  models (`flowbot.format.models`), with their camelCase keys and the extra
  keys they keep. A bot import (`BotImport`) is read by the format's loader
  first, whose problems name the flow and node (`flowbot validate`), then
  strictly by the same models.
- `AnswerBody`: what a route answers with (`answer`). No other keys.
- `Described`: bodies the document describes but the route reads itself, on
  a path kept fast or close to the platform's own format: the web channel's
  turn (`flowbot.channels.web.parse_request`, below Starlette) and the
  messengers' webhooks (`flowbot.channels.*.parse`).

`flowbot.server.openapi` lists the routes with these models; the error body
of every refusal is `Error` (built by `flowbot.server.http.error_response`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, ClassVar, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainValidator,
    RootModel,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema
from starlette.requests import Request
from starlette.responses import Response

from flowbot.channels import web as web_channel
from flowbot.format.models import Bot, Flow, Id, Message, QuickReply
from flowbot.format.shape import value_problem
from flowbot.server.errors import Refusal
from flowbot.server.http import BadJSON, BodyTooLarge, read_json

__all__ = [
    "MAX_PAYLOAD_CHARS",
    "NON_BLANK",
    "NOT_NULL",
    "PY_WHITESPACE",
    "AnswerBody",
    "Described",
    "Error",
    "RequestBody",
    "answer",
    "problem_lines",
    "read_model",
]

# What Python's str.strip() removes (str.isspace), as a regex character class
# body: "non-blank" below means "contains a character outside it", which is
# how the routes check a required id or name (`value.strip()`).
PY_WHITESPACE = (
    "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
)
NON_BLANK = f"[^{PY_WHITESPACE}]"
# non-blank and without NUL: the web channel's userKey
NON_BLANK_NO_NUL = f"^[^\\x00]*[^{PY_WHITESPACE}\\x00][^\\x00]*$"
NO_NUL = "^[^\\x00]*$"
# flowbot.config.BOT_ID
BOT_ID_PATTERN = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$"
# flowbot.channels.web.PARAM_KEY
PARAM_KEY_PATTERN = "^[A-Za-z0-9_-]{1,100}$"
# A button's or quick reply's payload (flowbot.format.node_checks.MAX_PAYLOAD)
MAX_PAYLOAD_CHARS = 1000
# a message with cards and buttons is a few levels deep
MAX_BODY_DEPTH = 32


class _NotNull:
    """`Annotated[X | None, NOT_NULL] = None`: a key that may be left out, but not be null.

    Validation refuses an explicit null; the schema is X's (no null, no default).
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_before_validator_function(_refuse_null, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        branches = [b for b in json_schema.get("anyOf", ()) if b != {"type": "null"}]
        if len(branches) == 1:
            rest = {k: v for k, v in json_schema.items() if k != "anyOf"}
            return {**branches[0], **rest}
        return json_schema


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("not_null", "leave it out rather than send null")
    return value


NOT_NULL = _NotNull()


def _request_id(most: int | None) -> Any:
    def check(value: Any) -> int | str:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip() and (most is None or len(value) <= most):
            return value
        longest = "" if most is None else f" (at most {most} characters)"
        raise PydanticCustomError("id", f"a non-empty string{longest} or an integer")

    return check


def _id_schema(most: int | None) -> dict[str, Any]:
    string: dict[str, Any] = {"type": "string", "pattern": NON_BLANK}
    if most is not None:
        string["maxLength"] = most
    return {
        "oneOf": [{"type": "integer"}, string],
        "description": "A flow's or node's id: an integer, or a string that is not blank",
    }


# A flow or node id a request names: an integer or a non-blank string, kept as given.
RequestId = Annotated[
    int | str, PlainValidator(_request_id(None)), WithJsonSchema(_id_schema(None))
]
# the same, at most 200 characters (an agent's end of a handoff, the web channel's goto)
ShortRequestId = Annotated[
    int | str, PlainValidator(_request_id(200)), WithJsonSchema(_id_schema(200))
]
AgentName = Annotated[
    str,
    Field(
        max_length=100,
        pattern=NON_BLANK,
        description="The agent's name, as the user sees it (1 to 100 characters, trimmed)",
    ),
    AfterValidator(str.strip),
]
BotId = Annotated[str, Field(pattern=BOT_ID_PATTERN)]
DateTime = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


_CAMEL = ConfigDict(alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True)


class RequestBody(BaseModel):
    """A JSON API request body; `refusal` is the error of a body that does not follow it."""

    model_config = ConfigDict(**_CAMEL, regex_engine="python-re")
    refusal: ClassVar[str] = "the body does not follow this route's schema"


class AnswerBody(BaseModel):
    """A JSON answer body: the keys listed, no others."""

    model_config = ConfigDict(**_CAMEL, extra="forbid")


class Described(BaseModel):
    """A body the document describes and its route reads by itself."""

    model_config = ConfigDict(**_CAMEL, regex_engine="python-re")


# --- errors ------------------------------------------------------------------------------


class Error(AnswerBody):
    """Every refusal: what went wrong, and for a body, one line per problem."""

    error: str
    problems: list[str] = Field(
        default_factory=list, description="One line per problem: its path, then what is wrong"
    )
    code: Annotated[str | None, NOT_NULL] = Field(
        None,
        description="A machine-readable reason, where a client acts on it "
        "(token_expired: open a new conversation)",
    )


# --- request bodies -------------------------------------------------------------------------


class BotImport(RootModel[Bot | Flow]):
    """A CLOSER bot export {title, flows, preference}, or one flow {id, nodes}.

    JSON Schema cannot say everything a bot must be (one entry node per flow,
    edges to nodes that exist, templates that compile…): the import answers 422
    with the problems `flowbot validate` finds.
    """


class NavigationRequest(RequestBody):
    """Where to move the conversation: a flow's entry, or a node of it."""

    refusal: ClassVar[str] = "expected {flowId, nodeId?, run?}"
    flow_id: RequestId
    node_id: RequestId | None = None
    run: bool = Field(False, description="Run the target now and send its replies")


class SendMessages(RequestBody):
    """Exactly one of "message", "messages" or "text", and quick replies to show with them."""

    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["message"]},
                {"required": ["messages"]},
                {"required": ["text"]},
            ]
        }
    )
    refusal: ClassVar[str] = (
        'expected exactly one of "message" (a CLOSER Message), "messages" (a list of them) '
        'or "text", and quickReplies'
    )
    message: Annotated[Message | None, NOT_NULL] = None
    messages: Annotated[Annotated[list[Message], Field(min_length=1)] | None, NOT_NULL] = None
    text: Annotated[Annotated[str, Field(min_length=1)] | None, NOT_NULL] = None
    quick_replies: list[QuickReply] | None = None

    @model_validator(mode="before")
    @classmethod
    def _exactly_one(cls, data: Any) -> Any:
        if isinstance(data, dict):
            given = [key for key in ("message", "messages", "text") if key in data]
            if len(given) != 1:
                raise PydanticCustomError(
                    "exactly_one",
                    'found {found}: send exactly one of "message", "messages" or "text"',
                    {"found": ", ".join(given) or "none of them"},
                )
        return data

    def outbound(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The messages and quick replies as the channels render them (plain JSON)."""
        if self.text is not None:
            messages = [{"type": "text", "text": self.text}]
        else:
            models = [self.message] if self.message is not None else self.messages or []
            messages = [m.model_dump(mode="json", exclude_unset=True) for m in models]
        quick = [q.model_dump(mode="json") for q in self.quick_replies or ()]
        return messages, quick

    def limit_problems(self) -> list[str]:
        """What JSON Schema says but the format's models do not check: payload lengths."""
        messages, quick = self.outbound()
        return _payload_problems(messages, quick)


class AgentJoin(RequestBody):
    refusal: ClassVar[str] = "agent: the agent's name, 1 to 100 characters"
    agent: AgentName


class AgentReply(SendMessages):
    """The agent, and exactly one of "message", "messages" or "text" (quickReplies are
    checked, not sent)."""

    refusal: ClassVar[str] = 'expected the agent and exactly one of "message", "messages" or "text"'
    agent: AgentName


class AgentEnd(RequestBody):
    refusal: ClassVar[str] = "expected {agent?, flowId?, nodeId?}"
    agent: AgentName | None = None
    flow_id: ShortRequestId | None = None
    node_id: ShortRequestId | None = Field(
        None, description="Within flowId; alone it means nothing"
    )


# --- answers: bots and flows -------------------------------------------------------------------


class BotSummary(AnswerBody):
    id: str
    title: str | None
    flows: int = Field(ge=0)
    source: str = Field(
        description="The bot's file or folder, or 'database' for a bot imported under an id "
        "the config does not name"
    )


class BotList(AnswerBody):
    bots: list[BotSummary]


class ImportedBot(AnswerBody):
    id: str
    title: str | None
    flows: int = Field(ge=1)
    kept: Literal["file", "folder", "database"] = Field(
        description="Where the bot was written: the file or folder the config loads it from, "
        "or the database for an id the config does not name"
    )
    source: str = Field(description="That file's or folder's path, or 'database'")
    revision: Annotated[str | None, NOT_NULL] = Field(
        None, description="The saved bot's revision (also its ETag): send it as If-Match next time"
    )
    version: Annotated[int | None, NOT_NULL] = Field(
        None,
        ge=1,
        description="The version recorded for this save (left out when the store did not "
        "record it)",
    )


class FlowSummary(AnswerBody):
    id: Id
    title: str | None
    entry_node_id: Id | None
    nodes: int = Field(ge=0)


class FlowList(AnswerBody):
    """The flows, with the start and fallback flow ids."""

    flows: list[FlowSummary]
    entry_flow_id: Id
    fallback_flow_id: Id


# --- answers: conversations ----------------------------------------------------------------------


class Navigation(AnswerBody):
    """Where the conversation waits (a keyboard node)."""

    flow_id: Id
    node_id: Id


class Handoff(BaseModel):
    """The conversation is with a person (a manual node called an agent): waiting for one,
    or with the agent who joined."""

    model_config = ConfigDict(**_CAMEL, extra="allow")
    status: Literal["waiting", "active"]
    flow_id: Id
    node_id: Id
    agent: str | None = Field(description="Who joined (active)")
    since: str = Field(description="When the user asked (ISO 8601, UTC)")
    joined: Annotated[str | None, NOT_NULL] = Field(
        None, description="When the agent joined (ISO 8601, UTC)"
    )


class Conversation(AnswerBody):
    id: str
    bot_id: str
    channel: str
    user_key: str
    version: int = Field(ge=0)
    created_at: DateTime
    updated_at: DateTime
    navigation: Navigation | None = Field(description="null when the last run ended")
    params: dict[str, Any]
    handoff: Handoff | None = Field(description="null unless the conversation is with a person")


class TranscriptEntry(AnswerBody):
    direction: Literal["in", "out"]
    message: dict[str, Any] = Field(
        description="What was said; an agent's messages carry their name as agent"
    )
    at: DateTime


class ConversationDetail(Conversation):
    transcript: list[TranscriptEntry] = Field(description="Oldest first")


class ConversationList(AnswerBody):
    conversations: list[Conversation]


class HandoffList(AnswerBody):
    """The conversations with a person, longest waiting first."""

    handoffs: list[Conversation]


class Reply(BaseModel):
    """A message the bot sent, as the channel shows it (a CLOSER Message)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["text", "media", "cards", "location"]


class ReplyQuickReply(BaseModel):
    """A quick reply the bot offers (a CLOSER QuickReply)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["postback"]
    label: str
    payload: str | None = None


class NavigationAnswer(Conversation):
    """The conversation; with run, the replies it sent too."""

    replies: Annotated[list[Reply] | None, NOT_NULL] = None
    quick_replies: Annotated[list[ReplyQuickReply] | None, NOT_NULL] = None


class Sent(AnswerBody):
    conversation_id: str
    sent: int = Field(ge=1)
    delivered: int = Field(
        ge=0,
        description="web: open widgets reached; Facebook and LINE: 1 once the platform's push "
        "API took them",
    )


class AgentSent(AnswerBody):
    sent: int = Field(ge=1)
    delivered: int = Field(
        ge=0,
        description="web: open widgets reached; Facebook and LINE: 1 once the platform's push "
        "API took them",
    )


class Health(AnswerBody):
    status: Literal["ok", "unavailable"]
    bots: list[str]
    database: Literal["ok", "unavailable"]


# --- the web channel and the webhooks (described; read by their routes) --------------------------

_WEB_ID = _id_schema(200)


class WebGoto(Described):
    flow_id: Annotated[int | str, WithJsonSchema(_WEB_ID)]
    node_id: Annotated[int | str | None, WithJsonSchema({"anyOf": [_WEB_ID, {"type": "null"}]})] = (
        None
    )


class WebMessage(Described):
    """A postback click carries its label as `text` and its payload as `payload`; a goto
    click carries `goto`. A body with none of text, payload, goto or event opens the
    conversation (the widget's first request). null is the same as leaving a field out;
    other keys are ignored."""

    user_key: str = Field(
        max_length=web_channel.MAX_USER_KEY_CHARS,
        pattern=NON_BLANK_NO_NUL,
        description="Who is talking (the widget keeps one per browser)",
    )
    text: str | None = Field(None, max_length=web_channel.MAX_TEXT_CHARS)
    payload: str | None = Field(
        None,
        max_length=MAX_PAYLOAD_CHARS,
        pattern=NO_NUL,
        description="What the click sends back: up to 1,000 characters, JSON read as an object",
    )
    event: Literal["open"] | None = None
    goto: WebGoto | None = None
    params: Annotated[
        dict[str, Any] | None,
        WithJsonSchema(
            {
                "anyOf": [
                    {
                        "type": "object",
                        "maxProperties": web_channel.MAX_PARAMS,
                        "propertyNames": {"pattern": PARAM_KEY_PATTERN},
                    },
                    {"type": "null"},
                ],
                "description": "Parameters to set when the conversation opens (later, only "
                "those the bot's message_params allow). Each value at most "
                f"{web_channel.MAX_PARAM_DEPTH} levels deep, all of them at most "
                f"{web_channel.MAX_PARAMS_CHARS:,} characters of JSON.",
            }
        ),
    ] = None
    message_id: str | None = Field(
        None,
        max_length=web_channel.MAX_MESSAGE_ID_CHARS,
        pattern=NO_NUL,
        description="Client id: a retried request with the same id is answered again without "
        "running a second turn.",
    )


class WebAnswer(AnswerBody):
    replies: list[Reply]
    quick_replies: list[ReplyQuickReply]
    conversation_id: str
    token: str = Field(description="Send it as 'Authorization: Bearer <token>' from now on")


class SignedWebhook(Described):
    """Facebook: {"object": "page", "entry": [...]}; LINE: {"destination", "events": [...]}"""

    model_config = ConfigDict(extra="allow")


class UnsignedWebhook(Described):
    """Kakao: a SkillPayload {intent, userRequest, bot, action}; TalkTalk: one event
    {"event", "user", …}"""

    model_config = ConfigDict(extra="allow")


class SyncWebhookAnswer(BaseModel):
    """Kakao: a SkillResponse; TalkTalk: a send event"""

    model_config = ConfigDict(extra="allow")


# --- reading and answering -----------------------------------------------------------------------

B = TypeVar("B", bound=RequestBody)

# the names pydantic gives the branches of a union of plain types, in an error's path
_BRANCHES = frozenset({"int", "str", "float", "bool", "constrained-str", "constrained-int"})
# pydantic's wording where it names a Python class or type
_MESSAGES = {
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
    "dict_type": "expected an object",
}


async def read_model(request: Request, model: type[B], limit: int) -> B:
    """The request's JSON body as `model`; raises `Refusal` (400, 413 or 422)."""
    try:
        data = await read_json(request, limit)
    except BodyTooLarge:
        raise Refusal(413, f"the body is over {limit} bytes") from None
    except BadJSON as error:
        raise Refusal(400, str(error)) from None
    if (odd := value_problem(data, max_depth=MAX_BODY_DEPTH)) is not None:
        raise Refusal(422, f"the body is not one this route takes: {odd}")
    try:
        body = model.model_validate(data, strict=True)
    except ValidationError as error:
        raise Refusal(422, model.refusal, problem_lines(error)) from None
    if isinstance(body, SendMessages) and (problems := body.limit_problems()):
        raise Refusal(422, model.refusal, problems)
    return body


def problem_lines(error: ValidationError) -> list[str]:
    """One line per error: `messages[0].text.buttons[1].label: Field required`.

    A tagged union's tag is part of the path (`message.media.media`): it says
    which kind of message the rest was read as. The branches of a plain union
    (an id: `int | str`) are not: each gives its line at the same path.
    """
    lines = []
    for item in error.errors(include_url=False, include_input=False, include_context=False):
        loc = [p for p in item["loc"] if p not in _BRANCHES]
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        lines.append(f"{path.removeprefix('.') or '$'}: {_MESSAGES.get(item['type'], item['msg'])}")
    return lines


def answer(body: BaseModel, status: int = 200) -> Response:
    """`body` as the JSON answer (every key the route set, by its alias)."""
    return Response(body.model_dump_json(exclude_unset=True), status, media_type="application/json")


def _list(item: Any, key: str) -> list[Any]:
    value = item.get(key) if isinstance(item, dict) else None
    return value if isinstance(value, list) else []


def _payload_problems(
    messages: Sequence[dict[str, Any]], quick_replies: Sequence[dict[str, Any]]
) -> list[str]:
    buttons: list[tuple[str, Any]] = [
        (f"quickReplies[{i}]", q) for i, q in enumerate(quick_replies)
    ]
    for m, message in enumerate(messages):
        buttons.extend(
            (f"messages[{m}].buttons[{b}]", x) for b, x in enumerate(_list(message, "buttons"))
        )
        for c, card in enumerate(_list(message, "cards")):
            buttons.extend(
                (f"messages[{m}].cards[{c}].buttons[{b}]", x)
                for b, x in enumerate(_list(card, "buttons"))
            )
    problems = []
    for where, button in buttons:
        # (extra keys are kept as given: a text message's "cards" may hold anything)
        payload = button.get("payload") if isinstance(button, dict) else None
        if isinstance(payload, str) and len(payload) > MAX_PAYLOAD_CHARS:
            problems.append(
                f"{where}.payload: {len(payload)} characters, at most {MAX_PAYLOAD_CHARS}"
            )
    return problems
