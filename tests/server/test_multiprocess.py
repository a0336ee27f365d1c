"""Several `flowbot serve` processes behind one address: PostgreSQL for state, Redis between.

Each test starts real `flowbot serve` subprocesses on 127.0.0.1 over a
PostgreSQL schema and a Redis key prefix of its own (tests/server/
multiprocess.py), and drives the Pokémon example's web channel, whose
answers are deterministic: after the opening, every text is scolded
(NOT_PICKED + the cards), so a conversation's whole transcript is known from
the texts it was sent. Messages go to a random process each, as a load
balancer without stickiness sends them; a failed request is retried on any
process with the same `messageId`.

Skipped (with the reason) only when PostgreSQL or Redis does not answer on
127.0.0.1. The Redis test restarts the machine's Redis (briefly).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import subprocess
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .multiprocess import (
    AGENT,
    API,
    Backing,
    Flowbot,
    Load,
    Turn,
    WebUser,
    backing,
    cluster,
    expected_transcript,
    inbound_order,
    logs_on_failure,
    redis_answers,
    said_texts,
    schema_exists,
    send_turn,
    server_sent_events,
    transcript,
)
from .support import HELP_DESK_BOT, NOT_PICKED, POKEMON

pytestmark = pytest.mark.postgres

REDIS_SHUTDOWN = ["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"]
# the exact command the machine's Redis was started with
REDIS_START = (
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" '
    "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"
)


@pytest.fixture
async def made() -> AsyncIterator[Backing]:
    async with backing() as fresh:
        yield fresh


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
    async with httpx.AsyncClient(timeout=30, limits=limits) as http:
        yield http


async def check_transcripts(
    client: httpx.AsyncClient, load: Load, servers: list[Flowbot], *, ordered: set[int]
) -> None:
    """Every turn once, with its replies; in send order for the users in `ordered`."""
    for n, user in enumerate(load.users):
        assert user.conversation_id is not None
        # read through any process: they share the database
        said = await transcript(client, servers[n % len(servers)], user.conversation_id)
        sent = [turn.text for turn in user.turns]
        if n in ordered:
            assert said == expected_transcript(sent), (user.user_key, said)
        else:
            received = inbound_order(said)
            assert sorted(received) == sorted(sent), (user.user_key, Counter(received))


# --- (a) interleaved turns of the same conversations --------------------------------------


async def test_two_processes_keep_every_conversation_complete_and_in_order(
    made: Backing, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    # 20 conversations × 10 messages, 8 conversations at a time, each message to a
    # random one of the two processes; the last 5 conversations send all their
    # messages at once (the two processes contend for their lock)
    load = Load.of("interleave", users=20, messages=10, concurrency=8)
    async with cluster(tmp_path, made, {"pokemon": POKEMON}) as servers:
        with logs_on_failure(servers):
            await load.open_all(client, servers)
            await load.run(client, servers, concurrent_turns=lambda n: n >= 15)
            await check_transcripts(client, load, servers, ordered=set(range(15)))
            answered_by = Counter(turn.answered_by for u in load.users for turn in u.turns)
            # both processes took a fair share (random.choice over 200 turns)
            assert min(answered_by.values()) > 50, answered_by
            retried = [t for u in load.users for t in u.turns if len(t.attempts) > 1]
            assert retried == [], retried[:3]  # nothing failed while both were up
    assert await schema_exists(made.schema)  # flowbot's tables went to the test's schema


# --- (b) kill -9 of one process mid-load ------------------------------------------------


async def test_a_process_killed_mid_load_loses_no_answered_turn(
    made: Backing, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    load = Load.of("killed", users=20, messages=10, concurrency=10)
    killed_at: list[float] = []
    async with cluster(tmp_path, made, {"pokemon": POKEMON}) as servers:
        first, second = servers
        with logs_on_failure(servers):
            await load.open_all(client, servers)
            a_third = load.when_answered(len(load.users) * load.messages // 3)

            async def kill_soon() -> None:
                await a_third.wait()
                first.kill()
                killed_at.append(asyncio.get_running_loop().time())

            # the load does not know that A is gone: its requests there fail and are
            # sent again, with the same messageId, to a random process until B answers
            await asyncio.gather(load.run(client, servers, seconds=60), kill_soon())
            assert killed_at, "the load ended before the kill"
            await check_transcripts(client, load, [second], ordered=set(range(len(load.users))))

            turns = [turn for user in load.users for turn in user.turns]
            by_first = [t for t in turns if t.answered_by == first.name]
            assert by_first, "A answered nothing before it was killed"
            failed_on_first = [
                t for t in turns if any(a.server == first.name and a.outcome != "200"
                                        for a in t.attempts)
            ]  # fmt: skip
            assert failed_on_first, "no request met the dead process"
            # B carried on the conversations A had served
            continued = [
                u
                for u in load.users
                if {t.answered_by for t in u.turns} == {first.name, second.name}
            ]
            assert continued, "no conversation went on from A to B"
            health = await client.get(f"{second.base}/healthz")
            assert health.status_code == 200, health.text


# --- (c) a Redis restart during load ----------------------------------------------------


async def test_a_redis_restart_during_load_loses_and_doubles_no_turn(
    made: Backing, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    load = Load.of("redis", users=12, messages=8, concurrency=6)
    seen_down: dict[str, dict[str, Any]] = {}
    async with cluster(tmp_path, made, {"pokemon": POKEMON}) as servers:
        with logs_on_failure(servers):
            await load.open_all(client, servers)
            a_quarter = load.when_answered(len(load.users) * load.messages // 4)

            clock = asyncio.get_running_loop().time
            started = clock()

            def mark(what: str) -> None:  # shown with a failure: when each step happened
                print(f"{clock() - started:6.2f} s  {what} ({load.answered} turns answered)")

            async def restart_redis() -> None:
                await a_quarter.wait()
                subprocess.run(REDIS_SHUTDOWN, check=False, capture_output=True, timeout=10)
                mark("Redis shut down")
                try:
                    # the processes notice: /healthz says which dependency is down
                    async with asyncio.timeout(5):
                        while len(seen_down) < len(servers):
                            for server in servers:
                                with contextlib.suppress(httpx.TransportError):
                                    health = await client.get(f"{server.base}/healthz")
                                    if health.json().get("redis") != "ok":
                                        seen_down[server.name] = {
                                            "code": health.status_code,
                                            **health.json(),
                                        }
                            await asyncio.sleep(0.05)
                    mark("both processes said so in /healthz")
                except TimeoutError:
                    pass  # asserted below, after Redis is back
                finally:
                    subprocess.run(REDIS_START, shell=True, check=True, timeout=10)
                    await redis_answers(10)
                    mark("Redis answers again")

            try:
                await asyncio.gather(load.run(client, servers, seconds=60), restart_redis())
            finally:
                await redis_answers(10)  # never leave the machine without its Redis
            slowest = max(
                (turn for user in load.users for turn in user.turns), key=lambda t: t.took
            )
            mark(f"load done; the slowest turn took {slowest.took:.2f} s ({slowest.text})")
            for server in servers:
                down = seen_down.get(server.name)
                assert down is not None, f"{server.name}: /healthz never said Redis was away"
                assert down["redis"] != "ok" and down["database"] == "ok", down
                # down (503), or degraded: serving on with PostgreSQL's locks (200, and says so)
                assert down["code"] == 503 or "postgresql" in down.get("locks", ""), down
            await check_transcripts(client, load, servers, ordered=set(range(len(load.users))))

            # both back to healthy once Redis is
            async with asyncio.timeout(15):
                for server in servers:
                    while True:
                        health = await client.get(f"{server.base}/healthz")
                        body = health.json()
                        # "locks" names PostgreSQL while degraded: back on Redis, it goes
                        if (
                            health.status_code == 200
                            and body["redis"] == "ok"
                            and "locks" not in body
                        ):
                            break
                        await asyncio.sleep(0.1)
            mark("both healthy")
            # and they serve turns through Redis again, on either process
            after = WebUser("after-restart")
            await after.open(client, servers[0])
            for server in (servers[1], servers[0]):
                turn = Turn(f"after-{server.name}", f"after-{server.name}")
                answer = await send_turn(client, after, turn, [server], seconds=10)
                assert said_texts(answer) == [NOT_PICKED, "<cards>"]
            assert after.conversation_id is not None
            said = await transcript(client, servers[1], after.conversation_id)
            assert said == expected_transcript(["after-B", "after-A"])


# --- (d) duplicate deliveries across processes ------------------------------------------


async def test_the_same_message_id_on_both_processes_is_answered_once(
    made: Backing, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    async with cluster(tmp_path, made, {"pokemon": POKEMON}) as servers:
        first, second = servers
        with logs_on_failure(servers):
            users = [WebUser(f"twice-{n}") for n in range(6)]
            sent: dict[int, list[str]] = {}
            for n, user in enumerate(users):
                await user.open(client, servers[n % 2])
                sent[n] = []
                for k in range(3):
                    text, message_id = f"d{n}-{k}", f"twice-{n}-{k}"
                    body = {"text": text, "messageId": message_id}
                    if k == 1:  # one after the other: A answered, then B is asked
                        one = await user.post(client, first, **body)
                        other = await user.post(client, second, **body)
                    else:  # both at once: one waits for the other's lock, then replays
                        one, other = await asyncio.gather(
                            user.post(client, first, **body), user.post(client, second, **body)
                        )
                    assert (one.status_code, other.status_code) == (200, 200), (
                        one.text,
                        other.text,
                    )
                    assert one.json() == other.json()  # the same answer body
                    assert said_texts(one.json()) == [NOT_PICKED, "<cards>"]
                    sent[n].append(text)
            for n, user in enumerate(users):
                assert user.conversation_id is not None
                said = await transcript(client, servers[n % 2], user.conversation_id)
                assert said == expected_transcript(sent[n]), said
            # a new messageId is a new turn, on either process
            fresh = await users[0].post(client, second, text="d0-3", messageId="twice-0-3")
            assert fresh.status_code == 200
            assert users[0].conversation_id is not None
            said = await transcript(client, first, users[0].conversation_id)
            assert said == expected_transcript([*sent[0], "d0-3"])


# --- (e) a push crosses processes ---------------------------------------------------------


async def test_a_push_and_an_agent_reply_reach_a_stream_held_by_another_process(
    made: Backing, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    desk = tmp_path / "desk.yaml"
    desk.write_text(HELP_DESK_BOT, encoding="utf-8")
    async with cluster(tmp_path, made, {"desk": desk}) as servers:
        first, second = servers
        with logs_on_failure(servers):
            user = WebUser("visitor", bot_id="desk")
            await user.open(client, first)
            cid = user.conversation_id
            assert cid is not None
            events_url = f"{first.base}/channels/web/desk/conversations/{cid}/events"
            console_url = f"{first.base}/api/handoffs/events"
            async with (
                client.stream("GET", events_url, params={"token": user.token}) as widget,
                client.stream("GET", console_url, params={"key": AGENT["X-API-Key"]}) as console,
            ):
                assert widget.status_code == 200
                assert console.status_code == 200
                pushed = server_sent_events(widget)
                agents = server_sent_events(console)
                assert await next_event(pushed, "comment") == "connected"

                # 1. a message through B's JSON API reaches the stream held by A
                message = {"type": "text", "text": "Sent through B."}
                sent = await client.post(
                    f"{second.base}/api/conversations/{cid}/messages",
                    json={"message": message},
                    headers=API,
                )
                assert sent.status_code == 200, sent.text
                event = await next_event(pushed, "replies")
                assert event["replies"] == [message]
                assert event["source"] == "api"

                # 2. a handoff asked on B reaches the agents' console held by A
                answer = await user.post(client, second, text="agent")
                assert answer.status_code == 200, answer.text
                requested = await next_data(agents)
                assert (requested["type"], requested["conversationId"]) == ("requested", cid)

                # 3. an agent joins and replies through B: A's widget stream shows both
                url = f"{second.base}/api/conversations/{cid}/handoff"
                joined = await client.post(f"{url}/join", json={"agent": "Kim"}, headers=AGENT)
                assert joined.status_code == 200, joined.text
                assert (await next_event(pushed, "replies"))["agent"] == "Kim"
                replied = await client.post(
                    f"{url}/reply", json={"agent": "Kim", "text": "Hi, I am Kim."}, headers=AGENT
                )
                assert replied.status_code == 200, replied.text
                shown = await next_event(pushed, "replies")
                assert (shown["source"], shown["agent"]) == ("agent", "Kim")
                assert [r["text"] for r in shown["replies"]] == ["Hi, I am Kim."]

            said = await transcript(client, first, cid)
            assert ("out", "Sent through B.") in said
            assert ("out", "Hi, I am Kim.") in said


async def next_event(stream: AsyncIterator[tuple[str, Any]], kind: str) -> Any:
    async def find() -> Any:
        async for name, data in stream:
            if name == kind:
                return data
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(find(), 10)


async def next_data(stream: AsyncIterator[tuple[str, Any]]) -> Any:
    """The next event that is not a comment."""

    async def find() -> Any:
        async for name, data in stream:
            if name != "comment":
                return data
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(find(), 10)


# --- (f) health -------------------------------------------------------------------------


async def test_each_process_reports_its_database_and_redis(
    made: Backing, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    async with cluster(tmp_path, made, {"pokemon": POKEMON}) as servers:
        with logs_on_failure(servers):
            for server in servers:
                health = await client.get(f"{server.base}/healthz")
                assert health.status_code == 200, health.text
                body = health.json()
                assert (body["status"], body["database"], body["redis"]) == ("ok", "ok", "ok")
            # a turn on each, read back through the other: one database
            user = WebUser("health")
            await user.open(client, servers[0])
            turn = Turn("hello", "health-1")
            await send_turn(client, user, turn, [servers[1]], pick=random.choice)
            assert user.conversation_id is not None
            said = await transcript(client, servers[0], user.conversation_id)
            assert said == expected_transcript(["hello"])
