"""`flowbot serve`: build the app from the targets and run it on uvicorn."""

from __future__ import annotations

import asyncio
import errno
import gc
import logging
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import uvicorn

from flowbot.config import ConfigError, Settings, settings_from_targets
from flowbot.format import BotLoadError
from flowbot.server.app import create_app
from flowbot.server.logs import redact_logs
from flowbot.store.urls import is_postgres

__all__ = [
    "GC_THRESHOLD",
    "PortError",
    "bind_port",
    "chat_urls",
    "http_protocol",
    "run_server",
    "webhook_urls",
]

GC_THRESHOLD = 20_000
BACKLOG = 2048  # uvicorn's default


def http_protocol() -> type[asyncio.Protocol] | str:
    """uvicorn's httptools protocol writing once per response, else uvicorn's pick.

    The class lives in uvicorn's implementation modules: if a uvicorn release
    moves it (or httptools is missing), serving goes on with uvicorn's default.
    """
    try:
        from flowbot.server.protocol import CoalescingHttpToolsProtocol
    except ImportError as error:
        logging.getLogger("flowbot.server").warning(
            "one-write HTTP protocol unavailable (%s): using uvicorn's default", error
        )
        return "auto"
    return CoalescingHttpToolsProtocol


def _base(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def chat_urls(settings: Settings, host: str, port: int) -> list[str]:
    return [f"{_base(host, port)}/chat/{bot.bot_id}" for bot in settings.bots]


def webhook_urls(settings: Settings, host: str, port: int) -> list[tuple[str, str, str]]:
    """(bot id, channel, URL) of every configured messenger webhook.

    The URL is this server's own address: the platform needs the public
    https address of the same path (docs/channels.md). A platform that signs
    nothing (Kakao, TalkTalk) calls it with the bot's path token as the last
    segment, shown as `<path_token>`: the token is a secret, and a console's
    output is not the place for one.
    """
    urls = []
    for bot in settings.bots:
        for name, channel_settings in bot.channels.items():
            url = f"{_base(host, port)}/channels/{name}/{bot.bot_id}"
            if hasattr(channel_settings, "path_token"):
                url += "/<path_token>"
            urls.append((bot.bot_id, name, url))
    return urls


class PortError(Exception):
    """The address cannot be listened on; the message is the one line to print."""


def bind_port(host: str, port: int) -> list[socket.socket]:
    """Listening sockets on every address of `host` (as uvicorn's own binding would).

    Raises PortError when the port is taken or the address unusable; nothing
    stays bound then. With port 0 every address gets the port the first got.
    """
    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as error:
        raise PortError(f"cannot listen on {host}: {error.strerror or error}") from None
    except UnicodeError as error:  # a host name no IDNA encoding takes
        raise PortError(f"cannot listen on {host}: {error}") from None
    sockets: list[socket.socket] = []
    seen: set[tuple[int, object]] = set()
    try:
        for family, kind, proto, _, address in infos:
            if (family, address[0]) in seen:
                continue
            seen.add((family, address[0]))
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                # "::" must not also take the IPv4 port: it has its own socket
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            if sockets[1:]:
                address = (address[0], sockets[0].getsockname()[1], *address[2:])
            sock.bind(address)
            # Listening now: connections made during start-up wait in the
            # backlog, and a port taken by a listener is refused here.
            sock.listen(BACKLOG)
    except OSError as error:
        for sock in sockets:
            sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortError(f"port {port} on {host} is in use (another flowbot?)") from None
        raise PortError(
            f"cannot listen on port {port} on {host}: {error.strerror or error}"
        ) from None
    return sockets


class _AnnouncingServer(uvicorn.Server):
    """uvicorn's server that calls `announce` once it accepts requests."""

    def __init__(self, config: uvicorn.Config, announce: Callable[[], None]) -> None:
        super().__init__(config)
        self._announce = announce

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        # the lifespan (store, migrations) has run and the sockets serve: ready
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            self._announce()


def run_server(
    targets: list[Path],
    *,
    host: str,
    port: int,
    db: str,
    redis: str | None = None,
    redis_prefix: str | None = None,
    workers: int = 1,
) -> int:
    """Serve until interrupted; the exit code is 0, or 2 for bad targets, bots or port.

    The port is bound before anything else is opened: a port in use ends the
    command with one line, the database untouched. The chat URLs and the
    ready line are printed once the server answers on it. With `workers`
    above 1 the bound sockets are shared by that many forked processes
    (`flowbot.server.workers`), which need a database or Redis they can
    share their locks through.
    """
    try:
        settings = settings_from_targets(targets, db=db, redis=redis, redis_prefix=redis_prefix)
    except ConfigError as error:
        print(f"flowbot serve: {error}", file=sys.stderr)
        return 2
    if workers > 1 and settings.redis is None and not is_postgres(settings.database):
        print(
            "flowbot serve: --workers needs PostgreSQL (--db postgresql://…) or Redis "
            "(--redis redis://…): the processes share conversations through them",
            file=sys.stderr,
        )
        return 2
    try:
        sockets = bind_port(host, port)
    except PortError as error:
        print(f"flowbot serve: {error}", file=sys.stderr)
        return 2
    try:
        if workers > 1:
            from flowbot.server.workers import run_workers

            return run_workers(workers, lambda: _serve(settings, sockets, host=host))
        return _serve(settings, sockets, host=host)
    finally:
        for sock in sockets:
            sock.close()


def _serve(settings: Settings, sockets: list[socket.socket], *, host: str) -> int:
    port: int = sockets[0].getsockname()[1]
    try:
        app = create_app(settings)
    except BotLoadError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print("flowbot serve: the bots above do not load; nothing served", file=sys.stderr)
        return 2
    except ValueError as error:  # e.g. a database URL flowbot does not know
        print(f"flowbot serve: {error}", file=sys.stderr)
        return 2
    # The compiled bots live as long as the process: moving them out of the
    # collector's sight keeps full collections (long pauses, every few
    # thousand turns) from walking them again and again.
    gc.collect()
    gc.freeze()
    # Each turn allocates a few hundred short-lived objects; the default
    # threshold (700) ran a young collection every two or three turns, each
    # one walking the cached conversations' newer objects too.
    gc.set_threshold(GC_THRESHOLD, 20, 20)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s:     %(name)s: %(message)s")
    # httpx logs every platform API request at INFO: a line per message sent.
    # flowbot.delivery logs the ones that fail.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=settings.access_log,
        log_level="info",
        lifespan="on",
        # uvicorn's httptools protocol, one socket write per response (see the module)
        http=http_protocol(),
        # Open event streams never end by themselves: give them a moment, then close.
        timeout_graceful_shutdown=2,
    )
    # uvicorn has configured its loggers now: the event stream's ?token= must
    # not reach the access log, nor any other line
    redact_logs()

    def announce() -> None:
        for url in chat_urls(settings, host, port):
            print(f"Chat with your bot: {url}", flush=True)
        for bot_id, name, url in webhook_urls(settings, host, port):
            print(f"{name} webhook of {bot_id}: {url} (at your public https address)", flush=True)
        print(f"flowbot serve: ready on {_base(host, port)} (Ctrl+C to stop)", flush=True)

    server = _AnnouncingServer(config, announce)
    try:
        server.run(sockets=sockets)
    except SystemExit as exit_:  # uvicorn exits when the lifespan fails to start
        return exit_.code if isinstance(exit_.code, int) else 1
    return 0 if server.started else 1
