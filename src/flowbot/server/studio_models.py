"""The studio's JSON bodies (docs/studio.md), and what its routes read from requests.

The request models validate what JSON Schema can say; a draft bot is read
by the format's loader, whose problems name the flow and node. Answers are
`AnswerBody`s: no keys besides those listed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from flowbot.config import Settings
from flowbot.format.models import Id
from flowbot.server.api_models import (
    NOT_NULL,
    AnswerBody,
    DateTime,
    ImportedBot,
    RequestBody,
    RequestId,
    answer,
)
from flowbot.server.guards import json_group
from flowbot.server.keeper import Kept

__all__ = [
    "AUTHOR_HEADER",
    "author",
    "if_match",
    "kept_answer",
    "studio_group",
]

AUTHOR_HEADER = "X-Flowbot-Author"
MAX_AUTHOR_CHARS = 200
ANY_JSON: dict[str, Any] = {}


def studio_group(settings: Settings) -> list[Middleware]:
    """The key check of the studio's routes: the API key or the studio key.

    Without a studio key configured, its refusals are the JSON API's, word for word.
    """
    studio = settings.studio_key is not None
    return json_group(
        keys=[settings.api_key, settings.studio_key],
        disabled="the JSON API is disabled: set api_key in flowbot.toml "
        "or the FLOWBOT_API_KEY environment variable",
        wrong=f"send the API key{' or the studio key' if studio else ''} as "
        "'Authorization: Bearer <key>' or 'X-API-Key'",
    )


def author(request: Request) -> str:
    """Who saves: `X-Flowbot-Author` (trimmed, at most 200 characters), else "api"."""
    given = request.headers.get(AUTHOR_HEADER, "").strip()
    return given[:MAX_AUTHOR_CHARS] or "api"


def if_match(request: Request) -> str | None:
    """The revision `If-Match` names (quotes and a weak W/ prefix dropped), or None."""
    given = request.headers.get("if-match")
    if given is None or given.strip() in ("", "*"):
        return None
    return given.strip().removeprefix("W/").strip('"')


def kept_answer(bot_id: str, kept: Kept, extra: dict[str, Any] | None = None) -> Response:
    """The answer of a save: 200 replaced / 201 added, the new revision as ETag."""
    bot = kept.program.bot
    body: dict[str, Any] = {
        "id": bot_id,
        "title": bot.title,
        "flows": len(bot.flows),
        "kept": kept.kind,
        "source": kept.source,
        "revision": kept.revision,
    }
    if kept.version is not None:
        body["version"] = kept.version.number
    model: type[ImportedBot] = ImportedBot if extra is None else FlowsImported
    response = answer(model.model_validate({**body, **(extra or {})}), 200 if kept.existed else 201)
    response.headers["ETag"] = f'"{kept.revision}"'
    return response


# --- requests --------------------------------------------------------------------------


class TemplateCheck(RequestBody):
    template: str = Field(max_length=100_000, description="A template's source")


class PreviewGoto(RequestBody):
    flow_id: RequestId
    node_id: Annotated[RequestId | None, NOT_NULL] = Field(
        None, description="Left out: the flow's entry node"
    )


class PreviewMessage(RequestBody):
    """What the user sends: a text, a button's payload (with its label as text), a jump,
    or nothing (the widget's "open")."""

    text: Annotated[str | None, NOT_NULL] = Field(None, max_length=10_000)
    payload: Annotated[str | None, NOT_NULL] = Field(None, max_length=1000)
    goto: Annotated[PreviewGoto | None, NOT_NULL] = None
    params: Annotated[dict[str, Any] | None, NOT_NULL] = Field(
        None, description="Merged into the conversation's params first"
    )


class PreviewRequest(RequestBody):
    bot: Annotated[dict[str, Any] | None, NOT_NULL] = Field(
        None, description="A draft bot (CLOSER JSON); left out: the running bot"
    )
    session: Annotated[dict[str, Any] | None, NOT_NULL] = Field(
        None, description="The session the previous preview answered; left out: a new one"
    )
    message: PreviewMessage = Field(default_factory=PreviewMessage)


class TestExpect(RequestBody):
    __test__ = False
    replies: Annotated[list[Any] | None, NOT_NULL] = Field(
        None, description="In the test file's notation (docs/conversation-tests.md)"
    )
    quick_replies: Annotated[list[str] | None, NOT_NULL] = None


class TestTurn(RequestBody):
    __test__ = False
    send: PreviewMessage
    expect: Annotated[TestExpect | None, NOT_NULL] = None


class PreviewTestRequest(RequestBody):
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    bot: Annotated[dict[str, Any] | None, NOT_NULL] = None
    bot_path: Annotated[str | None, NOT_NULL] = Field(
        None, min_length=1, max_length=1000, description="The test file's `bot:`"
    )
    turns: list[TestTurn] = Field(min_length=1, max_length=200)


class FlowImport(RequestBody):
    data: dict[str, Any] = Field(description="A flow file {id, nodes} or a bot file {flows}")
    mode: Literal["add", "replace"] = "add"


# --- answers ---------------------------------------------------------------------------


class StudioSession(AnswerBody):
    ok: Literal[True]
    user: Literal["api", "studio"] = Field(description="Which key opened it")


class VersionSummary(AnswerBody):
    number: int = Field(ge=1)
    author: str
    at: DateTime
    revision: str
    flows: int = Field(ge=0)
    nodes: int = Field(ge=0)


class VersionList(AnswerBody):
    versions: list[VersionSummary] = Field(description="Newest first")
    current: str | None = Field(description="The running bot's revision")


class DraftProblem(AnswerBody):
    severity: Literal["error", "warning", "note"]
    flow_id: Id | None
    node_id: Id | None
    path: str
    message: str
    channel: str | None = Field(description="The channel that would degrade it, or null")


class DraftProblems(AnswerBody):
    problems: list[DraftProblem]


class TemplateChecked(AnswerBody):
    ok: bool
    message: Annotated[str | None, NOT_NULL] = None
    line: Annotated[int | None, NOT_NULL] = Field(None, ge=1)
    column: Annotated[int | None, NOT_NULL] = Field(None, ge=1)


class InspectedNode(AnswerBody):
    flow_id: Id
    node_id: Id
    type: str
    title: Annotated[str | None, NOT_NULL] = None
    phase: Literal["input", "run", "unseen"]
    data: Any = Field(None, description="The node's rendered output")
    params: Annotated[dict[str, Any] | None, NOT_NULL] = Field(
        None, description="The params it changed: key → new value (null: deleted)"
    )
    ms: float
    error: Annotated[str | None, NOT_NULL] = None


class InspectedCondition(AnswerBody):
    left: str = Field(description="The context path, as written")
    operator: str
    right: Any = Field(description="The operand, as written")
    left_value: Any = Field(description="The path's value (null: missing)")
    right_value: Any = Field(description="The operand, rendered")
    result: bool | None = Field(description="Whether it held; null: it failed to evaluate")
    error: Annotated[str | None, NOT_NULL] = None
    group: Annotated[str | None, NOT_NULL] = Field(
        None, description="Where in $or/$and it sits, e.g. $or[1]"
    )


class InspectedEdge(AnswerBody):
    flow_id: Id
    from_: Id = Field(alias="from")
    to: Id
    index: int = Field(ge=0, description="Its place in the node's next[]")
    chosen: bool
    result: bool | None
    conditions: list[InspectedCondition]
    why: str


class InspectedTurn(AnswerBody):
    ms: float
    error: str | None
    nodes: list[InspectedNode]
    edges: list[InspectedEdge]
    context_before: dict[str, Any]
    context_after: dict[str, Any]


class PreviewAnswer(AnswerBody):
    replies: list[dict[str, Any]]
    quick_replies: list[dict[str, Any]]
    session: dict[str, Any] = Field(description="Send it back with the next message")
    turn: InspectedTurn


class PreviewTest(AnswerBody):
    yaml: str


class ImportedFlow(AnswerBody):
    from_: Id = Field(alias="from")
    as_: Id = Field(alias="as")


class FlowsImported(ImportedBot):
    imported: list[ImportedFlow]


class NodeVisits(AnswerBody):
    flow_id: Id
    node_id: Id
    visits: int = Field(ge=0)


class EdgeCount(AnswerBody):
    flow_id: Id
    from_: Id = Field(alias="from")
    to: Id
    count: int = Field(ge=0)


class Dropoff(AnswerBody):
    flow_id: Id
    node_id: Id
    ended: int = Field(ge=0)


class DayStats(AnswerBody):
    date: str = Field(json_schema_extra={"format": "date"})
    conversations: int = Field(ge=0)
    messages: int = Field(ge=0)
    users: int = Field(ge=0)


class Stats(AnswerBody):
    from_: str = Field(alias="from", json_schema_extra={"format": "date"})
    to: str = Field(json_schema_extra={"format": "date"})
    turns: int = Field(ge=0)
    nodes: list[NodeVisits]
    edges: list[EdgeCount]
    dropoff: list[Dropoff]
    days: list[DayStats]
