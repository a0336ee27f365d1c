"""Fake Facebook and LINE platforms on 127.0.0.1, and users who talk to flowbot through them.

Each fake is a real HTTP server that records every request flowbot makes and
answers as the platform documents: Facebook's Send API returns
`{"recipient_id", "message_id"}`; LINE's reply and push return
`{"sentMessages": [...]}`, refuse an unknown or used reply token with 400,
and check every body with LINE's own SDK models (line-bot-sdk).

The users play the platform: they send webhook bodies shaped as the
platforms send them, signed as the platforms sign them, and every click is
built from what flowbot rendered — a Messenger postback button's `payload`
comes back as `postback.payload`, a quick reply's as
`message.quick_reply.payload`, a LINE postback action's `data` as
`postback.data`, a LINE message action's `text` as a text message.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from linebot.v3.messaging import (
    PushMessageRequest,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from flowbot.channels import facebook, line

PAGE_ID = "PAGE-1"
FB_SECRET = "fb-app-secret"
FB_VERIFY = "fb-verify-token"
FB_TOKEN = "fb-page-token"
LINE_SECRET = "line-channel-secret"
LINE_TOKEN = "line-channel-token"
PUBLIC_URL = "https://bots.example.test"

_ids = itertools.count(1)


@dataclass
class Call:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    # what the fake answered (set once it has)
    status: int = 0


@dataclass
class FakePlatform:
    """What every fake shares: the recorded calls, scripted failures, a delay."""

    calls: list[Call] = field(default_factory=list)
    # statuses to answer the next calls with, before answering normally
    fail_next: list[int] = field(default_factory=list)
    delay: float = 0.0
    problems: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def record(self, request: Request) -> tuple[Call, Response | None]:
        if self.delay:
            await asyncio.sleep(self.delay)
        call = Call(
            request.url.path,
            dict(request.query_params),
            {k.lower(): v for k, v in request.headers.items()},
            json.loads(await request.body()),
        )
        self.calls.append(call)
        self.arrived.set()
        if self.fail_next:
            status = self.fail_next.pop(0)
            return call, JSONResponse({"message": f"scripted {status}"}, status_code=status)
        return call, None

    def endpoint(self, answer: Callable[[Call], Response]) -> Callable[[Request], Any]:
        """A route that records the call, then answers it (or fails it as scripted)."""

        async def route(request: Request) -> Response:
            call, scripted = await self.record(request)
            response = scripted if scripted is not None else answer(call)
            call.status = response.status_code
            return response

        return route

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Call]:
        """The calls once there are at least `count` (and a moment for stragglers)."""
        deadline = time.monotonic() + timeout
        while len(self.calls) < count:
            self.arrived.clear()
            left = deadline - time.monotonic()
            assert left > 0, f"expected {count} calls, got {len(self.calls)}: {self.calls}"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), left)
        return self.calls


class FakeFacebook(FakePlatform):
    def app(self) -> Starlette:
        def send(call: Call) -> Response:
            if call.query.get("access_token") != FB_TOKEN:
                return JSONResponse({"error": {"message": "Invalid OAuth access token"}}, 400)
            body = call.body
            recipient = body.get("recipient", {}).get("id")
            if not recipient:
                return _fb_error("(#100) The parameter recipient is required")
            if "sender_action" in body:
                return JSONResponse({"recipient_id": recipient})
            if body.get("messaging_type") not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
                return _fb_error("(#100) messaging_type is required")
            problem = facebook_message_problem(body.get("message"))
            if problem:
                self.problems.append(problem)
                return _fb_error(f"(#100) {problem}")
            return JSONResponse({"recipient_id": recipient, "message_id": f"m_{next(_ids)}"})

        return Starlette(
            routes=[Route("/v21.0/me/messages", self.endpoint(send), methods=["POST"])]
        )

    def messages(self, psid: str) -> list[dict[str, Any]]:
        return [
            c.body["message"]
            for c in self.calls
            if c.status == 200
            and c.body.get("recipient", {}).get("id") == psid
            and "message" in c.body
        ]


def _fb_error(message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": "OAuthException", "code": 100}}, 400)


def facebook_message_problem(message: Any) -> str | None:
    """The Send API's documented rules for one message object, checked as Messenger would."""
    if not isinstance(message, dict):
        return "message must be an object"
    if "text" in message:
        if not message["text"] or len(message["text"]) > 2000:
            return "text must be 1-2000 characters"
    elif "attachment" not in message:
        return "message needs text or an attachment"
    quick = message.get("quick_replies", [])
    if len(quick) > 13:
        return "at most 13 quick replies"
    for item in quick:
        if len(item.get("title", "")) > 20 or len(item.get("payload", "")) > 1000:
            return "quick reply title 20, payload 1000"
    payload = message.get("attachment", {}).get("payload", {})
    template = payload.get("template_type")
    buttons = list(payload.get("buttons", []))
    if template == "button" and (not payload.get("text") or len(payload["text"]) > 640):
        return "button template text must be 1-640 characters"
    if template == "generic":
        elements = payload.get("elements", [])
        if not 1 <= len(elements) <= 10:
            return "generic template: 1-10 elements"
        for element in elements:
            if not element.get("title") or len(element["title"]) > 80:
                return "element title 1-80 characters"
            if len(element.get("subtitle", "")) > 80:
                return "element subtitle at most 80 characters"
            buttons.extend(element.get("buttons", []))
            if len(element.get("buttons", [])) > 3:
                return "at most 3 buttons per element"
    for button in buttons:
        if len(button.get("title", "")) > 20:
            return "button title at most 20 characters"
        if button["type"] == "postback" and not 0 < len(button.get("payload", "")) <= 1000:
            return "postback payload 1-1000 characters"
    return None


