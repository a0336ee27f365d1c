"""Web-channel throughput and latency of `flowbot serve`, printed (not a test).

Starts flowbot (subprocess: uvicorn, one worker, SQLite) on 127.0.0.1 and, in
the same run, a bare Starlette endpoint that parses the same JSON and answers
a small JSON. Both are driven the same way by an asyncio load generator
(a minimal keep-alive HTTP/1.1 client: httpx itself would be the bottleneck):

1. closed loop: CLIENTS concurrent conversations, each its own userKey, open
   then turns cycling goto (welcome + cards) → text (scolded) → card click
   (the answer); requests/s and p50/p99 latency, flowbot vs bare;
2. open loop: flowbot at half of its peak rate (requests sent on a fixed
   schedule, latency measured from the scheduled time); p99.

Each closed-loop line also gives the server process's CPU time per request
(user + system, all its threads, from /proc), which drifts less with the
machine than requests/s do. flowbot serve writes each response to its socket
once (flowbot.server.protocol); the bare endpoint runs stock uvicorn.

Bounded: each phase runs at most PHASE_SECONDS and MAX_REQUESTS requests.
Loopback only. Run: .venv/bin/python bench/http.py
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CLIENTS = 64
PHASE_SECONDS = 6.0
MAX_REQUESTS = 40_000
TARGET_RATIO = 0.5
TARGET_P99_MS = 25.0


# --- the bare endpoint ---------------------------------------------------------------


def bare_app() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    async def messages(request: Request) -> Response:
        body = json.loads(await request.body())
        return JSONResponse(
            {
                "replies": [{"type": "text", "text": f"echo {body.get('text', '')}"}],
                "quickReplies": [],
                "conversationId": "bare",
                "token": "bare-token",
            }
        )

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/channels/web/{bot_id}/messages", messages, methods=["POST"]),
            Route("/healthz", health),
        ]
    )


def serve_bare(port: int) -> None:
    import uvicorn

    uvicorn.run(bare_app(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- a minimal keep-alive HTTP/1.1 client ---------------------------------------------


class Connection:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, token: str | None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"{auth}Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class Conversation:
    """One simulated user: its own connection, userKey and token."""

    STEPS: tuple[dict[str, Any], ...] = (
        {"text": "Pick a Pokémon", "goto": {"flowId": 1}},
        {"text": "hello"},
        {"text": "I choose you!", "payload": '{"pokemon": "Squirtle"}'},
    )

    def __init__(self, port: int, user_key: str) -> None:
        self.connection = Connection(port)
        self.user_key = user_key
        self.token: str | None = None
        self.step = 0

    async def turn(self) -> None:
        fields: dict[str, Any] = {} if self.token is None else self.STEPS[self.step % 3]
        self.step += self.token is not None
        body = json.dumps({"userKey": self.user_key, **fields}).encode()
        status, answer = await self.connection.post(
            "/channels/web/pokemon/messages", body, self.token
        )
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {answer[:200]!r}")
        if self.token is None:
            self.token = json.loads(answer)["token"]


# --- load -------------------------------------------------------------------------------


async def closed_loop(
    port: int, tag: str, pid: int | None = None
) -> tuple[float, list[float], float | None]:
    """(requests/s, latencies, server CPU seconds per request when `pid` is given)."""
    users = [Conversation(port, f"{tag}-{n}") for n in range(CLIENTS)]
    for user in users:  # open every conversation first (not timed)
        await user.turn()
    latencies: list[float] = []
    deadline = time.perf_counter() + PHASE_SECONDS

    async def drive(user: Conversation) -> None:
        while time.perf_counter() < deadline and len(latencies) < MAX_REQUESTS:
            started = time.perf_counter()
            await user.turn()
            latencies.append(time.perf_counter() - started)

    cpu_before = process_cpu(pid)
    started = time.perf_counter()
    await asyncio.gather(*(drive(user) for user in users))
    elapsed = time.perf_counter() - started
    cpu_after = process_cpu(pid)
    for user in users:
        user.connection.close()
    cpu = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before)
    return len(latencies) / elapsed, latencies, None if cpu is None else cpu / len(latencies)


async def open_loop(port: int, rate: float, tag: str) -> tuple[float, list[float]]:
    """Requests on a fixed schedule; a request waits for an idle conversation if none is."""
    users = [Conversation(port, f"{tag}-{n}") for n in range(CLIENTS)]
    for user in users:
        await user.turn()
    idle: asyncio.Queue[Conversation] = asyncio.Queue()
    for user in users:
        idle.put_nowait(user)
    total = min(int(rate * PHASE_SECONDS), MAX_REQUESTS)
    latencies: list[float] = []
    start = time.perf_counter() + 0.05

    async def one(scheduled: float) -> None:
        user = await idle.get()
        try:
            await user.turn()
        finally:
            idle.put_nowait(user)
        latencies.append(time.perf_counter() - scheduled)

    tasks = []
    for n in range(total):
        scheduled = start + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for user in users:
        user.connection.close()
    return total / elapsed, latencies


# --- processes --------------------------------------------------------------------------


def process_cpu(pid: int | None) -> float | None:
    """User + system CPU seconds of process `pid` so far (Linux /proc), else None."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the server did not become healthy")


