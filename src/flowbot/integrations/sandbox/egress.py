"""The egress proxy: the only way a sandboxed script reaches the network.

An HTTP proxy in flowbot's event loop. It understands the three forms
clients send a proxy:

- `CONNECT host:port` (HTTPS from `request`, python's urllib, undici): the
  host is checked, then bytes are relayed both ways; TLS is end to end
  between the script and the origin.
- `GET http://host/path` (absolute-form HTTP): forwarded to the origin
  with `Connection: close`, one request per client connection.
- `GET https://host/path` (what axios sends a plain-HTTP proxy for an HTTPS
  URL): the proxy itself opens the TLS connection to the origin, verifying
  its certificate, and forwards the request as for `http://`.

Every request goes through `AddressGuard.resolve(host, port)` and the
proxy connects to an address it returned, never to the name again. A
refusal is answered `403 Forbidden` with the guard's reason as the body;
an origin that cannot be reached, `502 Bad Gateway`.

Each script run gets its own listener (`EgressProxy.listen_tcp` in process
mode, `listen_unix` on a socket bound into the bubblewrap sandbox); closing
the listener closes every connection it accepted, so nothing a script
opened outlives its run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from flowbot.integrations.guard import AddressGuard, AddressRefused

__all__ = ["EgressListener", "EgressProxy", "OpenConnection"]

log = logging.getLogger("flowbot.sandbox.egress")

# (address, port) → a connected stream; asyncio.open_connection by default (tests reroute it)
OpenConnection = Callable[[str, int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]

_HEAD_LIMIT = 64 * 1024
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
}
_REASONS = {400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway", 504: "Gateway Timeout"}


class _Refusal(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def _open_connection(
    address: str, port: int
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(address, port)


class EgressListener:
    """One run's listener; `url` is what the proxy variables point at (TCP listeners only)."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.server: asyncio.Server | None = None
        self.tasks: set[asyncio.Task[None]] = set()
        self.requests = 0

    async def close(self) -> None:
        """Stop listening and cut every connection this listener accepted."""
        if self.server is not None:
            self.server.close()
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 1)