class FakeLine(FakePlatform):
    def __init__(self) -> None:
        super().__init__()
        # reply tokens handed out and not used yet, and whom each was for
        self.reply_tokens: set[str] = set()
        self.token_users: dict[str, str] = {}

    def new_reply_token(self, user: str) -> str:
        token = uuid.uuid4().hex
        self.reply_tokens.add(token)
        self.token_users[token] = user
        return token

    def app(self) -> Starlette:
        def checked(model: Any, body: Any) -> Response | None:
            try:
                parsed = model.from_dict(body)
            except Exception as error:  # the SDK refuses the body
                self.problems.append(f"{model.__name__}: {error}")
                return JSONResponse({"message": f"The request body has 1 error(s): {error}"}, 400)
            kept = parsed.to_dict()
            if not _same_json(kept, body):
                self.problems.append(f"{model.__name__}: the SDK dropped fields: {body} → {kept}")
            return None

        def reply(call: Call) -> Response:
            if refused := self._unauthorized(call) or checked(ReplyMessageRequest, call.body):
                return refused
            token = call.body["replyToken"]
            if token not in self.reply_tokens:
                return JSONResponse({"message": "Invalid reply token"}, 400)
            self.reply_tokens.discard(token)
            return self._sent(call.body["messages"])

        def push(call: Call) -> Response:
            if refused := self._unauthorized(call) or checked(PushMessageRequest, call.body):
                return refused
            return self._sent(call.body["messages"])

        def loading(call: Call) -> Response:
            if refused := self._unauthorized(call) or checked(
                ShowLoadingAnimationRequest, call.body
            ):
                return refused
            return JSONResponse({}, status_code=202)

        return Starlette(
            routes=[
                Route(line.REPLY_PATH, self.endpoint(reply), methods=["POST"]),
                Route(line.PUSH_PATH, self.endpoint(push), methods=["POST"]),
                Route(line.LOADING_PATH, self.endpoint(loading), methods=["POST"]),
            ]
        )

    def _unauthorized(self, call: Call) -> Response | None:
        if call.headers.get("authorization") != f"Bearer {LINE_TOKEN}":
            return JSONResponse({"message": "Authentication failed"}, 401)
        return None

    @staticmethod
    def _sent(messages: list[Any]) -> Response:
        sent = [{"id": str(next(_ids)), "quoteToken": uuid.uuid4().hex} for _ in messages]
        return JSONResponse({"sentMessages": sent})

    def messages(self, user: str) -> list[dict[str, Any]]:
        """Every message object sent to `user`, by reply or push, in order."""
        out: list[dict[str, Any]] = []
        for call in self.calls:
            if (
                call.path == line.PUSH_PATH and call.status == 200 and call.body.get("to") == user
            ) or (
                call.path == line.REPLY_PATH
                and call.status == 200
                and self.token_users.get(call.body.get("replyToken")) == user
            ):
                out.extend(call.body["messages"])
        return out


def _same_json(kept: Any, sent: Any) -> bool:
    """Whether the SDK's dump holds everything flowbot sent (it may add defaults)."""
    if isinstance(sent, dict):
        return isinstance(kept, dict) and all(
            key in kept and _same_json(kept[key], value) for key, value in sent.items()
        )
    if isinstance(sent, list):
        return (
            isinstance(kept, list)
            and len(kept) == len(sent)
            and all(_same_json(a, b) for a, b in zip(kept, sent, strict=True))
        )
    return bool(kept == sent)


