"""The sandbox's egress proxy on its own: HTTP, CONNECT, https absolute-form, refusals.

Clients are httpx (with `proxy=`) and raw sockets; the origins are Starlette
apps on 127.0.0.1 (one of them speaking TLS as `swapi.dev`, reached through
a test resolver and a rerouted connect, as the sandbox tests do).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from flowbot.integrations import AddressGuard
from flowbot.integrations.sandbox import EgressProxy
from server.support import free_port, uvicorn_server

# A self-signed certificate for swapi.dev (EC P-256, valid 2000-2100, CA:TRUE so that
# it can be its own trust anchor): the fake of https://swapi.dev presents it.
SWAPI_CERT = """-----BEGIN CERTIFICATE-----
MIIBhjCCASygAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAlzd2FwaS5k
ZXYwIBcNMDAwMTAxMDAwMDAwWhgPMjEwMDAxMDEwMDAwMDBaMBQxEjAQBgNVBAMM
CXN3YXBpLmRldjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABDCeFkA3DtGY/c8R
FUFg0zU/1vC+FDFJ1CWjUMc+ZWBWJuOLJxuXuRBWforW+K3JA9hR9O/eZi9wC3J7
UC8Wc0OjbTBrMBQGA1UdEQQNMAuCCXN3YXBpLmRldjAPBgNVHRMBAf8EBTADAQH/
MA4GA1UdDwEB/wQEAwIChDATBgNVHSUEDDAKBggrBgEFBQcDATAdBgNVHQ4EFgQU
JqDes/xHlySEgiW24di9/9Xi+QIwCgYIKoZIzj0EAwIDSAAwRQIhAKYr+xxqzKoP
71LJExIcg4YvgrCTT9FIMqQsXmMFTVs4AiAv4UpEoaDGjAWvAmEDrFOF6gADPuP3
GtYOoXUVPrpDdA==
-----END CERTIFICATE-----
"""
SWAPI_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgLeOdBsiD57LDqhnC
rGYe9bqONJUurEeCeILWqJ4B2W6hRANCAAQwnhZANw7RmP3PERVBYNM1P9bwvhQx
SdQlo1DHPmVgVibjiycbl7kQVn6K1vityQPYUfTv3mYvcAtye1AvFnND
-----END PRIVATE KEY-----
"""
STARSHIPS = [
    {"name": "CR90 corvette", "model": "CR90 corvette", "starship_class": "corvette"},
    {"name": "Star Destroyer", "model": "Imperial I-class", "starship_class": "Star Destroyer"},
    {"name": "Millennium Falcon", "model": "YT-1300", "starship_class": "Light freighter"},
]


@dataclass
class Origin:
    """A fake origin on 127.0.0.1 that records what reaches it."""

    url: str
    port: int
    requests: list[dict[str, object]] = field(default_factory=list)


def origin_app(origin_requests: list[dict[str, object]], status: int = 200) -> Starlette:
    async def starships(request: Request) -> JSONResponse:
        origin_requests.append(
            {
                "path": request.url.path,
                "query": request.url.query,
                "headers": dict(request.headers),
                "body": (await request.body()).decode(),
            }
        )
        if status != 200:
            return JSONResponse({"detail": "Not found"}, status_code=status)
        return JSONResponse({"count": len(STARSHIPS), "next": None, "results": STARSHIPS})

    return Starlette(routes=[Route("/{path:path}", starships, methods=["GET", "POST"])])


@contextlib.asynccontextmanager
async def origin_server() -> AsyncIterator[Origin]:
    requests: list[dict[str, object]] = []
    async with uvicorn_server(origin_app(requests)) as url:
        yield Origin(url, int(url.rsplit(":", 1)[1]), requests)


