"""GuardedHttp against real servers on 127.0.0.1: requests, redirects, limits, and the SSRF guard.

Every server records the requests it gets: a refused fetch must leave no trace.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import (
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from flowbot.engine.ports import HttpRequest, HttpResponse
from flowbot.integrations import AddressGuard, FetchError, FetchRefused, GuardedHttp
from flowbot.integrations.http import PerNameTransport
from server.support import free_port, uvicorn_server

MiB = 1 << 20


@dataclass
class Site:
    """A live test server: its port and every request it got."""

    port: int
    hits: list[str] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    @property
    def allow(self) -> str:
        return f"127.0.0.1:{self.port}"


def _app(site: Site) -> ASGIApp:
    async def echo(request: Request) -> Response:
        body = await request.body()
        return JSONResponse(
            {
                "method": request.method,
                "body": body.decode(),
                "headers": dict(request.headers),
                "query": dict(request.query_params),
            }
        )

    async def json_answer(request: Request) -> Response:
        return JSONResponse({"pokemon": ["pikachu", "eevee"], "count": 2})

    async def text(request: Request) -> Response:
        return PlainTextResponse("안녕, world")

    async def latin1(request: Request) -> Response:
        return Response("café".encode("latin-1"), media_type="text/plain; charset=iso-8859-1")

    async def raw(request: Request) -> Response:
        body = request.query_params["body"].encode()
        return Response(body, media_type=request.query_params.get("type", "text/plain"))

    async def set_cookie(request: Request) -> Response:
        return PlainTextResponse("ok", headers={"Set-Cookie": "session=visitor-a; Path=/"})

    async def deep(request: Request) -> Response:
        return Response(b"[" * 200_000, media_type="application/json")

    async def bad_utf8(request: Request) -> Response:
        return Response(b"ok \xff\xfe", media_type="text/plain; charset=utf-8")

    async def status(request: Request) -> Response:
        code = int(request.path_params["code"])
        return JSONResponse({"error": "nope", "code": code}, status_code=code)

    async def hops(request: Request) -> Response:
        left = int(request.path_params["left"])
        if left == 0:
            return JSONResponse({"arrived": True})
        return RedirectResponse(f"/hops/{left - 1}", status_code=302)

    async def go(request: Request) -> Response:
        code = int(request.query_params.get("code", "302"))
        return RedirectResponse(request.query_params["to"], status_code=code)

    async def big(request: Request) -> Response:
        size = int(request.query_params["size"])

        async def chunks() -> AsyncIterator[bytes]:
            left = size
            while left > 0:
                yield b"x" * min(left, 65536)
                left -= 65536

        if request.query_params.get("declared"):
            return Response(b"x" * size, media_type="text/plain")
        return StreamingResponse(chunks(), media_type="text/plain")

    async def slow(request: Request) -> Response:
        await site.release.wait()
        return PlainTextResponse("late")

    async def trickle(request: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(400):
                if site.release.is_set():
                    return
                yield b"."
                await asyncio.sleep(0.02)

        return StreamingResponse(chunks(), media_type="text/plain")

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH"]
    app = Starlette(
        routes=[
            Route("/echo", echo, methods=methods),
            Route("/json", json_answer),
            Route("/text", text),
            Route("/latin1", latin1),
            Route("/raw", raw),
            Route("/bad-utf8", bad_utf8),
            Route("/deep", deep),
            Route("/set-cookie", set_cookie),
            Route("/status/{code}", status, methods=methods),
            Route("/hops/{left}", hops),
            Route("/go", go, methods=methods),
            Route("/big", big),
            Route("/slow", slow),
            Route("/trickle", trickle),
        ]
    )

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            site.hits.append(scope["path"])
        await app(scope, receive, send)

    return recording


# one server for the module (starting and stopping uvicorn costs about 0.2 s)
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def server() -> AsyncIterator[Site]:
    holder = Site(port=0)
    async with uvicorn_server(_app(holder)) as base:  # type: ignore[arg-type]
        holder.port = int(base.rsplit(":", 1)[1])
        yield holder
        holder.release.set()


@pytest_asyncio.fixture(loop_scope="module")
async def site(server: Site) -> AsyncIterator[Site]:
    server.hits.clear()
    server.release = asyncio.Event()
    try:
        yield server
    finally:
        server.release.set()


@pytest_asyncio.fixture(loop_scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with GuardedHttp.default_client() as http_client:
        yield http_client


class FakeDNS:
    """A resolver answering from a table; a list of answers is used up one lookup at a time."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.answers:
            raise OSError(f"[Errno -2] {host}: Name or service not known")
        answers = self.answers[host]
        return answers.pop(0) if len(answers) > 1 else answers[0]


