"""The JSON API under /api (OpenAPI 3 at /api/openapi.json, docs at /api/docs).

Protected by the configured API key, sent as `Authorization: Bearer <key>` or
`X-API-Key: <key>`. Without a configured key the API is disabled: every
call answers 403 saying how to enable it. (Opening it to loopback clients
instead would open it to everything behind a local reverse proxy.)

An imported bot (`PUT /api/bots/{id}`) is kept before it replaces the
running bot: written to the file or folder the config loads it from, in that
source's format (`flowbot.format.write`), or, for an id the config does not
name, to the store's bots table (loaded at start-up, `flowbot.server.bots`).
A bot that does not validate is refused (422) and one that cannot be kept
(a read-only file, a full disk: 409; the database not answering: 503) leaves
the running bot as it was.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from flowbot.channels.fitting import constant_time_equal
from flowbot.config import BOT_ID
from flowbot.engine import ConversationState, Program, load_program
from flowbot.format import BotLoadError, export_bot, export_source, load_bot_data
from flowbot.format.models import Bot, Message, QuickReply
from flowbot.format.shape import LONE_SURROGATE, value_problem
from flowbot.format.write import SourceWriteError, plan_write
from flowbot.server.bots import DATABASE
from flowbot.server.context import ServerContext
from flowbot.server.conversations import ChannelTurn, Render
from flowbot.server.errors import ServiceError
from flowbot.server.http import BadJSON, BodyTooLarge, error_response, logger, read_json
from flowbot.server.openapi import OPENAPI, docs_page
from flowbot.store import Conversation, TranscriptEntry

__all__ = ["api_routes"]

MAX_BOT_BYTES = 20 * 1024 * 1024
MAX_MESSAGE_BYTES = 256 * 1024
MAX_PAYLOAD_CHARS = 1000
# a message with cards and buttons is a few levels deep
MAX_BODY_DEPTH = 32
_MESSAGES = TypeAdapter(list[Message])
_QUICK_REPLIES = TypeAdapter(list[QuickReply])


def api_routes(ctx: ServerContext) -> list[BaseRoute]:
    api_key = ctx.settings.api_key
    service = ctx.service

    def refused(request: Request) -> Response | None:
        if api_key is None:
            return error_response(
                request,
                403,
                "the JSON API is disabled: set api_key in flowbot.toml "
                "or the FLOWBOT_API_KEY environment variable",
            )
        given = request.headers.get("x-api-key")
        if given is None:
            scheme, _, value = request.headers.get("authorization", "").partition(" ")
            given = value.strip() if scheme.lower() == "bearer" else None
        if not given or not constant_time_equal(api_key, given):
            return error_response(
                request, 403, "send the API key as 'Authorization: Bearer <key>' or 'X-API-Key'"
            )
        for name, value in request.path_params.items():
            # an id no bot or conversation can have, and no store can even look up
            if isinstance(value, str) and (LONE_SURROGATE.search(value) or "\x00" in value):
                return error_response(request, 404, f"no such {name.replace('_id', '')}")
        return None

    async def list_bots(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        bots = []
        for bot_id in ctx.bots.ids():
            loaded = ctx.bots.entry(bot_id)
            assert loaded is not None
            bot = loaded.program.bot
            bots.append(
                {"id": bot_id, "title": bot.title, "flows": len(bot.flows), "source": loaded.source}
            )
        return JSONResponse({"bots": bots})

    async def get_bot(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        bot_id = request.path_params["bot_id"]
        program = ctx.bots.get(bot_id)
        if program is None:
            return error_response(request, 404, f"no bot {bot_id!r}")
        return JSONResponse(export_bot(program.bot))

    async def bot(request: Request) -> Response:
        return await (put_bot(request) if request.method == "PUT" else get_bot(request))

    async def put_bot(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        bot_id = request.path_params["bot_id"]
        if not BOT_ID.fullmatch(bot_id):
            return error_response(request, 422, f"bot id {bot_id!r}: use letters, digits, _ . -")
        try:
            data = await read_json(request, MAX_BOT_BYTES)
        except BodyTooLarge:
            return error_response(request, 413, f"the bot is over {MAX_BOT_BYTES} bytes")
        except BadJSON as error:
            return error_response(request, 400, str(error))
        if not isinstance(data, dict):
            return error_response(request, 422, "a bot is a JSON object")
        source = f"api:{bot_id}"
        try:
            bot = load_bot_data(data, source)
            program = load_program(bot, bot_id, source=source)
        except BotLoadError as error:
            return error_response(
                request,
                422,
                "the bot does not validate; the running bot is unchanged",
                [str(problem) for problem in error.problems],
            )
        # shielded: a client that hangs up mid-write cannot leave the bot
        # written but not running (or the reverse)
        keeping = asyncio.ensure_future(keep(bot_id, bot, program))
        keeping.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            kept = await asyncio.shield(keeping)
        except NotKept as refusal:
            return error_response(
                request, refusal.status, refusal.message, refusal.problems, code=refusal.code
            )
        request_logger_info(
            request,
            f"bot {bot_id!r} {'replaced' if kept.existed else 'added'}, kept in {kept.source}",
        )
        kept_bot = kept.program.bot
        return JSONResponse(
            {
                "id": bot_id,
                "title": kept_bot.title,
                "flows": len(kept_bot.flows),
                "kept": kept.kind,
                "source": kept.source,
            },
            status_code=200 if kept.existed else 201,
        )

    # one import at a time: each one's write and swap happen together
    importing = asyncio.Lock()

    async def keep(bot_id: str, bot: Bot, program: Program) -> Kept:
        """Write the bot to its file, folder or the database, then swap it in."""
        async with importing:
            loaded = ctx.bots.entry(bot_id)
            existed = loaded is not None
            unchanged = "the running bot is unchanged"
            if loaded is None or loaded.path is None:
                try:
                    await ctx.store.put_bot(bot_id, export_source(bot))
                except Exception as error:  # the database's own errors, or none answering
                    logger.warning("bot %r: the database did not keep it: %r", bot_id, error)
                    raise NotKept(
                        503,
                        "the bot could not be kept: the database did not take it "
                        f"({type(error).__name__}, see the server log); {unchanged}",
                        code="database_unavailable",
                    ) from error
                ctx.bots.put(bot_id, program, DATABASE)
                return Kept("database", DATABASE, program, existed)
            path = loaded.path
            try:
                plan = await asyncio.to_thread(plan_write, path, bot, current=loaded.program.bot)
                if plan.bot is not bot:  # a folder's order, a flow file: what a restart loads
                    program = load_program(plan.bot, bot_id, source=str(path))
                await asyncio.to_thread(plan.apply)
            except BotLoadError as error:
                raise NotKept(
                    422,
                    f"the bot does not validate as {path} would read it back; {unchanged}",
                    [str(problem) for problem in error.problems],
                ) from error
            except (SourceWriteError, OSError) as error:
                if isinstance(error, SourceWriteError):
                    message = str(error)
                else:
                    message = f"cannot read {path}: {error.strerror or error}"
                raise NotKept(
                    409,
                    f"the bot could not be kept: {message}; {unchanged}",
                    code="source_not_writable",
                ) from error
            ctx.bots.put(bot_id, program, str(path), path=path)
            return Kept(plan.kind, str(path), program, existed)

    async def list_flows(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        bot_id = request.path_params["bot_id"]
        program = ctx.bots.get(bot_id)
        if program is None:
            return error_response(request, 404, f"no bot {bot_id!r}")
        flows = []
        for flow in program.bot.flows:
            compiled = program.flow(flow.id)
            entry = compiled.entry.id if compiled is not None and compiled.entry else None
            flows.append(
                {"id": flow.id, "title": flow.title, "entryNodeId": entry, "nodes": len(flow.nodes)}
            )
        return JSONResponse(
            {
                "flows": flows,
                "entryFlowId": program.start_flow.id,
                "fallbackFlowId": program.fallback_flow.id,
            }
        )

    async def list_conversations(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        bot_id = request.path_params["bot_id"]
        if bot_id not in ctx.bots:
            return error_response(request, 404, f"no bot {bot_id!r}")
        try:
            limit = _limit(request, 100, 1000)
        except _BadQuery as error:
            return error_response(request, 422, str(error))
        conversations = await ctx.store.list_conversations(bot_id, limit)
        return JSONResponse({"conversations": [conversation_summary(c) for c in conversations]})

    async def get_conversation(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        conversation_id = request.path_params["conversation_id"]
        conversation = await ctx.store.get_conversation(conversation_id)
        if conversation is None:
            return error_response(request, 404, f"no conversation {conversation_id!r}")
        try:
            limit = _limit(request, 200, 1000)
        except _BadQuery as error:
            return error_response(request, 422, str(error))
        entries = await ctx.store.transcript(conversation_id, limit)
        return JSONResponse(conversation_detail(conversation, entries))

    async def change_navigation(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        conversation_id = request.path_params["conversation_id"]
        try:
            data = await read_json(request, MAX_MESSAGE_BYTES)
        except BodyTooLarge:
            return error_response(request, 413, "the body is too large")
        except BadJSON as error:
            return error_response(request, 400, str(error))
        if (odd := value_problem(data, max_depth=MAX_BODY_DEPTH)) is not None:
            return error_response(request, 422, f"the body is not one this route takes: {odd}")
        problems = _navigation_problems(data)
        if problems:
            return error_response(request, 422, "expected {flowId, nodeId?, run?}", problems)
        node_id = data.get("nodeId")
        outbound = ctx.outbound

        def render_for(conversation: Conversation) -> Render:
            return outbound.renderer(
                conversation.bot_id, conversation.channel, conversation.user_key, push=True
            )

        try:
            outcome = await service.change_navigation(
                conversation_id,
                str(data["flowId"]),
                None if node_id is None else str(node_id),
                render=render_for if data.get("run", False) else None,
            )
            ran = outcome.result if isinstance(outcome, ChannelTurn) else None
            if isinstance(outcome, ChannelTurn) and ran and (ran.replies or ran.quick_replies):
                await outbound.send(outcome.conversation, outcome.rendered)
        except ServiceError as error:
            return error_response(request, error.status, error.message, code=error.code)
        if isinstance(outcome, ChannelTurn):
            body = conversation_summary(outcome.conversation)
            body["replies"] = ran.replies if ran is not None else []
            body["quickReplies"] = ran.quick_replies if ran is not None else []
            return JSONResponse(body)
        return JSONResponse(conversation_summary(outcome))

    async def send_message(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        conversation_id = request.path_params["conversation_id"]
        try:
            data = await read_json(request, MAX_MESSAGE_BYTES)
        except BodyTooLarge:
            return error_response(request, 413, "the body is too large")
        except BadJSON as error:
            return error_response(request, 400, str(error))
        if (odd := value_problem(data, max_depth=MAX_BODY_DEPTH)) is not None:
            return error_response(request, 422, f"the body is not one this route takes: {odd}")
        try:
            messages, quick_replies = outbound_messages(data)
        except InvalidBody as error:
            return error_response(request, 422, error.message, error.problems)
        try:
            conversation = await service.existing(conversation_id)
            rendered = ctx.outbound.render_push(conversation, messages, quick_replies)
            await service.record_push(conversation_id, messages, rendered.payload_keys)
            reached = await ctx.outbound.send(conversation, rendered)
        except ServiceError as error:
            return error_response(request, error.status, error.message, code=error.code)
        return JSONResponse(
            {"conversationId": conversation.id, "sent": len(messages), "delivered": reached}
        )

    async def openapi(request: Request) -> Response:
        return JSONResponse(OPENAPI)

    async def docs(request: Request) -> Response:
        return HTMLResponse(docs_page())

    return [
        Route("/api/openapi.json", openapi, methods=["GET"]),
        Route("/api/docs", docs, methods=["GET"]),
        Route("/api/bots", list_bots, methods=["GET"]),
        # one route for both methods, so that a 405 names them both in `Allow`
        Route("/api/bots/{bot_id}", bot, methods=["GET", "PUT"]),
        Route("/api/bots/{bot_id}/flows", list_flows, methods=["GET"]),
        Route("/api/bots/{bot_id}/conversations", list_conversations, methods=["GET"]),
        Route("/api/conversations/{conversation_id}", get_conversation, methods=["GET"]),
        Route(
            "/api/conversations/{conversation_id}/navigation", change_navigation, methods=["POST"]
        ),
        Route("/api/conversations/{conversation_id}/messages", send_message, methods=["POST"]),
    ]


def request_logger_info(request: Request, message: str) -> None:
    logger.info("%s %s: %s", request.method, request.scope["path"], message)


@dataclass(frozen=True, slots=True)
class Kept:
    """Where an import was kept: "file" or "folder" (`source` its path) or "database"."""

    kind: str
    source: str
    program: Program
    existed: bool


class NotKept(Exception):
    """An import that was refused before the running bot changed."""

    def __init__(
        self, status: int, message: str, problems: Sequence[str] = (), code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = list(problems)
        self.code = code


class InvalidBody(ValueError):
    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems


def conversation_summary(conversation: Conversation) -> dict[str, Any]:
    state = ConversationState.from_json(conversation.state) if conversation.state else None
    return {
        "id": conversation.id,
        "botId": conversation.bot_id,
        "channel": conversation.channel,
        "userKey": conversation.user_key,
        "version": conversation.version,
        "createdAt": conversation.created_at.isoformat(),
        "updatedAt": conversation.updated_at.isoformat(),
        "navigation": None if state is None else state.navigation,
        "params": {} if state is None else dict(state.params),
        "handoff": None if state is None or state.handoff is None else dict(state.handoff),
    }


def conversation_detail(
    conversation: Conversation, entries: Sequence[TranscriptEntry]
) -> dict[str, Any]:
    """A conversation's summary with its transcript (oldest first)."""
    body = conversation_summary(conversation)
    body["transcript"] = [
        {"direction": e.direction, "message": e.message, "at": e.at.isoformat()} for e in entries
    ]
    return body


