"""KakaoTalk and TalkTalk answer in the webhook's response: budgets, callbacks, refusals.

A slow turn (a fetch node that waits 5 s on a local server) is answered
with Kakao's `useCallback` and then POSTed to the callback URL; without a
callback URL Kakao gets the bot's error message in time; on TalkTalk the
webhook answers empty and the whole answer follows by the send API. Wrong
path tokens answer 404, addresses outside the allow-list 403, malformed
bodies 400 — never a 500 — each with a log line that does not show the token.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from flowbot.format.models import SystemMessages

from .korean_platforms import KAKAO_TOKEN, NAVER_TOKEN, serve_korean_messengers
from .support import POKEMON, uvicorn_server
from .test_korean_scenarios import kakao_text, talktalk_text
from .test_messenger_scenarios import database

ERROR = SystemMessages().error


@contextlib.asynccontextmanager
async def slow_api(seconds: float) -> AsyncIterator[str]:
    async def slow(request: Request) -> JSONResponse:
        await asyncio.sleep(seconds)
        return JSONResponse({"item": request.query_params.get("item", "")})

    async with uvicorn_server(Starlette(routes=[Route("/slow", slow)])) as base:
        yield base


# a bot of one flow: its entry node 1 leads to node 2, which each test writes
ONE_FLOW = (
    "start: 1\n"
    "flows:\n"
    "  - id: 1\n"
    "    name: Main\n"
    "    data: {entry: 1}\n"
    "    nodes:\n"
    "      - {id: 1, type: entry, data: {}, next: [{nodeId: 2}]}\n"
)


def slow_bot(tmp_path: Path, base: str) -> Path:
    bot = tmp_path / "slow.yaml"
    bot.write_text(
        ONE_FLOW + "      - id: 2\n"
        "        type: fetch\n"
        f"        data: {{uri: '{base}/slow?item={{{{message}}}}', method: GET, timeout: 20000}}\n"
        "        next: [{nodeId: 3}]\n"
        "      - id: 3\n"
        "        type: response\n"
        "        data: {message: {type: text, text: 'ready: {{fetch.data.item}}'}}\n"
        "        next: [{nodeId: 4}]\n"
        "      - id: 4\n"
        "        type: response\n"
        "        data: {message: {type: text, text: 'and one more thing'}}\n",
        encoding="utf-8",
    )
    return bot


async def test_a_slow_turn_on_kakao_is_answered_by_callback(tmp_path: Path) -> None:
    async with slow_api(5.0) as base:
        allow = (urlsplit(base).netloc,)
        bots = {"slow": slow_bot(tmp_path, base)}
        async with serve_korean_messengers(database(tmp_path), bots, fetch_allow=allow) as korean:
            user = korean.kakao_user("slow", "kakao-slow")
            user.callback = True
            started = time.monotonic()
            answer = await user.send("tea")
            # the useCallback came at once (checked in send: < 5 s), the answer 5 s later
            assert user.late
            assert time.monotonic() - started >= 4.5
            assert [kakao_text(o) for o in answer["template"]["outputs"]] == [
                "ready: tea",
                "and one more thing",
            ]
            [callback] = korean.callbacks.calls
            assert callback.headers["content-type"] == "application/json"


async def test_kakaos_wait_answer_is_the_callback_shape(tmp_path: Path) -> None:
    async with slow_api(5.0) as base:
        bots = {"slow": slow_bot(tmp_path, base)}
        async with serve_korean_messengers(
            database(tmp_path),
            bots,
            fetch_allow=(urlsplit(base).netloc,),
            kakao={"waiting_text": "잠시만요"},
        ) as korean:
            user = korean.kakao_user("slow", "kakao-wait")
            body = user.payload("tea", callback_url=f"{korean.callback_base}/callback/abc")
            started = time.monotonic()
            response = await user.post(body)
            assert 3.0 <= time.monotonic() - started < 4.5
            assert response.json() == {
                "version": "2.0",
                "useCallback": True,
                "data": {"text": "잠시만요"},
            }
            late = await korean.callbacks.wait_for("/callback/abc")
            assert kakao_text(late["template"]["outputs"][0]) == "ready: tea"


async def test_without_a_callback_kakao_gets_the_error_message_in_time(tmp_path: Path) -> None:
    async with slow_api(5.0) as base:
        bots = {"slow": slow_bot(tmp_path, base)}
        async with serve_korean_messengers(
            database(tmp_path), bots, fetch_allow=(urlsplit(base).netloc,)
        ) as korean:
            user = korean.kakao_user("slow", "kakao-nocb")
            started = time.monotonic()
            [output] = await user.say("tea")
            assert time.monotonic() - started < 4.5
            assert output == {"simpleText": {"text": ERROR}}
            assert korean.callbacks.calls == []


async def test_a_callback_url_off_callback_hosts_is_not_called(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with slow_api(5.0) as base:
        bots = {"slow": slow_bot(tmp_path, base)}
        async with serve_korean_messengers(
            database(tmp_path),
            bots,
            fetch_allow=(urlsplit(base).netloc,),
            kakao={"callback_hosts": ["*.kakao.com"]},
        ) as korean:
            user = korean.kakao_user("slow", "kakao-ssrf")
            body = user.payload("tea", callback_url=f"{korean.callback_base}/callback/evil")
            with caplog.at_level(logging.WARNING, logger="flowbot.channels"):
                response = await user.post(body)
            assert response.json()["template"]["outputs"] == [{"simpleText": {"text": ERROR}}]
            assert "is not on callback_hosts" in caplog.text
            await asyncio.sleep(0.3)
            assert korean.callbacks.calls == []


async def test_a_slow_turn_on_talktalk_answers_empty_then_sends_everything(
    tmp_path: Path,
) -> None:
    async with slow_api(4.0) as base:
        bots = {"slow": slow_bot(tmp_path, base)}
        async with serve_korean_messengers(
            database(tmp_path), bots, fetch_allow=(urlsplit(base).netloc,)
        ) as korean:
            user = korean.talktalk_user("slow", "tt-slow")
            started = time.monotonic()
            response = await user.post(
                {"event": "send", "user": "tt-slow", "textContent": {"text": "tea"}}
            )
            assert response.status_code == 200 and response.content == b""
            assert time.monotonic() - started < 4.0
            deadline = time.monotonic() + 10
            while len(korean.talktalk.sent("tt-slow")) < 2:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
            assert [talktalk_text(m) for m in korean.talktalk.sent("tt-slow")] == [
                "ready: tea",
                "and one more thing",
            ]


# --- the manual node on Kakao -------------------------------------------------------


def manual_bot(tmp_path: Path) -> Path:
    bot = tmp_path / "desk.yaml"
    bot.write_text(
        ONE_FLOW + "      - id: 2\n"
        "        type: manual\n"
        "        data:\n"
        "          message:\n"
        "            type: text\n"
        "            text: 'Calling an agent…'\n"
        "            kakao: '상담을 원하시면 눌러 주세요.'\n",
        encoding="utf-8",
    )
    return bot


async def test_the_manual_node_offers_kakaos_consultation_button(tmp_path: Path) -> None:
    async with serve_korean_messengers(database(tmp_path), {"desk": manual_bot(tmp_path)}) as k:
        user = k.kakao_user("desk", "kakao-desk")
        [output] = await user.say("사람이랑 얘기할래요")
        assert output == {
            "textCard": {
                "description": "상담을 원하시면 눌러 주세요.",
                "buttons": [{"label": "상담원 연결", "action": "operator"}],
            }
        }
        talktalk = k.talktalk_user("desk", "tt-desk")
        [announced] = await talktalk.say("agent")
        assert announced == {"textContent": {"text": "Calling an agent…"}}


# --- TalkTalk's events ----------------------------------------------------------------


async def test_talktalk_open_options_and_friend_land_in_params(tmp_path: Path) -> None:
    bot = tmp_path / "params.yaml"
    bot.write_text(
        ONE_FLOW + "      - id: 2\n"
        "        type: response\n"
        "        data:\n"
        "          message: {type: text, text: 'from {{inflow}} / {{referer}} friend={{friend}}'}\n"
        "        next: [{nodeId: 3}]\n"
        "      - {id: 3, type: keyboard, data: {type: text}, next: [{nodeId: 2}]}\n",
        encoding="utf-8",
    )
    async with serve_korean_messengers(database(tmp_path), {"p": bot}) as korean:
        user = korean.talktalk_user("p", "tt-params")
        [hello] = await user.open(referer="https://shop.example/a")
        assert talktalk_text(hello) == "from list / https://shop.example/a friend="
        response = await user.post(
            {"event": "friend", "user": "tt-params", "options": {"set": "on"}}
        )
        assert (response.status_code, response.content) == (200, b"")
        [again] = await user.say("hi")
        assert talktalk_text(again) == "from list / https://shop.example/a friend=on"
        for ignored in ("leave", "echo"):
            response = await user.post({"event": ignored, "user": "tt-params"})
            assert (response.status_code, response.content) == (200, b"")


# --- refusals -------------------------------------------------------------------------


async def test_wrong_tokens_addresses_and_bodies_are_refused_never_500(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with serve_korean_messengers(database(tmp_path), {"pokemon": POKEMON}) as korean:
        client = korean.client
        good = json.dumps(korean.kakao_user("pokemon", "u").payload("hi")).encode()
        with caplog.at_level(logging.INFO, logger="flowbot.server"):
            for path in (
                "/channels/kakao/pokemon/wrong-token-0123456789",
                "/channels/kakao/pokemon",
                f"/channels/kakao/nobot/{KAKAO_TOKEN}",
                "/channels/navertalk/pokemon/%ED%95%9C%EA%B8%80",
                f"/channels/navertalk/pokemon/{KAKAO_TOKEN}",
            ):
                response = await client.post(path, content=good)
                assert response.status_code == 404, (path, response.text)
            for body in (b"", b"not json", b"[]", b'{"userRequest": 1}', b"{" * 5000, b"\xff"):
                for path in (
                    f"/channels/kakao/pokemon/{KAKAO_TOKEN}",
                    f"/channels/navertalk/pokemon/{NAVER_TOKEN}",
                ):
                    response = await client.post(path, content=body)
                    assert response.status_code == 400, (path, body[:20], response.text)
        assert KAKAO_TOKEN not in caplog.text and NAVER_TOKEN not in caplog.text
        assert "/channels/kakao/pokemon/*** -> 404" in caplog.text


async def test_an_address_outside_allowed_ips_is_refused(tmp_path: Path) -> None:
    async with serve_korean_messengers(
        database(tmp_path), {"pokemon": POKEMON}, kakao={"allowed_ips": ["10.0.0.0/8"]}
    ) as korean:
        user = korean.kakao_user("pokemon", "kakao-ip")
        response = await user.post(user.payload("hi"))
        assert response.status_code == 403
    async with serve_korean_messengers(
        database(tmp_path),
        {"pokemon": POKEMON},
        kakao={"allowed_ips": ["127.0.0.0/8"], "header_secret": "s3cret"},
    ) as korean:
        user = korean.kakao_user("pokemon", "kakao-ip")
        assert (await user.post(user.payload("hi"))).status_code == 403  # no header
        response = await korean.client.post(
            f"/channels/kakao/pokemon/{KAKAO_TOKEN}",
            content=json.dumps(user.payload("hi")).encode(),
            headers={"X-Flowbot-Secret": "s3cret"},
        )
        assert response.status_code == 200
        assert response.json()["version"] == "2.0"
