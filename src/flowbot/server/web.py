"""The web channel's routes (WEB_API): messages, the event stream, the chat page.

POST /channels/web/{botId}/messages                      one turn (flowbot.server.messages)
GET  /channels/web/{botId}/conversations/{id}/events     pushed messages (server-sent events)
GET  /chat/{botId}, /widget.js, /static/…                the widget files (public)
GET  /chat/{botId}/info                                  the bot's id and title, for the widget
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    Response,
)
from starlette.routing import BaseRoute, Mount, Route, request_response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from flowbot.server.context import ServerContext
from flowbot.server.errors import ServiceError
from flowbot.server.http import error_response
from flowbot.server.messages import MessagesEndpoint

__all__ = [
    "EventStream",
    "bot_title",
    "chat_page_values",
    "hub_events",
    "page_language",
    "pretty_title",
    "render_chat_page",
    "static_file",
    "web_routes",
]

logger = logging.getLogger("flowbot.server")

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
NO_CACHE = {"Cache-Control": "no-cache"}
RETRY_SOON = {"Retry-After": "30"}
# The bot's title may change (a bot imported through the API): cached briefly.
INFO_CACHE = {"Cache-Control": "public, max-age=60"}

# The chat page's own text, in the widget's two interface languages (English, Korean).
NO_SCRIPT = {
    "en": "This chat needs JavaScript.",
    "ko": "이 채팅을 사용하려면 JavaScript가 필요합니다.",
}
NO_TITLE = {"en": "Chat", "ko": "채팅"}
MAX_TITLE_CHARS = 100
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def web_routes(ctx: ServerContext, messages: MessagesEndpoint) -> list[BaseRoute]:
    """The web channel's routes; `messages` also answers turns below Starlette (FlowbotApp)."""
    service = ctx.service

    async def conversation_events(request: Request) -> Response:
        bot_id = request.path_params["bot_id"]
        conversation_id = request.path_params["conversation_id"]
        try:
            conversation = await service.open_stream(
                bot_id, conversation_id, request.query_params.get("token")
            )
        except ServiceError as error:
            return error_response(request, error.status, error.message, code=error.code)
        settings = ctx.settings
        if ctx.hub.subscribers(conversation.id) >= settings.web_streams_per_conversation:
            return error_response(
                request,
                429,
                f"this conversation has {settings.web_streams_per_conversation} open event "
                "streams already: close one first",
            )
        if ctx.hub.streams >= settings.web_streams:
            return error_response(
                request, 503, "too many open event streams: try again later", headers=RETRY_SOON
            )
        return EventStream(hub_events(ctx, conversation.id, "replies"))

    async def chat_page(request: Request) -> Response:
        bot_id = request.path_params["bot_id"]
        program = ctx.bots.get(bot_id)
        if program is None:
            return PlainTextResponse(f"No bot {bot_id!r} here.", status_code=404)
        path = ctx.static_dir / "chat.html"
        try:
            template = path.read_text(encoding="utf-8")
        except OSError:
            logger.error("widget file %s is missing", path)
            return PlainTextResponse("chat.html is not installed on this server.", status_code=404)
        values = chat_page_values(
            bot_id,
            program.bot.title,
            request.query_params.get("title"),
            request.query_params.get("lang"),
            request.headers.get("accept-language"),
        )
        return HTMLResponse(render_chat_page(template, values), headers=NO_CACHE)

    async def bot_info(request: Request) -> Response:
        # Public, like the chat page: what an embedded widget shows in its header.
        bot_id = request.path_params["bot_id"]
        program = ctx.bots.get(bot_id)
        if program is None:
            return error_response(request, 404, f"no bot {bot_id!r}")
        return JSONResponse(
            {"id": bot_id, "title": bot_title(program.bot.title)}, headers=INFO_CACHE
        )

    async def widget_script(request: Request) -> Response:
        return static_file(ctx, "widget.js", "text/javascript; charset=utf-8")

    origins = ctx.settings.web_allowed_origins
    return [
        _cross_origin_route("/channels/web/{bot_id}/messages", messages, "POST", origins),
        _cross_origin_route(
            "/channels/web/{bot_id}/conversations/{conversation_id}/events",
            request_response(conversation_events),
            "GET",
            origins,
        ),
        Route("/chat/{bot_id}", chat_page, methods=["GET"]),
        _cross_origin_route("/chat/{bot_id}/info", request_response(bot_info), "GET", origins),
        _cross_origin_route("/widget.js", request_response(widget_script), "GET", origins),
        Mount("/static", _static_app(ctx.static_dir), name="static"),
    ]


