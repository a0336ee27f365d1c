"""The `fetch` node's HTTP: httpx, every request and every redirect hop through the address guard.

`GuardedHttp.request` parses the URI (http and https only, no user name or
password in it), asks the `AddressGuard` for the addresses the host may be
reached at, and connects to the address it checked, never to the name: the
request's URL names the address, its `Host` header the host as written, and
for https the name travels as httpcore's `sni_hostname` extension, so the TLS
server name and the certificate check still use the name. The name is
looked up once per hop, by the guard; a DNS answer that changes before the
connection is made (rebinding) is never asked for.

Redirects are followed here, at most five, each hop checked again; 301, 302
(for a POST) and 303 turn the request into a GET as browsers do. One request,
its redirects and its body together get 10 s; the body is read at most 1 MiB
(decoded), then the request fails. Any failure raises `FetchError`, whose
message the node puts in `fetch.error`; an answer with any status, 4xx and
5xx too, is returned (the node decides what it means).

The client is passed in: `GuardedHttp.default_client()` builds the one to
use. Its transport keeps one connection pool per TLS server name
(`PerNameTransport`): httpcore pools connections by scheme, address and port,
so on a plain transport an https connection opened (and its certificate
checked) for one name would be reused for a request to another name served
at the same address, that name's certificate never checked. It keeps no
cookies (a cookie one visitor's fetch receives must not go out with
another's) and reads no proxy settings from the environment.
"""

from __future__ import annotations

import asyncio
import codecs
import http.cookiejar
import ipaddress
import json
import re
import ssl
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

import httpx

from flowbot.engine.ports import HttpRequest, HttpResponse
from flowbot.integrations.guard import AddressGuard, AddressRefused

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_REDIRECTS",
    "DEFAULT_TIMEOUT",
    "METHODS",
    "FetchError",
    "FetchRefused",
    "GuardedHttp",
    "PerNameTransport",
]

METHODS: Final = ("GET", "POST", "PUT", "DELETE")
DEFAULT_TIMEOUT: Final = 10.0  # seconds for one request: lookups, connects, redirects and body
DEFAULT_MAX_BYTES: Final = 1 << 20  # 1 MiB of (decoded) response body
DEFAULT_MAX_REDIRECTS: Final = 5

