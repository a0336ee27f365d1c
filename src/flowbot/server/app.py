"""The ASGI application: one process serving channels, widget, JSON API and health."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from httpx_aiohttp import AiohttpTransport
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from flowbot.channels import CHANNELS, ChannelSettings
from flowbot.config import Settings
from flowbot.delivery import ConversationQueues, Transport
from flowbot.engine import Ports
from flowbot.events import EventDispatcher
from flowbot.integrations.wiring import world_ports
from flowbot.server.agents import agent_routes
from flowbot.server.api import api_routes
from flowbot.server.backends import Backends, open_backends
from flowbot.server.bots import BotRegistry
from flowbot.server.channel_routes import channel_routes
from flowbot.server.context import STATIC_DIR, ServerContext
from flowbot.server.conversations import ConversationService
from flowbot.server.handoffs import Handoffs
from flowbot.server.limits import RateLimiter
from flowbot.server.media import media_routes
from flowbot.server.messages import MessagesEndpoint
from flowbot.server.outbound import Outbound
from flowbot.server.push import PushHub
from flowbot.server.sends import SendRelay
from flowbot.server.studio_api import studio_routes
from flowbot.server.web import web_routes
from flowbot.store import Store, open_store, purge_expired

__all__ = ["FlowbotApp", "create_app"]

logger = logging.getLogger("flowbot.server")

# How often expired payload keys and delivery ids are purged.
PURGE_INTERVAL_SECONDS = 6 * 3600
# The platform APIs' timeouts: a Send API that hangs must not hold a conversation.
PLATFORM_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


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
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            await super().__call__(scope, receive, send)
        except Exception:
            # Starlette has answered 500 already (server_error below) and re-raises;
            # raised to uvicorn, the error would also close the client's keep-alive
            # connection. Logged here instead, the connection goes on.
            logger.exception("%s %s failed", scope["method"], scope["path"])


def platform_http_transport() -> httpx.AsyncBaseTransport:
    """The transport under the platform APIs' `httpx.AsyncClient`: aiohttp's connection pool.

    httpx's own transport (httpcore on anyio) cost 0.6–1.3 ms of CPU per request
    on this machine, 32 at a time (bench/channels.py: a Facebook turn makes two);
    httpx-aiohttp, by httpx's maintainer, keeps the httpx client and its API and
    costs about a quarter of that. Tests replace it with `platform_transport`.
    """
    return AiohttpTransport(limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))


def create_app(
    settings: Settings,
    *,
    store: Store | None = None,
    ports: Ports | None = None,
    events_transport: httpx.AsyncBaseTransport | None = None,
    events: EventDispatcher | None = None,
    platform_transport: httpx.AsyncBaseTransport | None = None,
    static_dir: Path = STATIC_DIR,
    ping_interval: float = 15.0,
    backends: Backends | None = None,
) -> FlowbotApp:
    """Build the app: loads and compiles every bot now (raises `BotLoadError`).

    The store is opened from `settings.database` unless one is given; it is
    started and closed by the app's lifespan, as are the webhook events' relay
    (only when webhooks are configured) and the one HTTP client every platform
    API is called through
    (`platform_transport` replaces its transport, e.g. in tests). The
    conversation locks and the push hub come from `settings.redis` and the
    database (`flowbot.server.backends`) unless `backends` are given.
    """
    bots = BotRegistry.load(settings.bots)
    store = store if store is not None else open_store(settings.database)
    events = events or EventDispatcher(settings.webhooks, transport=events_transport)
    # the webhook events' outbox is the store's; the relay starts with the store
    events.bind(store)
    backends = backends if backends is not None else open_backends(settings)
    hub = PushHub(backends.hub)
    client = httpx.AsyncClient(
        timeout=PLATFORM_TIMEOUT, transport=platform_transport or platform_http_transport()
    )
    channel_settings: dict[tuple[str, str], ChannelSettings] = {
        (bot.bot_id, name): value for bot in settings.bots for name, value in bot.channels.items()
    }
    queues = ConversationQueues()
    outbound = Outbound(
        channel_settings, hub, Transport(client), queues, public_url=settings.web_public_url
    )
    service = ConversationService(
        store,
        bots,
        events=events,
        ports=ports,
        token_ttl=settings.web_token_ttl,
        message_params={bot.bot_id: frozenset(bot.message_params) for bot in settings.bots},
        open_rate=RateLimiter(*settings.web_open_rate) if settings.web_open_rate else None,
        locks=backends.locks,
        shared=backends.shared,
        recover_sends_after=settings.recover_sends_after,
    )
    # the Facebook and LINE replies another process left unsent (flowbot.server.sends)
    sends = SendRelay(
        store,
        outbound,
        [
            (bot_id, name)
            for (bot_id, name) in channel_settings
            if name in CHANNELS and not CHANNELS[name].capabilities.sync_reply
        ],
        poll_interval=min(5.0, settings.recover_sends_after / 4),
    )
    ctx = ServerContext(
        settings=settings,
        bots=bots,
        store=store,
        service=service,
        hub=hub,
        outbound=outbound,
        events=events,
        static_dir=static_dir,
        ping_interval=ping_interval,
    )

    async def purge_now_and_then() -> None:
        while True:
            await purge_expired(store)
            await asyncio.sleep(PURGE_INTERVAL_SECONDS)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if ports is None:
                # fetch nodes and scripts: the address guard with [fetch] allow
                service.ports = await stack.enter_async_context(
                    world_ports(
                        fetch_allow=settings.fetch_allow, sandbox_mode=settings.sandbox_mode
                    )
                )
            async with serving():
                yield

    @contextlib.asynccontextmanager
    async def serving() -> AsyncIterator[None]:
        await store.start()
        try:
            # the bots imported under ids the config does not name (flowbot.server.bots)
            await bots.load_stored(store)
        except BaseException:
            await store.close()
            raise
        # after the store: the relay reads its outbox (and only with webhooks configured)
        await events.start()
        await sends.start()
        purging = asyncio.create_task(purge_now_and_then())
        ctx.ready = True
        logger.info(
            "flowbot ready: %d bot(s): %s (%s)",
            len(bots),
            ", ".join(bots.ids()),
            backends.described,
        )
        try:
            yield
        finally:
            ctx.ready = False
            purging.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purging
            await sends.close()
            # the turns already acknowledged to a platform still run and send
            await queues.close(timeout=10.0)
            await client.aclose()
            await events.close()
            await hub.close()
            await backends.locks.close()
            await backends.close_connections()
            await store.close()

    async def healthz(request: Request) -> Response:
        """200 when every dependency answers; 503 naming the one that does not."""
        try:
            database = ctx.ready and await store.ping()
        except Exception as error:  # a dead database is an answer here, not a crash
            logger.warning("health check: the database does not answer: %s", error)
            database = False
        body: dict[str, Any] = {
            "status": "ok",
            "bots": bots.ids(),
            "database": "ok" if database else "unavailable",
        }
        ok = bool(database) and len(bots) > 0
        redis = await backends.redis_health()
        if redis is not None:
            body["redis"] = redis
            # with PostgreSQL behind it, the locks go on without Redis: degraded, not down
            if redis != "ok" and not backends.degraded:
                ok = False
            if backends.degraded:
                body["locks"] = "postgresql (Redis is away)"
        body["status"] = "ok" if ok else "unavailable"
        return JSONResponse(body, status_code=200 if ok else 503)

    async def index(request: Request) -> Response:
        links = "".join(f'<li><a href="/chat/{bot_id}">{bot_id}</a></li>' for bot_id in bots.ids())
        return HTMLResponse(
            "<!doctype html><meta charset='utf-8'><title>flowbot</title>"
            f"<h1>flowbot</h1><ul>{links}</ul><p><a href='/api/docs'>API</a></p>"
        )

    async def dependency_down(request: Request, error: Exception) -> Response:
        # the database or Redis does not answer: a moment's outage, not a bug
        logger.warning("%s %s: a dependency is down: %r", request.method, request.url.path, error)
        return JSONResponse(
            {"error": "the service is unavailable for a moment: try again"},
            status_code=503,
            headers={"Retry-After": "2"},
        )

    async def server_error(request: Request, error: Exception) -> Response:
        # Starlette re-raises the error after this answer: the ASGI server logs it.
        return JSONResponse({"error": "internal error; see the server log"}, status_code=500)

    handoffs = Handoffs(service, outbound, hub, events, store, bots)
    messages = MessagesEndpoint(ctx)
    app = FlowbotApp(
        messages,
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            *web_routes(ctx, messages),
            *media_routes(ctx),
            *channel_routes(ctx),
            *agent_routes(ctx, handoffs),
            *api_routes(ctx),
            *studio_routes(ctx),
        ],
        lifespan=lifespan,
        exception_handlers={
            SQLAlchemyError: dependency_down,
            RedisError: dependency_down,
            Exception: server_error,
        },
    )
    app.state.flowbot = ctx
    return app