def get(uri: str, **fields: Any) -> HttpRequest:
    return HttpRequest("GET", uri, **fields)


def guarded(
    client: httpx.AsyncClient, *allow: str, resolver: FakeDNS | None = None, **options: Any
) -> GuardedHttp:
    return GuardedHttp(client, AddressGuard(allow=allow, resolver=resolver), **options)


# --- requests and answers ---------------------------------------------------------------


async def test_get_json(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow)
    response = await http.request(get(site.url("/json")))
    assert response == HttpResponse(200, {"pokemon": ["pikachu", "eevee"], "count": 2})


async def test_get_sends_headers_as_given_and_no_body(
    site: Site, client: httpx.AsyncClient
) -> None:
    http = guarded(client, site.allow)
    response = await http.request(
        get(site.url("/echo?q=1"), headers={"X-Api-Key": "secret"}, body="ignored")
    )
    assert response.data["method"] == "GET"
    assert response.data["body"] == ""
    assert response.data["query"] == {"q": "1"}
    headers = response.data["headers"]
    assert headers["x-api-key"] == "secret"
    assert headers["host"] == f"127.0.0.1:{site.port}"
    assert headers["user-agent"] == "flowbot"
    assert "cookie" not in headers


async def test_post_json_text_body_sent_as_written(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow)
    body = '{"count": 3 , "name":"피카츄"}'
    response = await http.request(
        HttpRequest("POST", site.url("/echo"), content_type="json", body=body)
    )
    assert response.data["method"] == "POST"
    assert response.data["body"] == body
    assert response.data["headers"]["content-type"] == "application/json"
    assert response.data["headers"]["content-length"] == str(len(body.encode()))


async def test_post_json_object_body_serialized(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow)
    body: Any = {"query": {"text": "안녕"}, "n": [1, 2.5, None, True]}
    request = HttpRequest("POST", site.url("/echo"), content_type="json", body=body)
    response = await http.request(request)
    assert json.loads(response.data["body"]) == body
    assert response.data["headers"]["content-type"] == "application/json"


async def test_bot_content_type_header_wins(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow)
    headers = {"Content-Type": "application/json; charset=utf-8"}
    response = await http.request(
        HttpRequest("POST", site.url("/echo"), headers, content_type="json", body="{}")
    )
    assert response.data["headers"]["content-type"] == "application/json; charset=utf-8"


async def test_form_bodies(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow)
    form = "x-www-form-urlencoded"
    response = await http.request(
        HttpRequest("POST", site.url("/echo"), content_type=form, body="a=1&b=%ED%94%BC")
    )
    assert response.data["body"] == "a=1&b=%ED%94%BC"
    assert response.data["headers"]["content-type"] == "application/x-www-form-urlencoded"
    body: Any = {"name": "피카 츄", "tags": ["a", "b"], "ok": True, "none": None, "n": 2.0}
    response = await http.request(
        HttpRequest("POST", site.url("/echo"), content_type=form, body=body)
    )
    assert response.data["body"] == (
        "name=%ED%94%BC%EC%B9%B4+%EC%B8%84&tags=a&tags=b&ok=true&none=&n=2"
    )
    with pytest.raises(FetchRefused, match="must be text or an object"):
        await http.request(HttpRequest("POST", site.url("/echo"), content_type=form, body=[1]))  # type: ignore[arg-type]


async def test_text_body_without_content_type(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow)
    response = await http.request(HttpRequest("POST", site.url("/echo"), body="plain words"))
    assert response.data["body"] == "plain words"
    assert "content-type" not in response.data["headers"]


async def test_put_and_delete(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow)
    put = await http.request(HttpRequest("put", site.url("/echo"), content_type="json", body="[1]"))
    assert (put.data["method"], put.data["body"]) == ("PUT", "[1]")
    delete = await http.request(HttpRequest("DELETE", site.url("/echo")))
    assert (delete.data["method"], delete.data["body"]) == ("DELETE", "")


