"""Several `flowbot serve` processes on one PostgreSQL schema and one Redis key prefix.

The harness of tests/server/test_multiprocess.py:

- `backing()`: a schema and a key prefix of their own on the machine's
  PostgreSQL (127.0.0.1:5432, database `test`) and Redis (127.0.0.1:6379),
  dropped and deleted afterwards; skips the test, naming the service, when
  one does not answer;
- `Flowbot`: one `flowbot serve` subprocess (its own port and log file),
  `cluster()` several of them on one backing, started together;
- `WebUser`, `send_turn`: a web-channel user whose turns go to any of the
  processes and are retried elsewhere, with the same `messageId`, when a
  process is gone or answers 5xx (what a load balancer's retry does);
- `transcript`, `said`: a conversation's transcript through the JSON API.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from coordination.services import delete_prefix, need_postgres, need_redis, unique

from .support import API_KEY, NOT_PICKED, REPO, WELCOME, free_port

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"
AGENT_KEY = "multiprocess-agent-key"
API = {"X-API-Key": API_KEY}
AGENT = {"X-API-Key": AGENT_KEY}
START_SECONDS = 30.0
RETRYABLE = frozenset({500, 502, 503, 504})


# --- PostgreSQL and Redis --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Backing:
    """A PostgreSQL schema and a Redis key prefix no other test uses."""

    schema: str
    prefix: str

    @property
    def database(self) -> str:
        return f"{POSTGRES_URL}?schema={self.schema}"


@contextlib.asynccontextmanager
async def backing(tag: str = "mp") -> AsyncIterator[Backing]:
    await need_postgres()
    await need_redis()
    made = Backing(unique(f"flowbot_{tag}_"), unique(f"flowbot-{tag}-") + ":")
    try:
        yield made
    finally:
        admin = await asyncpg.connect(POSTGRES_URL, timeout=5)
        try:
            await admin.execute(f'DROP SCHEMA IF EXISTS "{made.schema}" CASCADE')
        finally:
            await admin.close()
        await redis_answers(10.0)  # a test that restarted Redis waited for it already
        await delete_prefix(made.prefix)


async def redis_answers(seconds: float) -> None:
    """Wait until Redis answers PING (after a restart)."""
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    deadline = time.monotonic() + seconds
    while True:
        client = Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            if await client.ping():
                return
        except (RedisError, OSError):
            if time.monotonic() > deadline:
                raise
        finally:
            await client.aclose()
        await asyncio.sleep(0.05)


async def schema_exists(schema: str) -> bool:
    admin = await asyncpg.connect(POSTGRES_URL, timeout=5)
    try:
        found = await admin.fetchval(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1", schema
        )
    finally:
        await admin.close()
    return bool(found)


# --- flowbot serve processes -----------------------------------------------------------


def write_config(folder: Path, bots: Mapping[str, Path]) -> Path:
    """A flowbot.toml serving `bots` with the JSON API and the agent routes open."""
    config = folder / "flowbot.toml"
    lines = [f'api_key = "{API_KEY}"', f'agent_key = "{AGENT_KEY}"', "access_log = false"]
    for bot_id, path in bots.items():
        lines += [f"[bots.{bot_id}]", f'path = "{path}"']
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


class Flowbot:
    """One `flowbot serve` subprocess on 127.0.0.1, its output in a log file."""

    def __init__(self, name: str, config: Path, arguments: Sequence[str], log: Path) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.command = [
            sys.executable,
            "-m",
            "flowbot.cli",
            "serve",
            str(config),
            "--port",
            str(self.port),
            *arguments,
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                self.command, cwd=REPO, stdout=output, stderr=subprocess.STDOUT
            )

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def healthy(self, seconds: float = START_SECONDS) -> None:
        """Wait for /healthz to answer 200; the log is the failure message otherwise."""
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient() as client:
            while time.monotonic() < deadline:
                if not self.alive:
                    raise AssertionError(
                        f"{self.name}: `{' '.join(self.command[2:])}` exited "
                        f"({None if self.process is None else self.process.returncode}):\n"
                        f"{self.output()}"
                    )
                with contextlib.suppress(httpx.TransportError):
                    if (await client.get(f"{self.base}/healthz", timeout=2)).status_code == 200:
                        return
                await asyncio.sleep(0.05)
        raise AssertionError(f"{self.name} did not become healthy:\n{self.output()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no lock released, nothing flushed."""
        assert self.process is not None and self.alive, f"{self.name} is not running"
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(15) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def serve_arguments(made: Backing, *, redis: bool = True, workers: int | None = None) -> list[str]:
    arguments = ["--db", made.database]
    if redis:
        arguments += ["--redis", REDIS_URL, "--redis-prefix", made.prefix]
    if workers is not None:
        arguments += ["--workers", str(workers)]
    return arguments