# --- users --------------------------------------------------------------------------


class PlatformUser:
    """A messenger user: each action is a signed webhook, then a wait for flowbot's answer."""

    def __init__(
        self, client: httpx.AsyncClient, fake: FakeFacebook | FakeLine, bot: str, key: str
    ) -> None:
        self.client = client
        self.fake = fake
        self.bot = bot
        self.key = key
        self.seen = 0

    async def post(self, *events: dict[str, Any]) -> httpx.Response:
        raise NotImplementedError

    async def _answer(self, event: dict[str, Any], expect: int) -> list[dict[str, Any]]:
        started = time.monotonic()
        response = await self.post(event)
        assert response.status_code == 200, response.text
        assert time.monotonic() - started < 2.0, "the webhook must answer at once"
        return await self.replies(expect)

    async def replies(self, expect: int) -> list[dict[str, Any]]:
        """The next `expect` messages the platform got for this user (and no more)."""
        deadline = time.monotonic() + 10
        while len(self.fake.messages(self.key)) < self.seen + expect:
            assert time.monotonic() < deadline, self.fake.messages(self.key)[self.seen :]
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # nothing more should come
        messages = self.fake.messages(self.key)
        new, self.seen = messages[self.seen :], len(messages)
        assert len(new) == expect, new
        return new


class FacebookUser(PlatformUser):
    """A Messenger user (PSID)."""

    def __init__(self, client: httpx.AsyncClient, fake: FakeFacebook, bot: str, psid: str) -> None:
        super().__init__(client, fake, bot, psid)
        self.psid = psid

    def event(self, **item: Any) -> dict[str, Any]:
        return {
            "sender": {"id": self.psid},
            "recipient": {"id": PAGE_ID},
            "timestamp": int(time.time() * 1000),
            **item,
        }

    async def post(self, *events: dict[str, Any]) -> httpx.Response:
        body = json.dumps(
            {"object": "page", "entry": [{"id": PAGE_ID, "time": 1, "messaging": list(events)}]}
        ).encode()
        headers = {
            "content-type": "application/json",
            facebook.SIGNATURE_HEADER: facebook.sign(FB_SECRET, body),
        }
        return await self.client.post(
            f"/channels/facebook/{self.bot}", content=body, headers=headers
        )

    async def say(self, text: str, expect: int = 1) -> list[dict[str, Any]]:
        message = {"mid": f"m_in_{next(_ids)}", "text": text}
        return await self._answer(self.event(message=message), expect)

    async def click(self, button: dict[str, Any], expect: int = 1) -> list[dict[str, Any]]:
        """A postback button or a quick reply, as flowbot rendered it."""
        if "content_type" in button:  # a quick reply
            message = {
                "mid": f"m_in_{next(_ids)}",
                "text": button["title"],
                "quick_reply": {"payload": button["payload"]},
            }
            return await self._answer(self.event(message=message), expect)
        assert button["type"] == "postback", button
        postback = {
            "mid": f"m_in_{next(_ids)}",
            "title": button["title"],
            "payload": button["payload"],
        }
        return await self._answer(self.event(postback=postback), expect)


class LineUser(PlatformUser):
    """A LINE user in a one-on-one chat; each action is a signed webhook event."""

    def __init__(self, client: httpx.AsyncClient, fake: FakeLine, bot: str, user_id: str) -> None:
        super().__init__(client, fake, bot, user_id)
        self.line = fake
        self.user_id = user_id

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        token = self.line.new_reply_token(self.user_id)
        return {
            "type": kind,
            "mode": "active",
            "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": self.user_id},
            "webhookEventId": f"01H{uuid.uuid4().hex[:23].upper()}",
            "deliveryContext": {"isRedelivery": False},
            "replyToken": token,
            **fields,
        }

    async def post(self, *events: dict[str, Any]) -> httpx.Response:
        body = json.dumps({"destination": "Ubot", "events": list(events)}).encode()
        headers = {"content-type": "application/json", line.SIGNATURE_HEADER: line_signature(body)}
        return await self.client.post(f"/channels/line/{self.bot}", content=body, headers=headers)

    async def follow(self, expect: int = 1) -> list[dict[str, Any]]:
        return await self._answer(self.event("follow"), expect)

    async def say(self, text: str, expect: int = 1) -> list[dict[str, Any]]:
        message = {"id": str(next(_ids)), "type": "text", "text": text, "quoteToken": "q"}
        return await self._answer(self.event("message", message=message), expect)

    async def click(self, action: dict[str, Any], expect: int = 1) -> list[dict[str, Any]]:
        """An action as flowbot rendered it: postback data back as `postback.data`."""
        if action["type"] == "message":  # LINE sends the action's text as the user's message
            return await self.say(action["text"], expect)
        assert action["type"] == "postback", action
        return await self._answer(self.event("postback", postback={"data": action["data"]}), expect)