@pytest.mark.parametrize("method", ["PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "BREW"])
async def test_other_methods_refused(site: Site, client: httpx.AsyncClient, method: str) -> None:
    http = guarded(client, site.allow)
    with pytest.raises(FetchRefused, match=r"not supported \(use GET, POST, PUT or DELETE\)"):
        await http.request(HttpRequest(method, site.url("/echo")))
    assert site.hits == []


async def test_host_and_hop_by_hop_headers_not_taken(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow)
    headers = {
        "Host": "evil.example",
        "Connection": "close, X-Drop-Me",
        "X-Drop-Me": "1",
        "Keep-Alive": "timeout=5",
        "Transfer-Encoding": "chunked",
        "Upgrade": "h2c",
        "TE": "trailers",
        "Proxy-Authorization": "Basic eA==",
        "Content-Length": "999",
        "X-Kept": "yes",
    }
    response = await http.request(
        HttpRequest("POST", site.url("/echo"), headers, content_type="json", body="{}")
    )
    seen = response.data["headers"]
    assert seen["host"] == f"127.0.0.1:{site.port}"
    assert seen["x-kept"] == "yes"
    assert seen["content-length"] == "2"
    for name in ("x-drop-me", "keep-alive", "transfer-encoding", "upgrade", "te"):
        assert name not in seen
    assert "proxy-authorization" not in seen


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X-Evil": "a\r\nHost: evil"}, "line break"),
        ({"Bad Name": "x"}, "not a valid header name"),
        ({"X:Y": "x"}, "not a valid header name"),
    ],
)
async def test_bad_headers_refused(
    site: Site, client: httpx.AsyncClient, headers: dict[str, str], message: str
) -> None:
    http = guarded(client, site.allow)
    with pytest.raises(FetchRefused, match=message):
        await http.request(get(site.url("/echo"), headers=headers))
    assert site.hits == []


async def test_text_answers(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow)
    assert await http.request(get(site.url("/text"))) == HttpResponse(200, "안녕, world")
    assert (await http.request(get(site.url("/latin1")))).data == "café"
    assert (await http.request(get(site.url("/bad-utf8")))).data == "ok \ufffd\ufffd"
    # JSON text is JSON whatever the type says; NaN and a bare word are not
    raw = site.url("/raw?body=")
    assert (await http.request(get(raw + "%5B1%2C2%5D"))).data == [1, 2]
    assert (await http.request(get(raw + "42"))).data == 42
    assert (await http.request(get(raw + "NaN"))).data == "NaN"
    assert (await http.request(get(raw + "hello"))).data == "hello"
    assert (await http.request(get(raw))).data == ""
    broken = await http.request(get(raw + "%7Bnope&type=application/json"))
    assert broken.data == "{nope"


async def test_deep_json_is_text_not_a_crash(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow)
    deep = "[" * 200_000
    response = await http.request(get(site.url("/deep")))
    assert response.data == deep


@pytest.mark.parametrize("code", [301, 400, 404, 500, 503])
async def test_non_2xx_returned_with_data(site: Site, client: httpx.AsyncClient, code: int) -> None:
    http = guarded(client, site.allow)
    response = await http.request(get(site.url(f"/status/{code}")))
    assert response == HttpResponse(code, {"error": "nope", "code": code})


# --- redirects --------------------------------------------------------------------------


async def test_redirects_followed(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow)
    response = await http.request(get(site.url("/hops/5")))
    assert response == HttpResponse(200, {"arrived": True})
    assert site.hits == [f"/hops/{n}" for n in (5, 4, 3, 2, 1, 0)]


async def test_six_redirects_refused(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow)
    with pytest.raises(FetchError, match=r"too many redirects \(more than 5\)"):
        await http.request(get(site.url("/hops/6")))
    assert site.hits == [f"/hops/{n}" for n in (6, 5, 4, 3, 2, 1)]


@pytest.mark.parametrize(
    ("code", "method", "body"),
    [
        (303, "GET", ""),
        (301, "GET", ""),
        (302, "GET", ""),
        (307, "POST", "{}"),
        (308, "POST", "{}"),
    ],
)
async def test_post_redirected(
    site: Site, client: httpx.AsyncClient, code: int, method: str, body: str
) -> None:
    http = guarded(client, site.allow)
    request = HttpRequest(
        "POST", site.url(f"/go?to=/echo&code={code}"), content_type="json", body="{}"
    )
    response = await http.request(request)
    assert (response.data["method"], response.data["body"]) == (method, body)
    assert ("content-type" in response.data["headers"]) is (method == "POST")


