"""The agents' routes: handoffs through the JSON API, their live events, the console page.

    GET  /api/handoffs?botId=&status=waiting|active     the conversations with a person
    GET  /api/handoffs/events?key=…                     server-sent events for the console
    GET  /api/conversations/{id}/handoff                the conversation and its transcript
    POST /api/conversations/{id}/handoff/join           {"agent": "Kim"}
    POST /api/conversations/{id}/handoff/reply          {"agent", "text" | "message" | "messages"}
    POST /api/conversations/{id}/handoff/end            {"agent"?, "flowId"?, "nodeId"?}
    GET  /agent                                         the agent console (a static page)

Open with the API key, or with the agent key from flowbot.toml (`agent_key`),
which opens these routes only. The event stream takes the key as `?key=`
(an EventSource sends no headers; the key never reaches a log line).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from flowbot.channels.fitting import constant_time_equal
from flowbot.format.shape import LONE_SURROGATE, value_problem
from flowbot.server.api import (
    InvalidBody,
    conversation_detail,
    conversation_summary,
    outbound_messages,
)
from flowbot.server.context import ServerContext
from flowbot.server.conversations import ChannelTurn, Render
from flowbot.server.errors import ServiceError
from flowbot.server.handoffs import AGENTS, Handoffs
from flowbot.server.http import BadJSON, BodyTooLarge, error_response, read_json
from flowbot.server.web import EventStream, hub_events, static_file
from flowbot.store import Conversation

__all__ = ["agent_routes"]


class _Refused(InvalidBody):
    """A body refused before it is read as the route's own (400, 413)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message, [])
        self.status = status


MAX_BODY_BYTES = 256 * 1024
MAX_AGENT_CHARS = 100