class _BadQuery(ValueError):
    pass


def _limit(request: Request, default: int, most: int) -> int:
    """`?limit=` within 1…most; a value outside, or not a number, is refused (422)."""
    value = request.query_params.get("limit")
    if value is None:
        return default
    # not str.isdigit(): it takes "²", which int() then refuses
    if not re.fullmatch(r"[0-9]{1,9}", value) or not 1 <= int(value) <= most:
        raise _BadQuery(f"limit: expected a whole number from 1 to {most}, got {value[:20]!r}")
    return int(value)


def _is_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and bool(value.strip()))


def _navigation_problems(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return ["$: expected an object"]
    problems = []
    if not _is_id(data.get("flowId")):
        problems.append("flowId: required, a non-empty string or an integer")
    if data.get("nodeId") is not None and not _is_id(data.get("nodeId")):
        problems.append("nodeId: a non-empty string or an integer")
    if not isinstance(data.get("run", False), bool):
        problems.append("run: true or false")
    return problems


def outbound_messages(data: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The messages of a send request: {"message"} | {"messages"} | {"text"}, + quickReplies."""
    if not isinstance(data, dict):
        raise InvalidBody("expected an object", ["$: expected an object"])
    given = [key for key in ("message", "messages", "text") if key in data]
    if len(given) != 1:
        raise InvalidBody(
            'send exactly one of "message" (a Message), "messages" (a list) or "text"',
            [f"$: found {', '.join(given) or 'none of them'}"],
        )
    if "text" in data:
        if not isinstance(data["text"], str) or not data["text"]:
            raise InvalidBody("text must be a non-empty string", ["text: expected a string"])
        raw: Any = [{"type": "text", "text": data["text"]}]
        where = "text"
    elif "message" in data:
        raw, where = [data["message"]], "message"
    else:
        raw, where = data["messages"], "messages"
    problems: list[str] = []
    messages: list[dict[str, Any]] = []
    try:
        models = _MESSAGES.validate_python(raw)
    except ValidationError as error:
        problems.extend(_pydantic_problems(error, where, single=where != "messages"))
    else:
        messages = [m.model_dump(mode="json", exclude_unset=True) for m in models]
    quick_replies: list[dict[str, Any]] = []
    if data.get("quickReplies") is not None:
        try:
            quick = _QUICK_REPLIES.validate_python(data["quickReplies"])
        except ValidationError as error:
            problems.extend(_pydantic_problems(error, "quickReplies", single=False))
        else:
            quick_replies = [q.model_dump(mode="json") for q in quick]
    if not messages and not problems:
        problems.append("messages: at least one message")
    problems.extend(_payload_problems(messages, quick_replies))
    if problems:
        raise InvalidBody("the message does not follow the CLOSER Message schema", problems)
    return messages, quick_replies


def _pydantic_problems(error: ValidationError, where: str, *, single: bool) -> list[str]:
    lines = []
    for item in error.errors(include_url=False):
        loc = list(item["loc"])
        if single and loc and loc[0] == 0:
            loc = loc[1:]
        path = where + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc)
        lines.append(f"{path}: {item['msg']}")
    return lines


def _list(item: Any, key: str) -> list[Any]:
    value = item.get(key) if isinstance(item, dict) else None
    return value if isinstance(value, list) else []


def _payload_problems(
    messages: list[dict[str, Any]], quick_replies: list[dict[str, Any]]
) -> list[str]:
    problems = []
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
    for where, button in buttons:
        # (extra keys are kept as given: a text message's "cards" may hold anything)
        payload = button.get("payload") if isinstance(button, dict) else None
        if isinstance(payload, str) and len(payload) > MAX_PAYLOAD_CHARS:
            problems.append(f"{where}.payload: {len(payload)} characters, at most 1000")
    return problems