async def test_put_kept_on_302_but_not_on_303(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow)
    put = HttpRequest("PUT", site.url("/go?to=/echo&code=302"), content_type="json", body="[]")
    assert (await http.request(put)).data["method"] == "PUT"
    put = HttpRequest("PUT", site.url("/go?to=/echo&code=303"), content_type="json", body="[]")
    assert (await http.request(put)).data["method"] == "GET"


async def test_redirect_to_another_host_drops_credentials(
    site: Site, client: httpx.AsyncClient
) -> None:
    dns = FakeDNS({"api.test": [["127.0.0.1"]], "other.test": [["127.0.0.1"]]})
    http = guarded(client, f"api.test:{site.port}", f"other.test:{site.port}", resolver=dns)
    secret = {"Authorization": "Bearer s3cret", "Cookie": "a=1", "X-Other": "kept"}
    same = await http.request(get(site.url("/go?to=/echo", host="api.test"), headers=secret))
    assert same.data["headers"]["authorization"] == "Bearer s3cret"
    assert same.data["headers"]["host"] == f"api.test:{site.port}"
    elsewhere = f"http://other.test:{site.port}/echo"
    moved = await http.request(
        get(site.url(f"/go?to={elsewhere}", host="api.test"), headers=secret)
    )
    seen = moved.data["headers"]
    assert "authorization" not in seen and "cookie" not in seen
    assert seen["x-other"] == "kept"
    assert seen["host"] == f"other.test:{site.port}"


async def test_redirect_without_location_is_the_answer(
    site: Site, client: httpx.AsyncClient
) -> None:
    http = guarded(client, site.allow)
    assert (await http.request(get(site.url("/status/302")))).status_code == 302


# --- limits -----------------------------------------------------------------------------


async def test_one_mib_read_and_more_refused(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow)
    exactly = await http.request(get(site.url(f"/big?size={MiB}")))
    assert len(exactly.data) == MiB
    with pytest.raises(FetchError, match=r"^response over 1 MiB$"):
        await http.request(get(site.url(f"/big?size={MiB + 1}")))
    with pytest.raises(FetchError, match=r"^response over 1 MiB$"):
        await http.request(get(site.url(f"/big?size={MiB + 1}&declared=1")))


async def test_max_bytes_option(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow, max_bytes=64 * 1024)
    with pytest.raises(FetchError, match=r"^response over 64 KiB$"):
        await http.request(get(site.url("/big?size=70000")))


async def test_slow_answer_times_out(site: Site, client: httpx.AsyncClient) -> None:
    http = guarded(client, site.allow, timeout=0.3)
    started = asyncio.get_running_loop().time()
    with pytest.raises(FetchError, match=r"^timed out after 0.3 s$"):
        await http.request(get(site.url("/slow")))
    assert asyncio.get_running_loop().time() - started < 2


async def test_timeout_is_for_the_whole_request(site: Site, client: httpx.AsyncClient) -> None:
    """A body that keeps trickling in (each read well within the timeout) still times out."""
    http = guarded(client, site.allow, timeout=0.3)
    with pytest.raises(FetchError, match=r"^timed out after 0.3 s$"):
        await http.request(get(site.url("/trickle")))


async def test_default_limits() -> None:
    async with GuardedHttp.default_client() as http_client:
        http = GuardedHttp(http_client, AddressGuard())
        assert (http.timeout, http.max_bytes, http.max_redirects) == (10.0, MiB, 5)
        assert http_client.follow_redirects is False
        assert http_client.trust_env is False


async def test_connection_refused(client: httpx.AsyncClient) -> None:
    port = free_port()
    http = guarded(client, f"127.0.0.1:{port}")
    with pytest.raises(FetchError, match=rf"^could not connect to 127\.0\.0\.1:{port}"):
        await http.request(get(f"http://127.0.0.1:{port}/"))


async def test_next_address_tried_when_one_refuses(site: Site, client: httpx.AsyncClient) -> None:
    dns = FakeDNS({"multi.test": [["127.0.0.2", "127.0.0.1"]]})  # nothing listens on .2
    http = guarded(client, f"multi.test:{site.port}", resolver=dns)
    response = await http.request(get(site.url("/json", host="multi.test")))
    assert response.status_code == 200
    assert dns.calls == ["multi.test"]


async def test_cookies_not_kept(site: Site, client: httpx.AsyncClient) -> None:
    """A cookie one visitor's fetch gets must not go out with the next one's."""
    http = guarded(client, site.allow)
    await http.request(get(site.url("/set-cookie")))
    assert len(client.cookies.jar) == 0
    seen = await http.request(get(site.url("/echo")))
    assert "cookie" not in seen.data["headers"]


