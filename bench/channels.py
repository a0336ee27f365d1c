"""Turns per second through the messenger webhooks, next to the web channel, printed.

Starts `flowbot serve` (subprocess: uvicorn, one worker, SQLite) with the
Pokémon bot on the web, Facebook, LINE, KakaoTalk and TalkTalk, the
messengers' API bases pointing at a fake platform that runs in this process
on 127.0.0.1 and answers every call at once. In the same run, for each channel, CLIENTS
users each send turns in a closed loop: a turn is the user's text (the
bot scolds and shows the three cards again) and ends when its replies have
reached the fake platform (Facebook: two Send API calls; LINE: one reply
call) or, on the web and KakaoTalk, when the HTTP answer is back (Kakao
takes the whole answer in the response), on TalkTalk when the answer (the
first message) is back and the second message reached the send API. So a
Facebook or LINE turn's time includes the fast 200, the background turn, the
SQLite save and the platform calls.

Printed per channel: turns/s, p50/p99 of a turn's time, flowbot's CPU per
turn (user + system, all threads, from /proc), and the ratio to the web
channel measured in the same run.

Bounded: each phase runs at most PHASE_SECONDS and MAX_TURNS turns. Loopback
only. Run: .venv/bin/python bench/channels.py
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import os
import runpy
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# `python bench/channels.py` puts bench/ first on sys.path, where http.py would
# shadow the standard library's `http` that uvicorn and httpx import here
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO / "bench"]
# bench/http.py's helpers, loaded by path (`import http` is the standard library's)
HTTP: dict[str, Any] = runpy.run_path(str(REPO / "bench" / "http.py"))
CLIENTS = 32
PHASE_SECONDS = 6.0
MAX_TURNS = 20_000
FB_SECRET, LINE_SECRET = "bench-fb-secret", "bench-line-secret"
KAKAO_TOKEN, NAVER_TOKEN = "bench-kakao-path-token", "bench-naver-path-token"
CHANNELS = ("web", "facebook", "line", "kakao", "navertalk")

_numbers = itertools.count()


class Connection:
    """A keep-alive HTTP/1.1 connection: POST with any headers, read the answer."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"{extra}Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return status, await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


# --- the fake platform: answers at once, tells each user when its replies arrived ---------


class FakePlatform:
    def __init__(self) -> None:
        self.expected: dict[str, int] = {}
        self.waiters: dict[str, asyncio.Future[None]] = {}

    def expect(self, user: str, calls: int) -> asyncio.Future[None]:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.expected[user] = calls
        self.waiters[user] = future
        return future

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        data = json.loads(b"".join(chunks))
        user = (
            data.get("recipient", {}).get("id")
            or data.get("to")
            or data.get("user")  # TalkTalk's send API
            or str(data.get("replyToken", "")).split(":")[0]
        )
        if "sender_action" not in data and user in self.expected:
            self.expected[user] -= 1
            if self.expected[user] == 0:
                self.expected.pop(user)
                self.waiters.pop(user).set_result(None)
        body = b'{"recipient_id":"x","message_id":"m","sentMessages":[],"success":true}'
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


# --- users ----------------------------------------------------------------------------------