class EgressProxy:
    """An HTTP/HTTPS forward proxy whose every destination passes `guard`."""

    def __init__(
        self,
        guard: AddressGuard | None = None,
        *,
        connect_timeout: float = 10.0,
        idle_timeout: float = 30.0,
        open_connection: OpenConnection | None = None,
        upstream_tls: ssl.SSLContext | None = None,
    ) -> None:
        self.guard = guard or AddressGuard()
        self.connect_timeout = connect_timeout
        self.idle_timeout = idle_timeout
        self._open = open_connection or _open_connection
        self._tls = upstream_tls
        self._listeners: set[EgressListener] = set()

    async def listen_tcp(self, host: str = "127.0.0.1", port: int = 0) -> EgressListener:
        """A listener on a TCP port (process mode: the child reaches the host's loopback)."""
        listener = EgressListener(None)
        server = await asyncio.start_server(
            lambda r, w: self._serve(listener, r, w), host, port, limit=_HEAD_LIMIT
        )
        bound = server.sockets[0].getsockname()
        listener.url = f"http://{bound[0]}:{bound[1]}"
        listener.server = server
        self._listeners.add(listener)
        return listener

    async def listen_unix(self, path: Path) -> EgressListener:
        """A listener on a unix socket (bwrap mode: bound into the sandbox's filesystem)."""
        listener = EgressListener(None)
        server = await asyncio.start_unix_server(
            lambda r, w: self._serve(listener, r, w), str(path), limit=_HEAD_LIMIT
        )
        path.chmod(0o666)  # the sandboxed script runs as another user
        listener.server = server
        self._listeners.add(listener)
        return listener

    async def release(self, listener: EgressListener) -> None:
        self._listeners.discard(listener)
        await listener.close()

    async def close(self) -> None:
        for listener in list(self._listeners):
            await self.release(listener)

    # -- one client connection ------------------------------------------------------------

    async def _serve(
        self, listener: EgressListener, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is not None:
            listener.tasks.add(task)
            task.add_done_callback(listener.tasks.discard)
        listener.requests += 1
        try:
            await self._handle(reader, writer)
        except _Refusal as refusal:
            await _answer(writer, refusal.status, refusal.reason)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not take the server down, only this connection
            log.exception("egress: proxy error")
        finally:
            await _close(writer)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.idle_timeout)
        except asyncio.LimitOverrunError:
            raise _Refusal(400, "the request head is over 64 KB") from None
        except asyncio.IncompleteReadError:
            return
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            raise _Refusal(400, f"not an HTTP request line: {lines[0][:200]!r}")
        method, target, version = parts
        headers = [line for line in lines[1:] if line]
        if method.upper() == "CONNECT":
            await self._tunnel(target, reader, writer)
        else:
            await self._forward(method, target, version, headers, reader, writer)

    async def _tunnel(
        self, target: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        host, port = _split_authority(target, None)
        up_reader, up_writer, address = await self._connect(host, port)
        try:
            log.info("egress: CONNECT %s:%d via %s", host, port, address)
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            await writer.drain()
            await self._relay(reader, writer, up_reader, up_writer)
        finally:
            await _close(up_writer)

    async def _forward(
        self,
        method: str,
        target: str,
        version: str,
        headers: list[str],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        url = urlsplit(target)
        scheme = url.scheme.lower()
        if scheme not in ("http", "https") or not url.netloc:
            raise _Refusal(
                400, f"this is a proxy: expected an absolute http(s) URL or CONNECT, got {target!r}"
            )
        default_port = 443 if scheme == "https" else 80
        host, port = _split_authority(url.netloc.rpartition("@")[2], default_port)
        up_reader, up_writer, address = await self._connect(host, port)
        try:
            await self._send(method, url, version, headers, host, port, address, up_writer)
            await self._relay(reader, writer, up_reader, up_writer)
        finally:
            await _close(up_writer)

    async def _send(
        self,
        method: str,
        url: SplitResult,
        version: str,
        headers: list[str],
        host: str,
        port: int,
        address: str,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        """TLS first for an https URL, then the request head in origin-form."""
        scheme = url.scheme.lower()
        if scheme == "https":
            context = self._tls or ssl.create_default_context()
            try:
                await asyncio.wait_for(
                    up_writer.start_tls(context, server_hostname=host), self.connect_timeout
                )
            except (ssl.SSLError, OSError, TimeoutError) as error:
                raise _Refusal(502, f"TLS with {host}:{port} failed: {error}") from None
        log.info("egress: %s %s://%s:%d via %s", method, scheme, host, port, address)
        path = url.path or "/"
        if url.query:
            path += "?" + url.query
        named = {line.split(":", 1)[0].strip().lower() for line in headers}
        listed = {
            token.strip().lower()
            for line in headers
            if line.split(":", 1)[0].strip().lower() == "connection"
            for token in line.split(":", 1)[1].split(",")
        }
        kept = [
            line
            for line in headers
            if (name := line.split(":", 1)[0].strip().lower()) not in _HOP_BY_HOP
            and name not in listed
        ]
        if "host" not in named:
            kept.insert(0, f"Host: {url.netloc.rpartition('@')[2]}")
        head = "\r\n".join([f"{method} {path} {version}", *kept, "Connection: close", "", ""])
        up_writer.write(head.encode("latin-1"))
        await up_writer.drain()

    async def _connect(
        self, host: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, str]:
        try:
            addresses = await self.guard.resolve(host, port)
        except AddressRefused as refused:
            log.warning("egress: refused %s:%d: %s", host, port, refused)
            raise _Refusal(403, f"{host}:{port} is refused: {refused}") from None
        errors: list[str] = []
        for address in addresses:
            try:
                up_reader, up_writer = await asyncio.wait_for(
                    self._open(address, port), self.connect_timeout
                )
            except (OSError, TimeoutError) as error:
                errors.append(f"{address}: {error or type(error).__name__}")
                continue
            return up_reader, up_writer, address
        raise _Refusal(502, f"cannot connect to {host}:{port} ({'; '.join(errors)})")

    async def _relay(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        """Copy both ways until the origin closes (or either side errs, or goes idle)."""
        upload = asyncio.create_task(self._pump(reader, up_writer, half_close=True))
        try:
            await self._pump(up_reader, writer, half_close=False)
        finally:
            upload.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError, OSError):
                await upload

    async def _pump(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, *, half_close: bool
    ) -> None:
        try:
            while True:
                chunk = await asyncio.wait_for(source.read(65536), self.idle_timeout)
                if not chunk:
                    break
                sink.write(chunk)
                await sink.drain()
            if half_close and sink.can_write_eof():
                sink.write_eof()
        except (ConnectionError, OSError, TimeoutError):
            pass


def _split_authority(authority: str, default_port: int | None) -> tuple[str, int]:
    text = authority.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
    else:
        host, port_text = text, ""
    if not port_text:
        if default_port is None:
            raise _Refusal(400, f"CONNECT needs host:port, got {authority!r}")
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise _Refusal(400, f"not a port: {port_text!r}")
    return host, int(port_text)


async def _close(stream: asyncio.StreamWriter) -> None:
    stream.close()
    with contextlib.suppress(Exception):
        await asyncio.wait_for(stream.wait_closed(), 1)


async def _answer(writer: asyncio.StreamWriter, status: int, reason: str) -> None:
    body = f"flowbot egress proxy: {reason}\n".encode()
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    with contextlib.suppress(ConnectionError, OSError):
        writer.write(head.encode("latin-1") + body)
        await writer.drain()
