"""What the conversation service and the routes refuse with, each carrying its HTTP status.

A route raises one (or lets the service's through); the JSON routes' groups
answer it with the error body `{"error", "problems"?, "code"?}`
(`flowbot.server.guards.ErrorBodies`).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "TOKEN_EXPIRED",
    "Forbidden",
    "NotFound",
    "Refusal",
    "ServiceError",
    "TooMany",
    "Unavailable",
]

# the `code` of a refusal a client acts on: open a new conversation
TOKEN_EXPIRED = "token_expired"


class ServiceError(Exception):
    """`code`, when set, is a stable word a client may act on (the error body's `code`)."""

    status = 500
    # one line per problem of a request body (its path, then what is wrong)
    problems: Sequence[str] = ()

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class Refusal(ServiceError):
    """A request a route refuses, with its status (a body that is not JSON, or not the
    route's: 400, 413, 422; a bot that cannot be kept: 409, 503…)."""

    def __init__(
        self, status: int, message: str, problems: Sequence[str] = (), code: str | None = None
    ) -> None:
        super().__init__(message, code)
        self.status = status
        self.problems = list(problems)


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Unavailable(ServiceError):
    status = 503


class TooMany(ServiceError):
    """A limit against floods: too many streams, too many new conversations."""

    status = 429

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