# --- the address guard ------------------------------------------------------------------

PRIVATE_URIS = [
    ("http://127.0.0.1:{port}/echo", r"127\.0\.0\.1 is in 127\.0\.0\.0/8"),
    ("http://10.0.0.1:{port}/", r"10\.0\.0\.0/8"),
    ("http://10.20.30.40/", r"10\.0\.0\.0/8"),
    ("http://192.168.1.1/", r"192\.168\.0\.0/16"),
    ("http://172.16.0.1/", r"172\.16\.0\.0/12"),
    ("http://169.254.169.254/latest/meta-data/", r"169\.254\.0\.0/16"),
    ("http://100.64.0.1/", r"100\.64\.0\.0/10"),
    ("http://0.0.0.0:{port}/", r"0\.0\.0\.0/8"),
    ("http://[::1]:{port}/", r"::1/128"),
    ("http://[::]:{port}/", r"::/128"),
    ("http://[::ffff:127.0.0.1]:{port}/", r"embeds 127\.0\.0\.1"),
    ("http://[::ffff:169.254.169.254]/", r"embeds 169\.254\.169\.254"),
    ("http://[64:ff9b::7f00:1]:{port}/", r"embeds 127\.0\.0\.1"),
    ("http://[fd00::1]/", r"fc00::/7"),
    ("http://[fe80::1]/", r"fe80::/10"),
    ("http://2130706433:{port}/", r"2130706433 resolves to 127\.0\.0\.1"),
    ("http://0x7f000001:{port}/", r"0x7f000001 resolves to 127\.0\.0\.1"),
    ("http://127.1:{port}/", r"127\.1 resolves to 127\.0\.0\.1"),
    ("http://0177.0.0.1:{port}/", r"malformed URI"),
    ("http://localhost:{port}/", r"localhost resolves to"),
    ("http://LOCALHOST.:{port}/", r"localhost resolves to"),
    ("https://127.0.0.1:{port}/", r"127\.0\.0\.0/8"),
]


@pytest.mark.parametrize(("template", "reason"), PRIVATE_URIS)
async def test_private_addresses_refused(
    site: Site, client: httpx.AsyncClient, template: str, reason: str
) -> None:
    http = guarded(client)
    with pytest.raises(FetchRefused, match=reason) as refused:
        await http.request(get(template.format(port=site.port)))
    message = str(refused.value)
    assert message.startswith("fetch refused: ")
    if "malformed" not in message:
        assert message.endswith("list it in [fetch] allow to reach it")
    assert site.hits == []


async def test_name_resolving_to_loopback_refused(site: Site, client: httpx.AsyncClient) -> None:
    dns = FakeDNS(
        {"internal.test": [["127.0.0.1"]], "meta.test": [["93.184.215.14", "169.254.169.254"]]}
    )
    http = guarded(client, resolver=dns)
    with pytest.raises(FetchRefused, match=r"internal\.test resolves to 127\.0\.0\.1"):
        await http.request(get(site.url("/echo", host="internal.test")))
    with pytest.raises(FetchRefused, match=r"meta\.test resolves to 169\.254\.169\.254"):
        await http.request(get(site.url("/echo", host="meta.test")))
    assert site.hits == []


async def test_port_allow_entry_does_not_allow_another_port(
    site: Site, client: httpx.AsyncClient
) -> None:
    http = guarded(client, f"127.0.0.1:{site.port + 1}")
    with pytest.raises(FetchRefused, match=r"127\.0\.0\.0/8"):
        await http.request(get(site.url("/echo")))
    assert site.hits == []
    assert (await guarded(client, site.allow).request(get(site.url("/echo")))).status_code == 200


async def test_allow_by_address_does_not_allow_other_spellings(
    site: Site, client: httpx.AsyncClient
) -> None:
    http = guarded(client, site.allow)
    for host in ("localhost", "2130706433", "[::ffff:127.0.0.1]"):
        with pytest.raises(FetchRefused):
            await http.request(get(site.url("/echo", host=host)))
    assert site.hits == []


