"""The fuzz tests' tools: a bare ASGI client, the app on its own event loop, hostile inputs.

The client builds the ASGI scope by hand, so a request can carry what no
HTTP client would send and no HTTP server would pass on: any header bytes
(non-ASCII, invalid UTF-8), a Content-Length that is not a number or not the
body's length, a body in several chunks.

The strategies make hostile JSON as text, written here rather than by
`json.dumps`: numbers no float holds (1e400, 400-digit integers), strings
with lone surrogates written as escapes ("\\ud800"), NUL characters, nesting
deeper than any parser's recursion limit, and fields of every JSON type.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import strategies as st

from flowbot.config import BotSource, Settings
from flowbot.server import create_app
from flowbot.server.app import FlowbotApp

from .korean_platforms import korean_settings
from .platforms import messenger_settings
from .support import API_KEY, POKEMON, WELCOME

# no request may take longer to be answered: a hang is a failure, not a wait
ANSWER_WITHIN = 30.0
Headers = list[tuple[bytes, bytes]]


@dataclass
class Answer:
    status: int
    headers: Headers
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k.lower() == name), None)

    def json(self) -> Any:
        return json.loads(self.body)


class ErrorLog(logging.Handler):
    """The ERROR records of flowbot's loggers: a 500, a failed background turn."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def take(self) -> list[str]:
        taken = [self.format(record) for record in self.records]
        self.records.clear()
        return taken


@dataclass
class Server:
    """The real app (SQLite in a tmp folder, the Pokémon bot, both messengers, an API key)
    with its lifespan open on an event loop of its own."""

    app: FlowbotApp
    runner: asyncio.Runner
    errors: ErrorLog
    platform_calls: list[httpx.Request] = field(default_factory=list)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: bytes = b"",
        headers: Headers | None = None,
        body: bytes = b"",
        chunks: Sequence[bytes] | None = None,
    ) -> Answer:
        return self.runner.run(
            call(self.app, method, path, query=query, headers=headers, body=body, chunks=chunks)
        )

    def settle(self) -> None:
        """Let the webhooks' background turns (and their platform calls) finish."""

        async def drained() -> None:
            queues = self.app.state.flowbot.outbound.queues
            for _ in range(int(ANSWER_WITHIN / 0.005)):
                if not queues.pending:
                    return
                await asyncio.sleep(0.005)

        self.runner.run(drained())

    def check(self, answer: Answer, what: str) -> None:
        """Answered 2xx or 4xx, and nothing failed on the side."""
        self.settle()
        errors = self.errors.take()
        assert 200 <= answer.status < 500, f"{what} -> {answer.status} {answer.body[:500]!r}"
        assert not errors, f"{what} -> {answer.status}, and the log says:\n" + "\n".join(errors)

    def web_turn(self, user_key: str, token: str | None = None, **fields: Any) -> Answer:
        headers: Headers = [(b"content-type", b"application/json")]
        if token is not None:
            headers.append((b"authorization", f"Bearer {token}".encode()))
        body = json.dumps({"userKey": user_key, **fields}).encode()
        return self.request("POST", "/channels/web/pokemon/messages", headers=headers, body=body)

    def assert_answers_a_normal_turn(self, user_key: str) -> None:
        answer = self.web_turn(user_key)
        assert answer.status == 200, answer
        assert answer.json()["replies"][0]["text"] == WELCOME
        self.check(answer, "a normal web turn")


def api_headers() -> Headers:
    return [
        (b"authorization", f"Bearer {API_KEY}".encode()),
        (b"content-type", b"application/json"),
    ]


def platform(calls: list[httpx.Request]) -> httpx.MockTransport:
    """Facebook's and LINE's APIs, answered in process: no turn's reply leaves."""

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(
            200, json={"recipient_id": "1", "message_id": "m", "sentMessages": []}
        )

    return httpx.MockTransport(answer)


