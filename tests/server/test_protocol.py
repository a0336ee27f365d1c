"""One socket write per response (flowbot.server.protocol)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from flowbot.server.protocol import (
    FLUSH_BYTES,
    CoalescingHttpToolsProtocol,
    CoalescingTransport,
)


class Recording(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def get_write_buffer_size(self) -> int:
        return 0


async def test_the_writes_of_one_loop_pass_leave_as_one() -> None:
    socket_side = Recording()
    transport = CoalescingTransport(socket_side)
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"")
    transport.writelines([b"{", b"}"])
    assert socket_side.writes == []
    assert transport.get_write_buffer_size() == 21
    await asyncio.sleep(0)
    assert socket_side.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    transport.write(b"next")
    await asyncio.sleep(0)
    assert socket_side.writes[1:] == [b"next"]


async def test_a_long_stream_without_a_pause_is_written_as_it_grows() -> None:
    socket_side = Recording()
    transport = CoalescingTransport(socket_side)
    chunk = b"x" * (FLUSH_BYTES // 4)
    for _ in range(10):  # a body streamed without yielding to the loop
        transport.write(chunk)
    assert [len(data) for data in socket_side.writes] == [FLUSH_BYTES, FLUSH_BYTES]
    assert transport.get_write_buffer_size() == 2 * len(chunk)
    await asyncio.sleep(0)
    assert b"".join(socket_side.writes) == chunk * 10


async def test_close_writes_what_is_held_first_and_abort_drops_it() -> None:
    socket_side = Recording()
    transport = CoalescingTransport(socket_side)
    transport.write(b"last words")
    transport.close()
    assert socket_side.writes == [b"last words"] and socket_side.closed
    await asyncio.sleep(0)  # the scheduled flush finds nothing left
    assert socket_side.writes == [b"last words"]

    socket_side = Recording()
    transport = CoalescingTransport(socket_side)
    transport.write(b"never sent")
    transport.abort()
    await asyncio.sleep(0)
    assert socket_side.writes == [] and socket_side.aborted


async def test_nothing_is_written_after_the_peer_left() -> None:
    socket_side = Recording()
    transport = CoalescingTransport(socket_side)
    transport.write(b"too late")
    socket_side.closed = True
    await asyncio.sleep(0)
    assert socket_side.writes == []


# --- a real uvicorn server on 127.0.0.1 with the protocol ----------------------------


async def tiny_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    headers = [(b"content-type", b"text/plain")]
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for part in (b"one ", b"two ", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
            await asyncio.sleep(0.01)
        await send({"type": "http.response.body", "body": b""})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    body = body or scope["path"].encode()
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@contextlib.contextmanager
def serving(protocol: type[HttpToolsProtocol] = CoalescingHttpToolsProtocol) -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    config = uvicorn.Config(
        tiny_app,
        host="127.0.0.1",
        port=port,
        http=protocol,
        lifespan="off",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(0.01)
        assert server.started, "uvicorn did not start"
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with serving() as port:
        yield port


def test_keep_alive_requests_streams_and_closing_connections(port: int) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        for n in range(20):  # one connection, answered request after request
            assert client.post("/echo", content=f"message {n}".encode()).text == f"message {n}"
        assert client.get("/stream").text == "one two three"
        big = b"y" * 3_000_000  # far past FLUSH_BYTES and the socket's buffers
        assert client.post("/echo", content=big).content == big
        closing = client.get("/bye", headers={"Connection": "close"})
        assert closing.text == "/bye" and closing.headers.get("connection") == "close"


class Counted(asyncio.Transport):
    """The socket's transport, counting the writes that reach it."""

    writes: ClassVar[list[bytes]] = []

    def __init__(self, transport: asyncio.Transport) -> None:
        super().__init__()
        self.inner = transport

    def write(self, data: Any) -> None:
        Counted.writes.append(bytes(data))
        self.inner.write(data)

    def close(self) -> None:
        self.inner.close()

    def abort(self) -> None:
        self.inner.abort()

    def is_closing(self) -> bool:
        return self.inner.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.inner.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self.inner.pause_reading()

    def resume_reading(self) -> None:
        self.inner.resume_reading()

    def get_write_buffer_size(self) -> int:
        return self.inner.get_write_buffer_size()


class CountedCoalescing(CoalescingHttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(Counted(transport))


class CountedStock(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(Counted(transport))


@pytest.mark.parametrize(("protocol", "writes"), [(CountedCoalescing, 1), (CountedStock, 2)])
def test_one_socket_write_per_response_where_uvicorn_makes_two(
    protocol: type[HttpToolsProtocol], writes: int
) -> None:
    body = b"x" * 2000
    request = (
        f"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    )
    with serving(protocol) as port, socket.create_connection(("127.0.0.1", port)) as client:
        Counted.writes.clear()
        client.sendall(request)
        client.settimeout(5)
        received = b""
        while not received.endswith(body):
            received += client.recv(65536)
        assert received.startswith(b"HTTP/1.1 200 OK")
        assert len(Counted.writes) == writes
        assert b"".join(Counted.writes) == received


def test_serve_uses_it_and_falls_back_to_uvicorns_pick_without_it(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from flowbot.server.main import http_protocol

    assert http_protocol() is CoalescingHttpToolsProtocol
    # as if a uvicorn release had moved its httptools protocol away
    monkeypatch.setitem(sys.modules, "flowbot.server.protocol", None)
    assert http_protocol() == "auto"
    assert "uvicorn's default" in caplog.text