@pytest.mark.parametrize(
    "target",
    [
        "http://localhost:{port}/echo",
        "http://127.0.0.1:{other}/echo",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/echo",
        "http://2130706433:{port}/echo",
        "file:///etc/passwd",
        "gopher://127.0.0.1:{port}/_GET",
        "http://user@127.0.0.1:{port}/echo",
    ],
)
async def test_allowed_host_redirecting_to_private_refused(
    site: Site, client: httpx.AsyncClient, target: str
) -> None:
    http = guarded(client, site.allow)
    to = target.format(port=site.port, other=site.port + 1)
    with pytest.raises(FetchRefused):
        await http.request(get(site.url(f"/go?to={to}")))
    assert site.hits == ["/go"]


async def test_redirect_rechecked_with_a_fresh_lookup(
    site: Site, client: httpx.AsyncClient
) -> None:
    """Allowed by name at one port, the same name at another port is checked again."""
    dns = FakeDNS({"api.test": [["127.0.0.1"]]})
    http = guarded(client, f"api.test:{site.port}", resolver=dns)
    to = f"http://api.test:{site.port + 1}/echo"
    with pytest.raises(FetchRefused, match=r"api\.test resolves to 127\.0\.0\.1"):
        await http.request(get(site.url(f"/go?to={to}", host="api.test")))
    assert dns.calls == ["api.test", "api.test"]
    assert site.hits == ["/go"]


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("file:///etc/passwd", r"not file:"),
        ("gopher://127.0.0.1:{port}/_GET", r"not gopher:"),
        ("ftp://127.0.0.1:{port}/", r"not ftp:"),
        ("javascript:alert(1)", r"not javascript:"),
        ("//127.0.0.1:{port}/echo", r"without a scheme"),
        ("/echo", r"without a scheme"),
        ("", r"without a scheme"),
        ("http://user@127.0.0.1:{port}/echo", r"user name or password"),
        ("http://user:pw@127.0.0.1:{port}/echo", r"user name or password"),
        ("http://127.0.0.1:{port}@evil.test/", r"user name or password"),
        ("http:///echo", r"no host"),
        ("http://a b/", r"bad host"),
        ("http://[::1/", r"malformed URI"),
        ("http://127.0.0.1:99999/", r"bad port"),
        ("http://127.0.0.1:0/", r"bad port"),
    ],
)
async def test_bad_uris_refused(
    site: Site, client: httpx.AsyncClient, uri: str, message: str
) -> None:
    http = guarded(client, site.allow)
    with pytest.raises(FetchRefused, match=message):
        await http.request(get(uri.format(port=site.port)))
    assert site.hits == []


# --- connecting to the checked address --------------------------------------------------


async def test_connects_to_the_checked_address_not_the_name(
    site: Site, client: httpx.AsyncClient
) -> None:
    """`rebind.test` resolves only through the guard: the request can only have gone to the
    address the guard returned, and the guard looked the name up once."""
    dns = FakeDNS({"rebind.test": [["127.0.0.1"], ["10.9.9.9"]]})
    http = guarded(client, f"rebind.test:{site.port}", resolver=dns)
    response = await http.request(get(site.url("/echo", host="rebind.test")))
    assert response.data["headers"]["host"] == f"rebind.test:{site.port}"
    assert dns.calls == ["rebind.test"]
    assert site.hits == ["/echo"]


async def test_dns_rebinding_gains_nothing() -> None:
    """First answer public, second 127.0.0.1: the one lookup's address is the one connected to."""
    dns = FakeDNS({"rebind.example": [["93.184.215.14"], ["127.0.0.1"]]})
    sent: list[httpx.Request] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"ok": True})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as mock:
        http = GuardedHttp(mock, AddressGuard(resolver=dns))
        response = await http.request(get("https://rebind.example/api?x=1"))
    assert response == HttpResponse(200, {"ok": True})
    assert dns.calls == ["rebind.example"]
    (request,) = sent
    assert request.url == httpx.URL("https://93.184.215.14/api?x=1")
    assert request.headers["host"] == "rebind.example"
    assert request.extensions["sni_hostname"] == "rebind.example"


