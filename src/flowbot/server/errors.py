"""What the conversation service refuses with, each carrying its HTTP status."""

from __future__ import annotations

__all__ = ["TOKEN_EXPIRED", "Forbidden", "NotFound", "ServiceError", "TooMany", "Unavailable"]

# the `code` of a refusal a client acts on: open a new conversation
TOKEN_EXPIRED = "token_expired"


class ServiceError(Exception):
    """`code`, when set, is a stable word a client may act on (the error body's `code`)."""

    status = 500

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


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
