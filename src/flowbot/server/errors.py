"""What the conversation service refuses with, each carrying its HTTP status."""

from __future__ import annotations

__all__ = ["Forbidden", "NotFound", "ServiceError", "Unavailable"]


class ServiceError(Exception):
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Unavailable(ServiceError):
    status = 503