@contextlib.asynccontextmanager
async def tls_origin_server(tmp: Path, status: int = 200) -> AsyncIterator[Origin]:
    """The fake of https://swapi.dev: TLS with SWAPI_CERT on 127.0.0.1 at a free port."""
    (tmp / "swapi.pem").write_text(SWAPI_CERT)
    (tmp / "swapi.key").write_text(SWAPI_KEY)
    requests: list[dict[str, object]] = []
    port = free_port()
    config = uvicorn.Config(
        origin_app(requests, status),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ssl_certfile=str(tmp / "swapi.pem"),
        ssl_keyfile=str(tmp / "swapi.key"),
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield Origin(f"https://127.0.0.1:{port}", port, requests)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


def swapi_proxy(
    tls_port: int, tmp: Path, upstream_tls: ssl.SSLContext | None = None
) -> EgressProxy:
    """A proxy for which swapi.dev is the local TLS fake: DNS says 127.0.0.1, port 443 → it."""

    async def dns(host: str, port: int) -> list[str]:
        if host == "swapi.dev":
            return ["127.0.0.1"]
        raise OSError(f"{host}: no such host in this test")

    async def connect(address: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if (address, port) == ("127.0.0.1", 443):
            port = tls_port
        return await asyncio.open_connection(address, port)

    (tmp / "swapi.pem").write_text(SWAPI_CERT)
    return EgressProxy(
        AddressGuard(allow=["swapi.dev"], resolver=dns),
        open_connection=connect,
        upstream_tls=upstream_tls or ssl.create_default_context(cafile=str(tmp / "swapi.pem")),
    )


async def raw_exchange(url: str, data: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(data)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    return answer


# --- plain HTTP --------------------------------------------------------------------------


async def test_absolute_form_http_reaches_an_allowed_origin() -> None:
    async with origin_server() as origin:
        proxy = EgressProxy(AddressGuard(allow=[f"127.0.0.1:{origin.port}"]))
        listener = await proxy.listen_tcp()
        try:
            async with httpx.AsyncClient(proxy=listener.url) as client:
                response = await client.get(
                    f"{origin.url}/api/starships?page=1",
                    headers={"Proxy-Authorization": "Basic c2VjcmV0", "X-Bot": "starships"},
                )
        finally:
            await proxy.close()
    assert response.status_code == 200
    assert response.json()["results"] == STARSHIPS
    [seen] = origin.requests
    assert seen["path"] == "/api/starships" and seen["query"] == "page=1"
    headers = seen["headers"]
    assert isinstance(headers, dict)
    assert headers["host"] == f"127.0.0.1:{origin.port}"
    assert headers["x-bot"] == "starships"
    assert headers["connection"] == "close"
    assert "proxy-authorization" not in headers and "proxy-connection" not in headers


async def test_a_request_body_is_forwarded() -> None:
    async with origin_server() as origin:
        proxy = EgressProxy(AddressGuard(allow=[f"127.0.0.1:{origin.port}"]))
        listener = await proxy.listen_tcp()
        try:
            async with httpx.AsyncClient(proxy=listener.url) as client:
                response = await client.post(f"{origin.url}/orders", json={"ship": "Falcon"})
        finally:
            await proxy.close()
    assert response.status_code == 200
    assert origin.requests[0]["body"] == '{"ship":"Falcon"}'


async def test_a_private_address_is_refused_with_the_reason() -> None:
    async with origin_server() as origin:
        proxy = EgressProxy(AddressGuard())  # 127.0.0.1 is not allowed
        listener = await proxy.listen_tcp()
        try:
            async with httpx.AsyncClient(proxy=listener.url) as client:
                response = await client.get(f"{origin.url}/api/starships")
        finally:
            await proxy.close()
    assert response.status_code == 403
    assert "127.0.0.1 is in 127.0.0.0/8, which is not public" in response.text
    assert origin.requests == []


async def test_a_name_that_does_not_resolve_is_refused() -> None:
    async def dns(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    proxy = EgressProxy(AddressGuard(resolver=dns))
    listener = await proxy.listen_tcp()
    try:
        async with httpx.AsyncClient(proxy=listener.url) as client:
            response = await client.get("http://nowhere.example/")
    finally:
        await proxy.close()
    assert response.status_code == 403
    assert "nowhere.example does not resolve" in response.text


async def test_an_unreachable_origin_is_a_bad_gateway() -> None:
    port = free_port()  # nothing listens there
    proxy = EgressProxy(AddressGuard(allow=[f"127.0.0.1:{port}"]))
    listener = await proxy.listen_tcp()
    try:
        async with httpx.AsyncClient(proxy=listener.url) as client:
            response = await client.get(f"http://127.0.0.1:{port}/")
    finally:
        await proxy.close()
    assert response.status_code == 502
    assert f"cannot connect to 127.0.0.1:{port}" in response.text


@pytest.mark.parametrize(
    ("request_head", "expected"),
    [
        (b"GET /api/starships HTTP/1.1\r\nHost: swapi.dev\r\n\r\n", b"expected an absolute"),
        (b"GET ftp://swapi.dev/ HTTP/1.1\r\n\r\n", b"expected an absolute"),
        (b"CONNECT swapi.dev HTTP/1.1\r\n\r\n", b"CONNECT needs host:port"),
        (b"nonsense\r\n\r\n", b"not an HTTP request line"),
        (b"GET http://x/ HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", b"over 64 KB"),
    ],
)
async def test_what_is_not_a_proxy_request_is_a_bad_request(
    request_head: bytes, expected: bytes
) -> None:
    proxy = EgressProxy(AddressGuard())
    listener = await proxy.listen_tcp()
    try:
        assert listener.url is not None
        answer = await raw_exchange(listener.url, request_head)
    finally:
        await proxy.close()
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert expected in answer


# --- HTTPS: CONNECT, and absolute https URLs (axios) -------------------------------------


async def test_connect_tunnels_tls_end_to_end(tmp_path: Path) -> None:
    async with tls_origin_server(tmp_path) as origin:
        proxy = swapi_proxy(origin.port, tmp_path)
        listener = await proxy.listen_tcp()
        verify = ssl.create_default_context(cafile=str(tmp_path / "swapi.pem"))
        try:
            async with httpx.AsyncClient(proxy=listener.url, verify=verify) as client:
                response = await client.get("https://swapi.dev/api/starships")
        finally:
            await proxy.close()
    assert response.status_code == 200
    assert response.json()["results"] == STARSHIPS
    assert origin.requests[0]["headers"]["host"] == "swapi.dev"  # type: ignore[index]


async def test_connect_to_a_refused_address_is_403(tmp_path: Path) -> None:
    proxy = EgressProxy(AddressGuard())
    listener = await proxy.listen_tcp()
    try:
        assert listener.url is not None
        answer = await raw_exchange(
            listener.url, b"CONNECT 169.254.169.254:443 HTTP/1.1\r\nHost: x\r\n\r\n"
        )
    finally:
        await proxy.close()
    assert answer.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert b"169.254.169.254 is in 169.254.0.0/16, which is not public" in answer


async def test_an_absolute_https_url_gets_tls_from_the_proxy(tmp_path: Path) -> None:
    """axios sends `GET https://...` to a plain-HTTP proxy: the proxy makes the TLS hop."""
    async with tls_origin_server(tmp_path) as origin:
        proxy = swapi_proxy(origin.port, tmp_path)
        listener = await proxy.listen_tcp()
        try:
            assert listener.url is not None
            answer = await raw_exchange(
                listener.url,
                b"GET https://swapi.dev/api/starships HTTP/1.1\r\nHost: swapi.dev\r\n\r\n",
            )
        finally:
            await proxy.close()
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Millennium Falcon" in answer


async def test_the_proxy_verifies_the_origin_certificate(tmp_path: Path) -> None:
    async with tls_origin_server(tmp_path) as origin:
        proxy = swapi_proxy(origin.port, tmp_path, upstream_tls=ssl.create_default_context())
        listener = await proxy.listen_tcp()
        try:
            assert listener.url is not None
            answer = await raw_exchange(
                listener.url, b"GET https://swapi.dev/ HTTP/1.1\r\nHost: swapi.dev\r\n\r\n"
            )
        finally:
            await proxy.close()
    assert answer.startswith(b"HTTP/1.1 502 Bad Gateway\r\n")
    assert b"CERTIFICATE_VERIFY_FAILED" in answer
    assert origin.requests == []


# --- listeners ----------------------------------------------------------------------------


async def test_a_unix_listener_serves_the_same(tmp_path: Path) -> None:
    async with origin_server() as origin:
        proxy = EgressProxy(AddressGuard(allow=[f"127.0.0.1:{origin.port}"]))
        await proxy.listen_unix(tmp_path / "egress.sock")
        try:
            reader, writer = await asyncio.open_unix_connection(str(tmp_path / "egress.sock"))
            writer.write(f"GET {origin.url}/api/starships HTTP/1.1\r\n\r\n".encode())
            await writer.drain()
            answer = await asyncio.wait_for(reader.read(), 5)
            writer.close()
        finally:
            await proxy.close()
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert (tmp_path / "egress.sock").stat().st_mode & 0o777 == 0o666


async def test_closing_a_listener_cuts_its_open_tunnels(tmp_path: Path) -> None:
    async with tls_origin_server(tmp_path) as origin:
        proxy = swapi_proxy(origin.port, tmp_path)
        listener = await proxy.listen_tcp()
        assert listener.url is not None
        host, port = listener.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"CONNECT swapi.dev:443 HTTP/1.1\r\n\r\n")
        await writer.drain()
        assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 200")
        assert len(listener.tasks) == 1
        await proxy.release(listener)
        assert await asyncio.wait_for(reader.read(), 2) == b""  # closed by the proxy
        assert listener.tasks == set()
        writer.close()