def _cross_origin_route(
    path: str,
    handler: ASGIApp,
    method: str,
    origins: Sequence[str],
) -> Route:
    """A route that pages of `origins` may call (CORS), answering their preflights.

    The widget runs on other sites' pages, so these routes answer cross-origin
    requests; the token travels in the Authorization header (or the query for
    EventSource), never in a cookie, hence no credentials. Only these routes:
    /api is for servers, which need no CORS.
    """

    async def only_method(scope: Scope, receive: Receive, send: Send) -> None:
        # OPTIONS is routed here for the middleware's preflight answer; any
        # other OPTIONS request is not one this route serves.
        if scope["method"] == "OPTIONS":
            response = PlainTextResponse(
                "Method Not Allowed", status_code=405, headers={"Allow": f"{method}, OPTIONS"}
            )
            await response(scope, receive, send)
            return
        await handler(scope, receive, send)

    cors = CORSMiddleware(
        only_method,
        allow_origins=list(origins),
        allow_methods=[method],
        allow_headers=["Authorization", "Content-Type"],
        allow_credentials=False,
        max_age=600,
    )
    return Route(path, cors, methods=[method, "OPTIONS"])


class EventStream(Response):
    """A text/event-stream response that ends when the client goes away.

    Written out rather than StreamingResponse so that the body generator is
    closed (and the subscription dropped) as soon as the disconnect arrives.
    """

    media_type = "text/event-stream"

    def __init__(self, body: AsyncIterator[str]) -> None:
        super().__init__(headers=SSE_HEADERS, media_type=self.media_type)
        # Response sets "content-length: 0" for its empty body; a stream has no length.
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        self._body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})

        async def pump() -> None:
            async for chunk in self._body:
                await send(
                    {"type": "http.response.body", "body": chunk.encode(), "more_body": True}
                )

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        tasks = [asyncio.create_task(pump()), asyncio.create_task(watch())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def hub_events(ctx: ServerContext, topic: str, event: str) -> AsyncIterator[str]:
    """The server-sent events of one hub topic, each as `event: <event>`, pinged when idle."""
    async with ctx.hub.subscribe(topic) as queue:
        # A comment first: the client knows the subscription exists from here on.
        yield "retry: 3000\n: connected\n\n"
        while True:
            try:
                item = await asyncio.wait_for(queue.get(), ctx.ping_interval)
            except TimeoutError:
                yield ": ping\n\n"
                continue
            data = json.dumps(item, ensure_ascii=False, separators=(",", ":"))
            yield f"event: {event}\ndata: {data}\n\n"


def bot_title(title: str | None) -> str | None:
    """A bot file's `title` as the widget shows it: None when missing or blank."""
    if not isinstance(title, str) or not title.strip():
        return None
    return title.strip()[:MAX_TITLE_CHARS]


def pretty_title(bot_id: str, lang: str = "en") -> str:
    """The title of a bot without one, as widget.js makes it: `my-bot` → `My bot`."""
    words = re.sub(r"[-_]+", " ", bot_id).strip()
    return words[:1].upper() + words[1:] if words else NO_TITLE[lang]


def page_language(query: str | None, accept_language: str | None) -> str:
    """The chat page's language: `?lang=`, else the browser's first Accept-Language.

    `ko…` is Korean, anything else English (the widget's rule for navigator.language).
    """
    tag = (query or "").strip()
    if not tag and accept_language:
        tag = accept_language.split(",", 1)[0].split(";", 1)[0].strip()
    return "ko" if tag.lower().startswith("ko") else "en"


def chat_page_values(
    bot_id: str,
    title: str | None,
    query_title: str | None,
    query_lang: str | None,
    accept_language: str | None,
) -> dict[str, str]:
    """The chat page's placeholders, each HTML-escaped (the title is bot data).

    `title` is the page's <title> before the script runs (`?title=` wins over the
    bot's own); `botTitle` is the bot's own title for the widget (empty: none),
    which applies `?title=` itself.
    """
    own = bot_title(title)
    lang = page_language(query_lang, accept_language)
    shown = bot_title(query_title) or own or pretty_title(bot_id, lang)
    return {
        "lang": lang,
        "title": html.escape(shown),
        "botTitle": html.escape(own or ""),
        "noscript": html.escape(NO_SCRIPT[lang]),
    }


def render_chat_page(template: str, values: dict[str, str]) -> str:
    """chat.html with its `{{name}}` placeholders filled in; unknown ones are left alone."""
    return PLACEHOLDER.sub(lambda match: values.get(match[1], match[0]), template)


def _static_app(directory: Path) -> ASGIApp:
    if directory.is_dir():
        return StaticFiles(directory=directory)
    logger.error("the widget folder %s is missing: /static answers 404", directory)
    return PlainTextResponse("Not Found", status_code=404)


def static_file(ctx: ServerContext, name: str, media_type: str) -> Response:
    path = ctx.static_dir / name
    if not path.is_file():
        logger.error("widget file %s is missing", path)
        return PlainTextResponse(f"{name} is not installed on this server.", status_code=404)
    return FileResponse(path, media_type=media_type, headers=NO_CACHE)