def agent_routes(ctx: ServerContext, handoffs: Handoffs) -> list[BaseRoute]:
    keys = [key for key in (ctx.settings.api_key, ctx.settings.agent_key) if key]

    def refused(request: Request, given: str | None = None) -> Response | None:
        if not keys:
            return error_response(
                request, 403, "the agent routes are off: set api_key or agent_key in flowbot.toml"
            )
        if given is None:
            given = request.headers.get("x-api-key")
            if given is None:
                scheme, _, value = request.headers.get("authorization", "").partition(" ")
                given = value.strip() if scheme.lower() == "bearer" else None
        if not given or not any(constant_time_equal(key, given) for key in keys):
            return error_response(request, 403, "send the API key or the agent key")
        for name, value in request.path_params.items():
            if isinstance(value, str) and (LONE_SURROGATE.search(value) or "\x00" in value):
                return error_response(request, 404, f"no such {name.replace('_id', '')}")
        return None

    async def body_of(request: Request) -> dict[str, Any]:
        try:
            data = await read_json(request, MAX_BODY_BYTES)
        except BodyTooLarge:
            raise _Refused(413, f"the body is over {MAX_BODY_BYTES} bytes") from None
        except BadJSON as error:
            raise _Refused(400, str(error)) from None
        if not isinstance(data, dict):
            raise InvalidBody("expected a JSON object", ["$: expected an object"])
        problem = value_problem(data, max_depth=32)
        if problem is not None:
            raise InvalidBody(f"the body is not one this route takes: {problem}", [])
        return data

    def agent_of(data: dict[str, Any], required: bool = True) -> str | None:
        agent = data.get("agent")
        if agent is None and not required:
            return None
        if not isinstance(agent, str) or not agent.strip() or len(agent) > MAX_AGENT_CHARS:
            raise InvalidBody(
                "agent: the agent's name, 1 to 100 characters", ["agent: expected a name"]
            )
        return agent.strip()

    async def listed(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        bot_id = request.query_params.get("botId")
        status = request.query_params.get("status")
        if bot_id is not None and bot_id not in ctx.bots:
            return error_response(request, 404, f"no bot {bot_id!r}")
        if status not in (None, "waiting", "active"):
            return error_response(request, 422, "status: waiting or active")
        found = await handoffs.listed(bot_id, status)  # type: ignore[arg-type]
        return JSONResponse({"handoffs": [conversation_summary(c) for c in found]})

    async def detail(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        conversation_id = request.path_params["conversation_id"]
        conversation = await ctx.service.get(conversation_id)
        if conversation is None:
            return error_response(request, 404, f"no conversation {conversation_id!r}")
        entries = await ctx.store.transcript(conversation_id, 200)
        return JSONResponse(conversation_detail(conversation, entries))

    async def join(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        try:
            agent = agent_of(await body_of(request))
            assert agent is not None
            conversation = await handoffs.join(request.path_params["conversation_id"], agent)
        except InvalidBody as error:
            status = error.status if isinstance(error, _Refused) else 422
            return error_response(request, status, error.message, error.problems)
        except ServiceError as error:
            return error_response(request, error.status, error.message, code=error.code)
        return JSONResponse(conversation_summary(conversation))

    async def reply(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        try:
            data = await body_of(request)
            agent = agent_of(data)
            assert agent is not None
            messages, _ = outbound_messages({k: v for k, v in data.items() if k != "agent"})
            reached = await handoffs.reply(request.path_params["conversation_id"], agent, messages)
        except InvalidBody as error:
            status = error.status if isinstance(error, _Refused) else 422
            return error_response(request, status, error.message, error.problems)
        except ServiceError as error:
            return error_response(request, error.status, error.message, code=error.code)
        return JSONResponse({"sent": len(messages), "delivered": reached})

    async def end(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        outbound = ctx.outbound

        def render_for(conversation: Conversation) -> Render:
            return outbound.renderer(
                conversation.bot_id, conversation.channel, conversation.user_key, push=True
            )

        try:
            data = await body_of(request)
            agent = agent_of(data, required=False)
            flow_id, node_id = data.get("flowId"), data.get("nodeId")
            for name, value in (("flowId", flow_id), ("nodeId", node_id)):
                if value is not None and not _is_id(value):
                    raise InvalidBody(
                        f"{name}: a flow's or node's id", [f"{name}: an integer or a string"]
                    )
            if flow_id is None:
                node_id = None  # a node is named within its flow: alone it means nothing
            outcome = await handoffs.end(
                request.path_params["conversation_id"],
                agent,
                None if flow_id is None else str(flow_id),
                None if node_id is None else str(node_id),
                render_for,
            )
            ran = outcome.result if isinstance(outcome, ChannelTurn) else None
            if isinstance(outcome, ChannelTurn) and ran and (ran.replies or ran.quick_replies):
                await outbound.send(outcome.conversation, outcome.rendered)
        except InvalidBody as error:
            status = error.status if isinstance(error, _Refused) else 422
            return error_response(request, status, error.message, error.problems)
        except ServiceError as error:
            return error_response(request, error.status, error.message, code=error.code)
        conversation = outcome.conversation if isinstance(outcome, ChannelTurn) else outcome
        return JSONResponse(conversation_summary(conversation))

    async def events(request: Request) -> Response:
        if (denied := refused(request, request.query_params.get("key", ""))) is not None:
            return denied
        return EventStream(hub_events(ctx, AGENTS, "handoff"))

    async def console(request: Request) -> Response:
        return static_file(ctx, "agent.html", "text/html; charset=utf-8")

    return [
        Route("/api/handoffs", listed, methods=["GET"]),
        Route("/api/handoffs/events", events, methods=["GET"]),
        Route("/api/conversations/{conversation_id}/handoff", detail, methods=["GET"]),
        Route("/api/conversations/{conversation_id}/handoff/join", join, methods=["POST"]),
        Route("/api/conversations/{conversation_id}/handoff/reply", reply, methods=["POST"]),
        Route("/api/conversations/{conversation_id}/handoff/end", end, methods=["POST"]),
        Route("/agent", console, methods=["GET"]),
    ]


def _is_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (
        isinstance(value, str) and bool(value.strip()) and len(value) <= 200
    )