_BODY_METHODS: Final = frozenset({"POST", "PUT", "DELETE"})  # a GET's body is not sent
_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_JSON: Final = "application/json"
_FORM: Final = "application/x-www-form-urlencoded"
# never taken from the bot file: the connection's own (RFC 9110 §7.6.1) and the ones set here
_DROPPED: Final = frozenset(
    {
        "connection",
        "content-length",
        "host",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_CROSS_ORIGIN_DROPPED: Final = frozenset({"authorization", "cookie"})
_TOKEN: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_CONTROL: Final = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_HOST_NAME: Final = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?")
_DEFAULT_HEADERS: Final = (
    ("Accept", "application/json, text/plain, */*"),
    ("User-Agent", "flowbot"),
)


class FetchError(Exception):
    """A request that failed; the message is for the bot builder (it becomes `fetch.error`)."""


class FetchRefused(FetchError):
    """A request not sent: its method, URI or address is not one a bot may use."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"fetch refused: {reason}")


def _size(count: int) -> str:
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale and count % scale == 0:
            return f"{count // scale} {unit}"
    return f"{count} bytes"


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__


@dataclass(frozen=True, slots=True)
class _Target:
    """A URI checked for its form (not yet for its address)."""

    url: httpx.URL  # as written: redirects are joined to it
    host: str  # ASCII (IDNA) host; an IPv6 address without brackets
    port: int

    @property
    def https(self) -> bool:
        return self.url.scheme == "https"

    @property
    def authority(self) -> str:
        """The `Host` header: the host as written, with its port unless the default one."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == (443 if self.https else 80) else f"{host}:{self.port}"

    def same_origin(self, other: _Target) -> bool:
        return (self.url.scheme, self.host, self.port) == (other.url.scheme, other.host, other.port)


def _target(uri: str | httpx.URL) -> _Target:
    try:
        url = httpx.URL(uri)
    except (httpx.InvalidURL, TypeError, ValueError) as error:
        raise FetchRefused(f"malformed URI ({_describe(error)})") from None
    scheme = url.scheme
    if scheme not in ("http", "https"):
        what = f"{scheme}:" if scheme else "a URI without a scheme"
        raise FetchRefused(f"only http and https URIs can be fetched, not {what}")
    if url.userinfo:
        raise FetchRefused(
            "a user name or password in the URI is not allowed (send an Authorization header)"
        )
    try:
        host = url.raw_host.decode("ascii")
    except UnicodeDecodeError:
        raise FetchRefused("malformed URI (its host is not ASCII)") from None
    if not host:
        raise FetchRefused("the URI has no host")
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise FetchRefused(f"malformed URI (bad IPv6 address {host!r})") from None
    elif not _HOST_NAME.fullmatch(host):
        raise FetchRefused(f"malformed URI (bad host {host!r})")
    port = url.port if url.port is not None else (443 if scheme == "https" else 80)
    if not 0 < port < 65536:
        raise FetchRefused(f"malformed URI (bad port {port})")
    return _Target(url, host, port)


def _outgoing_headers(given: Mapping[str, str]) -> list[tuple[str, str]]:
    """The bot file's headers, less those of the connection and those set here."""
    listed = {
        token.strip().lower()
        for name, value in given.items()
        if str(name).strip().lower() == "connection"
        for token in str(value).split(",")
    }
    headers: list[tuple[str, str]] = []
    for raw_name, raw_value in given.items():
        name = str(raw_name).strip()
        if not name:
            continue
        if not _TOKEN.fullmatch(name):
            raise FetchRefused(f"{name!r} is not a valid header name")
        if name.lower() in _DROPPED or name.lower() in listed:
            continue
        value = str(raw_value).strip(" \t")
        if _CONTROL.search(value):
            raise FetchRefused(f"the {name} header has a line break or control character")
        headers.append((name, value))
    return headers


def _has(headers: list[tuple[str, str]], name: str) -> bool:
    return any(key.lower() == name for key, _ in headers)


def _form_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _encode_body(method: str, content_type: str | None, body: Any) -> tuple[bytes | None, str]:
    """The bytes to send and their Content-Type ("" for none)."""
    if method not in _BODY_METHODS or body is None or body == "":
        return None, ""
    if content_type == "x-www-form-urlencoded":
        if isinstance(body, str):
            return body.encode("utf-8"), _FORM
        if isinstance(body, Mapping):
            pairs: list[tuple[str, str]] = []
            for key, value in body.items():
                items = value if isinstance(value, list) else [value]
                pairs.extend((str(key), _form_value(item)) for item in items)
            return urlencode(pairs).encode("ascii"), _FORM
        raise FetchRefused("an x-www-form-urlencoded body must be text or an object")
    if isinstance(body, str):  # sent as written: JSON text for "json"
        return body.encode("utf-8"), "" if content_type is None else _JSON
    try:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise FetchRefused(f"the body cannot be sent as JSON ({error})") from None
    return text.encode("utf-8"), _JSON


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _decode(body: bytes, charset: str | None) -> Any:
    """The body's JSON value when it is JSON, else its text."""
    encoding = charset or "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "utf-8"
    text = body.decode(encoding, errors="replace").removeprefix("\ufeff")
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return text


class GuardedHttp:
    """`HttpPort` for the `fetch` node: httpx behind the address guard.

    `client` should come from `GuardedHttp.default_client()` (its owner closes
    it); a client of one's own must not follow redirects itself, keep
    cookies, or sit on a transport other than httpx's own (which honours
    `sni_hostname`).
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        guard: AddressGuard,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = DEFAULT_MAX_REDIRECTS,
    ) -> None:
        self.client = client
        self.guard = guard
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects

    @staticmethod
    def default_client(
        *,
        verify: ssl.SSLContext | bool = True,
        max_pools: int = 64,
        limits: httpx.Limits | None = None,
    ) -> httpx.AsyncClient:
        """The client to build `GuardedHttp` on (see the module's docstring); close it when done."""
        return httpx.AsyncClient(
            transport=PerNameTransport(verify=verify, max_pools=max_pools, limits=limits),
            follow_redirects=False,
            trust_env=False,
            cookies=http.cookiejar.CookieJar(
                policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[])
            ),
            timeout=DEFAULT_TIMEOUT,
        )

    async def request(self, request: HttpRequest) -> HttpResponse:
        method = request.method.strip().upper()
        if method not in METHODS:
            raise FetchRefused(
                f"method {request.method!r} is not supported (use GET, POST, PUT or DELETE)"
            )
        target = _target(request.uri)
        headers = _outgoing_headers(request.headers)
        content, content_type = _encode_body(method, request.content_type, request.body)
        if content_type and not _has(headers, "content-type"):
            headers.append(("Content-Type", content_type))
        headers += [pair for pair in _DEFAULT_HEADERS if not _has(headers, pair[0].lower())]
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(method, target, headers, content)
        except (TimeoutError, httpx.TimeoutException):
            raise FetchError(f"timed out after {self.timeout:g} s") from None

    async def _exchange(
        self, method: str, target: _Target, headers: list[tuple[str, str]], content: bytes | None
    ) -> HttpResponse:
        redirects = 0
        while True:
            response = await self._send(method, target, headers, content)
            location = response.headers.get("location")
            if response.status_code not in _REDIRECTS or not location:
                try:
                    return await self._read(response, target)
                finally:
                    await response.aclose()
            await response.aclose()
            if redirects == self.max_redirects:
                raise FetchError(f"too many redirects (more than {self.max_redirects})")
            redirects += 1
            try:
                joined = target.url.join(location.strip())
            except (httpx.InvalidURL, TypeError, ValueError) as error:
                raise FetchRefused(f"redirected to a malformed URI ({_describe(error)})") from None
            following = _target(joined)
            status = response.status_code
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, content = "GET", None
                headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
            upgrade = (
                target.url.scheme == "http"
                and following.https
                and target.host == following.host
                and (target.port, following.port) == (80, 443)
            )
            if not (target.same_origin(following) or upgrade):
                headers = [(k, v) for k, v in headers if k.lower() not in _CROSS_ORIGIN_DROPPED]
            target = following

    async def _send(
        self, method: str, target: _Target, headers: list[tuple[str, str]], content: bytes | None
    ) -> httpx.Response:
        """One hop: the guard's one lookup, then a connection to an address it checked."""
        try:
            addresses = await self.guard.resolve(target.host, target.port)
        except AddressRefused as error:
            raise FetchRefused(str(error)) from None
        extensions: dict[str, Any] = {"timeout": httpx.Timeout(self.timeout).as_dict()}
        if target.https:  # TLS: the name's server name and certificate, at the address
            extensions["sni_hostname"] = target.host.rstrip(".")
        failure: BaseException | None = None
        for address in addresses:
            try:
                ipaddress.ip_address(address.split("%", 1)[0])  # an address, never a name again
                pinned = target.url.copy_with(host=address)
            except (ValueError, httpx.InvalidURL) as error:
                failure = error
                continue
            outgoing = httpx.Request(
                method,
                pinned,
                headers=[
                    (name.encode("ascii"), value.encode("utf-8"))
                    for name, value in [*headers, ("Host", target.authority)]
                ],
                content=content,
                extensions=extensions,
            )
            try:
                return await self.client.send(
                    outgoing, stream=True, follow_redirects=False, auth=None
                )
            except httpx.ConnectError as error:  # the next address, if any
                failure = error
            except httpx.TimeoutException:
                raise
            except httpx.HTTPError as error:
                raise FetchError(f"{target.authority}: {_describe(error)}") from None
        detail = f": {_describe(failure)}" if failure is not None else ""
        raise FetchError(f"could not connect to {target.authority}{detail}")

    async def _read(self, response: httpx.Response, target: _Target) -> HttpResponse:
        over = f"response over {_size(self.max_bytes)}"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FetchError(over)
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_bytes:
                    raise FetchError(over)
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise
        except httpx.HTTPError as error:
            raise FetchError(f"{target.authority}: {_describe(error)}") from None
        return HttpResponse(
            response.status_code, _decode(b"".join(chunks), response.charset_encoding)
        )


@dataclass(slots=True)
class _Pool:
    transport: httpx.AsyncHTTPTransport
    active: int = 0  # responses not yet closed


class _Tracked(httpx.AsyncByteStream):
    """A response body that tells its pool when it is closed."""

    def __init__(self, stream: httpx.AsyncByteStream, pool: _Pool) -> None:
        self._stream = stream
        self._pool: _Pool | None = pool

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.active -= 1
        await self._stream.aclose()


class PerNameTransport(httpx.AsyncBaseTransport):
    """httpx's own transport, one connection pool per TLS server name (`sni_hostname`).

    Plain http shares one pool (an address is all there is to it). Past
    `max_pools` names, the least recently used idle pools are closed.
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | bool = True,
        max_pools: int = 64,
        limits: httpx.Limits | None = None,
    ) -> None:
        self._ssl = (
            verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify)
        )
        self._limits = limits or httpx.Limits(
            max_connections=32, max_keepalive_connections=8, keepalive_expiry=5.0
        )
        self._max_pools = max_pools
        self._pools: OrderedDict[str, _Pool] = OrderedDict()

    def pool_names(self) -> list[str]:
        """The server names with a pool, least recently used first ("" is plain http's)."""
        return list(self._pools)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        name = request.extensions.get("sni_hostname") if request.url.scheme == "https" else None
        key = str(name or request.url.host) if request.url.scheme == "https" else ""
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = _Pool(
                httpx.AsyncHTTPTransport(verify=self._ssl, limits=self._limits, trust_env=False)
            )
            await self._trim(keep=key)
        else:
            self._pools.move_to_end(key)
        pool.active += 1
        try:
            response = await pool.transport.handle_async_request(request)
        except BaseException:
            pool.active -= 1
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Tracked(response.stream, pool)
        return response

    async def _trim(self, keep: str) -> None:
        excess = len(self._pools) - self._max_pools
        if excess <= 0:
            return
        idle = [k for k, pool in self._pools.items() if pool.active == 0 and k != keep][:excess]
        closing = [self._pools.pop(key) for key in idle]
        for pool in closing:
            await pool.transport.aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.transport.aclose()
