"""`flowbot serve` as a real process: start, chat, stop, start again on the same database."""

from __future__ import annotations

import queue
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from flowbot.config import BotSource, Settings
from flowbot.server.main import PortError, bind_port, chat_urls, run_server

from .support import NOT_PICKED, POKEMON, REPO, WELCOME, choose, free_port


@contextmanager
def flowbot_serve(*args: str, port: int) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "flowbot.cli", "serve", *args, "--port", str(port)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.communicate()[1]
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "flowbot serve did not become healthy"
            time.sleep(0.1)
        yield process, base
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(15)


def test_the_conversation_goes_on_after_a_restart(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    port = free_port()
    url = f"http://127.0.0.1:{port}/channels/web/pokemon/messages"
    with flowbot_serve("examples/pokemon.yaml", "--db", db, port=port) as (process, _):
        opened = httpx.post(url, json={"userKey": "ash"}).json()
        assert [r.get("text") for r in opened["replies"]] == [WELCOME, None]
        token = opened["token"]
        auth = {"Authorization": f"Bearer {token}"}
        scolded = httpx.post(url, json={"userKey": "ash", "text": "hi"}, headers=auth).json()
        assert scolded["replies"][0]["text"] == NOT_PICKED  # waiting at the keyboard
        process.terminate()
        # uvicorn shuts down gracefully, then re-raises SIGTERM as the exit status.
        assert process.wait(15) in (0, -15)
        stdout, stderr = process.communicate()
        assert "Application shutdown complete" in stderr
        assert f"Chat with your bot: http://127.0.0.1:{port}/chat/pokemon" in stdout

    with flowbot_serve("examples/pokemon.yaml", "--db", db, port=port):
        body = {"userKey": "ash", **choose("Squirtle")}
        answer = httpx.post(url, json=body, headers=auth)
        assert answer.status_code == 200, answer.text
        assert answer.json()["replies"] == [
            {"type": "text", "text": "Squirtle! An excellent choice."}
        ]
        assert answer.json()["conversationId"] == opened["conversationId"]
        # The token is still required after the restart.
        assert httpx.post(url, json={"userKey": "ash", "text": "x"}).status_code == 403


def test_serve_from_a_config_file(tmp_path: Path) -> None:
    config = tmp_path / "flowbot.toml"
    config.write_text(
        f"""
database = "sqlite:///served.db"
api_key = "${{TEST_FLOWBOT_KEY:-from-default}}"
access_log = false

[bots.starter]
path = "{POKEMON}"
"""
    )
    port = free_port()
    with flowbot_serve(str(config), port=port) as (process, base):
        bots = httpx.get(f"{base}/api/bots", headers={"X-API-Key": "from-default"}).json()
        assert [bot["id"] for bot in bots["bots"]] == ["starter"]
        assert httpx.get(f"{base}/chat/starter").status_code == 200
        process.terminate()
        process.wait(15)
        assert f"http://127.0.0.1:{port}/chat/starter" in (
            process.stdout.read() if process.stdout else ""
        )
    assert (tmp_path / "served.db").exists()  # relative to the config file


def test_bad_targets_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    assert run_server([tmp_path / "missing.yaml"], host="127.0.0.1", port=port, db="memory://") == 2
    broken = tmp_path / "broken.json"
    broken.write_text(
        '{"flows": [{"id": 1, "nodes": [{"id": 1, "type": "entry", "next": [{"nodeId": 5}]}]}]}'
    )
    assert run_server([broken], host="127.0.0.1", port=port, db="memory://") == 2
    assert "the bots above do not load; nothing served" in capsys.readouterr().err
    assert run_server([POKEMON], host="127.0.0.1", port=port, db="mysql://x") == 2
    # the port bound for them is free again
    bind_port("127.0.0.1", port)[0].close()


def serve_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flowbot.cli", "serve", "examples/pokemon.yaml", *args]


def test_a_busy_port_is_one_line_exit_2_and_nothing_written(tmp_path: Path) -> None:
    database = tmp_path / "never.db"
    with socket.socket() as other:  # another server, listening on the port
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        done = subprocess.run(
            serve_command("--db", f"sqlite:///{database}", "--port", str(port)),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"flowbot serve: port {port} on 127.0.0.1 is in use (another flowbot?)"
    ]
    assert done.stdout == ""
    assert not database.exists()  # no database file, no migrations
    assert list(tmp_path.iterdir()) == []


def test_the_chat_url_appears_once_the_port_answers(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        serve_command("--db", f"sqlite:///{tmp_path / 'x.db'}", "--port", str(port)),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    try:
        first = lines.get(timeout=30)
        # right after the line: the server answers, the store migrated and open
        chat = f"http://127.0.0.1:{port}/chat/pokemon"
        assert first == f"Chat with your bot: {chat}\n"
        assert httpx.get(chat, timeout=5).status_code == 200
        opened = httpx.post(
            f"http://127.0.0.1:{port}/channels/web/pokemon/messages",
            json={"userKey": "ash"},
            timeout=5,
        )
        assert opened.status_code == 200, opened.text
        ready = lines.get(timeout=5)
        assert ready == f"flowbot serve: ready on http://127.0.0.1:{port} (Ctrl+C to stop)\n"
    finally:
        process.terminate()
        process.wait(15)


def test_bind_port_listens_on_every_address_of_the_host() -> None:
    sockets = bind_port("127.0.0.1", 0)
    try:
        assert len(sockets) == 1
        port = sockets[0].getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # it listens already: the connection waits in the backlog
        with pytest.raises(PortError) as taken:
            bind_port("127.0.0.1", port)
        assert str(taken.value) == f"port {port} on 127.0.0.1 is in use (another flowbot?)"
    finally:
        sockets[0].close()
    with pytest.raises(PortError, match=re.escape("cannot listen on port 1 on 203.0.113.1: ")):
        bind_port("203.0.113.1", 1)  # an address of no interface here


def test_chat_urls() -> None:
    settings = Settings(bots=[BotSource("pokemon", POKEMON), BotSource("echo", POKEMON)])
    assert chat_urls(settings, "0.0.0.0", 8000) == [
        "http://127.0.0.1:8000/chat/pokemon",
        "http://127.0.0.1:8000/chat/echo",
    ]
    assert chat_urls(settings, "::1", 80)[0] == "http://[::1]:80/chat/pokemon"


def test_tokens_never_reach_the_log(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with flowbot_serve("examples/pokemon.yaml", "--db", db, port=port) as (process, _):
        opened = httpx.post(f"{base}/channels/web/pokemon/messages", json={"userKey": "ash"})
        token, conversation = opened.json()["token"], opened.json()["conversationId"]
        events = f"{base}/channels/web/pokemon/conversations/{conversation}/events"
        with httpx.stream("GET", events, params={"token": token}, timeout=5) as stream:
            assert stream.status_code == 200
        wrong = httpx.get(events, params={"token": "not-the-token"}, timeout=5)
        assert wrong.status_code == 403
        process.terminate()
        process.wait(15)
        stdout, stderr = process.communicate()
    logged = stdout + stderr
    assert "GET /channels/web/pokemon/conversations/" in logged  # the access log ran…
    assert "events?token=*** HTTP/1.1" in logged
    assert token not in logged and "not-the-token" not in logged  # …without the tokens


def test_workers_need_a_database_or_redis_they_can_share(
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = free_port()
    code = run_server([POKEMON], host="127.0.0.1", port=port, db="sqlite:///never.db", workers=2)
    assert code == 2
    assert "--workers needs PostgreSQL" in capsys.readouterr().err
    assert not (REPO / "never.db").exists()


def test_two_workers_on_postgresql_share_one_port_and_stop_together(tmp_path: Path) -> None:
    import asyncio

    import asyncpg

    schema = f"workers_{uuid.uuid4().hex[:10]}"
    database = f"postgresql://postgres@127.0.0.1:5432/test?schema={schema}"
    port = free_port()
    try:
        with flowbot_serve(
            "examples/pokemon.yaml", "--db", database, "--workers", "2", port=port
        ) as (process, base):
            url = f"{base}/channels/web/pokemon/messages"
            opened = httpx.post(url, json={"userKey": "ash"}).json()
            token = opened["token"]
            for _ in range(40):
                # a new connection each time: the kernel hands them to either worker
                answer = httpx.post(
                    url,
                    json={"userKey": "ash", **choose("Squirtle")},
                    headers={"Authorization": f"Bearer {token}", "Connection": "close"},
                )
                assert answer.status_code == 200, answer.text
            process.terminate()
            assert process.wait(20) == 0
            out = process.stdout.read() if process.stdout else ""
        assert "2 workers (pids" in out
        # each worker built its app and served on the shared port
        assert out.count("flowbot serve: ready on") == 2
    finally:

        async def drop() -> None:
            connection = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/test")
            try:
                await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            finally:
                await connection.close()

        asyncio.run(drop())