def line_signature(body: bytes) -> str:
    """Signed the way LINE signs a webhook (Base64 HMAC-SHA256 of the body, channel secret)."""
    import base64
    import hashlib
    import hmac

    return base64.b64encode(hmac.new(LINE_SECRET.encode(), body, hashlib.sha256).digest()).decode()


def text_of(message: dict[str, Any]) -> str:
    """The text a user reads first in one message object (either platform)."""
    if "text" in message and message.get("type", "text") == "text":
        return str(message["text"])
    if message.get("type") == "template":
        template = message["template"]
        if template["type"] == "carousel":
            return " | ".join(column.get("title", column["text"]) for column in template["columns"])
        return str(template["text"])
    payload = message.get("attachment", {}).get("payload", {})
    if payload.get("template_type") == "button":
        return str(payload["text"])
    if payload.get("template_type") == "generic":
        return " | ".join(element["title"] for element in payload["elements"])
    return f"<{message.get('type') or message.get('attachment', {}).get('type')}>"


def find(items: list[dict[str, Any]], match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    found = [item for item in items if match(item)]
    assert len(found) == 1, items
    return found[0]


# --- flowbot with both fakes --------------------------------------------------------


@dataclass
class Messengers:
    client: httpx.AsyncClient
    facebook: FakeFacebook
    line: FakeLine
    app: Any

    def fb_user(self, bot: str, psid: str) -> FacebookUser:
        return FacebookUser(self.client, self.facebook, bot, psid)

    def line_user(self, bot: str, user_id: str) -> LineUser:
        return LineUser(self.client, self.line, bot, user_id)


def messenger_settings(fb_url: str, line_url: str) -> dict[str, Any]:
    """A bot's `channels` pointing at the fakes (what `[bots.<id>.channels.*]` gives)."""
    from pydantic import SecretStr

    return {
        "facebook": facebook.Settings(
            app_secret=SecretStr(FB_SECRET),
            verify_token=SecretStr(FB_VERIFY),
            page_access_token=SecretStr(FB_TOKEN),
            api_base=f"{fb_url}/v21.0",
        ),
        "line": line.Settings(
            channel_secret=SecretStr(LINE_SECRET),
            channel_access_token=SecretStr(LINE_TOKEN),
            api_base=line_url,
        ),
    }


@contextlib.asynccontextmanager
async def serve_messengers(
    database: str,
    bots: dict[str, Any],
    *,
    without_channels: tuple[str, ...] = (),
    fakes: tuple[FakeFacebook, FakeLine] | None = None,
    **app_kwargs: Any,
) -> AsyncIterator[Messengers]:
    """Both fakes and flowbot, each a uvicorn on 127.0.0.1.

    Every bot has both messengers, except those named in `without_channels`.
    Pass `fakes` to keep the same fake platforms across a restart of flowbot.
    """
    from flowbot.config import BotSource, Settings
    from flowbot.server import create_app

    from .support import API_KEY, uvicorn_server

    fake_facebook, fake_line = fakes or (FakeFacebook(), FakeLine())
    async with (
        uvicorn_server(fake_facebook.app()) as fb_url,
        uvicorn_server(fake_line.app()) as line_url,
    ):
        channels = messenger_settings(fb_url, line_url)
        settings = Settings(
            bots=[
                BotSource(bot_id, path, {} if bot_id in without_channels else channels)
                for bot_id, path in bots.items()
            ],
            database=database,
            api_key=API_KEY,
            # where the bots' own media (/media/<bot>/…) are public, for the messengers
            web_public_url=PUBLIC_URL,
        )
        app = create_app(settings, **app_kwargs)
        async with (
            uvicorn_server(app) as url,
            httpx.AsyncClient(base_url=url, timeout=10) as client,
        ):
            yield Messengers(client, fake_facebook, fake_line, app)
        assert fake_facebook.problems == [], fake_facebook.problems
        assert fake_line.problems == [], fake_line.problems
