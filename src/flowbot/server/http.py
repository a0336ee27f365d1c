"""Small HTTP helpers shared by the route modules: error bodies, body limits, tokens."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.types import Receive

from flowbot.server.logs import redact

__all__ = [
    "BadJSON",
    "BodyTooLarge",
    "error_body",
    "error_response",
    "log_refusal",
    "read_body",
    "read_json",
]

logger = logging.getLogger("flowbot.server")

_DIGITS = re.compile(r"[0-9]{1,19}")


class BodyTooLarge(Exception):
    pass


class BadJSON(ValueError):
    pass


def error_response(
    request: Request,
    status: int,
    message: str,
    problems: Sequence[str] = (),
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A JSON error `{"error", "problems"?, "code"?}`, logged with the request line."""
    # the raw path, not request.url: building that decodes the query string,
    # which may not be UTF-8
    log_refusal(request.method, request.scope["path"], status, message, problems)
    return JSONResponse(_error(message, problems, code), status_code=status, headers=headers)


def error_body(message: str, problems: Sequence[str] = (), code: str | None = None) -> bytes:
    """The JSON bytes of `error_response`'s body, for the bare ASGI routes."""
    return orjson.dumps(_error(message, problems, code))


def log_refusal(
    method: str, path: str, status: int, message: str, problems: Sequence[str] = ()
) -> None:
    logger.info(
        "%s %s -> %d %s%s",
        method,
        redact(path),  # a Kakao or TalkTalk webhook's path ends in its secret
        status,
        message,
        "".join(f"\n  {line}" for line in problems[:20]),
    )


def _error(message: str, problems: Sequence[str], code: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": message}
    if problems:
        body["problems"] = list(problems)
    if code is not None:
        body["code"] = code
    return body


async def read_body(receive: Receive, declared: str | bytes | None, limit: int) -> bytes:
    """The raw body, refusing more than `limit` bytes without reading them all.

    `declared` is the Content-Length header, if any. Raises `BodyTooLarge`,
    or starlette's `ClientDisconnect` when the client leaves first.
    """
    # ASCII digits only: str.isdigit() takes "²", which int() then refuses
    text = declared.decode("latin-1") if isinstance(declared, bytes) else declared
    if text is not None and _DIGITS.fullmatch(text) and int(text) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnect
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        if not message.get("more_body", False):
            if not chunks:
                return chunk  # the usual case: one chunk, no copy
            chunks.append(chunk)
            return b"".join(chunks)
        chunks.append(chunk)


async def read_json(request: Request, limit: int) -> Any:
    body = await read_body(request.receive, request.headers.get("content-length"), limit)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadJSON(f"the body is not JSON: {error}") from None
    except RecursionError:
        raise BadJSON("the body is not JSON this server reads: nested too deeply") from None
