"""The cost of the nodes that reach the world: a turn with a fetch, a turn with a script.

Runs engine turns in this process with the real ports flowbot serves with:

- fetch: a bot whose turn POSTs to a local server (a bare ASGI app on
  uvicorn, in a subprocess, on 127.0.0.1) through `GuardedHttp` and the
  address guard (the server allowed), next to the same bot's turn with a
  port that answers at once in memory (the engine's own cost);
- sandbox: a bot whose turn runs a trivial script (`return {params: {n: 1}}`)
  through `ProcessSandbox`, per runtime (python, nodejs when node is
  installed) and per mode (bubblewrap when it works here, process limits
  only), so the cost of isolation is on record.

Prints p50 and p99 of the turn time, and turns/s one at a time. Bounded:
at most TURNS turns per line. Loopback only. Run: .venv/bin/python bench/nodes.py
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# `python bench/nodes.py` puts bench/ first on sys.path, where http.py would
# shadow the standard library's `http`
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]

from flowbot.engine import (  # noqa: E402
    HttpRequest,
    HttpResponse,
    InboundMessage,
    Ports,
    load_program,
    run_turn,
)
from flowbot.format import load_bot_data  # noqa: E402
from flowbot.integrations import AddressGuard, GuardedHttp  # noqa: E402
from flowbot.integrations.sandbox import ProcessSandbox  # noqa: E402

TURNS = 200
SCRIPT_TURNS = 40

SERVER = """
import sys, uvicorn

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    body = b'{"ok": true, "items": [1, 2, 3]}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", lifespan="off")
"""

SCRIPTS = {
    "python": "def handler(context):\n    return {'params': {'n': 1}}\n",
    "nodejs": "module.exports = async function (context) { return { params: { n: 1 } }; };\n",
}


def bot(node: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": "nodes",
        "flows": [
            {
                "id": 1,
                "title": "main",
                "data": {"entry": 1},
                "nodes": [
                    {"id": 1, "type": "entry", "data": {}, "next": [{"nodeId": 2}]},
                    {**node, "id": 2, "next": [{"nodeId": 3}]},
                    {
                        "id": 3,
                        "type": "response",
                        "data": {"message": {"type": "text", "text": "done"}},
                    },
                ],
            }
        ],
    }


class InMemoryHttp:
    async def request(self, request: HttpRequest) -> HttpResponse:
        return HttpResponse(200, {"ok": True, "items": [1, 2, 3]})


async def timed(turn: Callable[[], Awaitable[Any]], count: int) -> list[float]:
    await turn()  # warm up (connections, first child process)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        result = await turn()
        times.append(time.perf_counter() - started)
        if result.error is not None:
            raise RuntimeError(result.error)
    return times


def line(label: str, times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return (
        f"  {label:<34} p50 {statistics.median(times) * 1000:7.2f} ms   "
        f"p99 {p99 * 1000:7.2f} ms   {len(times) / sum(times):7.0f} turns/s"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the local server did not start")


async def fetch_lines(port: int) -> None:
    fetch = {
        "type": "fetch",
        "data": {
            "uri": f"http://127.0.0.1:{port}/orders",
            "method": "POST",
            "contentType": "json",
            "body": '{"text": "{{message.text}}"}',
        },
    }
    program = load_program(load_bot_data(bot(fetch)), "fetch")
    message = InboundMessage("c", text="one pizza")
    memory = Ports(http=InMemoryHttp())
    print(line("fetch, port answering in memory", await timed(
        lambda: run_turn(program, None, message, memory), TURNS)))  # fmt: skip
    async with GuardedHttp.default_client() as client:
        http = GuardedHttp(client, AddressGuard([f"127.0.0.1:{port}"]))
        real = Ports(http=http)
        print(line("fetch, GuardedHttp to 127.0.0.1", await timed(
            lambda: run_turn(program, None, message, real), TURNS)))  # fmt: skip


async def sandbox_lines() -> None:
    for mode in ("bwrap", "process"):
        sandbox = ProcessSandbox(mode=mode)  # type: ignore[arg-type]
        try:
            await sandbox.start()
        except Exception as error:  # bubblewrap missing or not working here
            print(f"  sandbox, {mode}: not available here ({error})")
            continue
        try:
            for runtime, script in SCRIPTS.items():
                node = {"type": "sandbox", "data": {"runtime": runtime, "script": script}}
                program = load_program(load_bot_data(bot(node)), "script")
                message = InboundMessage("c", text="hi")
                ports = Ports(script=sandbox)
                try:
                    times = await timed(
                        lambda p=program, m=message, ps=ports: run_turn(p, None, m, ps),
                        SCRIPT_TURNS,
                    )
                except RuntimeError as error:
                    print(f"  sandbox, {runtime}, {mode}: {error}")
                    continue
                print(line(f"sandbox, {runtime}, {sandbox.mode}", times))
        finally:
            await sandbox.close()


def main() -> int:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        print(
            f"turn time, one turn at a time ({TURNS} fetch turns, {SCRIPT_TURNS} script turns "
            f"per line); {os.cpu_count()} cores shared with the local server"
        )
        asyncio.run(fetch_lines(port))
        asyncio.run(sandbox_lines())
    finally:
        server.terminate()
        server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
