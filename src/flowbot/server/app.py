"""The ASGI application: one process serving channels, widget, JSON API and health."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from flowbot.config import Settings
from flowbot.engine import Ports
from flowbot.events import EventDispatcher
from flowbot.server.api import api_routes
from flowbot.server.bots import BotRegistry
from flowbot.server.context import STATIC_DIR, ServerContext
from flowbot.server.conversations import ConversationService
from flowbot.server.messages import MessagesEndpoint
from flowbot.server.push import PushHub
from flowbot.server.web import web_routes
from flowbot.store import Store, open_store

__all__ = ["FlowbotApp", "create_app"]

logger = logging.getLogger("flowbot.server")


class FlowbotApp(Starlette):
    """Starlette, except that a web turn (POST …/messages) skips its request machinery.

    See `flowbot.server.messages` for why; every other request, and any
    other method on that path (CORS preflights), goes through Starlette.
    """

    def __init__(self, messages: MessagesEndpoint, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.messages = messages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            bot_id = self.messages.bot_of(scope)
            if bot_id is not None:
                await self.messages.answer(scope, receive, send, bot_id)
                return
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    ports: Ports | None = None,
    events_transport: httpx.AsyncBaseTransport | None = None,
    events: EventDispatcher | None = None,
    static_dir: Path = STATIC_DIR,
    ping_interval: float = 15.0,
) -> FlowbotApp:
    """Build the app: loads and compiles every bot now (raises `BotLoadError`).

    The store is opened from `settings.database` unless one is given; it is
    started and closed by the app's lifespan, as is the event dispatcher.
    """
    bots = BotRegistry.load(settings.bots)
    store = store if store is not None else open_store(settings.database)
    events = events or EventDispatcher(settings.webhooks, transport=events_transport)
    hub = PushHub()
    service = ConversationService(store, bots, events=events, hub=hub, ports=ports)
    ctx = ServerContext(
        settings=settings,
        bots=bots,
        store=store,
        service=service,
        hub=hub,
        events=events,
        static_dir=static_dir,
        ping_interval=ping_interval,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await store.start()
        await events.start()
        ctx.ready = True
        logger.info("flowbot ready: %d bot(s): %s", len(bots), ", ".join(bots.ids()))
        try:
            yield
        finally:
            ctx.ready = False
            await events.close()
            await store.close()

    async def healthz(request: Request) -> Response:
        try:
            database = ctx.ready and await store.ping()
        except Exception as error:  # a dead database is an answer here, not a crash
            logger.warning("health check: the database does not answer: %s", error)
            database = False
        ok = bool(database) and len(bots) > 0
        body = {
            "status": "ok" if ok else "unavailable",
            "bots": bots.ids(),
            "database": "ok" if database else "unavailable",
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    async def index(request: Request) -> Response:
        links = "".join(f'<li><a href="/chat/{bot_id}">{bot_id}</a></li>' for bot_id in bots.ids())
        return HTMLResponse(
            "<!doctype html><meta charset='utf-8'><title>flowbot</title>"
            f"<h1>flowbot</h1><ul>{links}</ul><p><a href='/api/docs'>API</a></p>"
        )

    async def server_error(request: Request, error: Exception) -> Response:
        # Starlette re-raises the error after this answer: the ASGI server logs it.
        return JSONResponse({"error": "internal error; see the server log"}, status_code=500)

    messages = MessagesEndpoint(ctx)
    app = FlowbotApp(
        messages,
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            *web_routes(ctx, messages),
            *api_routes(ctx),
        ],
        lifespan=lifespan,
        exception_handlers={Exception: server_error},
    )
    app.state.flowbot = ctx
    return app
