"""What the JSON routes of one group share, declared once for the group: keys and error bodies.

A group is a list of `Middleware` that each of its routes is built with
(`Route(..., middleware=group)`): Starlette runs it after routing, so the path
parameters are known and a method the route does not take is still answered
405 first.

- `KeyGuard`: the group's keys, sent as `Authorization: Bearer <key>` or
  `X-API-Key: <key>` (or, for an EventSource, which sends no headers, in a
  query parameter). No key configured: 403 saying how to set one; a missing
  or wrong key: 403. Then a path parameter no store could even look up (a
  lone surrogate, a NUL) is answered 404, like an id that names nothing.
- `ErrorBodies`: a `ServiceError` a route raises (a `Refusal` of its body,
  the conversation service's refusals) becomes the JSON error body
  `{"error", "problems"?, "code"?}` with its status.

The JSON API (`flowbot.server.api`) and the agents' routes
(`flowbot.server.agents`) are such groups; neither answers CORS (they are for
servers and the agent console, which is served from the same origin). The web
channel's CORS is declared by its own routes (`flowbot.server.web`).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import Headers, QueryParams
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flowbot.channels.fitting import constant_time_equal
from flowbot.format.shape import LONE_SURROGATE
from flowbot.server.errors import ServiceError
from flowbot.server.http import error_response

__all__ = ["ErrorBodies", "KeyGuard", "json_group"]


class KeyGuard:
    """Refuses (403) a request without one of `keys`; `query` names the key's query parameter."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        keys: Sequence[str | None],
        disabled: str,
        wrong: str,
        query: str | None = None,
    ) -> None:
        self.app = app
        self.keys = [key for key in keys if key]
        self.disabled = disabled
        self.wrong = wrong
        self.query = query

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, message = refusal
        await error_response(Request(scope), status, message)(scope, receive, send)

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        if not self.keys:
            return 403, self.disabled
        given = self._given(scope)
        if not given or not any(constant_time_equal(key, given) for key in self.keys):
            return 403, self.wrong
        for name, value in scope.get("path_params", {}).items():
            # an id no bot or conversation can have, and no store can even look up
            if isinstance(value, str) and (LONE_SURROGATE.search(value) or "\x00" in value):
                return 404, f"no such {name.replace('_id', '')}"
        return None

    def _given(self, scope: Scope) -> str | None:
        if self.query is not None:
            # (never a header: the query is the only place an EventSource can put it)
            return QueryParams(scope.get("query_string", b"")).get(self.query, "")
        headers = Headers(scope=scope)
        given = headers.get("x-api-key")
        if given is None:
            scheme, _, value = headers.get("authorization", "").partition(" ")
            given = value.strip() if scheme.lower() == "bearer" else None
        return given


class ErrorBodies:
    """A `ServiceError` raised before the answer started, answered as the JSON error body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except ServiceError as error:
            if started or scope["type"] != "http":
                raise
            response = error_response(
                Request(scope), error.status, error.message, error.problems, code=error.code
            )
            await response(scope, receive, send)


def json_group(
    *, keys: Sequence[str | None], disabled: str, wrong: str, query: str | None = None
) -> list[Middleware]:
    """The middleware of a group of JSON routes opened by `keys`."""
    return [
        Middleware(KeyGuard, keys=keys, disabled=disabled, wrong=wrong, query=query),
        Middleware(ErrorBodies),
    ]
