"""The fetch export of ../shared/closer-exports runs against a local fake of its API.

`pingpong-fallback-fetch.flow.json` posts the user's text to the Ping Pong
builder API and answers with its first reply. Its URI is CLOSER's
placeholder on https://builder.pingpong.us; the test points the node's
host at a fake on 127.0.0.1 (the path is kept) and allows exactly that
address in the guard — the only change made to the export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from flowbot.engine import InboundMessage, Ports, load_program, run_turn
from flowbot.format import load_bot_data
from flowbot.integrations import AddressGuard, GuardedHttp
from server.support import uvicorn_server

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "closer-exports"


def export(name: str) -> dict[str, Any]:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"compatibility fixture {name} is not available")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


async def test_the_pingpong_fallback_answers_with_the_apis_reply() -> None:
    flow = export("pingpong-fallback-fetch.flow.json")
    calls: list[dict[str, Any]] = []

    async def pingpong(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        calls.append({"path": request.url.path, "body": body, "headers": dict(request.headers)})
        query = body["request"]["query"]
        return JSONResponse({"response": {"replies": [{"type": "text", "text": f"퐁! {query}"}]}})

    app = Starlette(routes=[Route("/{path:path}", pingpong, methods=["POST"])])
    async with uvicorn_server(app) as base:
        [fetch] = [node for node in flow["nodes"] if node["type"] == "fetch"]
        original = urlsplit(fetch["data"]["uri"])
        assert original.hostname == "builder.pingpong.us"
        fetch["data"]["uri"] = base + original.path  # the fake, same path
        program = load_program(load_bot_data(flow), "pingpong")
        port = urlsplit(base).port
        async with GuardedHttp.default_client() as client:
            http = GuardedHttp(client, AddressGuard([f"127.0.0.1:{port}"]))
            message = InboundMessage("c1", type="text", text="안녕 핑퐁")
            result = await run_turn(program, None, message, Ports(http=http))
    assert result.error is None, result.error
    assert [reply["text"] for reply in result.replies] == ["퐁! 안녕 핑퐁"]
    [call] = calls
    # {{message}} is the user's text, as CLOSER prints its message object
    assert call["body"] == {"request": {"query": "안녕 핑퐁"}}
    # the header as the export writes it, sent as UTF-8 (Starlette reads headers as latin-1)
    sent = call["headers"]["authorization"].encode("latin-1").decode("utf-8")
    assert sent == "Basic [핑퐁 빌더 인증 토큰]"
    assert call["path"] == original.path
    assert result.state.fetch["status"] == "COMPLETED"


async def test_without_allowing_it_the_same_fetch_is_refused() -> None:
    flow = export("pingpong-fallback-fetch.flow.json")
    [fetch] = [node for node in flow["nodes"] if node["type"] == "fetch"]
    fetch["data"]["uri"] = "http://127.0.0.1:9/api"
    program = load_program(load_bot_data(flow), "pingpong")
    async with httpx.AsyncClient() as client:
        http = GuardedHttp(client, AddressGuard())
        result = await run_turn(program, None, InboundMessage("c", text="hi"), Ports(http=http))
    assert result.error is not None and "fetch refused" in result.error
    assert "127.0.0.1" in result.error