async def test_dns_rebinding_on_a_redirect_hop_refused() -> None:
    """Each hop is looked up (once) and checked: the second answer, 127.0.0.1, is refused."""
    dns = FakeDNS({"rebind.example": [["93.184.215.14"], ["127.0.0.1"]]})
    sent: list[httpx.Request] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(302, headers={"Location": "/next"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as mock:
        http = GuardedHttp(mock, AddressGuard(resolver=dns))
        with pytest.raises(FetchRefused, match=r"rebind\.example resolves to 127\.0\.0\.1"):
            await http.request(get("http://rebind.example:8080/start"))
    assert dns.calls == ["rebind.example", "rebind.example"]
    assert [str(r.url) for r in sent] == ["http://93.184.215.14:8080/start"]
    assert sent[0].headers["host"] == "rebind.example:8080"
    assert "sni_hostname" not in sent[0].extensions


async def test_ipv6_address_bracketed() -> None:
    dns = FakeDNS({"v6.example": [["2606:4700:4700::1111"]]})
    sent: list[httpx.Request] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, text="ok")

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as mock:
        http = GuardedHttp(mock, AddressGuard(resolver=dns))
        await http.request(get("http://v6.example:81/"))
        await http.request(get("https://[2606:4700:4700::1111]/x"))
    assert str(sent[0].url) == "http://[2606:4700:4700::1111]:81/"
    assert sent[0].headers["host"] == "v6.example:81"
    assert str(sent[1].url) == "https://[2606:4700:4700::1111]/x"
    assert sent[1].headers["host"] == "[2606:4700:4700::1111]"


async def test_idna_host_looked_up_in_ascii() -> None:
    dns = FakeDNS({"xn--bcher-kva.example": [["93.184.215.14"]]})

    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=request.headers["host"])

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as mock:
        http = GuardedHttp(mock, AddressGuard(resolver=dns))
        response = await http.request(get("https://Bücher.example/"))
    assert response.data == "xn--bcher-kva.example"


# --- https: the name for TLS, the address for the connection ----------------------------

