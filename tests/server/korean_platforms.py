"""Fake KakaoTalk and Naver TalkTalk on 127.0.0.1, and users who talk to flowbot through them.

Kakao i Open Builder calls a skill URL with a SkillPayload and shows the
SkillResponse of the HTTP answer; for a block with a callback, the request
carries `userRequest.callbackUrl`, flowbot may answer `useCallback` at once
and POSTs the real SkillResponse there within a minute. The fake callback
endpoint records those POSTs and answers as Kakao's guide documents
(`{"taskId", "status": "SUCCESS", …}`).

TalkTalk posts one event per request and shows the `send` event of the
answer; every further message comes through its send API (`POST
/chatbot/v1/event` with the partner's `Authorization` key), which the fake
records and answers `{"success": true, "resultCode": "00"}`.

The users play the platform: a Kakao button's `extra` comes back as
`action.clientExtra` with `utterance` = its `messageText`; a TalkTalk TEXT
button's `code` comes back as `textContent.code` with `inputType: "button"`
and its title as the text.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

KAKAO_TOKEN = "kakao-path-token-0123456789"
NAVER_TOKEN = "naver-path-token-0123456789"
NAVER_AUTH = "naver-partner-key"
BOT_ID = "5f0000000000000000000001"

_ids = itertools.count(1)


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeKakaoCallbacks:
    """Kakao's callback endpoint: `POST /callback/<id>`, each URL usable once."""

    calls: list[Recorded] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def callback(request: Request) -> Response:
            body = json.loads(await request.body())
            call = Recorded(request.url.path, dict(request.headers), body)
            task = request.path_params["task"]
            if any(c.path == call.path for c in self.calls):
                self.problems.append(f"callback URL {call.path} used twice")
                return JSONResponse({"taskId": task, "status": "FAIL"}, status_code=400)
            self.calls.append(call)
            problem = skill_response_problem(body)
            if problem is not None:
                self.problems.append(f"{call.path}: {problem}")
            return JSONResponse(
                {"taskId": task, "status": "SUCCESS", "message": "", "timestamp": time.time()}
            )

        return Starlette(routes=[Route("/callback/{task}", callback, methods=["POST"])])

    async def wait_for(self, path: str, timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls:
                if call.path == path:
                    return call.body
            assert time.monotonic() < deadline, f"no callback to {path}"
            await asyncio.sleep(0.02)


def skill_response_problem(body: Any) -> str | None:
    """What Kakao would refuse in a SkillResponse (the documented structure and counts)."""
    if not isinstance(body, dict) or body.get("version") != "2.0":
        return "not a version 2.0 SkillResponse"
    if body.get("useCallback") is True:
        return None
    template = body.get("template")
    if not isinstance(template, dict) or not isinstance(template.get("outputs"), list):
        return "no template.outputs"
    if not 1 <= len(template["outputs"]) <= 3:
        return f"{len(template['outputs'])} outputs (1 to 3)"
    if len(template.get("quickReplies", [])) > 10:
        return "more than 10 quickReplies"
    return None


@dataclass
class FakeTalkTalk:
    """TalkTalk's send API: `POST /chatbot/v1/event`."""

    calls: list[Recorded] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def app(self) -> Starlette:
        async def event(request: Request) -> Response:
            body = json.loads(await request.body())
            headers = {k.lower(): v for k, v in request.headers.items()}
            if headers.get("authorization") != NAVER_AUTH:
                self.problems.append(f"send API called with {headers.get('authorization')!r}")
                return JSONResponse(
                    {"success": False, "resultCode": "02", "resultMessage": "unauthorized"}
                )
            self.calls.append(Recorded(request.url.path, headers, body))
            return JSONResponse({"success": True, "resultCode": "00"})

        return Starlette(routes=[Route("/chatbot/v1/event", event, methods=["POST"])])

    def sent(self, user: str) -> list[dict[str, Any]]:
        return [
            c.body for c in self.calls if c.body.get("user") == user and c.body["event"] == "send"
        ]


# --- users --------------------------------------------------------------------------


class KakaoUser:
    """A KakaoTalk user of a skill block; `callback`: the block has Kakao's callback on."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        callbacks: FakeKakaoCallbacks,
        callback_base: str,
        bot: str,
        user_id: str,
        token: str = KAKAO_TOKEN,
    ) -> None:
        self.client = client
        self.callbacks = callbacks
        self.callback_base = callback_base
        self.bot = bot
        self.user_id = user_id
        self.token = token
        self.callback = False
        self.last: dict[str, Any] = {}
        self.late = False

    def payload(
        self, utterance: str, extra: dict[str, Any] | None = None, callback_url: str | None = None
    ) -> dict[str, Any]:
        """A SkillPayload as Kakao i Open Builder sends it."""
        user_request: dict[str, Any] = {
            "timezone": "Asia/Seoul",
            "params": {"ignoreMe": "true", "surface": "Kakaotalk.plusfriend"},
            "block": {"id": "6200000000000000000000aa", "name": "폴백 블록"},
            "utterance": utterance,
            "lang": "ko",
            "user": {
                "id": self.user_id,
                "type": "botUserKey",
                "properties": {
                    "botUserKey": self.user_id,
                    "plusfriendUserKey": "pf-" + self.user_id,
                },
            },
        }
        if callback_url is not None:
            user_request["callbackUrl"] = callback_url
        return {
            "intent": {"id": "6200000000000000000000aa", "name": "폴백 블록", "extra": {}},
            "userRequest": user_request,
            "bot": {"id": BOT_ID, "name": "flowbot"},
            "action": {
                "name": "flowbot",
                "clientExtra": extra if extra is not None else {},
                "params": {},
                "id": "6200000000000000000000bb",
                "detailParams": {},
            },
            "contexts": [],
        }

    async def post(self, body: dict[str, Any]) -> httpx.Response:
        return await self.client.post(
            f"/channels/kakao/{self.bot}/{self.token}",
            content=json.dumps(body, ensure_ascii=False).encode(),
            headers={"content-type": "application/json"},
        )

    async def send(self, utterance: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The SkillResponse the user gets: the HTTP answer, or the callback's body."""
        callback_url = None
        if self.callback:
            callback_url = f"{self.callback_base}/callback/{uuid.uuid4().hex}"
        started = time.monotonic()
        response = await self.post(self.payload(utterance, extra, callback_url))
        assert response.status_code == 200, response.text
        assert time.monotonic() - started < 5.0, "Kakao gives up after 5 s"
        assert response.headers["content-type"].startswith("application/json")
        answer = response.json()
        problem = skill_response_problem(answer)
        assert problem is None, (problem, answer)
        self.late = answer.get("useCallback") is True
        if self.late:
            assert callback_url is not None
            answer = await self.callbacks.wait_for(httpx.URL(callback_url).path)
        self.last = answer
        return answer

    async def say(self, text: str) -> list[dict[str, Any]]:
        return outputs(await self.send(text))

    async def click(self, button: dict[str, Any]) -> list[dict[str, Any]]:
        """A button or quick reply as flowbot rendered it: messageText back as the utterance."""
        assert button["action"] in ("message", "block"), button
        return outputs(await self.send(button["messageText"], button.get("extra")))

    def quick_replies(self) -> list[dict[str, Any]]:
        return list(self.last.get("template", {}).get("quickReplies", []))


def outputs(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return list(answer["template"]["outputs"])


class TalkTalkUser:
    """A TalkTalk user; each action is one event, answered in the response and by the send API."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        fake: FakeTalkTalk,
        bot: str,
        user: str,
        token: str = NAVER_TOKEN,
    ) -> None:
        self.client = client
        self.fake = fake
        self.bot = bot
        self.user = user
        self.token = token
        self.seen = 0

    async def post(self, body: dict[str, Any]) -> httpx.Response:
        return await self.client.post(
            f"/channels/navertalk/{self.bot}/{self.token}",
            content=json.dumps(body, ensure_ascii=False).encode(),
            headers={"content-type": "application/json;charset=UTF-8"},
        )

    async def event(self, body: dict[str, Any], expect: int) -> list[dict[str, Any]]:
        """The next `expect` messages the user sees: the answer's, then the send API's."""
        started = time.monotonic()
        response = await self.post(body)
        assert response.status_code == 200, response.text
        assert time.monotonic() - started < 5.0
        got: list[dict[str, Any]] = []
        if response.content:
            answer = response.json()
            assert answer["event"] == "send", answer
            assert "user" not in answer or answer["user"] == self.user
            got.append({k: v for k, v in answer.items() if k not in ("event", "user")})
        deadline = time.monotonic() + 10
        while len(got) + len(self.fake.sent(self.user)) - self.seen < expect:
            assert time.monotonic() < deadline, (got, self.fake.sent(self.user)[self.seen :])
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # nothing more should come
        later = self.fake.sent(self.user)[self.seen :]
        self.seen += len(later)
        got.extend({k: v for k, v in m.items() if k not in ("event", "user")} for m in later)
        assert len(got) == expect, got
        return got

    async def open(self, expect: int = 1, **options: Any) -> list[dict[str, Any]]:
        body = {"event": "open", "user": self.user, "options": {"inflow": "list", **options}}
        return await self.event(body, expect)

    async def say(self, text: str, expect: int = 1) -> list[dict[str, Any]]:
        body = {
            "event": "send",
            "user": self.user,
            "textContent": {"text": text, "inputType": "typing"},
            "options": {"mobile": True},
        }
        return await self.event(body, expect)

    async def click(self, button: dict[str, Any], expect: int = 1) -> list[dict[str, Any]]:
        """A TEXT button as flowbot rendered it: its title and code come back."""
        assert button["type"] == "TEXT", button
        body = {
            "event": "send",
            "user": self.user,
            "textContent": {
                "text": button["data"]["title"],
                "code": button["data"]["code"],
                "inputType": "button",
            },
            "options": {"mobile": True},
        }
        return await self.event(body, expect)


# --- flowbot with both fakes --------------------------------------------------------


@dataclass
class KoreanMessengers:
    client: httpx.AsyncClient
    callbacks: FakeKakaoCallbacks
    callback_base: str
    talktalk: FakeTalkTalk
    app: Any

    def kakao_user(self, bot: str, user_id: str) -> KakaoUser:
        return KakaoUser(self.client, self.callbacks, self.callback_base, bot, user_id)

    def talktalk_user(self, bot: str, user: str) -> TalkTalkUser:
        return TalkTalkUser(self.client, self.talktalk, bot, user)


def korean_settings(talktalk_url: str, **kakao: Any) -> dict[str, Any]:
    """A bot's `channels` for both (what `[bots.<id>.channels.*]` gives)."""
    from flowbot.channels import kakao as kakao_channel
    from flowbot.channels import navertalk

    return {
        "kakao": kakao_channel.Settings.model_validate(
            {"path_token": KAKAO_TOKEN, "callback_hosts": ["127.0.0.1"], **kakao}
        ),
        "navertalk": navertalk.Settings.model_validate(
            {"path_token": NAVER_TOKEN, "authorization": NAVER_AUTH, "api_base": talktalk_url}
        ),
    }


@contextlib.asynccontextmanager
async def serve_korean_messengers(
    database: str,
    bots: dict[str, Any],
    *,
    kakao: dict[str, Any] | None = None,
    fetch_allow: tuple[str, ...] = (),
    **app_kwargs: Any,
) -> AsyncIterator[KoreanMessengers]:
    """The fakes and flowbot, each a uvicorn on 127.0.0.1; every bot has both channels."""
    from flowbot.config import BotSource, Settings
    from flowbot.server import create_app

    from .platforms import PUBLIC_URL
    from .support import API_KEY, uvicorn_server

    callbacks, talktalk = FakeKakaoCallbacks(), FakeTalkTalk()
    async with (
        uvicorn_server(callbacks.app()) as callback_base,
        uvicorn_server(talktalk.app()) as talktalk_url,
    ):
        channels = korean_settings(talktalk_url, **(kakao or {}))
        settings = Settings(
            bots=[BotSource(bot_id, path, channels) for bot_id, path in bots.items()],
            database=database,
            api_key=API_KEY,
            web_public_url=PUBLIC_URL,
            fetch_allow=fetch_allow,
        )
        app = create_app(settings, **app_kwargs)
        async with (
            uvicorn_server(app) as url,
            httpx.AsyncClient(base_url=url, timeout=15) as client,
        ):
            yield KoreanMessengers(client, callbacks, callback_base, talktalk, app)
        assert callbacks.problems == [], callbacks.problems
        assert talktalk.problems == [], talktalk.problems


def next_id() -> int:
    return next(_ids)
