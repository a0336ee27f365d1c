"""POST /channels/web/{botId}/messages as a bare ASGI app: every web turn's path.

This one route is answered below Starlette (`FlowbotApp` hands it straight
here): its request and response are small and fixed, and Starlette's
per-request machinery — the error and exception middlewares, the router,
CORSMiddleware's header wrappers, Request and Response objects — cost more CPU
than the turn itself (bench/http.py: about a third of a request's time). The
route stays registered in Starlette for everything else it must answer
(CORS preflights, 405s), so both paths give the same answers: tests/server
test_web.py runs against the app either way.

What it does by hand, and what it must keep doing like Starlette did:
- reads the body in chunks with a size limit (413), JSON errors 400/422;
- CORS on the answer (simple requests): `Access-Control-Allow-Origin` "*" or
  the allowed origin mirrored with `Vary: Origin`, nothing for other origins;
- an unexpected exception is logged with its traceback and answered with
  500 JSON when nothing was sent yet.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Scope, Send

from flowbot.channels import ChannelInputError, Rendered
from flowbot.channels import web as web_channel
from flowbot.engine import TurnResult
from flowbot.server.context import ServerContext
from flowbot.server.conversations import TurnRequest
from flowbot.server.errors import ServiceError
from flowbot.server.http import BodyTooLarge, error_body, log_refusal, read_body

__all__ = ["MAX_BODY_BYTES", "MessagesEndpoint"]

logger = logging.getLogger("flowbot.server")

# A message is at most a few KB (5,000 text + 1,000 payload + params).
MAX_BODY_BYTES = 64 * 1024

_PREFIX = "/channels/web/"
_SUFFIX = "/messages"
_JSON = (b"content-type", b"application/json")
_VARY_ORIGIN = (b"vary", b"Origin")
_ANY_ORIGIN = (b"access-control-allow-origin", b"*")

Headers = list[tuple[bytes, bytes]]


class _Refused(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        problems: Sequence[str] = (),
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.message = message
        self.problems = problems
        self.code = code
        self.retry_after = retry_after


class MessagesEndpoint:
    def __init__(self, ctx: ServerContext) -> None:
        self.ctx = ctx
        origins = ctx.settings.web_allowed_origins
        self._any_origin = "*" in origins
        self._origins = frozenset(origins)

    @staticmethod
    def bot_of(scope: Scope) -> str | None:
        """The bot id when `scope` is a POST to this route, else None."""
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        if not (path.startswith(_PREFIX) and path.endswith(_SUFFIX)):
            return None
        bot_id = path[len(_PREFIX) : -len(_SUFFIX)]
        # Starlette's "{bot_id}" matches one non-empty path segment
        return bot_id if bot_id and "/" not in bot_id else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As a Starlette route's app: the bot id is in the path params."""
        await self.answer(scope, receive, send, scope["path_params"]["bot_id"])

    async def answer(self, scope: Scope, receive: Receive, send: Send, bot_id: str) -> None:
        token = origin = declared = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                token = _bearer(value)
            elif name == b"origin":
                origin = value
            elif name == b"content-length":
                declared = value
        client = scope.get("client")
        address = client[0] if client else None
        retry_after: float | None = None
        try:
            status, content = await self._turn(receive, bot_id, token, declared, address)
        except ClientDisconnect:
            return  # left before its body arrived: there is nobody to answer
        except _Refused as refusal:
            log_refusal("POST", scope["path"], refusal.status, refusal.message, refusal.problems)
            content = error_body(refusal.message, refusal.problems, refusal.code)
            status, retry_after = refusal.status, refusal.retry_after
        except Exception:
            # nothing was sent yet: the client gets a 500 and the log the traceback
            logger.exception("POST %s failed", scope["path"])
            status, content = 500, error_body("internal error; see the server log")
        headers: Headers = [_JSON, (b"content-length", str(len(content)).encode("ascii"))]
        if retry_after is not None:
            headers.append((b"retry-after", str(max(1, round(retry_after))).encode("ascii")))
        if origin is not None:
            self._allow_origin(headers, origin)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    async def _turn(
        self,
        receive: Receive,
        bot_id: str,
        token: str | None,
        declared: bytes | None,
        address: str | None,
    ) -> tuple[int, bytes]:
        ctx = self.ctx
        if bot_id not in ctx.bots:
            raise _Refused(404, f"no bot {bot_id!r}")
        try:
            body = await read_body(receive, declared, MAX_BODY_BYTES)
        except BodyTooLarge:
            raise _Refused(413, f"the body is over {MAX_BODY_BYTES} bytes") from None
        try:
            parsed = web_channel.parse_request(body)
            message = parsed.message
            request = TurnRequest(
                bot_id,
                "web",
                message.user_key,
                message,
                parsed.message_id,
                token=token,
                client=address,
            )
            turn = await ctx.service.turn(request, _render)
        except ChannelInputError as error:
            raise _Refused(error.status, error.message, error.problems) from None
        except ServiceError as error:
            raise _Refused(
                error.status,
                error.message,
                code=error.code,
                retry_after=getattr(error, "retry_after", None),
            ) from None
        conversation = turn.conversation
        answer = turn.rendered.answer
        assert answer is not None
        return 200, _dump(
            {**answer, "conversationId": conversation.id, "token": conversation.token}
        )

    def _allow_origin(self, headers: Headers, origin: bytes) -> None:
        # What starlette's CORSMiddleware adds to a simple (non-preflight) answer.
        if self._any_origin:
            headers.append(_ANY_ORIGIN)
        elif origin.decode("latin-1") in self._origins:
            headers.append((b"access-control-allow-origin", origin))
            headers.append(_VARY_ORIGIN)
        else:
            headers.append(_VARY_ORIGIN)


def _render(result: TurnResult) -> Rendered:
    return Rendered(answer=web_channel.render_answer(result.replies, result.quick_replies))


def _bearer(header: bytes) -> str | None:
    scheme, _, value = header.decode("latin-1").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value:
        return None
    return value


def _dump(answer: Any) -> bytes:
    try:
        return orjson.dumps(answer, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        # integers over 64 bits: the standard library writes them
        return json.dumps(
            answer, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode()