@contextlib.asynccontextmanager
async def cluster(
    folder: Path,
    made: Backing,
    bots: Mapping[str, Path],
    count: int = 2,
    *,
    redis: bool = True,
    workers: int | None = None,
) -> AsyncIterator[list[Flowbot]]:
    """`count` processes on one schema (and Redis prefix), started together, healthy."""
    config = write_config(folder, bots)
    arguments = serve_arguments(made, redis=redis, workers=workers)
    servers = [
        Flowbot(name, config, arguments, folder / f"{name}.log") for name in "ABCDEFGH"[:count]
    ]
    try:
        for server in servers:
            server.start()
        await asyncio.gather(*(server.healthy() for server in servers))
        yield servers
    finally:
        for server in servers:
            server.stop()


# --- web-channel users across processes --------------------------------------------------


@dataclass(slots=True)
class Attempt:
    server: str
    outcome: str  # "200", "503", "ConnectError", ...
    at: float


@dataclass(slots=True)
class Turn:
    """One message a user sent: what it asked, and every attempt until it was answered."""

    text: str
    message_id: str
    attempts: list[Attempt] = field(default_factory=list)
    answer: dict[str, Any] | None = None
    answered_by: str | None = None
    answered_at: float | None = None  # time.monotonic()

    @property
    def took(self) -> float:
        """Seconds from the first attempt to the answer."""
        assert self.answered_at is not None and self.attempts
        return self.answered_at - self.attempts[0].at


class WebUser:
    """A web-channel user of the Pokémon bot (or another), on any of several processes."""

    def __init__(self, user_key: str, bot_id: str = "pokemon") -> None:
        self.user_key = user_key
        self.bot_id = bot_id
        self.token: str | None = None
        self.conversation_id: str | None = None
        self.turns: list[Turn] = []

    def body(self, **fields: Any) -> dict[str, Any]:
        return {"userKey": self.user_key, **fields}

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def post(
        self, client: httpx.AsyncClient, server: Flowbot, **fields: Any
    ) -> httpx.Response:
        return await client.post(
            f"{server.base}/channels/web/{self.bot_id}/messages",
            json=self.body(**fields),
            headers=self.headers(),
        )

    async def open(self, client: httpx.AsyncClient, server: Flowbot) -> dict[str, Any]:
        response = await self.post(client, server)
        assert response.status_code == 200, f"{server.name}: {response.text}"
        return self.took(response.json())

    def took(self, answer: dict[str, Any]) -> dict[str, Any]:
        self.token = answer["token"]
        self.conversation_id = answer["conversationId"]
        return answer


async def send_turn(
    client: httpx.AsyncClient,
    user: WebUser,
    turn: Turn,
    servers: Sequence[Flowbot],
    *,
    pick: Callable[[Sequence[Flowbot]], Flowbot] = random.choice,
    seconds: float = 40.0,
) -> dict[str, Any]:
    """Send `turn` to a process `pick`ed from `servers` until one answers 200.

    A connection error or a 5xx sends the same body (the same `messageId`)
    again, to any process: the picker does not know which one is gone. Any
    other status fails the test.
    """
    deadline = time.monotonic() + seconds
    while True:
        server = pick(servers)
        sent_at = time.monotonic()
        try:
            response = await user.post(client, server, text=turn.text, messageId=turn.message_id)
        except httpx.TransportError as error:
            turn.attempts.append(Attempt(server.name, type(error).__name__, sent_at))
        else:
            turn.attempts.append(Attempt(server.name, str(response.status_code), sent_at))
            if response.status_code == 200:
                turn.answer = user.took(response.json())
                turn.answered_by = server.name
                turn.answered_at = time.monotonic()
                return turn.answer
            assert response.status_code in RETRYABLE, (
                f"{server.name} answered {turn.text!r} with {response.status_code}: {response.text}"
            )
        assert time.monotonic() < deadline, (
            f"{turn.text!r} was not answered in {seconds} s: {turn.attempts}"
        )
        await asyncio.sleep(0.02)  # a retry's back-off, not a synchronisation