@contextlib.contextmanager
def serve(database: str) -> Iterator[Server]:
    calls: list[httpx.Request] = []
    channels = {
        **messenger_settings("http://127.0.0.1:9", "http://127.0.0.1:9"),
        **korean_settings("http://127.0.0.1:9"),
    }
    settings = Settings(
        bots=[BotSource("pokemon", POKEMON, channels)], database=database, api_key=API_KEY
    )
    app = create_app(settings, platform_transport=platform(calls))
    errors = ErrorLog()
    errors.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    flowbot_logger = logging.getLogger("flowbot")
    flowbot_logger.addHandler(errors)
    with asyncio.Runner() as runner:
        lifespan = app.router.lifespan_context(app)
        runner.run(lifespan.__aenter__())
        try:
            yield Server(app, runner, errors, calls)
        finally:
            runner.run(lifespan.__aexit__(None, None, None))
            flowbot_logger.removeHandler(errors)


async def call(
    app: FlowbotApp,
    method: str,
    path: str,
    *,
    query: bytes = b"",
    headers: Headers | None = None,
    body: bytes = b"",
    chunks: Sequence[bytes] | None = None,
) -> Answer:
    """One request, straight into the ASGI app; an event stream is left after its first chunk."""
    parts = list(chunks) if chunks is not None else [body]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogatepass"),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    status = 0
    answer_headers: Headers = []
    received: list[bytes] = []
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if parts:
            chunk = parts.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(parts)}
        await done.wait()  # the client stays until it has its answer (or a stream's start)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, answer_headers
        if message["type"] == "http.response.start":
            assert status == 0, "two response starts"
            status = message["status"]
            answer_headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            assert status, "a body before the response start"
            received.append(message.get("body", b""))
            if not message.get("more_body", False) or _is_stream(answer_headers):
                done.set()

    try:
        await asyncio.wait_for(app(scope, receive, send), ANSWER_WITHIN)
    except TimeoutError:
        raise AssertionError(f"{method} {path}: no answer in {ANSWER_WITHIN} s") from None
    except Exception as error:  # raised out of the app: whatever it sent, that is a 500
        raise AssertionError(f"{method} {path} raised {error!r}") from error
    assert status, f"{method} {path}: the app returned without answering"
    return Answer(status, answer_headers, b"".join(received))


def _is_stream(headers: Headers) -> bool:
    return any(k == b"content-type" and v.startswith(b"text/event-stream") for k, v in headers)


# --- hostile JSON, as text --------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """JSON text written as it is (a number no float holds, a deep nest)."""

    text: str


def dump(value: Any) -> str:
    """`value` as JSON text: strings ASCII-escaped, so a lone surrogate becomes "\\ud800"."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{dump(str(k))}:{dump(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dump(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=True)


_ODD_CHARACTERS = ["\x00", "\ud800", "\udfff", "\udbff", "\ud83d", "\u2028", "\ufeff", "\x85", " "]
# any code point (lone surrogates included) with those above more often; and plain text,
# so that most values get past the first check and what is behind it is fuzzed too
odd_texts = st.text(
    st.one_of(st.characters(exclude_categories=()), st.sampled_from(_ODD_CHARACTERS)),
    max_size=40,
)
plain_texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=20)


def mostly(usual: st.SearchStrategy[Any], *unusual: st.SearchStrategy[Any], odds: int = 3) -> Any:
    """`usual` `odds` times out of `odds + 1`, else one of `unusual`.

    (Not `st.one_of(usual, usual, …)`: one_of drops repeated strategies.)
    """
    # usual first: hypothesis's simplest choice, which it draws more often than the others
    return st.sampled_from([usual] * odds + [st.one_of(*unusual)]).flatmap(lambda s: s)


texts = mostly(plain_texts, odd_texts, odds=2)
big_numbers = st.one_of(
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**400, -(10**400)]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.from_regex(r"\A-?(0|[1-9][0-9]{0,420})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,5})?\Z").map(Raw),
    st.sampled_from(["1e400", "-1e400", "1e-400", "-0", "0.0e0", "123456789012345678901"]).map(Raw),
)
scalars = st.one_of(st.none(), st.booleans(), big_numbers, texts)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(texts, children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def deep(draw: st.DrawFn, inner: Any = None) -> Raw:
    """Nesting from a few levels to far past any recursion limit."""
    depth = draw(
        st.one_of(
            st.integers(1, 60), st.integers(60, 3_000), st.integers(3_000, 30_000), st.just(200_000)
        )
    )
    opening, closing = draw(st.sampled_from([("[", "]"), ('{"a":', "}"), ('[{"b":', "}]")]))
    middle = dump(inner) if inner is not None else draw(st.sampled_from(["1", "null", '""']))
    return Raw(opening * depth + middle + closing * depth)


def field_value(plausible: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field's value: mostly of its type, sometimes any JSON at all, sometimes very deep."""
    return mostly(plausible, json_values, deep(), odds=6)


