"""Pydantic models of the CLOSER bot format (docs/format.md).

The models mirror the JSON exactly as CLOSER exports it: attribute names are
snake_case, aliases are the camelCase keys of the file, unknown keys are kept
(``extra="allow"``) and export uses ``exclude_unset`` so that load → export
gives back the input (key order aside).

Values that may be templates (texts, labels, payloads, flow ids in `flow`
nodes…) are kept as the strings or numbers the file holds; compiling them is
the template package's job, checking them is the validator's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, PrivateAttr, Tag
from pydantic.alias_generators import to_camel

# CLOSER exports integer ids; hand-written bots may use strings. Both are kept
# as given and compared through `id_key` so that 2 and "2" are the same id.
Id = int | str


def id_key(value: Id | None) -> str:
    """The comparison key of a flow or node id: `2` and `"2"` are one id."""
    return "" if value is None else str(value).strip()


class Model(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        alias_generator=to_camel,
        serialize_by_alias=True,
    )


# --- buttons and quick replies -------------------------------------------------


class PostbackButton(Model):
    type: Literal["postback"]
    label: str
    payload: str | None = None


class LinkButton(Model):
    type: Literal["link"]
    label: str
    uri: str


class GotoButton(Model):
    type: Literal["goto"]
    label: str
    flow_id: Id
    node_id: Id | None = None


Button = Annotated[PostbackButton | LinkButton | GotoButton, Field(discriminator="type")]


class QuickReply(Model):
    type: Literal["postback"] = "postback"
    label: str
    payload: str | None = None


# --- messages ------------------------------------------------------------------


class Media(Model):
    uri: str
    content_type: str = "image"  # image / video / audio


class MessageMeta(Model):
    custom: str | None = None


class MessageBase(Model):
    meta: MessageMeta | None = None
    delay: int | str | None = None


class TextMessage(MessageBase):
    type: Literal["text"]
    text: str = ""
    buttons: list[Button] | None = None


class MediaMessage(MessageBase):
    type: Literal["media"]
    media: Media


class Card(Model):
    title: str | None = None
    description: str | None = None
    media: Media | None = None
    uri: str | None = None
    buttons: list[Button] | None = None


class CardsMessage(MessageBase):
    type: Literal["cards"]
    cards: list[Card]


class LocationMessage(MessageBase):
    type: Literal["location"]
    label: str | None = None
    latitude: float | str
    longitude: float | str


Message = Annotated[
    TextMessage | MediaMessage | CardsMessage | LocationMessage, Field(discriminator="type")
]


# --- edges ---------------------------------------------------------------------


class Edge(Model):
    node_id: Id
    # `where` maps a context path to one operator object, or "$or"/"$and" to a
    # list of such maps. Kept as plain data; `flowbot.format.conditions`
    # checks and compiles it.
    where: dict[str, Any] | None = None
    priority: int | None = None


# --- nodes ---------------------------------------------------------------------


class NodeBase(Model):
    id: Id
    label: str | None = None
    next: list[Edge] = Field(default_factory=list)
    # meta.design {x, y} is the editor position: kept on export, unused at run time.
    meta: dict[str, Any] | None = None


class EntryData(Model):
    pass


class EntryNode(NodeBase):
    type: Literal["entry"]
    data: EntryData = Field(default_factory=EntryData)


class ResponseData(Model):
    message: Message


class ResponseNode(NodeBase):
    type: Literal["response"]
    data: ResponseData


class KeyboardData(Model):
    type: str = "any"  # any / text / buttons / number / location
    buttons: list[QuickReply] | None = None
    strict: bool | None = None
    messages: dict[str, Any] | None = None


class KeyboardNode(NodeBase):
    type: Literal["keyboard"]
    data: KeyboardData = Field(default_factory=KeyboardData)


class FlowData(Model):
    flow_id: Id
    node_id: Id | None = None


class FlowNode(NodeBase):
    type: Literal["flow"]
    data: FlowData


class ParamEntry(Model):
    key: str
    value: Any = None  # template string, literal, or null (deletes the key)


class ParameterData(Model):
    type: Literal["set", "clear"] = "set"
    params: list[ParamEntry] | None = None


class ParameterNode(NodeBase):
    type: Literal["parameter"]
    data: ParameterData


class FetchData(Model):
    uri: str
    method: str = "GET"
    headers: dict[str, str] | None = None
    content_type: str | None = None  # json / x-www-form-urlencoded
    body: str | None = None


class FetchNode(NodeBase):
    type: Literal["fetch"]
    data: FetchData


class SandboxData(Model):
    runtime: str = "nodejs"
    script: str = ""


class SandboxNode(NodeBase):
    type: Literal["sandbox"]
    data: SandboxData


class BackData(Model):
    operation: Literal["pop", "drop", "clear"] = "pop"
    count: int | None = None


class BackNode(NodeBase):
    type: Literal["back"]
    data: BackData


class ManualData(Model):
    messages: Any = None


class ManualNode(NodeBase):
    type: Literal["manual"]
    data: ManualData = Field(default_factory=ManualData)


# --- node types of CLOSER's guide that flowbot does not run -----------------------
#
# CLOSER's guide describes four more node types: natural-language understanding
# through an external agent (Dialogflow, Watson Conversation), small talk
# (PINGPONG), sending an e-mail and writing to a Google spreadsheet. flowbot
# loads and exports them unchanged, `flowbot validate` warns about each, and a
# turn that reaches one fails like a failing node (the error system message).
# Their data declares no fields: every key is kept as given, in its order, so
# export gives back what CLOSER wrote. The guide does not print their `type`
# names; these are the names of its pages (nlp.md, chitchat.md, email.md,
# gsheet.md).


class NlpData(Model):
    """The external agent and its settings (the guide does not list the keys)."""


class NlpNode(NodeBase):
    type: Literal["nlp"]
    data: NlpData = Field(default_factory=NlpData)


class ChitchatData(Model):
    """Small talk; the guide shows no settings."""


class ChitchatNode(NodeBase):
    type: Literal["chitchat"]
    data: ChitchatData = Field(default_factory=ChitchatData)


class EmailData(Model):
    """The guide names `to`, `replyTo`, `subject` and `body` (templates)."""


class EmailNode(NodeBase):
    type: Literal["email"]
    data: EmailData = Field(default_factory=EmailData)


class GsheetData(Model):
    """The guide names `token`, `spreadsheetId`, `sheetName`, `columns` and `values`."""


class GsheetNode(NodeBase):
    type: Literal["gsheet"]
    data: GsheetData = Field(default_factory=GsheetData)


class UnknownNode(NodeBase):
    """A node whose type flowbot does not know: `validate` reports it, the loader refuses it."""

    type: str
    data: dict[str, Any] = Field(default_factory=dict)


NODE_TYPES = (
    "entry",
    "response",
    "keyboard",
    "flow",
    "parameter",
    "fetch",
    "sandbox",
    "back",
    "manual",
)

# In CLOSER's guide, loaded and exported, but not run (see NlpNode and the others above).
UNSUPPORTED_NODE_TYPES = ("nlp", "chitchat", "email", "gsheet")

_TAGS = NODE_TYPES + UNSUPPORTED_NODE_TYPES


def _node_tag(value: Any) -> str:
    node_type = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return node_type if node_type in _TAGS else "unknown"


Node = Annotated[
    Annotated[EntryNode, Tag("entry")]
    | Annotated[ResponseNode, Tag("response")]
    | Annotated[KeyboardNode, Tag("keyboard")]
    | Annotated[FlowNode, Tag("flow")]
    | Annotated[ParameterNode, Tag("parameter")]
    | Annotated[FetchNode, Tag("fetch")]
    | Annotated[SandboxNode, Tag("sandbox")]
    | Annotated[BackNode, Tag("back")]
    | Annotated[ManualNode, Tag("manual")]
    | Annotated[NlpNode, Tag("nlp")]
    | Annotated[ChitchatNode, Tag("chitchat")]
    | Annotated[EmailNode, Tag("email")]
    | Annotated[GsheetNode, Tag("gsheet")]
    | Annotated[UnknownNode, Tag("unknown")],
    Discriminator(_node_tag),
]

AnyNode = (
    EntryNode
    | ResponseNode
    | KeyboardNode
    | FlowNode
    | ParameterNode
    | FetchNode
    | SandboxNode
    | BackNode
    | ManualNode
    | NlpNode
    | ChitchatNode
    | EmailNode
    | GsheetNode
    | UnknownNode
)


# --- flows and bots ------------------------------------------------------------


class FlowMeta(Model):
    entry: Id | None = None


class Flow(Model):
    """One flow; also the top level of a single-flow export file."""

    id: Id
    title: str | None = None
    data: FlowMeta | None = None
    nodes: list[Node] = Field(default_factory=list)


class SystemMessages(Model):
    empty: str = "(메시지 없음)"
    error: str = "[ERROR]\n요청을 처리하는 중에 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."
    additional_choice: str = "(추가 선택지)"
    unsupported_media: str = "(지원하지 않는 미디어)"


class SessionBehavior(Model):
    restore_navigation: bool = True
    welcome_on_session_start: bool = True
    welcome_on_message_without_session: bool = True


class Preference(Model):
    entry_flow_id: Id | None = None
    fallback_flow_id: Id | None = None
    system_message: SystemMessages = Field(default_factory=SystemMessages)
    session_behavior: SessionBehavior = Field(default_factory=SessionBehavior)


class Bot(Model):
    """A bot file: `{"title", "flows", "preference"}`."""

    title: str | None = None
    flows: list[Flow] = Field(default_factory=list)
    preference: Preference = Field(default_factory=Preference)
    # True when loaded from a single-flow file, so that export can give back that shape.
    _lone_flow: bool = PrivateAttr(default=False)
    # The problems (warnings) the loader found, so that validating it again is free.
    _load_problems: list[Any] | None = PrivateAttr(default=None)