@dataclass(slots=True)
class Load:
    """USERS conversations × MESSAGES turns, `concurrency` conversations at a time."""

    users: list[WebUser]
    messages: int
    concurrency: int
    answered: int = 0
    turns_answered: asyncio.Event = field(default_factory=asyncio.Event)
    threshold: int = 0

    @classmethod
    def of(cls, tag: str, users: int, messages: int, concurrency: int) -> Load:
        people = [WebUser(f"{tag}-{n}") for n in range(users)]
        for n, person in enumerate(people):
            person.turns = [
                Turn(f"c{n}-m{k}", f"{tag}-{n}-{k}-{unique('')}") for k in range(messages)
            ]
        return cls(people, messages, concurrency)

    def when_answered(self, count: int) -> asyncio.Event:
        """An event set once `count` turns (of all users) have been answered."""
        self.threshold = count
        return self.turns_answered

    async def open_all(self, client: httpx.AsyncClient, servers: Sequence[Flowbot]) -> None:
        for n, user in enumerate(self.users):
            await user.open(client, servers[n % len(servers)])

    async def run(
        self,
        client: httpx.AsyncClient,
        servers: Sequence[Flowbot],
        *,
        concurrent_turns: Callable[[int], bool] = lambda n: False,
        seconds: float = 40.0,
    ) -> None:
        """Every user's turns; user n's go all at once when `concurrent_turns(n)`."""
        gate = asyncio.Semaphore(self.concurrency)

        async def one(user: WebUser, turn: Turn) -> None:
            answer = await send_turn(client, user, turn, servers, seconds=seconds)
            assert said_texts(answer) == [NOT_PICKED, "<cards>"], (turn.text, answer)
            self.answered += 1
            if self.threshold and self.answered >= self.threshold:
                self.turns_answered.set()

        async def conversation(n: int, user: WebUser) -> None:
            async with gate:
                if concurrent_turns(n):
                    await asyncio.gather(*(one(user, turn) for turn in user.turns))
                else:
                    for turn in user.turns:
                        await one(user, turn)

        await asyncio.gather(*(conversation(n, user) for n, user in enumerate(self.users)))


# --- transcripts --------------------------------------------------------------------------


def said_texts(answer: Mapping[str, Any]) -> list[str]:
    return [reply.get("text", f"<{reply['type']}>") for reply in answer["replies"]]


def entry_text(entry: Mapping[str, Any]) -> tuple[str, str]:
    message = entry["message"]
    return entry["direction"], message.get("text", f"<{message['type']}>")


async def transcript(
    client: httpx.AsyncClient, server: Flowbot, conversation_id: str
) -> list[tuple[str, str]]:
    """(direction, text or <type>) of every transcript entry, oldest first."""
    response = await client.get(
        f"{server.base}/api/conversations/{conversation_id}",
        params={"limit": 1000},
        headers=API,
    )
    assert response.status_code == 200, response.text
    return [entry_text(entry) for entry in response.json()["transcript"]]


OPENED = [("in", "<event>"), ("out", WELCOME), ("out", "<cards>")]


def expected_transcript(texts: Sequence[str]) -> list[tuple[str, str]]:
    """The Pokémon bot's transcript after an open and `texts` in order (each one scolded)."""
    said = list(OPENED)
    for text in texts:
        said += [("in", text), ("out", NOT_PICKED), ("out", "<cards>")]
    return said


def inbound_order(said: Sequence[tuple[str, str]]) -> list[str]:
    """The inbound texts of a transcript after the opening, checking each has its reply.

    Every turn's entries are written in one transaction: a turn is an inbound
    text followed at once by its two replies, whatever the order of turns.
    """
    assert list(said[:3]) == OPENED, said[:3]
    rest = list(said[3:])
    assert len(rest) % 3 == 0, rest
    order = []
    for n in range(0, len(rest), 3):
        turn = rest[n : n + 3]
        scolded = [("out", NOT_PICKED), ("out", "<cards>")]
        assert turn[0][0] == "in" and turn[1:] == scolded, turn
        order.append(turn[0][1])
    return order


@contextlib.contextmanager
def logs_on_failure(servers: Sequence[Flowbot]) -> Iterator[None]:
    """On a failed assertion, add the processes' logs to its message."""
    try:
        yield
    except AssertionError as error:
        logs = "\n".join(f"--- {s.name} ({s.log}) ---\n{s.output()[-4000:]}" for s in servers)
        raise AssertionError(f"{error}\n{logs}") from error


async def server_sent_events(response: httpx.Response) -> AsyncIterator[tuple[str, Any]]:
    """(event name, JSON data) per server-sent event; comments come as ("comment", text)."""
    name, data = "message", ""
    async for line in response.aiter_lines():
        if line.startswith(":"):
            yield "comment", line[1:].strip()
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()
        elif line == "" and data:
            yield name, json.loads(data)
            name, data = "message", ""
