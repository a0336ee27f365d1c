"""The agents' routes: handoffs through the JSON API, their live events, the console page.

    GET  /api/handoffs?botId=&status=waiting|active     the conversations with a person
    GET  /api/handoffs/events?key=…                     server-sent events for the console
    GET  /api/conversations/{id}/handoff                the conversation and its transcript
    POST /api/conversations/{id}/handoff/join           {"agent": "Kim"}
    POST /api/conversations/{id}/handoff/reply          {"agent", "text" | "message" | "messages"}
    POST /api/conversations/{id}/handoff/end            {"agent"?, "flowId"?, "nodeId"?}
    GET  /agent                                         the agent console (a static page)

Open with the API key, or with the agent key from flowbot.toml (`agent_key`),
which opens these routes only: the routes' group checks it
(`flowbot.server.guards`). The event stream takes the key as `?key=` (an
EventSource sends no headers; the key never reaches a log line). Bodies are
the models of `flowbot.server.api_models`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from flowbot.server import api_models as models
from flowbot.server.api import conversation_detail, conversation_summary
from flowbot.server.api_models import answer, read_model
from flowbot.server.context import ServerContext
from flowbot.server.conversations import ChannelTurn, Render
from flowbot.server.errors import Refusal
from flowbot.server.guards import json_group
from flowbot.server.handoffs import AGENTS, Handoffs
from flowbot.server.web import EventStream, hub_events, static_file
from flowbot.store import Conversation

__all__ = ["agent_routes"]

MAX_BODY_BYTES = 256 * 1024


def agent_routes(ctx: ServerContext, handoffs: Handoffs) -> list[BaseRoute]:
    keys = [ctx.settings.api_key, ctx.settings.agent_key]
    disabled = "the agent routes are off: set api_key or agent_key in flowbot.toml"
    wrong = "send the API key or the agent key"
    # the key check and the error bodies of every route below; the event stream's key
    # is in its query (an EventSource sends no headers)
    agents = json_group(keys=keys, disabled=disabled, wrong=wrong)
    stream = json_group(keys=keys, disabled=disabled, wrong=wrong, query="key")

    async def listed(request: Request) -> Response:
        bot_id = request.query_params.get("botId")
        status = request.query_params.get("status")
        if bot_id is not None and bot_id not in ctx.bots:
            raise Refusal(404, f"no bot {bot_id!r}")
        if status not in (None, "waiting", "active"):
            raise Refusal(422, "status: waiting or active")
        found = await handoffs.listed(bot_id, status)  # type: ignore[arg-type]
        return answer(models.HandoffList(handoffs=[conversation_summary(c) for c in found]))

    async def detail(request: Request) -> Response:
        conversation_id = request.path_params["conversation_id"]
        conversation = await ctx.service.get(conversation_id)
        if conversation is None:
            raise Refusal(404, f"no conversation {conversation_id!r}")
        entries = await ctx.store.transcript(conversation_id, 200)
        return answer(conversation_detail(conversation, entries))

    async def join(request: Request) -> Response:
        body = await read_model(request, models.AgentJoin, MAX_BODY_BYTES)
        conversation = await handoffs.join(request.path_params["conversation_id"], body.agent)
        return answer(conversation_summary(conversation))

    async def reply(request: Request) -> Response:
        body = await read_model(request, models.AgentReply, MAX_BODY_BYTES)
        messages, _ = body.outbound()
        reached = await handoffs.reply(request.path_params["conversation_id"], body.agent, messages)
        return answer(models.AgentSent(sent=len(messages), delivered=reached))

    async def end(request: Request) -> Response:
        body = await read_model(request, models.AgentEnd, MAX_BODY_BYTES)
        outbound = ctx.outbound

        def render_for(conversation: Conversation) -> Render:
            return outbound.renderer(
                conversation.bot_id, conversation.channel, conversation.user_key, push=True
            )

        flow_id = body.flow_id
        # a node is named within its flow: alone it means nothing
        node_id = None if flow_id is None else body.node_id
        outcome = await handoffs.end(
            request.path_params["conversation_id"],
            body.agent,
            None if flow_id is None else str(flow_id),
            None if node_id is None else str(node_id),
            render_for,
        )
        ran = outcome.result if isinstance(outcome, ChannelTurn) else None
        if isinstance(outcome, ChannelTurn) and ran and (ran.replies or ran.quick_replies):
            await outbound.send(outcome.conversation, outcome.rendered)
        conversation = outcome.conversation if isinstance(outcome, ChannelTurn) else outcome
        return answer(conversation_summary(conversation))

    async def events(request: Request) -> Response:
        return EventStream(hub_events(ctx, AGENTS, "handoff"))

    async def console(request: Request) -> Response:
        return static_file(ctx, "agent.html", "text/html; charset=utf-8")

    conversation = "/api/conversations/{conversation_id}/handoff"
    return [
        Route("/api/handoffs", listed, methods=["GET"], middleware=agents),
        Route("/api/handoffs/events", events, methods=["GET"], middleware=stream),
        Route(conversation, detail, methods=["GET"], middleware=agents),
        Route(f"{conversation}/join", join, methods=["POST"], middleware=agents),
        Route(f"{conversation}/reply", reply, methods=["POST"], middleware=agents),
        Route(f"{conversation}/end", end, methods=["POST"], middleware=agents),
        Route("/agent", console, methods=["GET"]),
    ]