class User:
    def __init__(self, channel: str, port: int, fake: FakePlatform, n: int) -> None:
        self.channel = channel
        self.connection = Connection(port)
        self.fake = fake
        self.key = f"{channel}-user-{n}"
        self.token: str | None = None

    async def turn(self, text: str) -> None:
        if self.channel == "web":
            await self._web(text)
            return
        if self.channel == "kakao":
            await self._kakao(text)
            return
        if self.channel == "navertalk":
            await self._talktalk(text)
            return
        done = self.fake.expect(self.key, 2 if self.channel == "facebook" else 1)
        if self.channel == "facebook":
            body = json.dumps({
                "object": "page",
                "entry": [{"id": "PAGE", "time": 1, "messaging": [{
                    "sender": {"id": self.key}, "recipient": {"id": "PAGE"}, "timestamp": 1,
                    "message": {"mid": f"m-{next(_numbers)}", "text": text},
                }]}],
            }).encode()  # fmt: skip
            digest = hmac.new(FB_SECRET.encode(), body, hashlib.sha256).hexdigest()
            headers = {"X-Hub-Signature-256": f"sha256={digest}"}
        else:
            body = json.dumps({"destination": "U", "events": [{
                "type": "message", "mode": "active", "timestamp": 1,
                "source": {"type": "user", "userId": self.key},
                "webhookEventId": f"e-{next(_numbers)}",
                "deliveryContext": {"isRedelivery": False},
                "replyToken": f"{self.key}:{next(_numbers)}",
                "message": {"id": "1", "type": "text", "text": text},
            }]}).encode()  # fmt: skip
            digest = hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest()
            headers = {"x-line-signature": base64.b64encode(digest).decode()}
        status, answer = await self.connection.post(
            f"/channels/{self.channel}/pokemon", body, headers
        )
        if status != 200:
            raise RuntimeError(f"{self.channel} webhook: HTTP {status}: {answer[:200]!r}")
        await asyncio.wait_for(done, 30)

    async def _kakao(self, text: str) -> None:
        body = json.dumps({
            "intent": {"id": "i", "name": "fallback"}, "bot": {"id": "b", "name": "bench"},
            "action": {"id": "a", "name": "flowbot", "params": {}, "detailParams": {},
                       "clientExtra": {}},
            "userRequest": {"timezone": "Asia/Seoul", "utterance": text, "lang": "ko",
                            "block": {"id": "i", "name": "fallback"}, "params": {},
                            "user": {"id": self.key, "type": "botUserKey", "properties": {}}},
        }).encode()  # fmt: skip
        status, answer = await self.connection.post(
            f"/channels/kakao/pokemon/{KAKAO_TOKEN}", body, {}
        )
        if status != 200 or b'"outputs"' not in answer:
            raise RuntimeError(f"kakao skill: HTTP {status}: {answer[:200]!r}")

    async def _talktalk(self, text: str) -> None:
        # the answer carries the first message; the turn's second one goes by the send API
        done = self.fake.expect(self.key, 1)
        body = json.dumps(
            {"event": "send", "user": self.key, "textContent": {"text": text}}
        ).encode()
        status, answer = await self.connection.post(
            f"/channels/navertalk/pokemon/{NAVER_TOKEN}", body, {}
        )
        if status != 200:
            raise RuntimeError(f"talktalk webhook: HTTP {status}: {answer[:200]!r}")
        await asyncio.wait_for(done, 30)

    async def _web(self, text: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = json.dumps({"userKey": self.key, "text": text}).encode()
        status, answer = await self.connection.post("/channels/web/pokemon/messages", body, headers)
        if status != 200:
            raise RuntimeError(f"web: HTTP {status}: {answer[:200]!r}")
        self.token = json.loads(answer)["token"]


async def phase(
    channel: str, port: int, fake: FakePlatform, pid: int
) -> tuple[float, list[float], float | None]:
    users = [User(channel, port, fake, n) for n in range(CLIENTS)]
    await asyncio.gather(*(user.turn("hi") for user in users))  # the welcome, not timed
    times: list[float] = []
    deadline = time.perf_counter() + PHASE_SECONDS

    async def drive(user: User) -> None:
        while time.perf_counter() < deadline and len(times) < MAX_TURNS:
            started = time.perf_counter()
            await user.turn("hello?")
            times.append(time.perf_counter() - started)

    cpu_before = HTTP["process_cpu"](pid)
    started = time.perf_counter()
    await asyncio.gather(*(drive(user) for user in users))
    elapsed = time.perf_counter() - started
    cpu_after = HTTP["process_cpu"](pid)
    for user in users:
        user.connection.close()
    cpu = None if cpu_before is None or cpu_after is None else (cpu_after - cpu_before) / len(times)
    return len(times) / elapsed, times, cpu


async def run(flowbot_port: int, fake_port: int, pid: int) -> None:
    import uvicorn

    fake = FakePlatform()
    server = uvicorn.Server(
        uvicorn.Config(fake, host="127.0.0.1", port=fake_port, log_level="warning", lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        rates: dict[str, float] = {}
        for channel in CHANNELS:
            rate, times, cpu = await phase(channel, flowbot_port, fake, pid)
            rates[channel] = rate
            ratio = "" if channel == "web" else f"   {rate / rates['web']:.0%} of the web's"
            print(
                f"  {channel:<9} {rate:7.0f} turns/s   p50 {HTTP['ms'](statistics.median(times))}"
                f"   p99 {HTTP['ms'](HTTP['percentile'](times, 0.99))}   ({len(times)} turns"
                + ("" if cpu is None else f", server CPU {cpu * 1e6:.0f} µs/turn")
                + f"){ratio}",
                flush=True,
            )
    finally:
        server.should_exit = True
        await serving


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="flowbot-bench-channels-"))
    flowbot_port, fake_port = HTTP["free_port"](), HTTP["free_port"]()
    fake = f"http://127.0.0.1:{fake_port}"
    config = folder / "flowbot.toml"
    config.write_text(
        f'access_log = false\n[bots.pokemon]\npath = "{REPO / "examples" / "pokemon.yaml"}"\n'
        f'[bots.pokemon.channels.facebook]\napp_secret = "{FB_SECRET}"\n'
        f'verify_token = "v"\npage_access_token = "t"\napi_base = "{fake}/v21.0"\n'
        f'[bots.pokemon.channels.line]\nchannel_secret = "{LINE_SECRET}"\n'
        f'channel_access_token = "t"\napi_base = "{fake}"\n'
        f'[bots.pokemon.channels.kakao]\npath_token = "{KAKAO_TOKEN}"\n'
        f'[bots.pokemon.channels.navertalk]\npath_token = "{NAVER_TOKEN}"\n'
        f'authorization = "k"\napi_base = "{fake}"\n'
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = (folder / "server.log").open("wb")  # the server's log, for when a phase fails
    flowbot = subprocess.Popen(
        [sys.executable, "-m", "flowbot.cli", "serve", str(config), "--port", str(flowbot_port),
         "--db", f"sqlite:///{folder / 'bench.db'}"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    try:
        HTTP["wait_healthy"](flowbot_port, flowbot)
        print(
            f"channels, {CLIENTS} users each, closed loop, ≤ {PHASE_SECONDS:.0f} s and "
            f"≤ {MAX_TURNS} turns per channel; flowbot serve on SQLite (one worker, "
            f"{HTTP['http_stack']()}); the fake platform and the load generator share this "
            f"process and the machine's {os.cpu_count()} cores with it"
        )
        print("a turn: the user's text → scold + three cards; a messenger turn ends when its")
        print("replies reached the fake platform (Facebook: 2 Send API calls, LINE: 1 reply;")
        print("KakaoTalk: the HTTP answer; TalkTalk: the HTTP answer and 1 send API call)")
        asyncio.run(run(flowbot_port, fake_port, flowbot.pid))
    except Exception:
        print(f"the bench failed; the server's log: {folder / 'server.log'}", file=sys.stderr)
        raise
    finally:
        flowbot.terminate()
        flowbot.wait(15)
        log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