def http_stack() -> str:
    """What uvicorn's defaults (http="auto", loop="auto") pick, for both servers alike."""
    from importlib.util import find_spec

    http = "httptools" if find_spec("httptools") else "h11"
    loop = "uvloop" if find_spec("uvloop") else "asyncio"
    return f"http={http}, loop={loop}, access log off"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:6.2f} ms"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="flowbot-bench-"))
    config = folder / "flowbot.toml"
    config.write_text(
        f'access_log = false\n[bots.pokemon]\npath = "{REPO / "examples" / "pokemon.yaml"}"\n'
    )
    flowbot_port, bare_port = free_port(), free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    flowbot = subprocess.Popen(
        [sys.executable, "-m", "flowbot.cli", "serve", str(config), "--port", str(flowbot_port),
         "--db", f"sqlite:///{folder / 'bench.db'}"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    # Not `python bench/http.py`: that would put bench/ first on sys.path, and this
    # file would shadow the standard library's `http` package that uvicorn imports.
    run_bare = "import runpy, sys; runpy.run_path(sys.argv[1])['serve_bare'](int(sys.argv[2]))"
    bare = subprocess.Popen(
        [sys.executable, "-c", run_bare, __file__, str(bare_port)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_healthy(flowbot_port, flowbot)
        wait_healthy(bare_port, bare)
        print(
            f"web channel, {CLIENTS} concurrent conversations, keep-alive HTTP/1.1 on 127.0.0.1, "
            f"≤ {PHASE_SECONDS:.0f} s and ≤ {MAX_REQUESTS} requests per phase"
        )
        print(
            f"note: the load generator (this process) shares the machine's {os.cpu_count()} "
            f"cores with the server under test; both servers: uvicorn, one worker, "
            f"{http_stack()}"
        )
        print("flowbot: SQLite file, one save_turn per turn; turns cycle goto → text → card click")
        results = {}
        cpu: dict[str, float | None] = {}
        servers = (("bare Starlette", bare_port, bare.pid), ("flowbot", flowbot_port, flowbot.pid))
        for name, port, pid in servers:
            rate, latencies, cpu[name] = asyncio.run(closed_loop(port, name.split()[0], pid))
            results[name] = rate
            used = cpu[name]
            print(
                f"  {name:<15} {rate:8.0f} requests/s   p50 {ms(statistics.median(latencies))}"
                f"   p99 {ms(percentile(latencies, 0.99))}   ({len(latencies)} requests"
                + ("" if used is None else f", server CPU {used * 1e6:.0f} µs/request")
                + ")",
                flush=True,
            )
        ratio = results["flowbot"] / results["bare Starlette"]
        verdict = "ok" if ratio >= TARGET_RATIO else "BELOW TARGET"
        print(f"  flowbot / bare throughput: {ratio:.0%} (target ≥ {TARGET_RATIO:.0%}: {verdict})")
        bare_cpu, flowbot_cpu = cpu["bare Starlette"], cpu["flowbot"]
        if bare_cpu and flowbot_cpu:
            # Less sensitive to the machine's drift than requests/s: what a request costs.
            print(f"  bare / flowbot server CPU per request: {bare_cpu / flowbot_cpu:.0%}")
        half = results["flowbot"] / 2
        achieved, latencies = asyncio.run(open_loop(flowbot_port, half, "paced"))
        p99 = percentile(latencies, 0.99) * 1000
        verdict = "ok" if p99 <= TARGET_P99_MS else "ABOVE TARGET"
        print(
            f"  flowbot open loop at half its peak ({half:.0f} requests/s scheduled, "
            f"{achieved:.0f} achieved): p50 {ms(statistics.median(latencies))}   "
            f"p99 {p99:6.2f} ms (target ≤ {TARGET_P99_MS:.0f} ms: {verdict})"
        )
    finally:
        for process in (flowbot, bare):
            process.terminate()
            process.wait(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
