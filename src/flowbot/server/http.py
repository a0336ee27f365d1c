"""Small HTTP helpers shared by the route modules: error bodies, body limits, tokens."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import JSONResponse

__all__ = [
    "BadJSON",
    "BodyTooLarge",
    "FastJSONResponse",
    "bearer_token",
    "error_response",
    "read_body",
    "read_json",
]

logger = logging.getLogger("flowbot.server")


class BodyTooLarge(Exception):
    pass


class BadJSON(ValueError):
    pass


class FastJSONResponse(JSONResponse):
    """JSONResponse's body (compact, UTF-8) written by orjson: the web turn's answer.

    Values orjson refuses (integers over 64 bits) go through Starlette's encoder.
    """

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
        except orjson.JSONEncodeError:
            return super().render(content)


def error_response(
    request: Request, status: int, message: str, problems: Sequence[str] = ()
) -> JSONResponse:
    """A JSON error `{"error", "problems"?}`, logged with the request line."""
    logger.info(
        "%s %s -> %d %s%s",
        request.method,
        request.url.path,
        status,
        message,
        "".join(f"\n  {line}" for line in problems[:20]),
    )
    body: dict[str, Any] = {"error": message}
    if problems:
        body["problems"] = list(problems)
    return JSONResponse(body, status_code=status)


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than `limit` bytes without reading them all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, limit: int) -> Any:
    body = await read_body(request, limit)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadJSON(f"the body is not JSON: {error}") from None


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