def some_of(
    fields: dict[str, st.SearchStrategy[Any]], required: tuple[str, ...] = ()
) -> st.SearchStrategy[dict[str, Any]]:
    """An object with the `required` fields and any subset of the others, each fuzzed."""
    return st.fixed_dictionaries(
        {k: field_value(v) for k, v in fields.items() if k in required},
        optional={k: field_value(v) for k, v in fields.items() if k not in required},
    )


ids = st.one_of(st.integers(-3, 10), texts, st.sampled_from(["1", "2", " 1 ", ""]))


def bodies(shaped: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """What a route may be sent: shaped JSON (fuzzed), any JSON, deep JSON, any bytes."""
    as_text = mostly(
        shaped.map(dump),
        json_values.map(dump),
        deep().map(dump),
        st.builds(deep, shaped).flatmap(lambda s: s).map(dump),
        odds=8,
    )
    encoded = mostly(
        as_text.map(lambda text: text.encode("utf-8", "surrogatepass")),
        st.tuples(as_text, st.sampled_from(["utf-16", "utf-32", "utf-8-sig", "latin-1"])).map(
            lambda pair: (
                pair[0].encode(pair[1], "surrogatepass")
                if pair[1] != "latin-1"
                else pair[0].encode(pair[1], "replace")
            )
        ),
        odds=5,
    )
    return mostly(encoded, st.binary(max_size=200), odds=6)


# --- hostile headers ----------------------------------------------------------------

header_bytes = st.one_of(
    st.binary(max_size=40),
    texts.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.text(st.characters(max_codepoint=255), max_size=40).map(lambda t: t.encode("latin-1")),
)


def content_lengths(body: bytes) -> st.SearchStrategy[bytes | None]:
    real = str(len(body)).encode()
    return mostly(
        st.just(real),
        st.none(),
        st.sampled_from(
            [b"0", b"1", b"-1", b"99999999999999999999999", b"\xb2", b"\xd9\xa3", b" 5", b"5,5"]
        ),
        st.sampled_from([b"\xc2\xb2", b"1e3", b"0x10", b""]),
        header_bytes,
    )


content_types = st.one_of(
    st.none(),
    st.sampled_from(
        [b"application/json", b"application/json; charset=utf-16", b"text/plain", b"\xff\xfe"]
    ),
    header_bytes,
)


def bearer(token: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    return token.map(lambda value: b"Bearer " + value.encode("utf-8", "surrogatepass"))


@st.composite
def headers_for(
    draw: st.DrawFn, body: bytes, authorization: st.SearchStrategy[bytes | None]
) -> Headers:
    headers: Headers = []
    for name, value in (
        (b"authorization", draw(authorization)),
        (b"content-type", draw(content_types)),
        (b"content-length", draw(content_lengths(body))),
    ):
        if value is not None:
            headers.append((name, value))
    if draw(st.booleans()):
        headers.append(
            (draw(st.sampled_from([b"origin", b"x-api-key", b"cookie"])), draw(header_bytes))
        )
    return headers


def chunked(body: bytes) -> st.SearchStrategy[list[bytes]]:
    """The body in one chunk, or cut in a few places."""
    if len(body) < 2:
        return st.just([body])
    cuts = st.lists(st.integers(1, len(body) - 1), max_size=3, unique=True).map(sorted)
    return st.one_of(
        st.just([body]),
        cuts.map(lambda at: [body[i:j] for i, j in zip([0, *at], [*at, len(body)], strict=True)]),
    )