# a self-signed certificate for fetch.test (EC P-256, valid 2000-2100)
CERT = """-----BEGIN CERTIFICATE-----
MIIBijCCAS+gAwIBAgIBATAKBggqhkjOPQQDAjAVMRMwEQYDVQQDDApmZXRjaC50
ZXN0MCAXDTAwMDEwMTAwMDAwMFoYDzIxMDAwMTAxMDAwMDAwWjAVMRMwEQYDVQQD
DApmZXRjaC50ZXN0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhDyy+cmms6GZ
Q3woZ35t9FGPnRQy7cAuZI6kh8Wp1t9r70H0oemvnZw1u2bic2XpTbME7XrTfvjI
4GT0Eh1kUqNuMGwwDwYDVR0TAQH/BAUwAwEB/zAVBgNVHREEDjAMggpmZXRjaC50
ZXN0MA4GA1UdDwEB/wQEAwIChDATBgNVHSUEDDAKBggrBgEFBQcDATAdBgNVHQ4E
FgQUS+2z0/a+t4OObtx4RveGvL/L7a4wCgYIKoZIzj0EAwIDSQAwRgIhAI6c5B9a
tksOYoFuIsk26pCSdVhKyEcbC+eUigAmM88yAiEAgMNjCz+VFVyvYiTuUGCMEQU1
Gb5t26EsUUQS9UEXp8c=
-----END CERTIFICATE-----
"""
KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg6NkHhsdpbx0utIeH
Gj8CFCaoREroXFQbmRjqa4K9QgqhRANCAASEPLL5yaazoZlDfChnfm30UY+dFDLt
wC5kjqSHxanW32vvQfSh6a+dnDW7ZuJzZelNswTtetN++MjgZPQSHWRS
-----END PRIVATE KEY-----
"""


@dataclass
class TlsSite:
    port: int
    client_context: ssl.SSLContext
    server_names: list[str | None] = field(default_factory=list)  # SNI of each handshake
    hosts: list[str] = field(default_factory=list)  # Host header of each request


@pytest_asyncio.fixture(loop_scope="module")
async def tls_site(tmp_path: Path) -> AsyncIterator[TlsSite]:
    (tmp_path / "cert.pem").write_text(CERT)
    (tmp_path / "key.pem").write_text(KEY)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    client_context = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
    site = TlsSite(0, client_context)
    server_context.sni_callback = lambda _sock, name, _ctx: site.server_names.append(name)
    writers: set[asyncio.StreamWriter] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                host = next(line[5:].strip() for line in lines if line.lower().startswith("host:"))
                site.hosts.append(host)
                body = json.dumps({"host": host}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    + f"content-length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writers.discard(writer)
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_context)
    site.port = server.sockets[0].getsockname()[1]
    try:
        yield site
    finally:
        server.close()
        for writer in list(writers):
            writer.close()
        await server.wait_closed()
        await asyncio.sleep(0)


async def test_https_uses_the_name_for_tls_and_the_address_to_connect(tls_site: TlsSite) -> None:
    dns = FakeDNS({"fetch.test": [["127.0.0.1"], ["10.9.9.9"]]})
    guard = AddressGuard(allow=[f"fetch.test:{tls_site.port}"], resolver=dns)
    async with GuardedHttp.default_client(verify=tls_site.client_context) as http_client:
        http = GuardedHttp(http_client, guard)
        response = await http.request(get(f"https://fetch.test:{tls_site.port}/"))
    assert response == HttpResponse(200, {"host": f"fetch.test:{tls_site.port}"})
    assert tls_site.server_names == ["fetch.test"]  # SNI: the name, not 127.0.0.1
    assert dns.calls == ["fetch.test"]


async def test_https_trailing_dot_name(tls_site: TlsSite) -> None:
    dns = FakeDNS({"fetch.test": [["127.0.0.1"]]})
    guard = AddressGuard(allow=[f"fetch.test:{tls_site.port}"], resolver=dns)
    async with GuardedHttp.default_client(verify=tls_site.client_context) as http_client:
        http = GuardedHttp(http_client, guard)
        response = await http.request(get(f"https://fetch.test.:{tls_site.port}/"))
    assert response.data == {"host": f"fetch.test.:{tls_site.port}"}
    assert tls_site.server_names == ["fetch.test"]


async def test_https_certificate_checked_against_the_name(tls_site: TlsSite) -> None:
    dns = FakeDNS({"other.test": [["127.0.0.1"]]})
    guard = AddressGuard(allow=[f"other.test:{tls_site.port}"], resolver=dns)
    async with GuardedHttp.default_client(verify=tls_site.client_context) as http_client:
        http = GuardedHttp(http_client, guard)
        with pytest.raises(
            FetchError, match=r"could not connect to other\.test:\d+: .*certificate"
        ):
            await http.request(get(f"https://other.test:{tls_site.port}/"))
    assert tls_site.hosts == []


async def test_https_connection_not_reused_for_another_name(tls_site: TlsSite) -> None:
    """Two names at one address: the second gets its own connection and certificate check."""
    dns = FakeDNS({"fetch.test": [["127.0.0.1"]], "other.test": [["127.0.0.1"]]})
    port = tls_site.port
    guard = AddressGuard(allow=[f"fetch.test:{port}", f"other.test:{port}"], resolver=dns)
    async with GuardedHttp.default_client(verify=tls_site.client_context) as http_client:
        http = GuardedHttp(http_client, guard)
        await http.request(get(f"https://fetch.test:{port}/"))
        await http.request(get(f"https://fetch.test:{port}/again"))  # kept alive, reused
        with pytest.raises(FetchError, match="certificate"):
            await http.request(get(f"https://other.test:{port}/"))
    assert tls_site.server_names == ["fetch.test", "other.test"]
    assert tls_site.hosts == [f"fetch.test:{port}", f"fetch.test:{port}"]


async def test_plain_httpx_transport_would_reuse_it(tls_site: TlsSite) -> None:
    """Why PerNameTransport exists: httpcore pools by address, so `sni_hostname` alone lets
    a request for other.test ride on fetch.test's connection, other.test's certificate never
    checked. (Should httpx ever key its pool by server name, this fails: good news.)"""
    port = tls_site.port
    async with httpx.AsyncClient(verify=tls_site.client_context) as plain:
        for name in ("fetch.test", "other.test"):
            request = httpx.Request(
                "GET",
                f"https://127.0.0.1:{port}/",
                headers={"Host": f"{name}:{port}"},
                extensions={"sni_hostname": name},
            )
            assert (await plain.send(request)).status_code == 200
    assert tls_site.server_names == ["fetch.test"]


async def test_idle_pools_closed_past_max_pools() -> None:
    port = free_port()  # nothing listens: each request fails, its name's pool stays
    transport = PerNameTransport(max_pools=2)
    async with httpx.AsyncClient(transport=transport) as http_client:
        for name in ("a.test", "b.test", "c.test", "b.test", "d.test"):
            request = httpx.Request(
                "GET", f"https://127.0.0.1:{port}/", extensions={"sni_hostname": name}
            )
            with pytest.raises(httpx.ConnectError):
                await http_client.send(request)
        assert transport.pool_names() == ["b.test", "d.test"]
        plain = httpx.Request("GET", f"http://127.0.0.1:{port}/")
        with pytest.raises(httpx.ConnectError):
            await http_client.send(plain)
        assert transport.pool_names() == ["d.test", ""]
