"""The JSON API under /api (OpenAPI 3.1 at /api/openapi.json, its reference at /api/docs).

Protected by the configured API key, sent as `Authorization: Bearer <key>` or
`X-API-Key: <key>`. Without a configured key the API is disabled: every
call answers 403 saying how to enable it. (Opening it to loopback clients
instead would open it to everything behind a local reverse proxy.) The key
check is the routes' group's (`flowbot.server.guards`), and so is the error
body of every refusal a handler raises.

Request and answer bodies are the models of `flowbot.server.api_models`,
which the OpenAPI document is generated from (`flowbot.server.openapi`).

An imported bot (`PUT /api/bots/{id}`) is kept before it replaces the
running bot: written to the file or folder the config loads it from, in that
source's format (`flowbot.format.write`), or, for an id the config does not
name, to the store's bots table (loaded at start-up, `flowbot.server.bots`).
A bot that does not validate is refused (422) and one that cannot be kept
(a read-only file, a full disk: 409; the database not answering: 503) leaves
the running bot as it was. The saving itself is `flowbot.server.keeper`'s,
shared with the studio's rollback and flow import.

The studio's additions (docs/studio.md): `GET /api/bots/{id}` answers the
bot's revision as `ETag`; a PUT with `If-Match` of another revision is
refused (412) with nothing written; each save records a version (author
from `X-Flowbot-Author`). The bot routes also open with the studio key.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from flowbot.config import BOT_ID
from flowbot.engine import ConversationState, Program, load_program
from flowbot.format import BotLoadError, export_bot, load_bot_data
from flowbot.format.models import Bot, Flow
from flowbot.format.validate import is_flow_data
from flowbot.server import api_models as models
from flowbot.server.api_models import answer, problem_lines, read_model
from flowbot.server.context import ServerContext
from flowbot.server.conversations import ChannelTurn, Render
from flowbot.server.docs_page import docs_routes
from flowbot.server.errors import Refusal
from flowbot.server.guards import json_group
from flowbot.server.http import BadJSON, BodyTooLarge, logger, read_json
from flowbot.server.keeper import bot_keeper
from flowbot.server.openapi import openapi_json
from flowbot.server.studio_models import author, if_match, kept_answer, studio_group
from flowbot.store import Conversation, TranscriptEntry

__all__ = ["api_routes", "compile_import", "conversation_detail", "conversation_summary"]

MAX_BOT_BYTES = 20 * 1024 * 1024
MAX_MESSAGE_BYTES = 256 * 1024


def api_routes(ctx: ServerContext) -> list[BaseRoute]:
    service = ctx.service
    keeper = bot_keeper(ctx)
    # the key check and the error bodies of every route below
    api = json_group(
        keys=[ctx.settings.api_key],
        disabled="the JSON API is disabled: set api_key in flowbot.toml "
        "or the FLOWBOT_API_KEY environment variable",
        wrong="send the API key as 'Authorization: Bearer <key>' or 'X-API-Key'",
    )
    # the bot routes the studio edits with also open with the studio key
    bots_group = studio_group(ctx.settings)

    async def list_bots(request: Request) -> Response:
        bots = []
        for bot_id in ctx.bots.ids():
            loaded = ctx.bots.entry(bot_id)
            assert loaded is not None
            bot = loaded.program.bot
            bots.append(
                models.BotSummary(
                    id=bot_id, title=bot.title, flows=len(bot.flows), source=loaded.source
                )
            )
        return answer(models.BotList(bots=bots))

    async def get_bot(request: Request) -> Response:
        bot_id = request.path_params["bot_id"]
        program = ctx.bots.get(bot_id)
        if program is None:
            raise Refusal(404, f"no bot {bot_id!r}")
        # the Bot model's own export (flowbot.format.export_bot)
        revision = keeper.versions.revision(bot_id, program)
        return JSONResponse(export_bot(program.bot), headers={"ETag": f'"{revision}"'})

    async def bot(request: Request) -> Response:
        return await (put_bot(request) if request.method == "PUT" else get_bot(request))

    async def put_bot(request: Request) -> Response:
        bot_id = request.path_params["bot_id"]
        if not BOT_ID.fullmatch(bot_id):
            raise Refusal(422, f"bot id {bot_id!r}: use letters, digits, _ . -")
        try:
            data = await read_json(request, MAX_BOT_BYTES)
        except BodyTooLarge:
            raise Refusal(413, f"the bot is over {MAX_BOT_BYTES} bytes") from None
        except BadJSON as error:
            raise Refusal(400, str(error)) from None
        bot, program = compile_import(bot_id, data)
        # shielded (BotKeeper.keep): a client that hangs up mid-write cannot
        # leave the bot written but not running (or the reverse); a stale
        # If-Match (the studio's) is 412 with nothing written
        kept = await keeper.keep(
            bot_id, bot, program, expected=if_match(request), author=author(request)
        )
        request_logger_info(
            request,
            f"bot {bot_id!r} {'replaced' if kept.existed else 'added'}, kept in {kept.source}",
        )
        return kept_answer(bot_id, kept)

    async def list_flows(request: Request) -> Response:
        bot_id = request.path_params["bot_id"]
        program = ctx.bots.get(bot_id)
        if program is None:
            raise Refusal(404, f"no bot {bot_id!r}")
        flows = []
        for flow in program.bot.flows:
            compiled = program.flow(flow.id)
            entry = compiled.entry.id if compiled is not None and compiled.entry else None
            flows.append(
                models.FlowSummary(
                    id=flow.id, title=flow.title, entry_node_id=entry, nodes=len(flow.nodes)
                )
            )
        return answer(
            models.FlowList(
                flows=flows,
                entry_flow_id=program.start_flow.id,
                fallback_flow_id=program.fallback_flow.id,
            )
        )

    async def list_conversations(request: Request) -> Response:
        bot_id = request.path_params["bot_id"]
        if bot_id not in ctx.bots:
            raise Refusal(404, f"no bot {bot_id!r}")
        limit = _limit(request, 100, 1000)
        conversations = await ctx.store.list_conversations(bot_id, limit)
        listed = [conversation_summary(c) for c in conversations]
        return answer(models.ConversationList(conversations=listed))

    async def get_conversation(request: Request) -> Response:
        conversation_id = request.path_params["conversation_id"]
        conversation = await ctx.store.get_conversation(conversation_id)
        if conversation is None:
            raise Refusal(404, f"no conversation {conversation_id!r}")
        limit = _limit(request, 200, 1000)
        entries = await ctx.store.transcript(conversation_id, limit)
        return answer(conversation_detail(conversation, entries))

    async def change_navigation(request: Request) -> Response:
        conversation_id = request.path_params["conversation_id"]
        body = await read_model(request, models.NavigationRequest, MAX_MESSAGE_BYTES)
        outbound = ctx.outbound

        def render_for(conversation: Conversation) -> Render:
            return outbound.renderer(
                conversation.bot_id, conversation.channel, conversation.user_key, push=True
            )

        outcome = await service.change_navigation(
            conversation_id,
            str(body.flow_id),
            None if body.node_id is None else str(body.node_id),
            render=render_for if body.run else None,
        )
        if not isinstance(outcome, ChannelTurn):
            return answer(conversation_summary(outcome))
        ran = outcome.result
        if ran and (ran.replies or ran.quick_replies):
            await outbound.send(outcome.conversation, outcome.rendered)
        summary = conversation_summary(outcome.conversation)
        return answer(
            models.NavigationAnswer(
                **dict(summary),
                replies=[models.Reply.model_validate(r) for r in ran.replies] if ran else [],
                quick_replies=(
                    [models.ReplyQuickReply.model_validate(q) for q in ran.quick_replies]
                    if ran
                    else []
                ),
            )
        )

    async def send_message(request: Request) -> Response:
        conversation_id = request.path_params["conversation_id"]
        body = await read_model(request, models.SendMessages, MAX_MESSAGE_BYTES)
        messages, quick_replies = body.outbound()
        conversation = await service.existing(conversation_id)
        rendered = ctx.outbound.render_push(conversation, messages, quick_replies)
        await service.record_push(conversation_id, messages, rendered.payload_keys)
        reached = await ctx.outbound.send(conversation, rendered)
        return answer(
            models.Sent(conversation_id=conversation.id, sent=len(messages), delivered=reached)
        )

    async def openapi(request: Request) -> Response:
        return Response(openapi_json(), media_type="application/json")

    return [
        Route("/api/openapi.json", openapi, methods=["GET"]),
        *docs_routes(),
        Route("/api/bots", list_bots, methods=["GET"], middleware=bots_group),
        # one route for both methods, so that a 405 names them both in `Allow`
        Route("/api/bots/{bot_id}", bot, methods=["GET", "PUT"], middleware=bots_group),
        Route("/api/bots/{bot_id}/flows", list_flows, methods=["GET"], middleware=bots_group),
        Route(
            "/api/bots/{bot_id}/conversations",
            list_conversations,
            methods=["GET"],
            middleware=api,
        ),
        Route(
            "/api/conversations/{conversation_id}",
            get_conversation,
            methods=["GET"],
            middleware=api,
        ),
        Route(
            "/api/conversations/{conversation_id}/navigation",
            change_navigation,
            methods=["POST"],
            middleware=api,
        ),
        Route(
            "/api/conversations/{conversation_id}/messages",
            send_message,
            methods=["POST"],
            middleware=api,
        ),
    ]


def compile_import(bot_id: str, data: Any) -> tuple[Bot, Program]:
    """An imported bot (or flow) as `PUT /api/bots/{id}` reads it; 422 when it does not validate."""
    if not isinstance(data, dict):
        raise Refusal(422, "a bot is a JSON object")
    source = f"api:{bot_id}"
    refused = "the bot does not validate; the running bot is unchanged"
    try:
        # validated by the format's Bot (or Flow) model, then checked as `flowbot validate`
        # does: its problems name the flow and node
        bot = load_bot_data(data, source)
        program = load_program(bot, bot_id, source=source)
    except BotLoadError as error:
        raise Refusal(422, refused, [str(problem) for problem in error.problems]) from None
    try:
        # and strictly, as JSON Schema reads it: true is not "true", nor 1 true
        (Flow if is_flow_data(data) else Bot).model_validate(data, strict=True)
    except ValidationError as error:
        raise Refusal(422, refused, problem_lines(error)) from None
    return bot, program


def request_logger_info(request: Request, message: str) -> None:
    logger.info("%s %s: %s", request.method, request.scope["path"], message)


def conversation_summary(conversation: Conversation) -> models.Conversation:
    state = ConversationState.from_json(conversation.state) if conversation.state else None
    handoff = None if state is None or state.handoff is None else dict(state.handoff)
    return models.Conversation(
        id=conversation.id,
        bot_id=conversation.bot_id,
        channel=conversation.channel,
        user_key=conversation.user_key,
        version=conversation.version,
        created_at=conversation.created_at.isoformat(),
        updated_at=conversation.updated_at.isoformat(),
        navigation=None if state is None else state.navigation,
        params={} if state is None else dict(state.params),
        handoff=None if handoff is None else models.Handoff.model_validate(handoff),
    )


def conversation_detail(
    conversation: Conversation, entries: Sequence[TranscriptEntry]
) -> models.ConversationDetail:
    """A conversation's summary with its transcript (oldest first)."""
    transcript = [
        models.TranscriptEntry(direction=e.direction, message=e.message, at=e.at.isoformat())
        for e in entries
    ]
    summary = conversation_summary(conversation)
    return models.ConversationDetail(**dict(summary), transcript=transcript)


def _limit(request: Request, default: int, most: int) -> int:
    """`?limit=` within 1…most; a value outside, or not a number, is refused (422)."""
    value = request.query_params.get("limit")
    if value is None:
        return default
    # not str.isdigit(): it takes "²", which int() then refuses
    if not re.fullmatch(r"[0-9]{1,9}", value) or not 1 <= int(value) <= most:
        raise Refusal(422, f"limit: expected a whole number from 1 to {most}, got {value[:20]!r}")
    return int(value)
